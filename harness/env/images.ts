import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type Docker from "dockerode";
import { EnvironmentError } from "../util/errors.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { hasCommand, run } from "./engine.ts";
import { LABEL_MANAGED } from "./labels.ts";

/** The registry base image the Dockerfiles name; where no registry answers, one is built offline. */
export const DEFAULT_BASE_IMAGE = "debian:trixie-slim";
export const OFFLINE_BASE_IMAGE = "drainlab/debian-base:trixie";
const PULL_TIMEOUT_MS = 30_000;
/** Bump when the way images are built changes without their inputs changing. */
const IMAGE_LAYOUT_VERSION = "2";

export interface Images {
  base: string;
  app: string;
  nginx: string;
}

/** Builds whatever is missing. Images are tagged by a hash of their inputs, so a second run builds nothing. */
export async function ensureImages(docker: Docker, log: (line: string) => void = () => {}): Promise<Images> {
  const base = await ensureBaseImage(docker, log);
  const baseId = (await docker.getImage(base).inspect()).Id;
  const app = await ensureBuilt(docker, "app", ["docker/app.Dockerfile", "fixtures/app", "fixtures/ledger"], base, baseId, log);
  const nginx = await ensureBuilt(docker, "nginx", ["docker/nginx.Dockerfile"], base, baseId, log);
  return { base, app, nginx };
}

export async function imageExists(docker: Docker, name: string): Promise<boolean> {
  try {
    await docker.getImage(name).inspect();
    return true;
  } catch {
    return false;
  }
}

async function ensureBaseImage(docker: Docker, log: (line: string) => void): Promise<string> {
  const wanted = process.env.DRAINLAB_BASE_IMAGE;
  if (wanted) {
    if (await imageExists(docker, wanted)) return wanted;
    throw new EnvironmentError(`DRAINLAB_BASE_IMAGE=${wanted} is not present in the engine`);
  }
  for (const name of [DEFAULT_BASE_IMAGE, OFFLINE_BASE_IMAGE]) {
    if (await imageExists(docker, name)) return name;
  }
  log(`pulling ${DEFAULT_BASE_IMAGE} ...`);
  if (await tryPull(docker, DEFAULT_BASE_IMAGE)) return DEFAULT_BASE_IMAGE;
  log(`no registry answered; building ${OFFLINE_BASE_IMAGE} with debootstrap (about 30 s) ...`);
  buildOfflineBase();
  return OFFLINE_BASE_IMAGE;
}

export async function tryPull(docker: Docker, name: string): Promise<boolean> {
  const pull = new Promise<boolean>((resolve) => {
    docker.pull(name, (err: Error | null, stream?: NodeJS.ReadableStream) => {
      if (err || !stream) return resolve(false);
      docker.modem.followProgress(stream, (doneErr) => resolve(!doneErr));
    });
  });
  const timeout = new Promise<boolean>((resolve) => setTimeout(() => resolve(false), PULL_TIMEOUT_MS).unref());
  return Promise.race([pull, timeout]);
}

/** debootstrap a minimal Debian trixie and import it; only possible on Debian as root. */
function buildOfflineBase(): void {
  if (process.getuid?.() !== 0) {
    throw new EnvironmentError(
      `cannot pull ${DEFAULT_BASE_IMAGE} and not root, so cannot debootstrap one; pull or load it, then run again`,
    );
  }
  if (!hasCommand("debootstrap")) {
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "debootstrap"]);
  }
  const root = mkdtempSync(join(tmpdir(), "drainlab-debootstrap-"));
  try {
    run("debootstrap", ["--variant=minbase", "trixie", root]);
    const tar = spawnSync("sh", ["-c", `tar -C '${root}' -c . | docker import - ${OFFLINE_BASE_IMAGE}`], { encoding: "utf8" });
    if (tar.status !== 0) throw new EnvironmentError(`docker import of the debootstrapped base failed:\n${tar.stderr}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Hash of every input of an image: its files, the base image id and the Dockerfile. */
export function inputsHash(paths: string[], baseId: string): string {
  const hash = createHash("sha256").update(baseId).update(IMAGE_LAYOUT_VERSION);
  for (const file of paths.flatMap((p) => listFiles(join(PROJECT_ROOT, p))).sort()) {
    hash.update(relative(PROJECT_ROOT, file)).update("\0").update(readFileSync(file)).update("\0");
  }
  return hash.digest("hex").slice(0, 12);
}

function listFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name !== "__pycache__")
    .flatMap((name) => listFiles(join(path, name)));
}

async function ensureBuilt(
  docker: Docker,
  name: string,
  inputs: string[],
  base: string,
  baseId: string,
  log: (line: string) => void,
): Promise<string> {
  const tag = `drainlab/${name}:${inputsHash(inputs, baseId)}`;
  if (await imageExists(docker, tag)) return tag;
  log(`building ${tag} ...`);
  const stream = await docker.buildImage(
    // tar-fs packs listed entries without descending into folders, so list every file
    {
      context: PROJECT_ROOT,
      src: [".dockerignore", ...inputs.flatMap((p) => listFiles(join(PROJECT_ROOT, p))).map((f) => relative(PROJECT_ROOT, f))],
    },
    { t: tag, dockerfile: inputs[0], buildargs: { BASE_IMAGE: base }, labels: { [LABEL_MANAGED]: "true" }, rm: true, forcerm: true },
  );
  const output: string[] = [];
  await new Promise<void>((resolve, reject) => {
    docker.modem.followProgress(
      stream,
      (err, results) => {
        const failed = err ?? (results ?? []).find((r: { error?: string }) => r.error);
        if (failed)
          reject(
            new EnvironmentError(
              `building ${tag} failed: ${(failed as { error?: string }).error ?? String(failed)}\n${output.slice(-15).join("")}`,
            ),
          );
        else resolve();
      },
      (event: { stream?: string }) => event.stream && output.push(event.stream),
    );
  });
  return tag;
}

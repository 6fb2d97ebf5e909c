import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import Docker from "dockerode";
import { EnvironmentError } from "../util/errors.ts";

const ENGINE_START_TIMEOUT_MS = 60_000;
const DOCKERD_LOG = "/var/log/drainlab-dockerd.log";

export function dockerClient(): Docker {
  return new Docker();
}

async function engineAnswers(docker: Docker): Promise<boolean> {
  try {
    await docker.ping();
    return true;
  } catch {
    return false;
  }
}

/**
 * Makes sure a Docker engine answers. On Debian as root it installs docker.io
 * and starts dockerd when none runs (CI machines start with only the client);
 * anywhere else it says how to get one and fails with exit code 3.
 */
export async function ensureEngine(log: (line: string) => void = () => {}): Promise<Docker> {
  const docker = dockerClient();
  if (await engineAnswers(docker)) return docker;

  const isDebianRoot = process.platform === "linux" && existsSync("/etc/debian_version") && process.getuid?.() === 0;
  if (!isDebianRoot || process.env.DOCKER_HOST) {
    throw new EnvironmentError(
      "no Docker engine answers" +
        (process.env.DOCKER_HOST ? ` at DOCKER_HOST=${process.env.DOCKER_HOST}` : "") +
        ".\nStart one (e.g. `sudo systemctl start docker`, or install Docker Engine: https://docs.docker.com/engine/install/) and run again.",
    );
  }
  if (!hasCommand("dockerd")) {
    log("no Docker engine: installing docker.io with apt-get ...");
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "docker.io"]);
  }
  log(`starting dockerd (log: ${DOCKERD_LOG}) ...`);
  const out = openSync(DOCKERD_LOG, "a");
  const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", out, out] });
  child.unref();

  const deadline = Date.now() + ENGINE_START_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (await engineAnswers(docker)) return docker;
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new EnvironmentError(`dockerd did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s; see ${DOCKERD_LOG}`);
}

/** The error says the engine went away (its socket refused or vanished), not that a request to it failed. */
export function isEngineLost(err: unknown): boolean {
  let e = err as { code?: string; address?: string; message?: string; cause?: unknown } | undefined;
  for (let depth = 0; e && depth < 4; depth++, e = e.cause as typeof e) {
    if (
      (e.code === "ECONNREFUSED" || e.code === "ENOENT" || e.code === "ECONNRESET") &&
      /docker\.sock|DOCKER_HOST/.test(`${e.address ?? ""} ${e.message ?? ""}`)
    )
      return true;
    if (/connect (ECONNREFUSED|ENOENT) .*docker\.sock/.test(e.message ?? "")) return true;
  }
  return false;
}

export function hasCommand(name: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${name}`], { stdio: "ignore" }).status === 0;
}

/** Runs a set-up command, failing with exit code 3 and its output when it fails. */
export function run(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const r = spawnSync(cmd, args, {
    encoding: "utf8",
    env: { ...process.env, DEBIAN_FRONTEND: "noninteractive", ...env },
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.status !== 0) {
    const output = `${r.stdout ?? ""}${r.stderr ?? ""}`.trim().split("\n").slice(-15).join("\n");
    throw new EnvironmentError(`${cmd} ${args.join(" ")} failed (${r.error?.message ?? `exit ${r.status}`}):\n${output}`);
  }
  return r.stdout;
}

import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { isAbsolute, join } from "node:path";
import type Docker from "dockerode";
import { EnvironmentError, UsageError } from "../util/errors.ts";
import { MAX_BYTES, readRegular } from "../util/safe-file.ts";
import { baseImagesOf } from "./dockerfile-bases.ts";
import { imageExists, tryPull } from "./images.ts";
import { LABEL_MANAGED } from "./labels.ts";

/** An image a scenario names: one the engine has, or a Dockerfile to build. */
export interface ImageSourceSpec {
  image?: string;
  build?: { context: string; dockerfile: string; args: Record<string, string> };
}

/** How the image was had, for the report: a build lists the build args drainlab added. */
export interface ResolvedImage {
  image: string;
  built_from: string | null;
  /** Build args drainlab passed that the scenario did not (BASE_IMAGE: no registry answers here). */
  added_build_args: Record<string, string>;
}

const BUILD_OUTPUT_LINES = 25;

/**
 * The user's image: checked present, or built with `docker build` (the CLI, so the user's
 * .dockerignore and BuildKit behave exactly as in their own builds). A Dockerfile that declares
 * `ARG BASE_IMAGE` gets drainlab's base, which exists offline; the scenario's own args win.
 * `what` names the scenario field in errors (system.app, system.services[0]).
 */
export async function ensureUserImage(
  docker: Docker,
  spec: ImageSourceSpec,
  what: string,
  baseImage: string,
  log: (line: string) => void,
): Promise<ResolvedImage> {
  if (spec.image) {
    if (!(await haveImage(docker, spec.image, log))) {
      throw new EnvironmentError(
        `${what}.image: ${spec.image} is not in the Docker engine and could not be pulled (no registry answered); ` +
          `build it (docker build -t ${spec.image} .) or load it (docker load -i <file>) first, or give ${what}.build instead`,
      );
    }
    return { image: spec.image, built_from: null, added_build_args: {} };
  }
  const build = spec.build!;
  const dockerfile = isAbsolute(build.dockerfile) ? build.dockerfile : join(build.context, build.dockerfile);
  let text: string;
  try {
    text = readRegular(dockerfile, `${what}.build.dockerfile`, MAX_BYTES.config).toString("utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${what}.build.dockerfile: cannot read ${dockerfile} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const added: Record<string, string> = {};
  if (/^\s*ARG\s+BASE_IMAGE\b/im.test(text) && build.args.BASE_IMAGE === undefined) added.BASE_IMAGE = baseImage;
  const args = { ...added, ...build.args };
  // a FROM image that is neither here nor pullable fails the build deep in its log: name it first
  for (const ref of baseImagesOf(text, args)) {
    if (await haveImage(docker, ref.image, log)) continue;
    throw new EnvironmentError(
      `${what}.build: ${dockerfile} line ${ref.line}: FROM ${ref.image} is not in the Docker engine and could not be pulled ` +
        `(no registry answered). Load it (docker load -i <file>) or build it under that tag first, or declare ` +
        `\`ARG BASE_IMAGE\` and use \`FROM \${BASE_IMAGE}\` so drainlab fills in its offline Debian base (${baseImage})` +
        (ref.args.length ? `, or set ${what}.build.args.${ref.args[0]}` : ""),
    );
  }
  const tag = `drainlab/sut-${createHash("sha256").update(`${build.context}\0${dockerfile}`).digest("hex").slice(0, 12)}:latest`;
  log(`building ${what} from ${dockerfile} (tagged ${tag}) ...`);
  // --force-rm: the legacy builder otherwise keeps the container of a step that failed (BuildKit ignores it)
  const cli = ["build", "--force-rm", "-t", tag, "-f", dockerfile, "--label", `${LABEL_MANAGED}=true`];
  for (const [k, v] of Object.entries(args)) cli.push("--build-arg", `${k}=${v}`);
  cli.push(build.context);
  const { code, output } = await runDocker(cli);
  if (code !== 0) {
    const tail = output.trimEnd().split("\n").slice(-BUILD_OUTPUT_LINES).join("\n");
    throw new EnvironmentError(`${what}.build: docker build of ${dockerfile} failed (exit ${code}); the end of its log:\n${tail}`);
  }
  return { image: tag, built_from: dockerfile, added_build_args: added };
}

/** In the engine, or pulled now (which fails at once where no registry answers). */
async function haveImage(docker: Docker, image: string, log: (line: string) => void): Promise<boolean> {
  if (await imageExists(docker, image)) return true;
  log(`pulling ${image} ...`);
  return tryPull(docker, image);
}

function runDocker(args: string[]): Promise<{ code: number; output: string }> {
  return new Promise((resolve) => {
    const child = spawn("docker", args, { stdio: ["ignore", "pipe", "pipe"] });
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (b: Buffer) => {
      chunks.push(b);
      size += b.length;
      // only the tail is shown: keep memory bounded on a chatty build
      while (size > 256 * 1024 && chunks.length > 1) size -= chunks.shift()!.length;
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", (err) => resolve({ code: 127, output: `cannot run docker: ${err.message}` }));
    child.on("close", (code) => resolve({ code: code ?? 1, output: Buffer.concat(chunks).toString("utf8") }));
  });
}

import { spawn, spawnSync } from "node:child_process";
import { existsSync, openSync, readFileSync, rmSync } from "node:fs";
import Docker from "dockerode";
import { EnvironmentError } from "../util/errors.ts";

const ENGINE_START_TIMEOUT_MS = 60_000;
const ENGINE_PING_TIMEOUT_MS = 3_000;
const DOCKERD_RESTART_PAUSE_MS = 2_000;
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
  const out = openSync(DOCKERD_LOG, "a");
  const deadline = performance.now() + ENGINE_START_TIMEOUT_MS;
  // right after an engine was killed its containerd may still be going away, and the new dockerd
  // gives up ("timeout waiting for containerd"): start it again until the deadline
  for (let attempt = 1; performance.now() < deadline; attempt++) {
    removeStalePidFile(log);
    log(`starting dockerd${attempt > 1 ? ` (attempt ${attempt}: the last one exited)` : ""} (log: ${DOCKERD_LOG}) ...`);
    const child = spawn("dockerd", [], { detached: true, stdio: ["ignore", out, out] });
    child.unref();
    while (performance.now() < deadline && child.exitCode === null) {
      if (await engineAnswers(docker)) return docker;
      await new Promise((r) => setTimeout(r, 250));
    }
    if (child.exitCode === null) break;
    await new Promise((r) => setTimeout(r, DOCKERD_RESTART_PAUSE_MS));
  }
  throw new EnvironmentError(`dockerd did not answer within ${ENGINE_START_TIMEOUT_MS / 1000} s; see ${DOCKERD_LOG}`);
}

/**
 * After a Docker call failed: is the engine gone (its socket refuses, or the
 * ping does not answer within a few seconds), rather than that one call
 * having failed? Whatever the error looked like (ECONNREFUSED, EPIPE, a reset
 * stream), only the ping decides.
 */
export async function engineLost(docker: Docker = dockerClient()): Promise<boolean> {
  const timeout = new Promise<false>((resolve) => setTimeout(() => resolve(false), ENGINE_PING_TIMEOUT_MS).unref());
  return !(await Promise.race([engineAnswers(docker), timeout]));
}

const DOCKERD_PID_FILE = "/var/run/docker.pid";

/**
 * A dockerd that was killed leaves its pid file, and refuses to start while
 * the pid in it is alive; a killed dockerd whose parent is gone can linger as
 * a zombie that nobody reaps. A pid file whose process is not a running
 * dockerd is stale: remove it.
 */
function removeStalePidFile(log: (line: string) => void): void {
  if (!existsSync(DOCKERD_PID_FILE)) return;
  const pid = readFileSync(DOCKERD_PID_FILE, "utf8").trim();
  let running = false;
  try {
    // /proc/<pid>/stat: "pid (comm) state ..."
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    running = /^\d+ \(dockerd\) [^Z]/.test(stat);
  } catch {
    running = false;
  }
  if (running) return;
  log(`removing ${DOCKERD_PID_FILE}: pid ${pid} is not a running dockerd (a killed engine left it)`);
  rmSync(DOCKERD_PID_FILE, { force: true });
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

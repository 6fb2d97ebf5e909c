import { basename } from "node:path";

/**
 * What a user's node really runs, read from inside it: its processes (PID 1 and
 * the server's master), and the server's resolved settings (`gunicorn
 * --print-config` with the master's own arguments, or uvicorn's command line
 * and UVICORN_* environment). Pure parsing here; system.ts runs the commands.
 */

export interface ProcessInfo {
  pid: number;
  ppid: number;
  argv: string[];
  cwd: string;
  /** Only the variables that change a server's settings (GUNICORN_CMD_ARGS, UVICORN_*, WEB_CONCURRENCY). */
  env: Record<string, string>;
}

/** Lists every process of a container as JSON (Python: every image that runs uvicorn has it). */
export const PROCESS_SCRIPT = `
import json, os
out = []
for p in os.listdir("/proc"):
    if not p.isdigit():
        continue
    try:
        argv = open(f"/proc/{p}/cmdline", "rb").read().split(b"\\0")[:-1]
        stat = open(f"/proc/{p}/stat").read()
        env = dict(e.split(b"=", 1) for e in open(f"/proc/{p}/environ", "rb").read().split(b"\\0") if b"=" in e)
        keep = {k.decode(): v.decode("utf-8", "replace") for k, v in env.items() if k.startswith((b"UVICORN_", b"GUNICORN_CMD_ARGS", b"WEB_CONCURRENCY"))}
        out.append({"pid": int(p), "ppid": int(stat.rsplit(")", 1)[1].split()[1]), "argv": [a.decode("utf-8", "replace") for a in argv], "cwd": os.readlink(f"/proc/{p}/cwd"), "env": keep})
    except (OSError, ValueError, IndexError):
        pass
print(json.dumps(out))
`;

const SHELLS = new Set(["sh", "bash", "dash", "ash", "busybox", "zsh"]);

export type ServerKind = "gunicorn" | "uvicorn";

export interface ServerProcess {
  kind: ServerKind;
  master: ProcessInfo;
}

/** Whether argv runs `name` (its script, `python -m name`, or a path ending in it). */
function runs(argv: string[], name: string): boolean {
  return argv.slice(0, 3).some((a, i) => basename(a) === name || (i > 0 && argv[i - 1] === "-m" && a === name));
}

/** The server's master: a gunicorn or uvicorn process whose parent is not one (workers are its children). */
export function findServer(processes: ProcessInfo[]): ServerProcess | null {
  for (const kind of ["gunicorn", "uvicorn"] as const) {
    const all = processes.filter((p) => runs(p.argv, kind));
    const pids = new Set(all.map((p) => p.pid));
    const master = all.find((p) => !pids.has(p.ppid));
    if (master) return { kind, master };
  }
  return null;
}

export interface SignalPath {
  /** PID 1's command line, as the node ran it. */
  pid1: string;
  /** PID 1 is a shell, not the server: docker's SIGTERM goes to the shell, which does not pass it on. */
  shell_pid1: boolean;
  /** The server master's pid (1 when PID 1 is the server itself). */
  server_pid: number | null;
  note: string;
}

/** Reads the signal path from the running node: what PID 1 is, and whether it is the server. */
export function signalPath(processes: ProcessInfo[], server: ServerProcess | null): SignalPath {
  const pid1 = processes.find((p) => p.pid === 1);
  const argv = pid1?.argv ?? [];
  const shell = argv.length > 0 && SHELLS.has(basename(argv[0]!)) && server?.master.pid !== 1;
  const command = argv.join(" ");
  const note = shell
    ? `PID 1 is a shell (${command}), not the server: the drain's SIGTERM reaches the shell, which does not pass it on, so the server never shuts down gracefully and is SIGKILLed after the stop wait (use the exec form of CMD, or exec in the script)`
    : server?.master.pid === 1
      ? `PID 1 is the ${server.kind} master itself: it receives the drain's SIGTERM`
      : `PID 1 is ${command || "unknown"}${server ? `; the ${server.kind} master is pid ${server.master.pid}` : ""}`;
  return { pid1: command, shell_pid1: shell, server_pid: server?.master.pid ?? null, note };
}

/** `gunicorn --print-config`: one `name = value` line per setting. */
export function parsePrintConfig(text: string): Record<string, string> {
  const settings: Record<string, string> = {};
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)\s+= (.*)$/.exec(line);
    if (m) settings[m[1]!] = m[2]!.trim();
  }
  return settings;
}

export interface ServerSettings {
  kind: ServerKind;
  workers: number;
  /** gunicorn graceful_timeout; null under uvicorn --workers. */
  graceful_timeout_s: number | null;
  /** uvicorn timeout_graceful_shutdown; null: unlimited (uvicorn's default, and stock UvicornWorker's). */
  uvicorn_graceful_s: number | null;
  timeout_s: number | null;
  keepalive_s: number;
  max_requests: number;
  /** gunicorn's max_requests_jitter (each worker's limit is max_requests plus 0..jitter); 0 under uvicorn. */
  max_requests_jitter: number;
  worker_class: string | null;
  preload_app: boolean | null;
  /** Where each value came from, for the report. */
  source: string;
}

const num = (v: string | undefined, fallback: number): number => {
  const n = Number(v);
  return v !== undefined && v !== "" && Number.isFinite(n) ? n : fallback;
};

/** Settings from gunicorn's resolved config and the worker class's own uvicorn limit (CONFIG_KWARGS). */
export function gunicornSettings(config: Record<string, string>, workerGraceful: number | null): ServerSettings {
  return {
    kind: "gunicorn",
    workers: num(config.workers, 1),
    graceful_timeout_s: num(config.graceful_timeout, 30),
    uvicorn_graceful_s: workerGraceful,
    timeout_s: num(config.timeout, 30),
    keepalive_s: num(config.keepalive, 2),
    max_requests: num(config.max_requests, 0),
    max_requests_jitter: num(config.max_requests_jitter, 0),
    worker_class: config.worker_class ?? null,
    preload_app: config.preload_app === undefined ? null : config.preload_app === "True",
    source: "gunicorn --print-config, run in node-1 with the master's own arguments",
  };
}

/** The value of a uvicorn flag (`--flag v` or `--flag=v`), then its UVICORN_* variable, else undefined. */
function flag(argv: string[], env: Record<string, string>, name: string): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === `--${name}`) return argv[i + 1];
    if (argv[i]!.startsWith(`--${name}=`)) return argv[i]!.slice(name.length + 3);
  }
  return env[`UVICORN_${name.toUpperCase().replaceAll("-", "_")}`];
}

/** Settings from `uvicorn ...` as the master runs it; uvicorn's own defaults where a flag is absent. */
export function uvicornSettings(master: ProcessInfo): ServerSettings {
  const { argv, env } = master;
  const graceful = flag(argv, env, "timeout-graceful-shutdown");
  return {
    kind: "uvicorn",
    workers: num(flag(argv, env, "workers") ?? env.WEB_CONCURRENCY, 1),
    graceful_timeout_s: null,
    uvicorn_graceful_s: graceful === undefined ? null : num(graceful, 0),
    timeout_s: null,
    keepalive_s: num(flag(argv, env, "timeout-keep-alive"), 5),
    max_requests: num(flag(argv, env, "limit-max-requests"), 0),
    max_requests_jitter: 0,
    worker_class: null,
    preload_app: null,
    source: "uvicorn's command line and UVICORN_* environment in node-1",
  };
}

/** The Python that prints a worker class's own uvicorn timeout_graceful_shutdown (None: unlimited). */
export function workerGracefulScript(workerClass: string): string {
  return `import importlib, json; m, _, c = ${JSON.stringify(workerClass)}.rpartition("."); k = getattr(importlib.import_module(m), c); print(json.dumps(getattr(k, "CONFIG_KWARGS", {}).get("timeout_graceful_shutdown")))`;
}

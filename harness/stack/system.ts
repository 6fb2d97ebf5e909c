import { chmodSync, readFileSync } from "node:fs";
import { connect } from "node:net";
import { basename, join } from "node:path";
import type Docker from "dockerode";
import { LABEL_OWNER_PID, runLabels } from "../env/labels.ts";
import { ensureUserImage } from "../env/user-images.ts";
import { planOf } from "../scenario/request-plan.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { SystemService } from "../scenario/system-schema.ts";
import { EnvironmentError, UsageError } from "../util/errors.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { MAX_BYTES, readRegular } from "../util/safe-file.ts";
import { sleep } from "../util/sleep.ts";
import { demuxDockerLog } from "./docker-log.ts";
import {
  findServer,
  gunicornSettings,
  PROCESS_SCRIPT,
  type ProcessInfo,
  parsePrintConfig,
  signalPath,
  uvicornSettings,
  workerGracefulScript,
} from "./effective.ts";
import { ACCESS_LOG_FORMAT } from "./nginx-config.ts";
import { logTail, type Stack, type StackPlanner } from "./stack.ts";
import type { SystemState } from "./system-state.ts";
import { type EffectiveNginx, editUserNginx, effectiveNginx, NginxSyntaxError, UserNginxError } from "./user-nginx.ts";

const LEDGER_DIR = join(PROJECT_ROOT, "fixtures/ledger");
const LEDGER_MOUNT = "/drainlab-ledger";
const ACCESS_LOG = "/var/log/drainlab/access.jsonl";
const POLL_MS = 200;
/** Requests per mix entry sent to a node to measure how long it normally takes, when the scenario does not say. */
const MEASURE_SAMPLES = 5;

/** A user's system (scenario `system:`): their images, nginx.conf and services, with drainlab's ledger mounted in. */
export const systemPlanner: StackPlanner = async (options, network) => {
  const { scenario, docker, runId, images } = options;
  const system = scenario.system!;
  const log = options.log ?? (() => {});
  const labels = (role: string) => ({ ...runLabels(runId, role), [LABEL_OWNER_PID]: String(process.pid) });
  const overrides: string[] = [];

  // the nginx.conf first: a mistake in it should cost no image build
  const confText = readUserFile(system.nginx.config, "system.nginx.config");
  const edit = (servers: Array<{ address: string; port: number; down: boolean }>, generation: number) => {
    try {
      return editUserNginx(confText, {
        file: system.nginx.config,
        upstream: system.nginx.upstream,
        servers,
        generation,
        logFormat: `log_format drainlab escape=json ${ACCESS_LOG_FORMAT.replace("{{generation}}", String(generation))};`,
        accessLogPath: ACCESS_LOG,
        port: system.nginx.port,
      });
    } catch (err) {
      if (err instanceof NginxSyntaxError || err instanceof UserNginxError) throw new UsageError(`system.nginx.config: ${err.message}`);
      throw err;
    }
  };
  const probe = edit([{ address: "127.0.0.1", port: system.app.port, down: false }], 1);
  overrides.push(...probe.overrides.map((o) => `nginx.conf: ${o}`));
  const files = system.nginx.files.map((f, i) => ({
    content: readRegular(f, `system.nginx.files.${i}`, MAX_BYTES.config),
    target: `/etc/nginx/${basename(f)}`,
  }));

  const app = await ensureUserImage(docker, system.app, "system.app", images.base, log);
  for (const [k, v] of Object.entries(app.added_build_args)) overrides.push(`app image: build arg ${k}=${v} (drainlab's offline base)`);
  const imageEnv = envOf((await docker.getImage(app.image).inspect()).Config?.Env ?? []);

  const services: SystemState["services"] = [];
  const started: Array<{ name: string; containerId: string }> = [];
  for (const [i, svc] of system.services.entries()) {
    const image = await ensureUserImage(docker, svc, `system.services[${i}]`, images.base, log);
    services.push({ name: svc.name, ...image });
    log(`starting service ${svc.name} (${image.image}) ...`);
    const id = await startService(docker, svc, image.image, network.name, labels(`service-${svc.name}`), `drainlab-${runId}-${svc.name}`);
    started.push({ name: svc.name, containerId: id });
    await serviceReady(docker, id, svc, `system.services[${i}]`);
  }

  // on the run's network, after the services: names the configuration resolves must resolve here too
  await nginxTest(docker, system.nginx.image ?? images.nginx, probe.config, files, confText, system.nginx.config, {
    labels: labels("nginx-test"),
    network: network.name,
  });

  const env: Record<string, string> = { ...system.app.env };
  if (system.app.ledger) {
    env.PYTHONPATH = [LEDGER_MOUNT, system.app.env.PYTHONPATH ?? imageEnv.PYTHONPATH].filter(Boolean).join(":");
    overrides.push(`app: PYTHONPATH=${env.PYTHONPATH} (drainlab's app-ledger module, ${LEDGER_MOUNT}, mounted read-only)`);
  }
  if (system.app.gunicorn_args.length > 0) {
    env.GUNICORN_CMD_ARGS = [imageEnv.GUNICORN_CMD_ARGS, ...system.app.gunicorn_args].filter(Boolean).join(" ");
    overrides.push(`gunicorn: GUNICORN_CMD_ARGS="${env.GUNICORN_CMD_ARGS}" (system.app.gunicorn_args; ranks above gunicorn.conf.py)`);
  }
  if (system.app.command)
    overrides.push(`app: command ${JSON.stringify(system.app.command)} instead of the image's CMD (system.app.command)`);

  const state: SystemState = {
    app_image: app,
    services,
    overrides,
    server: null,
    signal_path: null,
    nginx: null,
    nginx_listen_port: probe.listenPort,
    nodes: [],
    measured_ms: {},
    notes: [],
  };
  const mark = system.app.mark_draining;
  return {
    profile: {
      appPort: system.app.port,
      render: (servers, generation) => edit(servers, generation).config,
      markDraining: async (stack, name) => {
        if (mark === "none") return 0;
        if ("file" in mark) return stack.execIn(name, ["touch", mark.file]);
        if ("command" in mark) return stack.execIn(name, mark.command);
        const res = await fetch(`${stack.node(name).directUrl}${mark.http.path}`, { method: mark.http.method }).catch(() => undefined);
        await res?.arrayBuffer().catch(() => {});
        return res && res.status < 400 ? 0 : (res?.status ?? 1);
      },
      unmark: async (stack, name) => {
        if (mark !== "none" && "file" in mark) await stack.execIn(name, ["rm", "-f", mark.file]);
      },
      services: started,
      system: state,
    },
    node: (name, logDir) => {
      // the user's image may run as any user: its ledger must be able to write here
      chmodSync(logDir, 0o777);
      return {
        image: app.image,
        env: { ...env, DRAINLAB_NODE: name },
        command: system.app.command,
        binds: [
          { source: logDir, target: "/var/log/drainlab" },
          ...(system.app.ledger ? [{ source: LEDGER_DIR, target: LEDGER_MOUNT, mode: "ro" as const }] : []),
        ],
      };
    },
    nginx: {
      image: system.nginx.image ?? "",
      port: probe.listenPort,
      // nginx -t first: a configuration nginx refuses stops the run here, with nginx's own file:line
      command: ["sh", "-c", "nginx -t && exec nginx -g 'daemon off;'"],
      files,
    },
    ready: (stack) => readSystem(stack, scenario, state),
  };
};

/** After every node's health answers: what the nodes run, every worker serving, nginx's effective settings, durations. */
async function readSystem(stack: Stack, scenario: Scenario, state: SystemState): Promise<void> {
  const system = scenario.system!;
  const first = stack.nodes[0]!.name;
  const ps = await stack.execOutput(first, ["python3", "-c", PROCESS_SCRIPT]);
  const processes: ProcessInfo[] = ps.exitCode === 0 ? JSON.parse(ps.stdout) : [];
  if (ps.exitCode !== 0)
    state.notes.push(`cannot list node-1's processes with python3 (exit ${ps.exitCode}): signal path and settings unknown`);
  const server = findServer(processes);
  state.signal_path = processes.length > 0 ? signalPath(processes, server) : null;
  if (server?.kind === "gunicorn") {
    const printed = await stack.execOutput(first, [...server.master.argv, "--print-config"], server.master.cwd);
    const config = parsePrintConfig(printed.stdout);
    let workerGraceful: number | null = null;
    if (config.worker_class) {
      const kw = await stack.execOutput(first, ["python3", "-c", workerGracefulScript(config.worker_class)], server.master.cwd);
      workerGraceful = kw.exitCode === 0 ? (JSON.parse(kw.stdout.trim().split("\n").pop()!) as number | null) : null;
    }
    if (printed.exitCode !== 0 || !config.workers)
      state.notes.push(`gunicorn --print-config failed in node-1 (exit ${printed.exitCode}); gunicorn's defaults assumed`);
    state.server = gunicornSettings(config, workerGraceful);
  } else if (server) {
    state.server = uvicornSettings(server.master);
  } else if (processes.length > 0) {
    state.notes.push("neither gunicorn nor uvicorn runs in node-1: server settings unknown, the timeout chain uses drainlab's defaults");
  }
  state.nodes = await workersReady(stack, state.server?.workers ?? 1, system.app.ready_timeout_s * 1000, system.app.ledger);
  const dump = await stack.execOutput("nginx", ["nginx", "-T"]);
  try {
    if (dump.exitCode !== 0) throw new Error(`exit ${dump.exitCode}`);
    state.nginx = effectiveNginx(dump.stdout, system.nginx.upstream);
  } catch (err) {
    state.notes.push(
      `nginx -T could not be read (${(err as Error).message}): nginx's effective settings unknown, drainlab's defaults used`,
    );
  }
  state.measured_ms = await measureDurations(stack, scenario);
}

/**
 * Waits until every worker of every node serves: its `ledger-active` line (the
 * ledger wraps the app as the worker loads it) or uvicorn's "Application
 * startup complete." in the node's log, whichever counts more. The first
 * answer from a node is not enough: a worker still importing the app drops
 * the connections it accepts, and that start-up noise would be judged as drain loss.
 */
async function workersReady(stack: Stack, workers: number, timeoutMs: number, ledger: boolean): Promise<SystemState["nodes"]> {
  const deadline = performance.now() + timeoutMs;
  const counts = async (n: (typeof stack.nodes)[number]) => {
    let active = 0;
    try {
      active = readFileSync(join(n.logDir, "app-ledger.jsonl"), "utf8").split('"event":"ledger-active"').length - 1;
    } catch {
      // no ledger yet
    }
    const logs = await stack.containerLogs(n.name);
    const started = logs.split("Application startup complete.").length - 1;
    return { active, started };
  };
  for (;;) {
    const seen = await Promise.all(stack.nodes.map(counts));
    const ready = seen.map((c) => Math.max(c.active, c.started));
    if (ready.every((r) => r >= workers)) {
      return stack.nodes.map((n, i) => ({ name: n.name, workers_ready: ready[i]!, ledger_active: ledger && seen[i]!.active > 0 }));
    }
    if (performance.now() > deadline) {
      const which = stack.nodes.map((n, i) => `${n.name} ${ready[i]} of ${workers}`).join(", ");
      throw new EnvironmentError(
        `not every worker served within ${timeoutMs / 1000} s (system.app.ready_timeout_s): ${which} workers ready (counted from ledger-active lines and "Application startup complete." in each node's log)`,
      );
    }
    await sleep(POLL_MS);
  }
}

/**
 * Entries without expected_ms: median of a few requests sent straight to node-1 (no X-Request-Id, so no ledger
 * row). Streams, feeds and sockets are not measured: their length is their protocol's (a feed may never end).
 */
async function measureDurations(stack: Stack, scenario: Scenario): Promise<Record<number, number>> {
  const measured: Record<number, number> = {};
  const node = stack.nodes[0]!;
  for (const [i, k] of scenario.load.mix.entries()) {
    if (k.expected_ms !== undefined || (k.kind ?? "request") !== "request") continue;
    // the body and headers exactly as the load sends them
    const { body, headers: flat } = planOf(k, false);
    const headers = Object.fromEntries(Array.from({ length: flat.length / 2 }, (_, h) => [flat[2 * h]!, flat[2 * h + 1]!]));
    const times: number[] = [];
    for (let s = 0; s < MEASURE_SAMPLES; s++) {
      const t = performance.now();
      const res = await fetch(`${node.directUrl}${k.path}`, {
        method: k.method,
        headers,
        body,
        signal: AbortSignal.timeout(scenario.load.timeout_s * 1000),
      }).catch((e: Error) => e);
      if (res instanceof Error)
        throw new EnvironmentError(`measuring load.mix[${i}] (${k.method} ${k.path}) on ${node.name}: ${res.message}`);
      await res.arrayBuffer();
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    measured[i] = Math.round(times[Math.floor(times.length / 2)]!);
  }
  return measured;
}

async function startService(
  docker: Docker,
  svc: SystemService,
  image: string,
  network: string,
  labels: Record<string, string>,
  name: string,
): Promise<string> {
  const container = await docker.createContainer({
    name,
    Image: image,
    ...(svc.command ? { Cmd: svc.command } : {}),
    Env: Object.entries(svc.env).map(([k, v]) => `${k}=${v}`),
    Labels: labels,
    HostConfig: { NetworkMode: network },
    NetworkingConfig: { EndpointsConfig: { [network]: { Aliases: [svc.name] } } },
  });
  await container.start();
  return container.id;
}

/** Waits for the service's ready check; a service that exits meanwhile ends the wait with its log's tail. */
async function serviceReady(docker: Docker, id: string, svc: SystemService, what: string): Promise<void> {
  const container = docker.getContainer(id);
  const deadline = performance.now() + svc.ready_timeout_s * 1000;
  for (;;) {
    const info = await container.inspect();
    if (!info.State.Running) {
      throw new EnvironmentError(
        `${what} (${svc.name}) exited with code ${info.State.ExitCode} before it was ready; its last log lines:${await logTail(docker, id)}`,
      );
    }
    if (!svc.ready) return;
    if ("command" in svc.ready) {
      const exec = await container.exec({ Cmd: svc.ready.command, AttachStdout: true, AttachStderr: true });
      const stream = await exec.start({});
      stream.resume();
      await new Promise((r) => stream.on("end", r));
      if ((await exec.inspect()).ExitCode === 0) return;
    } else {
      const address = Object.values(info.NetworkSettings.Networks)[0]?.IPAddress;
      if (address && (await tcpOpen(address, svc.ready.tcp))) return;
    }
    if (performance.now() > deadline)
      throw new EnvironmentError(
        `${what} (${svc.name}) was not ready within ${svc.ready_timeout_s} s (its ready check); its last log lines:${await logTail(docker, id)}`,
      );
    await sleep(POLL_MS);
  }
}

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port, timeout: 1000 });
    socket.once("connect", () => (socket.destroy(), resolve(true)));
    socket.once("error", () => resolve(false));
    socket.once("timeout", () => (socket.destroy(), resolve(false)));
  });
}

/**
 * `nginx -t` on the edited configuration, in the nginx image the run uses, before anything else
 * starts. Its error names the user's file and line (found again in the edited text), not only
 * the line of drainlab's copy.
 */
async function nginxTest(
  docker: Docker,
  image: string,
  config: string,
  files: Array<{ content: Buffer; target: string }>,
  userText: string,
  userFile: string,
  { labels, network }: { labels: Record<string, string>; network: string },
): Promise<void> {
  const write = [...files, { content: Buffer.from(config), target: "/etc/nginx/nginx.conf" }]
    .map((f) => `echo ${f.content.toString("base64")} | base64 -d > ${f.target}`)
    .join(" && ");
  const container = await docker.createContainer({
    Image: image,
    Cmd: ["sh", "-c", `mkdir -p /var/log/drainlab && ${write} && nginx -t`],
    Labels: labels,
    HostConfig: { NetworkMode: network },
  });
  try {
    await container.start();
    const { StatusCode } = await container.wait();
    if (StatusCode === 0) return;
    const output = demuxDockerLog(await container.logs({ stdout: true, stderr: true })).toString("utf8");
    const emerg = output.split("\n").find((l) => /\[(emerg|alert|crit)\]/.test(l)) ?? output.trim().split("\n").pop() ?? "";
    const m = / in \/etc\/nginx\/nginx\.conf:(\d+)/.exec(emerg);
    let where = "";
    if (m) {
      const user = userLineOf(config, userText, Number(m[1]));
      where = user === null ? ` (a line drainlab added, line ${m[1]} of its copy)` : ` (${userFile}:${user})`;
    }
    throw new UsageError(
      `system.nginx.config: nginx -t refused it: ${emerg
        .replace(/^nginx: /, "")
        .replace(/^\S+ \S+ (\[\w+\]) \d+#\d+: /, "$1 ")
        .trim()}${where}`,
    );
  } finally {
    await container.remove({ force: true }).catch(() => {});
  }
}

/** The user's line for line n of the edited configuration; null for a line drainlab added. */
export function userLineOf(edited: string, userText: string, n: number): number | null {
  const lines = edited.split("\n");
  const line = lines[n - 1];
  if (line === undefined || line.includes("# drainlab")) return null;
  const same = (l: string) => l.trim() === line.trim();
  const ordinal = lines.slice(0, n - 1).filter((l) => !l.includes("# drainlab") && same(l)).length;
  const matches = userText
    .split("\n")
    .map((l, i) => (same(l) ? i + 1 : 0))
    .filter((i) => i > 0);
  return matches[ordinal] ?? matches[0] ?? null;
}

function readUserFile(path: string, field: string): string {
  try {
    return readRegular(path, field, MAX_BYTES.config).toString("utf8");
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${field}: cannot read ${path} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

function envOf(list: string[]): Record<string, string> {
  return Object.fromEntries(list.map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
}

/**
 * The scenario as the user's system really runs it: the stack fields (runtime,
 * workers, graceful limits, nginx timeouts) from the settings read in the
 * nodes and nginx, and each mix entry's duration (expected_ms, or measured).
 * The timeout-chain lint, the drain's stop wait and the checks all use it.
 */
export function effectiveScenario(scenario: Scenario, state: SystemState): Scenario {
  const s = structuredClone(scenario);
  const server = state.server;
  if (server) {
    s.stack.runtime = server.kind;
    s.stack.gunicorn.workers = server.workers;
    s.stack.gunicorn.keepalive_s = server.keepalive_s;
    if (server.graceful_timeout_s !== null) s.stack.gunicorn.graceful_timeout_s = server.graceful_timeout_s;
    if (server.timeout_s !== null) s.stack.gunicorn.timeout_s = server.timeout_s;
    s.stack.uvicorn.timeout_graceful_shutdown_s = server.uvicorn_graceful_s;
    // worker recycling as the user's server has it: gunicorn max_requests, or uvicorn --limit-max-requests
    if (server.kind === "uvicorn") s.stack.uvicorn.limit_max_requests = server.max_requests > 0 ? server.max_requests : null;
    else {
      s.stack.gunicorn.max_requests = server.max_requests;
      s.stack.gunicorn.max_requests_jitter = server.max_requests_jitter ?? 0;
    }
  }
  const nginx = state.nginx;
  if (nginx) {
    const served = s.load.mix.map((k) => servingLocation(nginx, k.path ?? "/")).filter((l) => l !== undefined);
    const locations = served.length > 0 ? served : nginx.locations;
    if (locations.length > 0) {
      s.stack.nginx.proxy_read_timeout_s = Math.min(...locations.map((l) => l.proxy_read_timeout_s));
      s.stack.nginx.proxy_connect_timeout_s = Math.min(...locations.map((l) => l.proxy_connect_timeout_s));
      s.stack.nginx.proxy_next_upstream = locations[0]!.proxy_next_upstream;
    }
    s.stack.nginx.upstream_keepalive = nginx.keepalive;
    s.stack.nginx.upstream_keepalive_timeout_s = nginx.keepalive_timeout_s;
    s.stack.nginx.max_fails = nginx.max_fails;
    s.stack.nginx.fail_timeout_s = nginx.fail_timeout_s;
    if (nginx.worker_shutdown_timeout_s !== null) s.stack.nginx.worker_shutdown_timeout_s = nginx.worker_shutdown_timeout_s;
  }
  s.load.mix = s.load.mix.map((k, i) => {
    const ms = k.expected_ms ?? state.measured_ms[i] ?? 0;
    return { ...k, ms, expected_ms: ms };
  });
  if (scenario.system?.app.mark_draining === "none") s.drain.mark_draining = false;
  return s;
}

/** The location nginx picks for a path: an exact `= /p` match, else the longest plain prefix (regex locations are not judged). */
export function servingLocation(nginx: EffectiveNginx, path: string): EffectiveNginx["locations"][number] | undefined {
  const clean = path.split("?")[0]!;
  const exact = nginx.locations.find((l) => l.location === `= ${clean}`);
  if (exact) return exact;
  return nginx.locations
    .filter((l) => !/^[~=@]/.test(l.location) && clean.startsWith(l.location.replace(/^\^~\s*/, "")))
    .sort((a, b) => b.location.length - a.location.length)[0];
}

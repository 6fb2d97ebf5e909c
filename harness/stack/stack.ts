import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type Docker from "dockerode";
import { getContainerRuntimeClient, getReaper, type StartedTestContainer } from "testcontainers";
import type { Images } from "../env/images.ts";
import { LABEL_OWNER_PID, LABEL_RUN_ID, runLabels } from "../env/labels.ts";
import type { AppNode, StackHandle } from "../nodes/stack-handle.ts";
import type { LoadEntry } from "../records/report.ts";
import { netAdminTargets } from "../scenario/capabilities.ts";
import type { Scenario } from "../scenario/schema.ts";
import { APP_PORT, DRAIN_FLAG_PATH, nodeName } from "../scenario/topology.ts";
import { DrainlabError, EnvironmentError } from "../util/errors.ts";
import { demuxDockerLog } from "./docker-log.ts";
import { HttpReady, STARTUP_TIMEOUT_MS, StartedOnly, waitForHttp } from "./http-ready.ts";
import { containerLoadEntry } from "./load-entry.ts";
import { LoopbackContainer } from "./loopback-container.ts";
import { renderNginxConfig, type UpstreamServer } from "./nginx-config.ts";
import { type Reaper, startReaper } from "./reaper.ts";
import type { SystemState } from "./system-state.ts";

const NGINX_PORT = 8080;
const PS_SCRIPT = `ps -eo pid=,args= 2>/dev/null || for d in /proc/[0-9]*; do printf '%s ' "\${d#/proc/}"; tr '\\0' ' ' < "$d/cmdline" 2>/dev/null; echo; done`;
/** The configuration generation nginx starts with; each rewrite of the upstream adds one. */
const FIRST_GENERATION = 1;
/** Versions read per pair of image ids (app, nginx): an image's software does not change. */
const VERSIONS_BY_IMAGES = new Map<string, Promise<Record<string, string>>>();
/** Lines of a container's log an error about it quotes. */
const LOG_TAIL_LINES = 20;

export interface StackOptions {
  scenario: Scenario;
  runId: string;
  images: Images;
  docker: Docker;
  /** Absolute folder where every container's logs land. */
  rawDir: string;
  log?: (line: string) => void;
}

/**
 * What differs between drainlab's fixture and a user's system: the app's port and health path,
 * how a node is marked draining, and how nginx's configuration is written for a generation.
 */
export interface StackProfile {
  appPort: number;
  /** Renders nginx's configuration with these upstream servers, for a configuration generation. */
  render(servers: UpstreamServer[], generation: number): string;
  /** Marks a node draining; resolves to the step's exit code (0: marked). */
  markDraining(stack: Stack, name: string): Promise<number>;
  /** Undoes the mark in a node restarted after its drain (a rolling drain re-adds it). */
  unmark(stack: Stack, name: string): Promise<void>;
  /** Containers beside nginx and the nodes (the system's services): removed with the stack, their logs kept. */
  services: Array<{ name: string; containerId: string }>;
  /** A user's system: what drainlab read from it and changed in it (absent for the fixture). */
  system?: SystemState;
}

/** A node as the stack keeps it: what stages see, and the container behind it, which only the stack touches. */
export interface StackNode extends AppNode {
  containerId: string;
}

/** What a started stack is made of: startStack gathers it, one named part each. */
export interface StackParts {
  runId: string;
  /** How the harness reaches nginx. */
  entry: LoadEntry;
  nodes: StackNode[];
  /** Host folder of nginx's logs and every upstream it was given. */
  nginxLogDir: string;
  profile: StackProfile;
  nginx: StartedTestContainer;
  apps: StartedTestContainer[];
  networkId: string;
  options: StackOptions;
  /** null: the label sweep removes what is left instead. */
  reaper: Reaper | null;
}

/** A running stack: nginx in front of N app nodes on a network of its own. stop() is idempotent. */
export class Stack implements StackHandle, AsyncDisposable {
  generation = FIRST_GENERATION;
  private workersBeforeReload: number[] = [];
  private readonly formerAddresses: Array<{ name: string; address: string }> = [];
  private stopping: Promise<void> | undefined;
  private readonly down = new Set<string>();

  readonly runId: string;
  readonly entry: LoadEntry;
  readonly nodes: StackNode[];
  readonly nginxLogDir: string;
  readonly profile: StackProfile;
  private readonly nginx: StartedTestContainer;
  private readonly apps: StartedTestContainer[];
  private readonly networkId: string;
  private readonly options: StackOptions;
  private readonly reaper: Reaper | null;

  constructor(parts: StackParts) {
    this.runId = parts.runId;
    this.entry = parts.entry;
    this.nodes = parts.nodes;
    this.nginxLogDir = parts.nginxLogDir;
    this.profile = parts.profile;
    this.nginx = parts.nginx;
    this.apps = parts.apps;
    this.networkId = parts.networkId;
    this.options = parts.options;
    this.reaper = parts.reaper;
  }

  /** Where load and the harness's own requests to nginx go (see loadEntry). */
  get url(): string {
    return this.entry.url;
  }

  /** The nodes whose container is running now (a drained or killed node is not). */
  async runningNodes(): Promise<string[]> {
    const { docker } = this.options;
    const states = await Promise.all(
      this.nodes.map(async (n) => ((await docker.getContainer(n.containerId).inspect()).State.Running ? n.name : null)),
    );
    return states.filter((n): n is string => n !== null);
  }

  node(name: string): StackNode {
    const node = this.nodes.find((n) => n.name === name);
    if (!node) throw new Error(`no node ${name} in this stack`);
    return node;
  }

  /** The node's container: only the stack touches it; stages call the operations below. */
  private container(name: string): Docker.Container {
    return this.options.docker.getContainer(this.node(name).containerId);
  }

  async signal(name: string, signal: string): Promise<void> {
    await this.container(name).kill({ signal });
  }

  async exited(name: string): Promise<void> {
    await this.container(name).wait();
  }

  async exitCode(name: string): Promise<number> {
    return (await this.container(name).inspect()).State.ExitCode;
  }

  async pause(name: string): Promise<void> {
    await this.container(name).pause();
  }

  async unpause(name: string): Promise<void> {
    await this.container(name).unpause();
  }

  async logSince(name: string, sinceEpochMs: number): Promise<string> {
    const buf = (await this.container(name).logs({
      stdout: true,
      stderr: true,
      timestamps: true,
      since: Math.floor(sinceEpochMs / 1000),
    })) as unknown as Buffer;
    return demuxDockerLog(buf).toString("utf8");
  }

  /**
   * Versions of the software under test, read from the running containers (facts, not assumptions);
   * once per pair of images in a process (a python import in a node is 0.9 s of every run's start).
   */
  async versions(): Promise<Record<string, string>> {
    const { docker } = this.options;
    const [appImage, nginxImage] = await Promise.all(
      [this.apps[0]!, this.nginx].map(async (c) => (await docker.getContainer(c.getId()).inspect()).Image),
    );
    const key = `${appImage} ${nginxImage}`;
    let read = VERSIONS_BY_IMAGES.get(key);
    if (!read) {
      read = this.readVersions();
      VERSIONS_BY_IMAGES.set(key, read);
      // a failed read is not kept: the next run asks again
      read.catch(() => VERSIONS_BY_IMAGES.delete(key));
    }
    return { ...(await read) };
  }

  private async readVersions(): Promise<Record<string, string>> {
    const app = this.apps[0]!;
    const py = await app.exec([
      "python3",
      "-c",
      // each package on its own: a user's image may have uvicorn and no gunicorn
      "import importlib,json,sys\nv={'python':sys.version.split()[0]}\nfor m in ('fastapi','uvicorn','gunicorn','starlette'):\n  try: v[m]=importlib.import_module(m).__version__\n  except Exception: pass\nprint(json.dumps(v))",
    ]);
    const nginx = await this.nginx.exec(["nginx", "-v"]);
    const versions: Record<string, string> = py.exitCode === 0 ? JSON.parse(py.stdout) : {};
    const nginxVersion = /nginx\/(\S+)/.exec(nginx.output)?.[1];
    if (nginxVersion) versions.nginx = nginxVersion;
    return versions;
  }

  /** How long traffic gets to spread back onto a re-added node before the next drain starts. */

  /** Starts an exited node again (same container, same ledger folder) and learns its address, which may have changed. */
  async restart(name: string): Promise<void> {
    const node = this.node(name);
    const container = this.options.docker.getContainer(node.containerId);
    await container.start();
    const info = await container.inspect();
    const address = info.NetworkSettings.Networks[`drainlab-${this.runId}`]?.IPAddress;
    if (!address) throw new EnvironmentError(`${name} has no address after its restart`);
    if (address !== node.address) this.formerAddresses.push({ name, address: node.address });
    node.address = address;
    const port = info.NetworkSettings.Ports[`${this.profile.appPort}/tcp`]?.[0]?.HostPort;
    if (port) node.directUrl = `http://127.0.0.1:${port}`;
    await this.profile.unmark(this, name);
  }

  /** Every address each node has had, for reading nginx's $upstream_addr. */
  addresses(): Array<{ name: string; address: string }> {
    return [...this.nodes.map((n) => ({ name: n.name, address: n.address })), ...this.formerAddresses];
  }

  /** Runs a command inside a node, or in nginx when name is "nginx"; returns its exit code and output (faults read pids and stats). */
  async execOutput(name: string, command: string[], workingDir?: string): Promise<{ exitCode: number; output: string; stdout: string }> {
    const container = name === "nginx" ? this.nginx : this.apps.find((c) => c.getId() === this.node(name).containerId)!;
    const { exitCode, output, stdout } = await container.exec(command, workingDir ? { workingDir } : undefined);
    return { exitCode, output, stdout };
  }

  /** A node's stdout and stderr so far. */
  async containerLogs(name: string): Promise<string> {
    const logs = await this.options.docker.getContainer(this.node(name).containerId).logs({ stdout: true, stderr: true });
    return demuxDockerLog(logs).toString("utf8");
  }

  /** Flags a node draining: its health check fails from then on. Returns the step's exit code (0: flagged). */
  markDraining(name: string): Promise<number> {
    return this.profile.markDraining(this, name);
  }

  /** Runs a command inside a node; returns its exit code. */
  async execIn(name: string, command: string[]): Promise<number> {
    const container = this.apps.find((c) => c.getId() === this.node(name).containerId)!;
    return (await container.exec(command)).exitCode;
  }

  /** Rewrites the upstream with `name` marked down (or up again) and runs `nginx -s reload`. Returns the new generation. */
  async setDown(name: string, down: boolean, { reload = true } = {}): Promise<number> {
    this.node(name);
    if (down) this.down.add(name);
    else this.down.delete(name);
    const generation = this.generation + 1;
    const conf = this.render(generation);
    writeFileSync(join(this.nginxLogDir, `nginx.conf.${generation}`), conf);
    await this.nginx.copyContentToContainer([{ content: conf, target: "/etc/nginx/nginx.conf" }]);
    this.generation = generation;
    if (!reload) return generation;
    this.workersBeforeReload = await this.acceptingWorkers();
    const result = await this.nginx.exec(["nginx", "-s", "reload"]);
    if (result.exitCode !== 0) throw new EnvironmentError(`nginx -s reload failed: ${result.output.trim()}`);
    return generation;
  }

  /**
   * Resolves once the last reload has taken effect: a fresh connection is served
   * by the new generation and every worker of the old one is shutting down.
   * A new worker answering is not enough: old workers keep serving their
   * keepalive connections (with the old upstream) for tens of ms after that.
   */
  async waitForReload(timeoutMs = 10_000): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const old = this.workersBeforeReload;
    while (performance.now() < deadline) {
      const res = await fetch(`${this.url}/drainlab/generation`, { headers: { connection: "close" } }).catch(() => undefined);
      const served = res ? Number(await res.text()) : 0;
      if (served >= this.generation) {
        const accepting = await this.acceptingWorkers();
        if (!accepting.some((pid) => old.includes(pid))) return;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    throw new EnvironmentError(`nginx did not take configuration generation ${this.generation} within ${timeoutMs} ms`);
  }

  /** Pids of nginx workers that still accept connections (not "is shutting down"). */
  private async acceptingWorkers(): Promise<number[]> {
    // procps where the image has it (drainlab's); /proc read by the shell in a user's nginx image
    const ps = await this.nginx.exec(["sh", "-c", PS_SCRIPT]);
    return ps.output
      .split("\n")
      .filter((line) => /nginx: worker process\s*$/.test(line))
      .map((line) => Number(line.trim().split(/\s+/)[0]));
  }

  render(generation: number): string {
    const servers = this.nodes.map((n) => ({ address: n.address, port: this.profile.appPort, down: this.down.has(n.name) }));
    return this.profile.render(servers, generation);
  }

  /** Stops and removes every container and the network; saves container logs first. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
  }

  private async teardown(): Promise<void> {
    const { docker } = this.options;
    const logged = [
      { id: this.nginx.getId(), dir: this.nginxLogDir },
      ...this.nodes.map((n) => ({ id: n.containerId, dir: n.logDir })),
      ...this.profile.services.map((s) => ({ id: s.containerId, dir: join(this.options.rawDir, `service-${s.name}`) })),
    ];
    await Promise.all(logged.map(({ id, dir }) => saveContainerLog(docker, id, dir)));
    await removeContainers(
      docker,
      logged.map((c) => c.id),
    );
    // the reaper is on the engine's default network, not this one: both go at once once the containers are gone
    await Promise.all([
      docker
        .getNetwork(this.networkId)
        .remove()
        .catch(() => {}),
      this.reaper?.stop(),
    ]);
  }
}

/** The container's stdout and stderr, with timestamps, to <dir>/container.log. */
async function saveContainerLog(docker: Docker, id: string, dir: string): Promise<void> {
  try {
    const logs = await docker.getContainer(id).logs({ stdout: true, stderr: true, timestamps: true });
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "container.log"), demuxDockerLog(logs));
  } catch {
    // a container that never started has no logs
  }
}

async function removeContainers(docker: Docker, ids: string[]): Promise<void> {
  await Promise.all(
    ids.map((id) =>
      docker
        .getContainer(id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
}

/** The last `lines` lines a container wrote (stdout and stderr), indented for an error message; "" when it wrote none. */
export async function logTail(docker: Docker, containerId: string, lines = LOG_TAIL_LINES): Promise<string> {
  try {
    const buf = await docker.getContainer(containerId).logs({ stdout: true, stderr: true, tail: lines });
    const text = demuxDockerLog(buf).toString("utf8").trimEnd();
    return text ? `\n${text.replace(/^/gm, "  | ")}` : "\n  (it wrote nothing to stdout or stderr)";
  } catch (err) {
    return `\n  (its log could not be read: ${(err as Error).message})`;
  }
}

/** How one app node's container starts. */
export interface NodeSpec {
  image: string;
  env: Record<string, string>;
  /** Replaces the image's CMD; undefined keeps it. */
  command?: string[];
  binds: Array<{ source: string; target: string; mode?: "ro" | "rw" }>;
}

/** What the planner hands startStack: the profile, the nodes' and nginx's containers, and the readiness that means it. */
export interface StackPlan {
  profile: StackProfile;
  node(name: string, logDir: string): NodeSpec;
  nginx: {
    image: string;
    /** Where nginx listens inside its container (load enters there). */
    port: number;
    command?: string[];
    /** Files beside the configuration (a user's includes), copied in before nginx starts. */
    files: Array<{ content: string | Buffer; target: string }>;
  };
  /** After every node answers its health path: e.g. every worker of every node serves. */
  ready?(stack: Stack): Promise<void>;
}

/** Starts what the plan needs before the nodes (a system's services) and returns the plan; anything it started is labelled with the run. */
export type StackPlanner = (options: StackOptions, network: { id: string; name: string }) => Promise<StackPlan>;

/** drainlab's own fixture: the FastAPI app under gunicorn or uvicorn, nginx from the template, /health and a drain flag file. */
export const fixturePlanner: StackPlanner = async ({ scenario }) => {
  const { gunicorn, uvicorn } = scenario.stack;
  return {
    profile: {
      appPort: APP_PORT,
      render: (servers, generation) => renderNginxConfig(scenario.stack.nginx, servers, generation),
      markDraining: (stack, name) => stack.execIn(name, ["touch", DRAIN_FLAG_PATH]),
      // the fixture's start removes its own flag
      unmark: async () => {},
      services: [],
    },
    node: (name, logDir) => ({
      image: "",
      env: {
        DRAINLAB_NODE: name,
        DRAINLAB_DRAIN_FLAG: DRAIN_FLAG_PATH,
        DRAINLAB_RUNTIME: scenario.stack.runtime,
        GUNICORN_WORKERS: String(gunicorn.workers),
        GUNICORN_GRACEFUL_TIMEOUT: String(gunicorn.graceful_timeout_s),
        GUNICORN_TIMEOUT: String(gunicorn.timeout_s),
        GUNICORN_KEEPALIVE: String(gunicorn.keepalive_s),
        GUNICORN_MAX_REQUESTS: String(gunicorn.max_requests),
        GUNICORN_MAX_REQUESTS_JITTER: String(gunicorn.max_requests_jitter),
        UVICORN_LIMIT_MAX_REQUESTS: uvicorn.limit_max_requests === null ? "" : String(uvicorn.limit_max_requests),
        UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN: uvicorn.timeout_graceful_shutdown_s === null ? "" : String(uvicorn.timeout_graceful_shutdown_s),
      },
      binds: [{ source: logDir, target: "/var/log/drainlab" }],
    }),
    nginx: { image: "", port: NGINX_PORT, files: [] },
  };
};

/** Starts network, app nodes and nginx. On any failure everything already started is removed before the error is thrown. */
export async function startStack(options: StackOptions, planner: StackPlanner = fixturePlanner): Promise<Stack> {
  const { scenario, runId, images, docker, rawDir } = options;
  const log = options.log ?? (() => {});
  const labels = (role: string) => ({ ...runLabels(runId, role), [LABEL_OWNER_PID]: String(process.pid) });
  // testcontainers settles its reaper (disabled here) under a file lock on the first start; done
  // once up front, the containers below start in parallel instead of 0.5 s apart (the lock's retry)
  try {
    await getReaper(await getContainerRuntimeClient());
  } catch (err) {
    throw new EnvironmentError(`testcontainers cannot reach the Docker engine: ${(err as Error).message}`);
  }
  // beside the network and the nodes (0.5 s of every start), and awaited before the stack is handed out: from
  // then on whatever is left is removed even if this process is SIGKILLed; a kill before that leaves labelled
  // containers of a dead owner, which the next run's sweep removes
  const reaperStart = startReaper(docker, runId, images.app, labels("reaper")).catch((err: Error) => {
    throw new EnvironmentError(`the run's reaper did not start: ${err.message}`);
  });
  // handled from here on: a reaper that fails while the nodes start is reported where it is awaited
  reaperStart.catch(() => {});
  const reaperStarted = () => reaperStart.catch(() => null);
  const networkName = `drainlab-${runId}`;
  const network = await docker
    .createNetwork({ Name: networkName, Driver: "bridge", Labels: labels("network"), CheckDuplicate: true })
    .catch(async (err: Error) => {
      await (await reaperStarted())?.stop();
      throw err;
    });
  const started: StartedTestContainer[] = [];
  try {
    const plan = await planner(options, { id: network.id, name: networkName });
    const { appPort } = plan.profile;
    const names = Array.from({ length: scenario.stack.nodes }, (_, i) => nodeName(i + 1));
    // CAP_NET_ADMIN only for the node a network fault targets, never for the others
    const netAdmin = new Set(netAdminTargets(scenario));
    log(`run ${runId}: starting ${names.length} app nodes and nginx ...`);
    // the nodes' addresses are known once their containers run, so nginx starts while they boot
    // allSettled: no node may still be starting when a failure sweeps the run's containers
    const appStarts = await Promise.allSettled(
      names.map(async (name) => {
        const logDir = join(rawDir, name);
        mkdirSync(logDir, { recursive: true });
        const spec = plan.node(name, logDir);
        let container = new LoopbackContainer(spec.image || images.app)
          .withName(`drainlab-${runId}-${name}`)
          .withLabels(labels(name))
          // network mode only: adding aliases makes testcontainers attach the default bridge as well
          .withNetworkMode(network.id)
          .withHostname(name)
          .withAddedCapabilities(...(netAdmin.has(name) ? ["NET_ADMIN"] : []))
          .withEnvironment(spec.env)
          .withBindMounts(spec.binds)
          .withExposedPorts(appPort)
          .withWaitStrategy(new StartedOnly());
        if (spec.command) container = container.withCommand(spec.command);
        const running = await container.start();
        started.push(running);
        return { name, container: running, logDir };
      }),
    );
    const apps = appStarts.map((r) => {
      if (r.status === "rejected") throw r.reason;
      return r.value;
    });
    const healthPath = scenario.system?.app.health_path ?? "/health";
    const nodes: StackNode[] = await Promise.all(
      apps.map(async ({ name, container, logDir }) => {
        const info = await docker.getContainer(container.getId()).inspect();
        const address = info.NetworkSettings.Networks[networkName]?.IPAddress;
        if (!address) throw new EnvironmentError(`${name} has no address on the run's network`);
        return {
          name,
          healthPath,
          address,
          directUrl: `http://127.0.0.1:${container.getMappedPort(appPort)}`,
          containerId: container.getId(),
          logDir,
        };
      }),
    );

    const nginxLogDir = join(rawDir, "nginx");
    mkdirSync(nginxLogDir, { recursive: true });
    const conf = plan.profile.render(
      nodes.map((n) => ({ address: n.address, port: appPort, down: false })),
      FIRST_GENERATION,
    );
    writeFileSync(join(nginxLogDir, `nginx.conf.${FIRST_GENERATION}`), conf);
    const nginxPort = plan.nginx.port;
    let nginxContainer = new LoopbackContainer(plan.nginx.image || images.nginx)
      .withName(`drainlab-${runId}-nginx`)
      .withLabels(labels("nginx"))
      .withNetworkMode(network.id)
      .withCopyContentToContainer([...plan.nginx.files, { content: conf, target: "/etc/nginx/nginx.conf" }])
      .withBindMounts([{ source: nginxLogDir, target: "/var/log/drainlab" }])
      .withExposedPorts(nginxPort)
      .withWaitStrategy(new HttpReady("/drainlab/generation", nginxPort))
      .withStartupTimeout(STARTUP_TIMEOUT_MS);
    if (plan.nginx.command) nginxContainer = nginxContainer.withCommand(plan.nginx.command);
    const nginxStart = nginxContainer.start().then((c) => (started.push(c), c));
    const readyMs = (scenario.system?.app.ready_timeout_s ?? STARTUP_TIMEOUT_MS / 1000) * 1000;
    const healthy = nodes.map((n) =>
      waitForHttp(docker.getContainer(n.containerId), `${n.directUrl}${n.healthPath}`, readyMs).catch(async (e: Error) => {
        throw new EnvironmentError(
          `${n.name} did not become healthy: ${e.message}; its last log lines:${await logTail(docker, n.containerId)}`,
        );
      }),
    );
    // allSettled: nothing may still be starting when a failure sweeps the run's containers
    const settled = await Promise.allSettled([nginxStart, ...healthy]);
    const failure = settled.find((r) => r.status === "rejected");
    if (failure) throw failure.reason;
    const nginx = await nginxStart;
    const publishedUrl = `http://127.0.0.1:${nginx.getMappedPort(nginxPort)}`;
    const entry = await containerLoadEntry(docker, nginx.getId(), networkName, publishedUrl, {
      port: nginxPort,
      probePath: "/drainlab/generation",
      // the configuration this run just wrote, not another nginx at that address
      expectBody: String(FIRST_GENERATION),
    });
    log(
      entry.path === "run-network"
        ? `load goes to nginx at ${entry.url} on the run's network`
        : `load goes to nginx's published port ${entry.url}`,
    );
    const reaper = await reaperStart;
    // in node order: teardown files each container's log under the node of the same index
    const stack = new Stack({
      runId,
      entry,
      nodes,
      nginxLogDir,
      profile: plan.profile,
      nginx,
      apps: apps.map((a) => a.container),
      networkId: network.id,
      options,
      reaper,
    });
    try {
      await plan.ready?.(stack);
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  } catch (err) {
    const reaper = await reaperStarted();
    // a container whose start() threw is not in `started`: sweep by the run's label
    const leftovers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] }) });
    await removeContainers(docker, [...started.map((c) => c.getId()), ...leftovers.map((c) => c.Id)]);
    await network.remove().catch(() => {});
    await reaper?.stop();
    if (err instanceof DrainlabError) throw err;
    throw new EnvironmentError(`the stack did not start: ${(err as Error).message}`);
  }
}

import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { Timeline } from "../clock/timeline.ts";
import { runDrains } from "../drain/drain.ts";
import { engineLost, ensureEngine } from "../env/engine.ts";
import { ensureImages, type Images } from "../env/images.ts";
import { measureFaults, runFaults } from "../faults/runner.ts";
import { type LoadProgress, type LoadResult, prepareLoad, runLoad } from "../load/generator.ts";
import { stopShardProcesses } from "../load/shard-processes.ts";
import { HealthMonitor } from "../nodes/health-monitor.ts";
import { type Baseline, readBaseline } from "../records/baseline.ts";
import type { DrainRecord } from "../records/drain-record.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import { writeClientLedger } from "../records/ledger-row.ts";
import type { Report } from "../records/report.ts";
import { RAW_FILES, readServerRecords } from "../records/server-logs.ts";
import { jsonReporter, REPORT_FILE } from "../report/json.ts";
import { Multiplexer } from "../report/multiplexer.ts";
import type { Reporter } from "../report/reporter.ts";
import { fileReporters } from "../report/write-views.ts";
import { longestHold } from "../scenario/lint.ts";
import { type Resolved, resolveScenario } from "../scenario/resolved.ts";
import type { Scenario } from "../scenario/schema.ts";
import { fixturePlanner, type Stack, startStack } from "../stack/stack.ts";
import { sweep } from "../stack/sweep.ts";
import { effectiveScenario, systemPlanner } from "../stack/system.ts";
import { DrainlabError, EnvironmentError, ExitCode, UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { afterDrain, loadStartDetail } from "./after-drain.ts";
import { waitForAppsIdle } from "./apps-idle.ts";
import { runAttached } from "./attach-run.ts";
import { collectAndJudge, type RunSources } from "./collect-and-judge.ts";
import { abortable, watchEngine } from "./engine-watch.ts";
import { need, runTasks, type Task } from "./tasks.ts";

export interface RunOptions {
  scenarioFile?: string;
  /** Parent folder of the run folder; default reports/. */
  outDir?: string;
  log?: (line: string) => void;
  onProgress?: (p: LoadProgress & { phase: string }) => void;
  signal?: AbortSignal;
  /** An earlier report.json to compare with (gate: no-regression-vs-baseline). */
  baselineFile?: string;
  /** Views beyond report.json, report.html, junit.xml and summary.md (progress, terminal): all behind one multiplexer. */
  reporters?: Reporter[];
}

export interface RunResult {
  report: Report;
  runDir: string;
}

/** The run lost its Docker engine part-way; its partial report (verdict error) is in runDir. Exit 3. */
export class EngineLostError extends DrainlabError {
  constructor(
    message: string,
    readonly runDir: string,
  ) {
    super(message, ExitCode.environment);
  }
}

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/** What setup produces: the engine that answers and the images the stack starts from. */
interface Engine {
  docker: Docker;
  images: Images;
}

/** What the stack task produces: the running stack, the versions read from it, and the scenario resolved against it. */
interface Up {
  stack: Stack;
  versions: Record<string, string>;
  /** Built once the stack is up (with `system:`, from the settings read from the nodes) and never changed: what every later task reads. */
  resolved: Resolved;
}

/** What the monitor task starts: the run's timeline, its wall clock watched, and the health monitor. */
interface Live {
  timeline: Timeline;
  /** Stops the wall-clock sampling the timeline does while the run is live. */
  stopClockWatch: () => void;
  monitor: HealthMonitor;
}

/** What the load, the drains and the faults gave back (each kept as far as it finished). */
interface Outcome {
  load?: LoadResult;
  drains: DrainRecord[];
  faults: FaultRecord[];
}

/**
 * What the tasks of one run share: the run's own settings, then one typed
 * value per task, set when that task has produced it. A later task reads an
 * earlier one's through need(): the tasks run in order, so one that is
 * missing there is drainlab's own bug, not the user's.
 */
interface RunContext {
  /** The scenario as the user wrote it: what the stack is started from. */
  declared: Scenario;
  options: RunOptions;
  log: (line: string) => void;
  runId: string;
  rawDir: string;
  engine?: Engine;
  /** The started stack, kept the moment it runs: its teardown removes it even when reading its versions failed. */
  started?: Stack;
  up?: Up;
  live?: Live;
  outcome: Outcome;
  /** Set when the engine went away during the load, drain or faults: what was gathered is still written. */
  engineLost?: string;
}

const setup: Task<RunContext> = {
  title: "setup",
  async run(ctx, signal) {
    const docker = await ensureEngine(ctx.log);
    signal?.throwIfAborted();
    const images = await ensureImages(docker, ctx.log);
    ctx.engine = { docker, images };
    await sweep(docker, { onlyOrphans: true });
  },
};

const stackUp: Task<RunContext> = {
  title: "stack",
  async run(ctx) {
    const { docker, images } = need(ctx.engine, "the engine");
    const stack = await startStack(
      { scenario: ctx.declared, runId: ctx.runId, images, docker, rawDir: ctx.rawDir, log: ctx.log },
      ctx.declared.system ? systemPlanner : fixturePlanner,
    );
    ctx.started = stack;
    const versions = await stack.versions();
    const system = stack.profile.system;
    // from here on the run stands on the system as it really runs: its settings read from the containers
    ctx.up = { stack, versions, resolved: resolveScenario(ctx.declared, system ? effectiveScenario(ctx.declared, system) : ctx.declared) };
    if (system) {
      for (const line of [...system.overrides, ...system.notes]) ctx.log(`system: ${line}`);
      if (system.signal_path?.shell_pid1) ctx.log(`system: ${system.signal_path.note}`);
    }
  },
  async teardown(ctx) {
    // with the engine gone nothing can be removed now, and a call may never return: the next run's sweep removes it
    if (ctx.engineLost) return;
    try {
      await ctx.started?.stop();
    } catch (e) {
      if (!(await engineLost(ctx.engine?.docker))) throw e;
      ctx.engineLost ??= `the Docker engine stopped answering while the stack was being removed (${(e as Error).message})`;
    }
  },
};

const monitor: Task<RunContext> = {
  title: "monitor",
  async run(ctx) {
    const { stack, resolved } = need(ctx.up, "the stack");
    await prepareLoad(resolved.scenario.load, ctx.rawDir);
    const timeline = new Timeline(performance.now());
    const stopClockWatch = timeline.watchClock();
    ctx.live = { timeline, stopClockWatch, monitor: new HealthMonitor(stack.nodes, timeline, resolved.scenario.drain.monitor_interval_ms) };
    ctx.live.monitor.start();
  },
  teardown(ctx) {
    ctx.live?.monitor.stop();
    ctx.live?.stopClockWatch();
    // shard processes prepareLoad started ahead and the load never took (a run that failed or was stopped before it)
    stopShardProcesses();
  },
};

/** The load in parallel with the drain and the faults, on one timeline; a failing drain or fault step aborts the load, and the reverse. */
const loadDrainFaults: Task<RunContext> = {
  title: "load, drain, faults",
  async run(ctx, outer) {
    const { stack, resolved } = need(ctx.up, "the stack");
    const { timeline, monitor: health } = need(ctx.live, "the timeline");
    const { docker } = need(ctx.engine, "the engine");
    const { outcome } = ctx;
    const { scenario } = resolved;
    const abort = new AbortController();
    const onOuterAbort = () => abort.abort(outer?.reason);
    outer?.addEventListener("abort", onOuterAbort, { once: true });
    let phase = "load";
    try {
      timeline.add("load-start", loadStartDetail(scenario.load));
      const end = afterDrain(scenario.load, timeline.t0);
      const loadDone = runLoad({
        url: stack.url,
        load: scenario.load,
        idPrefix: ctx.runId,
        t0: timeline.t0,
        // shard processes place their rows by it, as the run places the servers' timestamps
        t0EpochMs: timeline.t0EpochMs,
        spillDir: ctx.rawDir,
        // no connections opened ahead: nginx's old workers keep a connection that never carried a
        // request through a reload and serve its first request with the old upstream (misrouted)
        spareConnections: 0,
        // the stack shares the cores: ahead of it, the generator's sends leave on time
        raisePriority: true,
        fixtureMix: scenario.system === undefined,
        signal: abort.signal,
        ...(end.endAt ? { endAt: end.endAt } : {}),
        onProgress: (p) => ctx.options.onProgress?.({ ...p, phase }),
      });
      // a drain or fault step waiting on a dead engine may never return: the watchdog's abort ends the wait
      const drainDone = abortable(
        scenario.drain.enabled
          ? runDrains({ stack, resolved, timeline, monitor: health, signal: abort.signal }).then((d) => ((phase = "load, drained"), d))
          : Promise.resolve([]),
        abort.signal,
      );
      drainDone.catch(() => abort.abort(new Error("drain failed")));
      const faultsDone = abortable(runFaults({ stack, scenario, timeline, monitor: health, signal: abort.signal }), abort.signal);
      faultsDone.catch(() => abort.abort(new Error("faults failed")));
      // load.after_drain_s: the tail counts from the end of the drain and of every fault on its timeline
      if (scenario.drain.enabled) void Promise.all([drainDone, faultsDone]).then(end.drained, () => {});
      const watchdog = watchEngine(docker, abort);
      const [load, drained, faulted] = await Promise.allSettled([loadDone, drainDone, faultsDone]);
      watchdog.stop();
      if (load.status === "fulfilled") outcome.load = load.value;
      if (drained.status === "fulfilled") outcome.drains = drained.value;
      if (faulted.status === "fulfilled") outcome.faults = faulted.value;
      const failure = [drained, faulted, load].find((r) => r.status === "rejected") as PromiseRejectedResult | undefined;
      if (watchdog.lostAtMs !== null || (failure && outcome.load && !outer?.aborted && (await engineLost(docker)))) {
        const at = watchdog.lostAtMs === null ? "" : ` ${((watchdog.lostAtMs - timeline.t0) / 1000).toFixed(1)} s into the load`;
        ctx.engineLost = `the Docker engine stopped answering${at}; the drain and faults could not finish`;
        timeline.add("engine-lost", { error: failure ? (failure.reason as Error).message : null });
      } else if (failure) {
        outcome.load?.ledger.dispose();
        throw failure.reason;
      }
      timeline.add("load-end", { sent: outcome.load!.ledger.length });
      if (!ctx.engineLost) {
        // the apps finish what they started before the stack stops, or the teardown would cut it
        const longest = longestHold(scenario.load.mix)?.ms ?? 0;
        const idle = await waitForAppsIdle(join(ctx.rawDir, ".."), await stack.runningNodes(), longest + scenario.load.apps_idle_margin_ms);
        timeline.add("apps-idle", { waited_ms: idle.waitedMs, still_open: idle.open });
      }
    } finally {
      outer?.removeEventListener("abort", onOuterAbort);
    }
  },
};

/**
 * One run: setup, stack, monitor, load || drain || faults, then (after the
 * stack is gone) collect, judge, report. Teardowns run in reverse order also
 * on error and Ctrl-C. A lost engine still writes a partial report.json
 * (verdict error) with every record gathered, and exits 3.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? (() => {});
  const runId = newRunId();
  const runDir = resolve(options.outDir ?? "reports", runId);
  const rawDir = join(runDir, "raw");
  ensureWritableDir("--out", options.outDir ?? "reports", "the run folder");
  try {
    mkdirSync(rawDir, { recursive: true });
  } catch (err) {
    throw new UsageError(
      `--out ${options.outDir ?? "reports"}: cannot create the run folder ${runDir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`,
    );
  }
  const baseline = options.baselineFile ? readBaseline(options.baselineFile) : undefined;
  const startedAt = new Date();
  const wallStart = performance.now();
  const views = new Multiplexer([jsonReporter(), ...fileReporters(), ...(options.reporters ?? [])], log);
  await views.onBegin({ runId, scenario: scenario.name, runDir });
  const onProgress = options.onProgress;
  const ctx: RunContext = {
    declared: scenario,
    options: { ...options, onProgress: (p) => (views.onProgress(p), onProgress?.(p)) },
    log,
    runId,
    rawDir,
    outcome: { drains: [], faults: [] },
  };

  let report: Report;
  if (scenario.attach) {
    // a system drainlab did not start: no engine, no stack, the drain is the user's commands
    ({ report } = await runAttached(scenario, { ...ctx.options, runId, runDir, log, baseline }));
  } else {
    await runTasks([setup, stackUp, monitor, loadDrainFaults], ctx, { signal: options.signal });
    if (options.signal?.aborted) {
      ctx.outcome.load?.ledger.dispose();
      throw options.signal.reason;
    }
    report = await collectRun(ctx, { baseline, startedAt, wallStart, runDir });
  }
  const written = await views.onEnd(report, runDir);
  if (!written.includes(join(runDir, REPORT_FILE)))
    throw new EnvironmentError(`cannot write ${join(runDir, REPORT_FILE)} (see above); the run's raw records are in ${rawDir}`);
  if (ctx.engineLost) {
    throw new EngineLostError(
      `${ctx.engineLost}; the ${report.requests.sent} requests gathered so far are in ${join(runDir, "report.json")} (verdict error)`,
      runDir,
    );
  }
  return { report, runDir };
}

/** The run's records gathered (the raw client ledger written, the servers' logs read back, the faults measured), then judged and reported. */
async function collectRun(
  ctx: RunContext,
  run: { baseline?: Baseline; startedAt: Date; wallStart: number; runDir: string },
): Promise<Report> {
  const { stack, versions, resolved } = need(ctx.up, "the stack");
  const { timeline } = need(ctx.live, "the timeline");
  const { images } = need(ctx.engine, "the engine");
  const load = need(ctx.outcome.load, "the load");
  const { drains, faults: faulted } = ctx.outcome;
  const { scenario } = resolved;
  const rows = [...load.ledger.rows()];
  const files: Record<string, string> = { client_ledger: RAW_FILES.clientLedger, nginx_access_log: RAW_FILES.nginxAccessLog };
  for (const node of stack.nodes) files[`app_ledger_${node.name}`] = RAW_FILES.appLedger(node.name);
  await writeClientLedger(join(run.runDir, RAW_FILES.clientLedger), rows);
  load.ledger.dispose();

  const nodes = stack.addresses();
  const clock = timeline.clock;
  const server = readServerRecords(run.runDir, nodes, clock);
  const faults = measureFaults(faulted, { scenario, rows, server });
  const sources: RunSources = {
    scenario,
    ...(resolved.declared !== scenario ? { declared: resolved.declared } : {}),
    rows,
    timeline: timeline.events,
    drains,
    server,
    baseline: run.baseline,
    faults,
    generator: load.stats,
    sessions: load.sessions,
    system: stack.profile.system,
  };
  const report = collectAndJudge(sources, {
    runId: ctx.runId,
    startedAt: run.startedAt.toISOString(),
    wallTimeS: 0,
    scenarioFile: ctx.options.scenarioFile ?? null,
    stack: {
      images,
      nodes: stack.nodes.map((n) => ({ name: n.name, address: n.address })),
      versions,
      load_entry: stack.entry,
      addresses: nodes,
    },
    baseline: run.baseline ? { run_id: run.baseline.run_id, file: run.baseline.file } : null,
    files,
    clock,
    error: ctx.engineLost,
    system: stack.profile.system,
  });
  report.wall_time_s = Math.round((performance.now() - run.wallStart) / 10) / 100;
  return report;
}

import { dirname, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { request } from "undici";
import { collectRecords } from "../attach/collect.ts";
import { type AttachContext, runAttachedDrain } from "../attach/drain.ts";
import { applyClockOffsets, describeOffset, estimateClockOffsets } from "../clock/clock-offset.ts";
import { Timeline } from "../clock/timeline.ts";
import { type LoadProgress, type LoadResult, prepareLoad, runLoad } from "../load/generator.ts";
import { stopShardProcesses } from "../load/shard-processes.ts";
import type { Baseline } from "../records/baseline.ts";
import type { DrainRecord, HookRecord } from "../records/drain-record.ts";
import { writeClientLedger } from "../records/ledger-row.ts";
import type { Report } from "../records/report.ts";
import { RAW_FILES, readServerRecords } from "../records/server-logs.ts";
import type { Scenario } from "../scenario/schema.ts";
import { EnvironmentError } from "../util/errors.ts";
import { sleep } from "../util/sleep.ts";
import { printable } from "../util/text.ts";
import { afterDrain, loadStartDetail } from "./after-drain.ts";
import { loadFromElsewhere } from "./attach-shards.ts";
import { collectAndJudge, type RunSources } from "./collect-and-judge.ts";
import { need, runTasks, type Task } from "./tasks.ts";

export interface AttachRunOptions {
  runId: string;
  runDir: string;
  scenarioFile?: string;
  log: (line: string) => void;
  onProgress?: (p: LoadProgress & { phase: string }) => void;
  signal?: AbortSignal;
  baseline?: Baseline;
}

/** The scenario as the attached system runs it: each request's own work is its expected_ms (0 when not given). */
export function attachedScenario(s: Scenario): Scenario {
  return { ...s, load: { ...s.load, mix: s.load.mix.map((k) => ({ ...k, ms: k.expected_ms ?? 0 })) } };
}

/** Something must answer at the URL before any load: a refused connection is the user's set-up, not a drain's loss. */
async function reachable(url: string, signal?: AbortSignal): Promise<void> {
  try {
    const r = await request(url, { method: "GET", headersTimeout: 10_000, bodyTimeout: 10_000, signal });
    await r.body.dump();
  } catch (e) {
    if (signal?.aborted) throw signal.reason;
    throw new EnvironmentError(
      `attach.url ${url}: nothing answers there (${(e as Error).message}); start the system first (drainlab does not start an attached one)`,
    );
  }
}

/** What the tasks of an attach run share: its settings, then each task's output as one typed value, read through need(). */
interface AttachRun {
  scenario: Scenario;
  o: AttachRunOptions;
  /** Where the user's commands run: the scenario file's folder. */
  cwd: string;
  /** The clock task's: the run's timeline, and what stops the wall-clock sampling it does while the run is live. */
  clock?: { timeline: Timeline; stopClockWatch: () => void };
  load?: LoadResult;
  drains: DrainRecord[];
  /** attach.shards' start and collect commands. */
  shardHooks: HookRecord[];
}

/** What the user's commands are run with: their folder, the run's, and the time their records start from. */
function hookContext({ cwd, o, clock }: AttachRun): AttachContext {
  const { timeline } = need(clock, "the timeline");
  return { cwd, runDir: o.runDir, runId: o.runId, sinceIso: new Date(timeline.t0EpochMs - 1000).toISOString() };
}

const reach: Task<AttachRun> = {
  title: "reach",
  // shards elsewhere send to the url from their hosts, which may be the only ones it answers
  run: ({ scenario }, signal) => (scenario.attach!.shards ? Promise.resolve() : reachable(scenario.attach!.url, signal)),
};

const clockWatch: Task<AttachRun> = {
  title: "clock",
  async run(ctx) {
    const elsewhere = ctx.scenario.attach!.shards;
    await prepareLoad(elsewhere ? undefined : ctx.scenario.load, join(ctx.o.runDir, "raw"));
    // shards elsewhere start at t0, lead_s from now (their spec must reach them first): the drain's at_s counts from it too
    const timeline = new Timeline(performance.now() + (elsewhere ? elsewhere.lead_s * 1000 : 0));
    ctx.clock = { timeline, stopClockWatch: timeline.watchClock() };
  },
  teardown(ctx) {
    ctx.clock?.stopClockWatch();
    // shard processes prepareLoad started ahead and the load never took (a run that failed or was stopped before it)
    stopShardProcesses();
  },
};

/** The load in parallel with the user's drain commands, on one timeline; a drain command that fails (not on an abort) ends the run with its error. */
const loadAndDrain: Task<AttachRun> = {
  title: "load, drain",
  async run(ctx, outer) {
    const { scenario, o } = ctx;
    const { timeline } = need(ctx.clock, "the timeline");
    const a = scenario.attach!;
    const abort = new AbortController();
    const onOuter = () => abort.abort(outer?.reason);
    outer?.addEventListener("abort", onOuter, { once: true });
    let phase = "load";
    try {
      timeline.add("load-start", { ...loadStartDetail(scenario.load), url: a.url });
      const end = afterDrain(scenario.load, timeline.t0);
      const loadDone = a.shards
        ? loadFromElsewhere({ scenario, timeline, ctx: hookContext(ctx), hooks: ctx.shardHooks, log: o.log, signal: abort.signal })
        : runLoad({
            url: a.url,
            load: scenario.load,
            idPrefix: o.runId,
            t0: timeline.t0,
            spillDir: join(o.runDir, "raw"),
            spareConnections: 0,
            raisePriority: true,
            fixtureMix: false,
            signal: abort.signal,
            ...(end.endAt ? { endAt: end.endAt } : {}),
            onProgress: (p) => o.onProgress?.({ ...p, phase }),
          });
      const drainDone = runAttachedDrain(scenario, timeline, hookContext(ctx), abort.signal).then((d) => {
        phase = "load, drained";
        end.drained();
        return d;
      });
      // shards elsewhere that failed to start or come back: the drain's commands are ended, not left running
      loadDone.catch(() => abort.abort(new Error("load failed")));
      const [l, d] = await Promise.allSettled([loadDone, drainDone]);
      if (l.status === "rejected") throw l.reason;
      ctx.load = l.value;
      if (d.status === "fulfilled") ctx.drains = d.value;
      else if (!outer?.aborted) throw d.reason;
      timeline.add("load-end", { sent: ctx.load.ledger.length });
    } finally {
      outer?.removeEventListener("abort", onOuter);
    }
  },
};

/** The apps finish what nginx gave up on before their ledgers are read. */
const appsIdle: Task<AttachRun> = {
  title: "apps idle",
  run: ({ scenario }, signal) => sleep(scenario.load.apps_idle_margin_ms, signal),
};

/**
 * One run against a system drainlab did not start: the load to attach.url,
 * the drain as the user's commands on the same timeline, then the records
 * fetched from their files or commands, judged and reported like any run.
 * The steps are tasks run by the same runner as a run's, so an abort, a
 * failing step and the teardowns behave as they do there. Nothing is
 * started, so nothing is removed: the commands are the user's.
 */
export async function runAttached(input: Scenario, o: AttachRunOptions): Promise<{ report: Report }> {
  const scenario = attachedScenario(input);
  const a = scenario.attach!;
  const startedAt = new Date();
  const wallStart = performance.now();
  const cwd = o.scenarioFile ? dirname(resolve(o.scenarioFile)) : process.cwd();
  o.log(`attach: load to ${printable(a.url)}; the drain is your commands (${"command" in a.drain ? "one command" : "steps"})`);
  const ctx: AttachRun = { scenario, o, cwd, drains: [], shardHooks: [] };
  try {
    await runTasks([reach, clockWatch, loadAndDrain, appsIdle], ctx, { signal: o.signal });
  } catch (e) {
    ctx.load?.ledger.dispose();
    throw e;
  }
  const { timeline } = need(ctx.clock, "the timeline");
  const load = need(ctx.load, "the load");
  const { drains } = ctx;

  const rows = [...load.ledger.rows()];
  await writeClientLedger(join(o.runDir, RAW_FILES.clientLedger), rows);
  load.ledger.dispose();
  const collected = await collectRecords(scenario, { ...hookContext(ctx), t0: timeline.t0, t0EpochMs: timeline.t0EpochMs }, rows);
  // a note quotes file names, node names and a command's output: one line each, shown, never obeyed
  for (const n of collected.notes) o.log(`attach: ${printable(n)}`);
  const clock = timeline.clock;
  const server = readServerRecords(o.runDir, collected.nodes, clock);
  server.unreadable += collected.unreadable;
  server.recycles = null;
  // the attached system's clocks are not this machine's: bound each one's offset by the records and shift it out
  const offsets = applyClockOffsets(server, estimateClockOffsets(rows, server));
  for (const off of offsets) if (off.shift_ms !== 0 || off.inconsistent) o.log(`attach: clock: ${describeOffset(off)}`);
  const sources: RunSources = {
    scenario,
    rows,
    timeline: timeline.events,
    drains,
    server,
    baseline: o.baseline,
    faults: [],
    generator: load.stats,
    sessions: load.sessions,
  };
  const report = collectAndJudge(sources, {
    runId: o.runId,
    startedAt: startedAt.toISOString(),
    wallTimeS: 0,
    scenarioFile: o.scenarioFile ?? null,
    stack: {
      images: { base: "-", app: "-", nginx: "-" },
      nodes: [...new Set(collected.nodes.map((n) => n.name))].map((name) => ({
        name,
        address: collected.nodes.find((n) => n.name === name && n.address)?.address ?? "",
      })),
      versions: {},
      load_entry: { url: a.url, path: "attach", published_url: a.url },
      addresses: collected.nodes,
    },
    baseline: o.baseline ? { run_id: o.baseline.run_id, file: o.baseline.file } : null,
    files: { client_ledger: RAW_FILES.clientLedger, ...collected.files },
    clock,
    attach: {
      url: a.url,
      client_only: a.client_only,
      records: {
        nginx_log: a.records.nginx_log ? sourceText(a.records.nginx_log) : null,
        nginx_rows: server.nginx.length,
        app_ledger: a.records.app_ledger.map(sourceText),
        app_events: server.app.length,
      },
      record_hooks: [...ctx.shardHooks, ...collected.hooks],
      notes: collected.notes,
      clock_offsets: offsets,
    },
  });
  report.wall_time_s = Math.round((performance.now() - wallStart) / 10) / 100;
  return { report };
}

function sourceText(s: { file: string } | { command: string }): string {
  return "file" in s ? `file ${s.file}` : `command ${s.command}`;
}

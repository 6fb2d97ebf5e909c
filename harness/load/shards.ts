import { unlinkSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";
import * as hdr from "hdr-histogram-js";
import type { GeneratorStats, LoadProgress } from "../records/generator-stats.ts";
import type { SessionRecord } from "../records/session-record.ts";
import { lagHistogram, lagMs } from "./lag.ts";
import { Ledger, MergedLedger, type SpilledLedger } from "./ledger.ts";
import { type ClosedLoadOptions, type LoadOptions, type LoadResult, type ShardOf, sentRate } from "./load-options.ts";
import { type Usage, UsageMeter } from "./usage.ts";

/**
 * Load in shards: the schedule (or the closed model's connections) split over
 * N worker threads, each with its own undici pool, pacer, ticker and ledger
 * (runLoad / runClosedLoad with options.shard). Request i of the whole goes
 * to shard i mod N at its own intended time, so the merged ledger has the ids
 * and times one thread would have written. Sessions (streams, SSE,
 * WebSockets) are requests of the schedule like any other: each runs in the
 * shard its number falls to.
 */

/** load.shards as a count: `auto` is one per core the generator may use, leaving one to the stack (at least 1). */
export function shardCount(shards: "auto" | number | undefined, cores = availableParallelism()): number {
  if (shards === undefined) return 1;
  return shards === "auto" ? Math.max(1, cores - 1) : shards;
}

/** Shard `index`'s part of `total` (connections) split `count` ways, as evenly as integers go. */
export function splitEvenly(total: number, count: number, index: number): number {
  return Math.floor(total / count) + (index < total % count ? 1 : 0);
}

/** One shard's options of an open-model load: its share of the connections (and of the spare ones), and which shard it is. */
export function shardOf<T extends Pick<LoadOptions, "load" | "spareConnections">>(options: T, shard: ShardOf): T & { shard: ShardOf } {
  const { index, count } = shard;
  const load = { ...options.load, max_connections: splitEvenly(options.load.max_connections, count, index) };
  const spare = options.spareConnections === undefined ? {} : { spareConnections: splitEvenly(options.spareConnections, count, index) };
  return { ...options, ...spare, load, shard };
}

/** What a shard's thread hands back (shard-worker.ts). */
export interface ShardOutcome {
  stats: GeneratorStats;
  lag: hdr.Histogram;
  written: number;
  lastWrittenMs: number;
}

/** Send-lag histograms merged exactly (the counts added, bucket by bucket). */
export function mergeLag(parts: hdr.Histogram[]): hdr.Histogram {
  const merged = lagHistogram();
  for (const h of parts) merged.add(h);
  return merged;
}

/**
 * The whole generator's figures from its shards': the lag from the merged
 * histogram, counts summed, the rate over the whole schedule, the loop of the
 * busiest shard, the CPU of the whole process (`usage`: every thread). Each
 * shard's own figures are kept in `shards`.
 */
export function mergeStats(
  parts: ShardOutcome[],
  usage: Pick<Usage, "cpuShareOfOneCore" | "cpuPeakShareOfOneCore"> & Partial<Usage>,
): GeneratorStats {
  const stats = parts.map((p) => p.stats);
  const first = stats[0]!;
  const sum = (f: (s: GeneratorStats) => number) => stats.reduce((n, s) => n + f(s), 0);
  const max = (f: (s: GeneratorStats) => number) => Math.max(...stats.map(f));
  const written = parts.reduce((n, p) => n + p.written, 0);
  const lastWrittenMs = Math.max(...parts.map((p) => (Number.isNaN(p.lastWrittenMs) ? Number.NEGATIVE_INFINITY : p.lastWrittenMs)));
  const open = first.mode === "open";
  const intendedRatePerS = round1(sum((s) => s.intendedRatePerS));
  const scheduled = sum((s) => s.scheduled);
  return {
    mode: first.mode,
    sendLagMs: lagMs(mergeLag(parts.map((p) => p.lag))),
    cpuShareOfOneCore: usage.cpuShareOfOneCore,
    cpuPeakShareOfOneCore: usage.cpuPeakShareOfOneCore,
    eventLoopBusyShare: max((s) => s.eventLoopBusyShare),
    eventLoopBusyPeak: max((s) => s.eventLoopBusyPeak),
    intendedRatePerS,
    sentRatePerS: open
      ? sentRate({ written, lastWrittenMs }, first.startMs, scheduled > 1 && intendedRatePerS > 0 ? 1000 / intendedRatePerS : 0)
      : round1(sum((s) => s.sentRatePerS)),
    scheduleOverrunMs: max((s) => s.scheduleOverrunMs),
    // each shard's own peak, added: at most this many at once
    maxInFlight: sum((s) => s.maxInFlight),
    maxWaitingForConnection: sum((s) => s.maxWaitingForConnection),
    maxConnections: sum((s) => s.maxConnections),
    clientRetries: sum((s) => s.clientRetries),
    scheduled,
    startMs: Math.min(...stats.map((s) => s.startMs)),
    endMs: max((s) => s.endMs),
    // every shard is told the same end; one whose own schedule ran out first was not cut
    ...(stats.some((s) => s.scheduleEndMs !== undefined) ? { scheduleEndMs: max((s) => s.scheduleEndMs ?? 0) } : {}),
    ...(first.nice !== undefined ? { nice: first.nice } : {}),
    ...(first.niceNote !== undefined ? { niceNote: first.niceNote } : {}),
    shards: stats.map((s, shard) => ({ ...s, shard })),
  };
}

type ShardsRequest =
  | { model: "open"; options: LoadOptions; count: number }
  | { model: "closed"; options: ClosedLoadOptions; count: number };

/** Messages from a shard's thread (shard-worker.ts). */
export type ShardMessage =
  | { type: "loaded" }
  | { type: "ready" }
  | { type: "progress"; progress: LoadProgress }
  | {
      type: "done";
      stats: GeneratorStats;
      sessions: SessionRecord[];
      ledger: SpilledLedger;
      lag: string;
      written: number;
      lastWrittenMs: number;
    }
  | { type: "error"; message: string; stack?: string };

/** What a shard's thread is started with: its options (no functions), and t0 on the process's monotonic clock. */
export interface ShardData {
  model: "open" | "closed";
  options: Omit<LoadOptions, "onProgress" | "signal" | "startAt"> | Omit<ClosedLoadOptions, "startAt">;
  t0Hr: number;
}

interface ShardThread {
  worker: Worker;
  /** Its modules loaded and the send path warmed (0.5-2 s under tsx on a busy machine): ready for a shard. */
  loaded: Promise<void>;
}

/** A shard's thread, its modules loading; it waits for a `run` message. unref'd: an unused one never keeps the process alive. */
function startShardThread(): ShardThread {
  // plain JavaScript that registers tsx itself (as the ticker's thread, it must load under tsx, vitest and node)
  const worker = new Worker(new URL("./shard-thread.mjs", import.meta.url), { execArgv: [] });
  worker.unref();
  const loaded = new Promise<void>((resolve, reject) => {
    const onMessage = (m: ShardMessage) => {
      if (m.type === "loaded") resolve();
      else if (m.type === "error") reject(new Error(`load shard: ${m.message}`));
    };
    worker.on("message", onMessage);
    worker.once("error", reject);
    worker.once("exit", (code) => reject(new Error(`load shard thread ended (exit code ${code}) while loading`)));
  });
  loaded.catch(() => {});
  return { worker, loaded };
}

let warm: ShardThread[] = [];

/**
 * Starts `count` shard threads ahead of a load (prepareLoad): loading tsx and the
 * generator's modules in a thread takes long enough that, started at the load's
 * own start, the schedule would begin seconds after the run's t0.
 */
export async function prepareShards(count: number): Promise<void> {
  if (count <= 1) return;
  if (warm.length !== count) {
    for (const t of warm) void t.worker.terminate();
    warm = Array.from({ length: count }, startShardThread);
  }
  await Promise.all(warm.map((t) => t.loaded));
}

function takeWarm(count: number): ShardThread[] | undefined {
  if (warm.length !== count) return undefined;
  const taken = warm;
  warm = [];
  return taken;
}

/** Each shard waits for the others to be ready; the common start is this much after the last one is. */
const START_MARGIN_MS = 2;
const USAGE_INTERVAL_MS = 250;

/** Runs `count` shards of a load in worker threads and merges what they hand back into one result. */
export async function runShards(req: ShardsRequest): Promise<LoadResult> {
  const { count } = req;
  const { t0 } = req.options;
  // every thread's performance.now() counts from its own origin; the monotonic clock is common to all
  const t0Hr = t0 + Number(process.hrtime.bigint()) / 1e6 - performance.now();
  const spillDir = req.options.spillDir || tmpdir();
  const threads = takeWarm(count) ?? Array.from({ length: count }, startShardThread);
  const progress: LoadProgress[] = [];
  const onProgress = req.model === "open" ? req.options.onProgress : undefined;
  const shards = Array.from({ length: count }, (_, index) => {
    const shard = { index, count };
    let options: ShardData["options"];
    if (req.model === "open") {
      const { onProgress: _p, signal: _s, startAt: _a, endAt: _e, ...rest } = req.options;
      options = { ...shardOf(rest, shard), spillDir };
    } else {
      const { startAt: _a, ...rest } = req.options;
      options = { ...rest, connections: splitEvenly(rest.connections, count, index), spillDir, shard };
    }
    const data: ShardData = { model: req.model, options, t0Hr };
    const { worker, loaded } = threads[index]!;
    worker.ref();
    let readyResolve!: () => void;
    let doneResolve!: (m: Extract<ShardMessage, { type: "done" }>) => void;
    let fail!: (err: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const ready = Promise.race([new Promise<void>((resolve) => (readyResolve = resolve)), failed]);
    const done = Promise.race([new Promise<Extract<ShardMessage, { type: "done" }>>((resolve) => (doneResolve = resolve)), failed]);
    worker.on("message", (m: ShardMessage) => {
      if (m.type === "loaded") return;
      if (m.type === "ready") readyResolve();
      else if (m.type === "done") doneResolve(m);
      else if (m.type === "error") fail(Object.assign(new Error(`load shard ${index}: ${m.message}`), { stack: m.stack }));
      else if (m.type === "progress" && onProgress) {
        progress[index] = m.progress;
        if (index === 0) onProgress(sumProgress(progress));
      }
    });
    worker.on("error", (err) => fail(err));
    worker.on("exit", (code) => fail(new Error(`load shard ${index} ended (exit code ${code}) before it handed back its ledger`)));
    // its modules loaded, the thread runs this shard
    void loaded.then(() => worker.postMessage({ type: "run", data }), fail);
    return { worker, ready, done };
  });
  const signal = req.model === "open" ? req.options.signal : undefined;
  // an abort ends each shard's schedule (its in-flight requests then unanswered), ready or not
  const onAbort = () => {
    for (const s of shards) s.worker.postMessage({ type: "abort" });
  };
  if (signal?.aborted) onAbort();
  else signal?.addEventListener("abort", onAbort, { once: true });
  // load.after_drain_s: one end for every shard's schedule
  if (req.model === "open")
    void req.options.endAt?.then((atMs) => {
      for (const s of shards) s.worker.postMessage({ type: "end", atMs });
    });
  let sampler: NodeJS.Timeout | undefined;
  try {
    await Promise.all(shards.map((s) => s.ready));
    const startMs = performance.now() - t0 + START_MARGIN_MS;
    const usage = new UsageMeter();
    sampler = setInterval(() => usage.sample(), USAGE_INTERVAL_MS);
    for (const s of shards) s.worker.postMessage({ type: "go", startMs });
    const settled = await Promise.allSettled(shards.map((s) => s.done));
    const used = usage.result();
    const failure = settled.find((r) => r.status === "rejected");
    const outcomes = settled.flatMap((r) => (r.status === "fulfilled" ? [r.value] : []));
    if (failure) {
      for (const o of outcomes) if (o.ledger.path) unlinkSync(o.ledger.path);
      throw failure.reason;
    }
    const parts: ShardOutcome[] = outcomes.map((o) => ({
      stats: o.stats,
      lag: hdr.decodeFromCompressedBase64(o.lag),
      written: o.written,
      lastWrittenMs: o.lastWrittenMs,
    }));
    const sessions = outcomes.flatMap((o) => o.sessions).sort((a, b) => a.intended_ms - b.intended_ms);
    return { ledger: new MergedLedger(outcomes.map((o) => Ledger.adopt(o.ledger))), stats: mergeStats(parts, used), sessions };
  } finally {
    clearInterval(sampler);
    signal?.removeEventListener("abort", onAbort);
    await Promise.all(shards.map((s) => s.worker.terminate()));
  }
}

/** The whole load's progress from its shards' latest. */
export function sumProgress(parts: LoadProgress[]): LoadProgress {
  const out: LoadProgress = { elapsedMs: 0, sent: 0, ok: 0, failed: 0, inFlight: 0 };
  for (const p of parts) {
    if (!p) continue;
    out.elapsedMs = Math.max(out.elapsedMs, p.elapsedMs);
    out.sent += p.sent;
    out.ok += p.ok;
    out.failed += p.failed;
    out.inFlight += p.inFlight;
  }
  return out;
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}

import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import type { LoadProgress } from "../records/generator-stats.ts";
import { Sessions } from "./sessions.ts";

export type { LoadProgress };

import type { Scenario } from "../scenario/schema.ts";
import { lagHistogram, lagMs } from "./lag.ts";
import { Ledger } from "./ledger.ts";
import { type LoadOptions, type LoadResult, sentRate } from "./load-options.ts";
import { RequestMix, ShardMix, seededRandom } from "./mix.ts";
import { pacerFor, ShardPacer } from "./pacer.ts";
import { raisePriority, raiseSessionPriority } from "./priority.ts";
import { retryPool, Sender } from "./sender.ts";
import { prepareShardProcesses, runShardProcesses } from "./shard-processes.ts";
import { prepareShards, runShards, shardCount } from "./shards.ts";
import { SpareConnections } from "./spare-connections.ts";
import { Ticker } from "./ticker.ts";
import { UsageMeter } from "./usage.ts";
import { warmUp } from "./warm-up.ts";

export type { LoadOptions, LoadResult };
export { sentRate };

const PROGRESS_INTERVAL_MS = 250;
const SPARE_CONNECTIONS_BASE = 16;
const SPARE_CONNECT_TIMEOUT_MS = 2000;

export function loadPool(url: string, load: Pick<Scenario["load"], "max_connections" | "timeout_s">, spares?: SpareConnections): Pool {
  const timeoutMs = load.timeout_s * 1000;
  return new Pool(url, {
    connections: load.max_connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
    ...(spares ? { connect: spares.connector({ timeout: timeoutMs }) } : { connectTimeout: timeoutMs }),
  });
}

/** Connections to open before the schedule: enough for about 50 ms of requests (a server that stalls that long finds them idle instead of making the generator connect), never past the cap. */
export function spareConnectionCount(load: Pick<Scenario["load"], "max_connections" | "rate_per_s">): number {
  return Math.min(load.max_connections, SPARE_CONNECTIONS_BASE + Math.ceil(load.rate_per_s / 20));
}

/**
 * Readies the generator (undici's parser compiled, the send path run once
 * against a local throwaway server); about 0.15 s, once per process. runLoad
 * does it itself, but a caller that times its schedule from a t0 should await
 * this before taking t0, so the schedule starts right at runLoad. Given the
 * load, it also starts its shards' threads (load.shards > 1), which takes longer,
 * or its shard processes (load.shards_in: processes; they write in <spillDir>/shards).
 */
export async function prepareLoad(load?: Pick<Scenario["load"], "shards" | "shards_in">, spillDir?: string | false): Promise<void> {
  const count = load ? shardCount(load.shards) : 1;
  if (load?.shards_in === "processes") await Promise.all([warmUp(), prepareShardProcesses(count, spillDir)]);
  else await Promise.all([warmUp(), prepareShards(count)]);
}

/**
 * Open-model load: requests leave on the pacer's schedule whether or not
 * earlier ones have returned, each with an X-Request-Id and a ledger row.
 * Latency is measured from the intended send time, so a stalled server shows
 * up as latency instead of as fewer requests (no coordinated omission).
 * A precise ticker (not setTimeout) wakes the sender when the next request is due.
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  // the session's autogroup once per process, by the thread that runs the whole load (a shard's thread is part of it)
  const session = options.raisePriority && !options.shard ? raiseSessionPriority() : undefined;
  try {
    const result = await runLoadHere(options);
    if (!session) return result;
    return { ...result, stats: { ...result.stats, sessionNice: session.nice, ...(session.note ? { sessionNiceNote: session.note } : {}) } };
  } finally {
    session?.restore();
  }
}

async function runLoadHere(options: LoadOptions): Promise<LoadResult> {
  // load.shards > 1: each shard in a worker thread of its own, which comes back here with options.shard set
  const shards = options.shard ? 1 : shardCount(options.load.shards);
  // load.shards_in: processes: each shard a `drainlab load-shard` process (one too: the spec path end to end)
  if (!options.shard && options.load.shards_in === "processes") return runShardProcesses(options, shards);
  if (shards > 1) return runShards({ model: "open", options, count: shards });
  const { load, t0 } = options;
  const shard = options.shard ?? { index: 0, count: 1 };
  const priority = options.raisePriority ? raisePriority() : undefined;
  await warmUp();
  const pacer = shard.count > 1 ? new ShardPacer(pacerFor(load), shard.index, shard.count) : pacerFor(load);
  const wholeMix = new RequestMix(load.mix, seededRandom(load.seed), options.fixtureMix ?? true);
  const mix = shard.count > 1 ? new ShardMix(wholeMix, shard.index, shard.count) : wholeMix;
  const ledger = new Ledger(
    options.idPrefix,
    load.mix.map((k) => k.method),
    { spillDir: options.spillDir, idStride: shard.count, idOffset: shard.index },
  );
  // this thread's share of the rate (the whole of it unless sharded)
  const ratePerS = load.rate_per_s / shard.count;
  const lag = lagHistogram();
  // the ticker's thread first: the pool is made after it is up, so nothing is left open if that fails
  const ticker = await Ticker.start(() => tick());
  const spares = await SpareConnections.open(
    options.url,
    Math.min(load.max_connections, options.spareConnections ?? spareConnectionCount({ ...load, rate_per_s: ratePerS })),
    SPARE_CONNECT_TIMEOUT_MS,
  ).catch(async (err: unknown) => {
    await ticker.stop();
    throw err;
  });
  const pool = loadPool(options.url, load, spares);
  let idle: (() => void) | undefined;
  const sender = new Sender({
    pool,
    retryPool: retryPool(options.url, load.timeout_s * 1000),
    ledger,
    t0,
    retryOnReset: load.retry_on_reset,
    lag,
    onFinished: () => {
      if (sender.inFlight === 0) idle?.();
    },
  });
  const sessionsDone = new AbortController();
  // every open session listens on it (its requests and sockets): as many as are open, not a leak
  setMaxListeners(0, sessionsDone.signal);
  const onOuterAbort = () => sessionsDone.abort();
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  const sessions = new Sessions({
    url: options.url,
    t0,
    timeoutMs: load.timeout_s * 1000,
    fixture: options.fixtureMix ?? true,
    signal: sessionsDone.signal,
    // a session's start is a send like any other: in the rate and the lag
    onStarted: (intendedMs, nowMs) => sender.countSend(intendedMs, nowMs),
  });
  // shards: every one ready (its pool, ticker and spare connections) before the common start
  const startMs = options.startAt ? await options.startAt() : performance.now() - t0;
  const usage = new UsageMeter();
  const progress = setInterval(() => {
    usage.sample();
    options.onProgress?.({
      elapsedMs: performance.now() - t0,
      sent: ledger.length,
      ok: sender.ok,
      failed: sender.failed,
      inFlight: sender.inFlight,
    });
  }, PROGRESS_INTERVAL_MS);
  let next = 0;
  let scheduleDone!: () => void;
  const scheduled = new Promise<void>((resolve) => (scheduleDone = resolve));
  // load.after_drain_s: the drain's end plus its tail cuts the schedule short (never lengthens it)
  let endAtMs = Number.POSITIVE_INFINITY;
  let cut = false;
  const cutShort = () => {
    cut = true;
    scheduleDone();
  };
  const tick = () => {
    if (options.signal?.aborted) return scheduleDone();
    const now = performance.now() - t0;
    const due = pacer.dueBy(now - startMs);
    for (; next < due; next++) {
      const intended = startMs + pacer.intendedMs(next);
      if (intended >= endAtMs) return cutShort();
      const req = mix.next();
      if (req.session) sessions.start(`${options.idPrefix}-s${ledger.globalSeq(next)}`, load.mix[req.kind]!, req.kind, intended, req.path);
      else sender.send(ledger.begin(req.kind, req.serviceMs, intended, now), req);
    }
    if (next >= pacer.total) return scheduleDone();
    const nextMs = startMs + pacer.intendedMs(next);
    if (nextMs >= endAtMs) return cutShort();
    ticker.at(t0 + nextMs);
  };
  void options.endAt?.then((ms) => {
    endAtMs = Math.max(ms, startMs);
    // wake now: the next request may be due long after the end (an on/off load's idle phase)
    ticker.at(Math.min(t0 + endAtMs, performance.now()));
  });
  const onAbort = () => scheduleDone();
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    // aborted already (a shard told before it started): its abort event has fired, so nothing else ends the schedule
    if (options.signal?.aborted) scheduleDone();
    else tick();
    await scheduled;
    await ticker.stop();
    const scheduleEndMs = performance.now() - t0;
    const used = usage.result();
    // stragglers get until the schedule's end plus the grace period; then they are unanswered
    const graceMs = options.signal?.aborted ? 0 : load.grace_s * 1000;
    await settle(sender, (r) => (idle = r), graceMs);
    await sessions.settle(Math.max(0, scheduleEndMs + graceMs - (performance.now() - t0)), () => sessionsDone.abort());
    const endMs = performance.now() - t0;
    await ledger.flush();
    const lastIntendedMs = startMs + pacer.intendedMs(Math.max(0, next - 1));
    // requests the schedule held: all of duration_s's, or those due before its cut
    const total = cut ? next : pacer.total;
    return {
      ledger,
      sessions: sessions.records,
      stats: {
        mode: "open",
        sendLagMs: lagMs(lag),
        ...used,
        // bursts (load.on_off): the schedule's own average over the same span sentRate measures
        intendedRatePerS: load.on_off
          ? sentRate({ written: total, lastWrittenMs: startMs + pacer.intendedMs(total - 1) }, startMs, 1000 / ratePerS)
          : ratePerS,
        sentRatePerS: sentRate(sender, startMs, total > 1 ? 1000 / ratePerS : 0),
        scheduleOverrunMs: round3(
          Math.max(0, (Number.isNaN(sender.lastWrittenMs) ? scheduleEndMs : sender.lastWrittenMs) - lastIntendedMs),
        ),
        maxInFlight: sender.maxInFlight,
        maxWaitingForConnection: sender.maxWaiting,
        maxConnections: load.max_connections,
        clientRetries: sender.clientRetries,
        scheduled: total,
        startMs,
        endMs,
        ...(cut ? { scheduleEndMs: endAtMs } : {}),
        ...(priority ? { nice: priority.nice, ...(priority.note ? { niceNote: priority.note } : {}) } : {}),
      },
      sends: { lag, written: sender.written, lastWrittenMs: sender.lastWrittenMs },
    };
  } finally {
    options.signal?.removeEventListener("abort", onAbort);
    options.signal?.removeEventListener("abort", onOuterAbort);
    sessionsDone.abort();
    clearInterval(progress);
    await ticker.stop();
    await sender.destroyPools();
    spares.close();
  }
}

/** Waits for every request to finish, at most graceMs; then the rest are abandoned (recorded as unanswered). */
export async function settle(sender: Sender, onIdle: (resolve: () => void) => void, graceMs: number): Promise<void> {
  if (sender.inFlight > 0) {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      onIdle(resolve);
      timer = setTimeout(resolve, graceMs);
    });
    clearTimeout(timer);
  }
  if (sender.inFlight > 0) {
    sender.abandoned = true;
    await sender.destroyPools();
    sender.abandonRest();
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

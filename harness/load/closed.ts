import { performance } from "node:perf_hooks";
import type { GeneratorStats } from "../records/generator-stats.ts";
import type { RequestKind } from "../scenario/schema.ts";
import { loadPool, settle } from "./generator.ts";
import { lagHistogram, lagMs } from "./lag.ts";
import { Ledger } from "./ledger.ts";
import { type ClosedLoadOptions, type LoadResult, sentRate } from "./load-options.ts";
import { RequestMix, seededRandom } from "./mix.ts";
import { retryPool, Sender } from "./sender.ts";
import { runShards } from "./shards.ts";
import { UsageMeter } from "./usage.ts";
import { warmUp } from "./warm-up.ts";

export type { ClosedLoadOptions };

const DEFAULT_MIX: RequestKind[] = [{ weight: 1, method: "GET", ms: 0, body_bytes: 0 }];
const USAGE_INTERVAL_MS = 250;

/**
 * Closed-model load: `connections` requests in flight, each followed by the
 * next as soon as it returns, for `durationS`; every request in the ledger.
 * This is how wrk and autocannon measure peak throughput; drainlab's runs use
 * the open model (runLoad), and this exists to compare the two generators.
 */
export async function runClosedLoad(options: ClosedLoadOptions): Promise<LoadResult> {
  // shards > 1: the connections split over worker threads, each back here with options.shard set
  const shards = options.shard ? 1 : Math.min(options.shards ?? 1, options.connections);
  if (shards > 1) return runShards({ model: "closed", options, count: shards });
  const { t0 } = options;
  const shard = options.shard ?? { index: 0, count: 1 };
  await warmUp();
  const kinds = options.mix ?? DEFAULT_MIX;
  const mix = new RequestMix(kinds, seededRandom(1 + shard.index));
  const ledger = new Ledger(
    options.idPrefix,
    kinds.map((k) => k.method),
    { spillDir: options.spillDir, idStride: shard.count, idOffset: shard.index },
  );
  const timeoutS = options.timeoutS ?? 30;
  const pool = loadPool(options.url, { max_connections: options.connections, timeout_s: timeoutS });
  const lag = lagHistogram();
  let running = true;
  let idle: (() => void) | undefined;
  const sendOne = () => {
    const req = mix.next();
    const now = performance.now() - t0;
    sender.send(ledger.begin(req.kind, req.serviceMs, now, now), req);
  };
  const sender: Sender = new Sender({
    pool,
    retryPool: retryPool(options.url, timeoutS * 1000),
    ledger,
    t0,
    retryOnReset: options.retryOnReset ?? "all",
    lag,
    onFinished: () => {
      if (running) sendOne();
      else if (sender.inFlight === 0) idle?.();
    },
  });
  const startMs = options.startAt ? await options.startAt() : performance.now() - t0;
  // shards: the common start may be a moment ahead
  const ahead = options.startAt ? t0 + startMs - performance.now() : 0;
  if (ahead > 0) await new Promise((resolve) => setTimeout(resolve, ahead));
  const usage = new UsageMeter();
  const sampler = setInterval(() => usage.sample(), USAGE_INTERVAL_MS);
  try {
    for (let i = 0; i < options.connections; i++) sendOne();
    await new Promise((resolve) => setTimeout(resolve, options.durationS * 1000));
    running = false;
    const used = usage.result();
    const scheduleEndMs = performance.now() - t0;
    await settle(sender, (r) => (idle = r), timeoutS * 1000);
    await ledger.flush();
    const rate = Math.round((ledger.length / (scheduleEndMs - startMs)) * 1000 * 10) / 10;
    const stats: GeneratorStats = {
      mode: "closed",
      sendLagMs: lagMs(lag),
      ...used,
      intendedRatePerS: rate,
      sentRatePerS: sentRate(sender, startMs, 0),
      scheduleOverrunMs: 0,
      maxInFlight: sender.maxInFlight,
      maxWaitingForConnection: sender.maxWaiting,
      maxConnections: options.connections,
      clientRetries: sender.clientRetries,
      scheduled: ledger.length,
      startMs,
      endMs: performance.now() - t0,
    };
    return { ledger, stats, sessions: [], sends: { lag, written: sender.written, lastWrittenMs: sender.lastWrittenMs } };
  } finally {
    clearInterval(sampler);
    await sender.destroyPools();
  }
}

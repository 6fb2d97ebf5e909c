import { performance } from "node:perf_hooks";
import type { GeneratorStats } from "../records/generator-stats.ts";
import type { RequestKind, Scenario } from "../scenario/schema.ts";
import { type LoadResult, loadPool, sentRate, settle } from "./generator.ts";
import { lagHistogram, lagMs } from "./lag.ts";
import { Ledger } from "./ledger.ts";
import { RequestMix, seededRandom } from "./mix.ts";
import { retryPool, Sender } from "./sender.ts";
import { UsageMeter } from "./usage.ts";
import { warmUp } from "./warm-up.ts";

export interface ClosedLoadOptions {
  url: string;
  /** Requests in flight at all times, one per connection. */
  connections: number;
  durationS: number;
  idPrefix: string;
  /** performance.now() of the run's t0. */
  t0: number;
  mix?: RequestKind[];
  timeoutS?: number;
  retryOnReset?: Scenario["load"]["retry_on_reset"];
  spillDir?: string | false;
}

const DEFAULT_MIX: RequestKind[] = [{ weight: 1, method: "GET", ms: 0, body_bytes: 0 }];
const USAGE_INTERVAL_MS = 250;

/**
 * Closed-model load: `connections` requests in flight, each followed by the
 * next as soon as it returns, for `durationS`; every request in the ledger.
 * This is how wrk and autocannon measure peak throughput; drainlab's runs use
 * the open model (runLoad), and this exists to compare the two generators.
 */
export async function runClosedLoad(options: ClosedLoadOptions): Promise<LoadResult> {
  const { t0 } = options;
  await warmUp();
  const kinds = options.mix ?? DEFAULT_MIX;
  const mix = new RequestMix(kinds, seededRandom(1));
  const ledger = new Ledger(
    options.idPrefix,
    kinds.map((k) => k.method),
    { spillDir: options.spillDir },
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
  const usage = new UsageMeter();
  const sampler = setInterval(() => usage.sample(), USAGE_INTERVAL_MS);
  const startMs = performance.now() - t0;
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
    return { ledger, stats, sessions: [] };
  } finally {
    clearInterval(sampler);
    await sender.destroyPools();
  }
}

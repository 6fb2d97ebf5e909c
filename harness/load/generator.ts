import { setMaxListeners } from "node:events";
import { performance } from "node:perf_hooks";
import * as hdr from "hdr-histogram-js";
import { Pool } from "undici";
import type { Scenario } from "../scenario/schema.ts";
import { classifyError, classifyStatus } from "./error-class.ts";
import { Ledger } from "./ledger.ts";
import { RequestMix, seededRandom } from "./mix.ts";
import { ConstantRatePacer } from "./pacer.ts";

export interface LoadProgress {
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
}

export interface LoadOptions {
  url: string;
  load: Scenario["load"];
  idPrefix: string;
  /** performance.now() of the run's t0; ledger times are relative to it. */
  t0: number;
  onProgress?: (p: LoadProgress) => void;
  /** Aborts the schedule early (Ctrl-C); in-flight requests are then recorded as unanswered. */
  signal?: AbortSignal;
}

export interface GeneratorStats {
  /** How late requests left relative to their intended time, ms. */
  sendLagMs: { p50: number; p99: number; max: number };
  /** CPU the generator process used, as a share of one core over the load's wall time. */
  cpuShareOfOneCore: number;
  maxInFlight: number;
  /** Requests the client re-sent after a reused connection closed before any response. */
  clientRetries: number;
  scheduled: number;
  /** The schedule started at this ms (relative to t0) and ended at this ms. */
  startMs: number;
  endMs: number;
}

export interface LoadResult {
  ledger: Ledger;
  stats: GeneratorStats;
}

const PROGRESS_INTERVAL_MS = 250;

/**
 * Open-model load: requests leave on the pacer's schedule whether or not
 * earlier ones have returned, each with an X-Request-Id and a ledger row.
 * Latency is measured from the intended send time, so a stalled server shows
 * up as latency instead of as fewer requests (no coordinated omission).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { load, t0 } = options;
  const pacer = new ConstantRatePacer(load.rate_per_s, load.duration_s);
  const mix = new RequestMix(load.mix, seededRandom(load.seed));
  const ledger = new Ledger(options.idPrefix, load.mix.map((k) => k.method));
  const timeoutMs = load.timeout_s * 1000;
  const pool = new Pool(options.url, {
    connections: load.max_connections,
    pipelining: 1,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connectTimeout: timeoutMs,
    keepAliveTimeout: 30_000,
  });
  const abortAll = new AbortController();
  // every in-flight request listens on this one signal; thousands is expected, not a leak
  setMaxListeners(0, abortAll.signal);
  const lag = hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
  const pending = new Set<Promise<void>>();
  let ok = 0;
  let failed = 0;
  let maxInFlight = 0;
  let clientRetries = 0;

  const send = (seq: number, intendedMs: number) => {
    const req = mix.next();
    const sentMs = performance.now() - t0;
    ledger.begin(req.kind, req.serviceMs, intendedMs, sentMs);
    lag.recordValue(Math.max(0, Math.round((sentMs - intendedMs) * 1000)));
    const retryAllowed = load.retry_on_reset === "all" || (load.retry_on_reset === "idempotent" && req.method === "GET");
    let responded = false;
    const attempt = (): Promise<void> =>
      pool
        .request({
          origin: options.url,
          path: req.path,
          method: req.method,
          headers: { "x-request-id": ledger.idOf(seq), ...(req.body ? { "content-type": "application/json" } : {}) },
          body: req.body,
          signal: abortAll.signal,
        })
        .then(async (res) => {
          responded = true;
          const body = await res.body.arrayBuffer();
          const node = res.headers["x-node"];
          const error = classifyStatus(res.statusCode);
          if (error === "none") ok++;
          else failed++;
          ledger.finish(seq, performance.now() - t0, res.statusCode, error, typeof node === "string" ? node : null, body.byteLength);
        })
        .catch((err: unknown) => {
          const error = classifyError(err);
          // a connection closed before any response byte: retry once, as HTTP clients do (RFC 9112 9.3.1)
          if (error === "reset" && !responded && retryAllowed && ledger.row(seq).attempts === 1 && !abortAll.signal.aborted) {
            ledger.retried(seq);
            clientRetries++;
            return attempt();
          }
          failed++;
          ledger.finish(seq, performance.now() - t0, 0, error, null, 0);
        });
    const done = attempt()
      .finally(() => pending.delete(done));
    pending.add(done);
    if (pending.size > maxInFlight) maxInFlight = pending.size;
  };

  const progress = setInterval(() => {
    options.onProgress?.({ elapsedMs: performance.now() - t0, sent: ledger.length, ok, failed, inFlight: pending.size });
  }, PROGRESS_INTERVAL_MS);
  const cpuStart = process.cpuUsage();
  const startMs = performance.now() - t0;
  try {
    let next = 0;
    while (next < pacer.total && !options.signal?.aborted) {
      const elapsed = performance.now() - t0 - startMs;
      const due = pacer.dueBy(elapsed);
      for (; next < due; next++) send(next, startMs + pacer.intendedMs(next));
      if (next < pacer.total) await sleep(pacer.waitMs(next, performance.now() - t0 - startMs));
    }
    const scheduleEndMs = performance.now() - t0;
    // stragglers get until the schedule's end plus the grace period; then they are unanswered
    const graceMs = options.signal?.aborted ? 0 : load.grace_s * 1000;
    await Promise.race([Promise.allSettled([...pending]), sleep(graceMs)]);
    if (pending.size > 0) {
      abortAll.abort();
      await Promise.allSettled([...pending]);
    }
    const endMs = performance.now() - t0;
    const cpu = process.cpuUsage(cpuStart);
    return {
      ledger,
      stats: {
        sendLagMs: { p50: lag.getValueAtPercentile(50) / 1000, p99: lag.getValueAtPercentile(99) / 1000, max: lag.maxValue / 1000 },
        cpuShareOfOneCore: (cpu.user + cpu.system) / 1000 / Math.max(1, scheduleEndMs - startMs),
        maxInFlight,
        clientRetries,
        scheduled: pacer.total,
        startMs,
        endMs,
      },
    };
  } finally {
    clearInterval(progress);
    await pool.destroy().catch(() => {});
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

import type { DrainRecord } from "../records/drain-record.ts";
import type { Percentiles, SeriesBucket } from "../records/figure-types.ts";
import { microsHistogram as histogram } from "../records/histogram.ts";
import type { LedgerRow } from "../records/ledger-row.ts";

function latencyMs(r: LedgerRow): number {
  return r.endMs - r.intendedMs;
}

function answered(r: LedgerRow): boolean {
  return r.status > 0 && !Number.isNaN(r.endMs);
}

/** HDR percentiles of latency (from the intended send time), in ms. */
export function latencyPercentiles(rows: Iterable<LedgerRow>): Percentiles {
  const h = histogram();
  for (const r of rows) if (answered(r)) h.recordValue(Math.max(1, Math.round(latencyMs(r) * 1000)));
  const at = (p: number) => (h.totalCount === 0 ? 0 : round(h.getValueAtPercentile(p) / 1000));
  return { count: h.totalCount, p50: at(50), p90: at(90), p99: at(99), max: h.totalCount === 0 ? 0 : round(h.maxValue / 1000) };
}

/** Per-bucket counts and latency, by intended send time, for the charts. */
export function series(rows: LedgerRow[], bucketMs: number): SeriesBucket[] {
  const buckets = new Map<number, { rows: LedgerRow[] }>();
  for (const r of rows) {
    const t = Math.floor(r.intendedMs / bucketMs) * bucketMs;
    let b = buckets.get(t);
    if (!b) buckets.set(t, (b = { rows: [] }));
    b.rows.push(r);
  }
  return [...buckets.entries()]
    .sort(([a], [b]) => a - b)
    .map(([t, { rows: bucket }]) => {
      const lat = latencyPercentiles(bucket);
      const byNode: Record<string, number> = {};
      for (const r of bucket) if (r.error === "none" && r.node) byNode[r.node] = (byNode[r.node] ?? 0) + 1;
      return {
        t_ms: t,
        sent: bucket.length,
        ok: bucket.filter((r) => r.error === "none").length,
        failed: bucket.filter((r) => r.error !== "none").length,
        p50_ms: lat.count ? lat.p50 : null,
        p99_ms: lat.count ? lat.p99 : null,
        by_node: byNode,
      };
    });
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

/** Each drained node's window on the run's clock: from its drain's start to its exit (or the load's end). */
export function drainWindows(drains: DrainRecord[], loadEndMs: number): Array<{ from: number; to: number }> {
  return drains.map((d) => {
    const exit = d.exit_ms ?? loadEndMs;
    return {
      from: d.start_ms,
      to: d.window_end_ms === undefined ? exit : d.window_end_ms === null ? loadEndMs : Math.max(exit, d.window_end_ms),
    };
  });
}

/** Whether a request was due (intended send time) inside any drain window. */
export function dueDuringDrain(row: LedgerRow, windows: Array<{ from: number; to: number }>): boolean {
  return windows.some((w) => row.intendedMs >= w.from && row.intendedMs <= w.to);
}

/** Latency of the requests due inside any drain window (drain start .. node exit): the one p99-during-drain. */
export function latencyDuringDrain(rows: LedgerRow[], drains: DrainRecord[], loadEndMs: number): Percentiles {
  const windows = drainWindows(drains, loadEndMs);
  return latencyPercentiles(rows.filter((row) => dueDuringDrain(row, windows)));
}

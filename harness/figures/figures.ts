import type { HeldAt, Percentiles, Reconciliation } from "../records/figure-types.ts";
import type { Records } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { inFlightAtSignal } from "./in-flight.ts";
import { reconcile } from "./reconcile.ts";
import { latencyDuringDrain, latencyPercentiles, series } from "./summaries.ts";

export const SERIES_BUCKET_MS = 100;

/** Every figure a run's verdict and report stand on, computed once from its records. */
export interface RunFigures {
  requests: Report["requests"];
  /** After warm-up, from the intended send time. */
  latency_ms: Percentiles;
  latency_during_drain_ms: Percentiles;
  reconciliation: Reconciliation;
  series: Report["series"];
  /** Per drain, what its node held at its signal (null: signal time or app ledger unknown). */
  in_flight_at_signal: Array<HeldAt | null>;
}

export function figuresOf(r: Records): RunFigures {
  const reconciliation = reconcile(r);
  const warm = r.loadStartMs + r.scenario.load.warmup_s * 1000;
  const { primary } = reconciliation;
  return {
    requests: {
      sent: r.rows.length,
      ok: primary.ok,
      failed: primary.failed,
      unanswered: primary.unanswered,
      client_retried: r.rows.filter((row) => row.attempts > 1).length,
    },
    latency_ms: latencyPercentiles(r.rows.filter((row) => row.intendedMs >= warm)),
    latency_during_drain_ms: latencyDuringDrain(r.rows, r.drains, r.loadEndMs),
    reconciliation,
    series: { bucket_ms: SERIES_BUCKET_MS, buckets: series(r.rows, SERIES_BUCKET_MS) },
    in_flight_at_signal: inFlightAtSignal(r),
  };
}

import type { GeneratorStats } from "../records/generator-stats.ts";
import type { Scenario } from "../scenario/schema.ts";

export type GeneratorLimits = Scenario["checks"]["generator"];

/** Which of the scenario's generator limits a load (or one shard of it) went past; none: it kept up. */
export interface GeneratorShortfall {
  /** Send lag p99 above max_send_lag_p99_ms. */
  late: boolean;
  /** Event loop busier than max_event_loop_busy. */
  busy: boolean;
  /** Open model: sent less than min_rate_share of the intended rate. */
  short: boolean;
  /** Sent over intended (1 for the closed model, or when no rate was intended). */
  rateShare: number;
}

/** generator-kept-up's measure, here so the verdict and the views (each shard's row) judge a load alike. */
export function generatorShortfall(stats: GeneratorStats, limits: GeneratorLimits): GeneratorShortfall {
  const open = stats.mode !== "closed";
  const rateShare = open && stats.intendedRatePerS > 0 ? stats.sentRatePerS / stats.intendedRatePerS : 1;
  return {
    late: stats.sendLagMs.p99 > limits.max_send_lag_p99_ms,
    busy: stats.eventLoopBusyShare > limits.max_event_loop_busy,
    short: rateShare < limits.min_rate_share,
    rateShare,
  };
}

export function keptUp(s: GeneratorShortfall): boolean {
  return !s.late && !s.busy && !s.short;
}

import { generatorShortfall, keptUp } from "../figures/generator-limits.ts";
import type { Report } from "../records/report.ts";
import { pct } from "./findings.ts";

export const SHARD_COLUMNS = ["shard", "rate intended / sent", "send lag p50 / p99 / max", "event loop busy", "max in flight", "kept up"];

export interface ShardRow {
  shard: number;
  keptUp: boolean;
  /** One per SHARD_COLUMNS, plain text. */
  cells: string[];
}

/**
 * A sharded load's shards, one row each, judged by the limits generator-kept-up used (a shard that fell behind
 * names the limits it went past); none for a load that ran in one thread.
 */
export function shardRows(report: Report): ShardRow[] {
  const limits = report.parameters.checks.generator;
  return (report.generator.shards ?? []).map((s, i) => {
    const short = generatorShortfall(s, limits);
    const past = [
      ...(short.late ? [`send lag p99 over ${limits.max_send_lag_p99_ms} ms`] : []),
      ...(short.busy ? [`event loop over ${pct(limits.max_event_loop_busy)} busy`] : []),
      ...(short.short ? [`sent ${pct(short.rateShare)} of its rate`] : []),
    ];
    const ok = keptUp(short);
    const shard = s.shard ?? i;
    return {
      shard,
      keptUp: ok,
      cells: [
        String(shard),
        `${s.intendedRatePerS} / ${s.sentRatePerS} per s`,
        `${s.sendLagMs.p50} / ${s.sendLagMs.p99} / ${s.sendLagMs.max} ms`,
        pct(s.eventLoopBusyShare),
        String(s.maxInFlight),
        ok ? "yes" : `no: ${past.join(", ")}`,
      ],
    };
  });
}

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { GeneratorStats } from "../../records/generator-stats.ts";
import type { Report } from "../../records/report.ts";

/** report.json files of real runs (reports/try/<run-id>/report.json, copied unchanged), stored for the views' tests. */
export const STORED_REPORTS = {
  /** Passes: node-1 removed, SIGTERMed, exits 0.447 s later; nothing lost. */
  "drain-one-node": fileURLToPath(new URL("./drain-one-node.json", import.meta.url)),
  /** Fails with no client error: 31 GETs cut short on node-1 and re-sent by nginx to node-2, 9 slow. */
  "long-get-short-timeout": fileURLToPath(new URL("./long-get-short-timeout.json", import.meta.url)),
  /** Passes: three nodes drained, restarted and re-added in turn (three entries in `drains`). */
  "rolling-drain": fileURLToPath(new URL("./rolling-drain.json", import.meta.url)),
  /** Passes, no drain: a uvicorn --workers worker of node-1 SIGKILLed at 2.10 s, respawned 32 ms later (pid 9 -> 26), so the seed's "only gunicorn respawns" does not hold (faults, facts). */
  "kill-worker-uvicorn": fileURLToPath(new URL("./kill-worker-uvicorn.json", import.meta.url)),
} as const;

function load(name: keyof typeof STORED_REPORTS): Report {
  return JSON.parse(readFileSync(STORED_REPORTS[name], "utf8")) as Report;
}

/** A fresh copy each call, so a test may change it freely: drain-one-node. */
export function storedReport(): Report {
  return load("drain-one-node");
}

/** long-get-short-timeout: loss classes, stories and chart marks. */
export function lossReport(): Report {
  return load("long-get-short-timeout");
}

/** rolling-drain: several drains. */
export function rollingReport(): Report {
  return load("rolling-drain");
}

/** kill-worker-uvicorn: a fault, a fact that does not hold, lint, the generator's newer figures. */
export function faultReport(): Report {
  return load("kill-worker-uvicorn");
}

/** The shape of a report written before `reconciliation` and `drains` existed: `drainlab report` still redraws those. */
export function legacyReport(): Report {
  const r = storedReport() as Partial<Report>;
  delete r.reconciliation;
  delete r.drains;
  return r as Report;
}

/** Markup in every name a scenario author or a check controls. */
export const HOSTILE_NAME = `<img src=x onerror="alert(1)">"</script><script>alert(2)</script>`;

/** The stored run with one failed check: 15 failed requests (marked, but no stories) in five failed buckets. */
export function failingReport(): Report {
  const r = storedReport();
  r.verdict = "fail";
  r.checks[0] = { ...r.checks[0]!, ok: false, observed: 15, detail: "15 x 502 <bad gateway> & ]]> | pipe" };
  r.reconciliation.counts.failed = 15;
  r.reconciliation.failed_by_error = { "http-5xx": 15 };
  for (const b of r.series.buckets) {
    if (b.t_ms < 4100 || b.t_ms >= 4600) continue;
    b.failed = 3;
    for (const dt of [10, 40, 70]) r.reconciliation.marks.push({ t_ms: b.t_ms + dt, class: "failed" });
  }
  return r;
}

/**
 * kill-worker-uvicorn as if its load had run in two shards (load.shards: 2; checks.generator allows a send lag
 * p99 of 20 ms): shard 0 kept up, shard 1 wrote its requests up to 35.2 ms late (p99).
 */
export function shardedReport(): Report {
  const r = faultReport();
  const g = r.generator;
  const shard = (n: number, over: Partial<GeneratorStats>): GeneratorStats => ({
    ...g,
    intendedRatePerS: 50,
    scheduled: 300,
    shard: n,
    ...over,
  });
  g.shards = [
    shard(0, { sendLagMs: { p50: 0.31, p99: 2.1, max: 9.8 }, sentRatePerS: 50, eventLoopBusyShare: 0.05, maxInFlight: 12 }),
    shard(1, { sendLagMs: { p50: 0.9, p99: 35.2, max: 61.4 }, sentRatePerS: 49.8, eventLoopBusyShare: 0.07, maxInFlight: 14 }),
  ];
  return r;
}

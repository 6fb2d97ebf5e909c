import type { RunFigures } from "../figures/figures.ts";
import type { CheckOutcome, Records } from "../records/records.ts";
import { LOSS_CLASSES } from "../scenario/loss-classes.ts";

/** checks.p99_during_drain_ms: a latency budget for the requests due while a node drained. */
export function p99DuringDrainCheck(r: Records, f: RunFigures): CheckOutcome {
  const limit = r.scenario.checks.p99_during_drain_ms;
  const lat = f.latency_during_drain_ms;
  const name = "p99-during-drain";
  if (limit === null)
    return {
      name,
      status: "skipped",
      ok: true,
      observed: `${lat.p99} ms`,
      expected: "no limit set",
      detail: `p99 of ${lat.count} requests due during the drain; set checks.p99_during_drain_ms to gate on it`,
    };
  return {
    name,
    ...(lat.count === 0 ? { status: "no-evidence" as const } : {}),
    ok: lat.count > 0 && lat.p99 <= limit,
    observed: `${lat.p99} ms`,
    expected: `<= ${limit} ms`,
    detail: lat.count > 0 ? `p99 of ${lat.count} requests due during the drain (max ${lat.max} ms)` : "no request was due during the drain",
  };
}

/** checks.max_drain_s: from drain start to the node's exit, for every drained node. */
export function drainDurationCheck(r: Records): CheckOutcome {
  const limit = r.scenario.checks.max_drain_s;
  const durations = r.drains.map((d) => ({
    target: d.target,
    s: d.exit_ms === null ? Number.POSITIVE_INFINITY : (d.exit_ms - d.start_ms) / 1000,
  }));
  const worst = durations.reduce((a, b) => (b.s > a.s ? b : a), { target: "-", s: 0 });
  const name = "drain-duration";
  const observed = durations.length ? `${worst.s.toFixed(2)} s` : "no drain";
  const detail = durations.map((d) => `${d.target} ${d.s.toFixed(2)} s`).join(", ") || "the scenario drains no node";
  if (limit === null)
    return {
      name,
      status: "skipped",
      ok: true,
      observed,
      expected: "no limit set",
      detail: `${detail}; set checks.max_drain_s to gate on it`,
    };
  if (durations.length === 0) return { name, status: "no-evidence", ok: false, observed, expected: `<= ${limit} s`, detail };
  return { name, ok: worst.s <= limit, observed, expected: `<= ${limit} s`, detail };
}

/**
 * --baseline: fails when p99 during the drain, or any loss count, is worse
 * than the baseline's by more than the tolerance (checks.baseline_tolerance).
 */
export function baselineCheck(r: Records, { reconciliation: rec, latency_during_drain_ms }: RunFigures): CheckOutcome {
  const name = "no-regression-vs-baseline";
  const base = r.baseline;
  if (!base)
    return {
      name,
      status: "skipped",
      ok: true,
      observed: "no baseline",
      expected: "no baseline given",
      detail: "pass --baseline <report.json> to compare with an earlier run",
    };
  const tol = r.scenario.checks.baseline_tolerance;
  const breaches: string[] = [];
  const p99 = latency_during_drain_ms.p99;
  if (base.p99_during_drain_ms !== null) {
    const allowed = base.p99_during_drain_ms * (1 + tol.p99_pct / 100) + tol.p99_ms;
    if (p99 > allowed)
      breaches.push(
        `p99 during drain ${p99} ms > ${round(allowed)} ms (baseline ${base.p99_during_drain_ms} ms + ${tol.p99_pct}% + ${tol.p99_ms} ms)`,
      );
  }
  for (const c of LOSS_CLASSES) {
    const was = base.counts[c] ?? 0;
    if (rec.counts[c] > was + tol.count) breaches.push(`${c} ${rec.counts[c]} > baseline ${was} + ${tol.count}`);
  }
  return {
    name,
    ok: breaches.length === 0,
    observed: breaches.length ? `${breaches.length} breach(es)` : "no breach",
    expected: `within tolerance of ${base.run_id}`,
    detail: breaches.length
      ? breaches.join("; ")
      : `p99 during drain ${p99} ms vs ${base.p99_during_drain_ms} ms; loss counts within ${tol.count} of the baseline (${base.file})`,
  };
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

import { LOSS_CLASSES, type LossClass } from "../scenario/loss-classes.ts";
import { heldTotal } from "./figure-types.ts";
import { rateSentence, rateUpperBound } from "./rate-bound.ts";
import { statusOf } from "./records.ts";
import type { Report } from "./report.ts";

/** One run of a repeat, as the side-by-side table shows it. */
export interface RepeatRun {
  run_id: string;
  /** The run's folder, relative to the repeat's. */
  dir: string;
  verdict: Report["verdict"];
  expectation_met: boolean;
  /** Checks that did not pass, with their status: "no-cut-short-requests (fail)". */
  not_passing: string[];
  /**
   * The run's evidence cannot say whether the drain lost anything: every check
   * that did not pass is the generator's own (it fell behind its schedule) or
   * has no evidence. Such a run fails the gate but is not counted as a loss.
   */
  untrusted?: boolean;
  losses: Record<LossClass, number>;
  p99_during_drain_ms: number | null;
  /** Requests, sessions and tasks the drained nodes held at their signals, summed; null: unknown (or no drain). */
  in_flight_at_signal: number | null;
  wall_time_s: number;
}

/**
 * repeat.json: N runs of one scenario and what they say together. A pass
 * scenario's gate holds only when every run passed; the bound states how rare
 * a loss must be for N clean runs to be likely.
 */
export interface RepeatReport {
  kind: "repeat";
  repeat_id: string;
  scenario: { name: string; file: string | null };
  expected: "pass" | "fail";
  runs: RepeatRun[];
  /** Runs whose verdict was pass (a pass scenario) or whose expectation was met (a control). */
  good: number;
  /** The runs asked for; fewer in runs when interrupted. */
  asked: number;
  /** Bad runs whose evidence could not judge the drain (see RepeatRun.untrusted); not in the rate. */
  untrusted?: number;
  /** The 95% one-sided upper bound on the rate of bad runs among the judged ones. */
  upper_bound: number;
  statement: string;
  gate: "pass" | "fail";
  wall_time_s: number;
}

/** Checks about the run's own evidence, not about the drain: failing only these says nothing of a loss. */
const EVIDENCE_CHECKS = new Set(["generator-kept-up"]);

export function repeatRunOf(report: Report, dir: string): RepeatRun {
  const counts = report.reconciliation?.counts ?? ({} as Partial<Record<LossClass, number>>);
  const failing = report.checks.filter((c) => !c.ok);
  const lost = LOSS_CLASSES.some((c) => (counts[c] ?? 0) > 0);
  return {
    run_id: report.run_id,
    dir,
    verdict: report.verdict,
    expectation_met: report.expectation.met,
    not_passing: failing.map((c) => `${c.name} (${statusOf(c)})`),
    untrusted: failing.length > 0 && !lost && failing.every((c) => EVIDENCE_CHECKS.has(c.name) || statusOf(c) === "no-evidence"),
    losses: Object.fromEntries(LOSS_CLASSES.map((c) => [c, counts[c] ?? 0])) as Record<LossClass, number>,
    p99_during_drain_ms: report.latency_during_drain_ms?.count ? report.latency_during_drain_ms.p99 : null,
    in_flight_at_signal: heldAtSignals(report),
    wall_time_s: report.wall_time_s,
  };
}

function heldAtSignals(report: Report): number | null {
  const held = report.in_flight_at_signal ?? [];
  if (held.length === 0 || held.some((h) => h === null)) return null;
  return held.reduce((n, h) => n + heldTotal(h!), 0);
}

/** The repeat's verdict: a pass scenario counts runs that passed; a control, runs that met its expectation. */
export function repeatReportOf(
  meta: { repeat_id: string; scenario: RepeatReport["scenario"]; expected: "pass" | "fail"; asked: number; wall_time_s: number },
  runs: RepeatRun[],
): RepeatReport {
  const isGood = (r: RepeatRun) => (meta.expected === "pass" ? r.verdict === "pass" : r.expectation_met);
  const good = runs.filter(isGood).length;
  const bad = runs.length - good;
  // a pass scenario's run that could not judge its drain (the generator fell behind) is neither a pass nor a loss
  const untrusted = meta.expected === "pass" ? runs.filter((r) => !isGood(r) && r.untrusted).length : 0;
  const judged = runs.length - untrusted;
  const rate =
    judged === 0
      ? `no run could judge its drain (the generator fell behind or evidence was missing in all ${runs.length})`
      : meta.expected === "pass"
        ? rateSentence(bad - untrusted, judged)
        : rateSentence(bad, judged, "the control misses its expectation", "runs").replace(/^passed/, "met its expectation");
  const statement =
    runs.length === 0
      ? "no run finished"
      : untrusted === 0
        ? rate
        : `${untrusted} of ${runs.length} run(s) could not judge the drain (generator-kept-up or no evidence: not trustworthy, so the gate fails); of the ${judged} judged, ${rate}`;
  return {
    kind: "repeat",
    ...meta,
    runs,
    good,
    untrusted,
    upper_bound: judged === 0 ? 1 : rateUpperBound(bad - untrusted, judged),
    statement: runs.length < meta.asked ? `${statement} (${meta.asked - runs.length} of ${meta.asked} runs did not finish)` : statement,
    gate: runs.length === meta.asked && bad === 0 ? "pass" : "fail",
  };
}

import type { ErrorClass } from "../load/error-class.ts";
import type { CheckResult, Records } from "./records.ts";

type Check = (r: Records) => CheckResult;

/** The client got an error or a 5xx (4xx too: the fixture app never answers one on purpose). */
export const noFailedRequests: Check = ({ rows }) => {
  const failed = rows.filter((r) => r.error !== "none" && r.error !== "unanswered");
  const byClass = countBy(failed.map((r) => r.error));
  return {
    name: "no-failed-requests",
    ok: failed.length === 0,
    observed: failed.length,
    expected: "0",
    detail: failed.length === 0 ? `all ${rows.length} requests answered without error` : `${describeCounts(byClass)}; first: ${failed[0]!.id} at ${ms(failed[0]!.intendedMs)}`,
  };
};

/** No answer at all by the end of the schedule plus the grace period. */
export const noUnansweredRequests: Check = ({ rows, scenario }) => {
  const open = rows.filter((r) => r.error === "unanswered" || Number.isNaN(r.endMs));
  return {
    name: "no-unanswered-requests",
    ok: open.length === 0,
    observed: open.length,
    expected: "0",
    detail: open.length === 0 ? `every request was answered within the run + ${scenario.load.grace_s} s grace` : `${open.length} never answered; first: ${open[0]!.id} sent at ${ms(open[0]!.sentMs)}`,
  };
};

/** The drained node exited by itself with code 0 within the stop wait: no SIGKILL needed. */
export const drainedNodeExitedCleanly: Check = ({ drain }) => {
  if (!drain) return { name: "drained-node-exited-cleanly", ok: true, observed: "no drain", expected: "exit 0 within the stop wait", detail: "the scenario drains no node" };
  const took = drain.exit_ms === null ? null : drain.exit_ms - drain.signal_ms;
  const ok = drain.exit_code === 0 && !drain.killed_after_wait;
  const how = drain.killed_after_wait ? `still running after the ${drain.stop_wait_s} s stop wait, SIGKILLed` : `exited ${took === null ? "?" : ms(took)} after ${drain.signal}`;
  return {
    name: "drained-node-exited-cleanly",
    ok,
    observed: `exit ${drain.exit_code}`,
    expected: `exit 0 within ${drain.stop_wait_s} s`,
    detail: `${drain.target} ${how} with code ${drain.exit_code}`,
  };
};

/** The nodes that stayed answered throughout: no gap longer than max_gap_ms without an ok answer from one of them. */
export const trafficContinued: Check = ({ rows, drain, scenario, loadStartMs, loadEndMs }) => {
  const from = loadStartMs + scenario.load.warmup_s * 1000;
  const others = rows
    .filter((r) => r.error === "none" && r.node !== null && r.node !== drain?.target && r.endMs >= from)
    .map((r) => r.endMs)
    .sort((a, b) => a - b);
  let worst = { gap: 0, at: from };
  let previous = from;
  for (const t of [...others, loadEndMs]) {
    if (t - previous > worst.gap) worst = { gap: t - previous, at: previous };
    previous = Math.max(previous, t);
  }
  const limit = scenario.checks.max_gap_ms;
  return {
    name: "traffic-continued",
    ok: others.length > 0 && worst.gap <= limit,
    observed: `${Math.round(worst.gap)} ms`,
    expected: `<= ${limit} ms`,
    detail: `${others.length} ok answers from nodes other than ${drain?.target ?? "(none)"}; longest gap ${ms(worst.gap)} starting at ${ms(worst.at)}`,
  };
};

export const CHECKS: Check[] = [noFailedRequests, noUnansweredRequests, drainedNodeExitedCleanly, trafficContinued];

export function judge(records: Records): { verdict: "pass" | "fail"; checks: CheckResult[] } {
  const checks = CHECKS.map((check) => check(records));
  return { verdict: checks.every((c) => c.ok) ? "pass" : "fail", checks };
}

function countBy(values: ErrorClass[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  return counts;
}

function describeCounts(counts: Map<string, number>): string {
  return [...counts].map(([k, n]) => `${n} ${k}`).join(", ");
}

function ms(value: number): string {
  return `${(value / 1000).toFixed(3)} s`;
}

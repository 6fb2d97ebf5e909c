import { type CheckStatus, statusOf } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import type { Scenario } from "../scenario/schema.ts";

type Judged = { name: string; ok: boolean; status?: CheckStatus; observed?: unknown };

/**
 * Did the run do what the scenario file says it should.
 *
 * A pass scenario: every check passes (or is skipped by the scenario).
 * A control (verdict fail): every check in failing_checks has status `fail`,
 * from evidence of a loss (`no-evidence` is "the control did not exercise its
 * subject", not a failure), and every check in passing_checks passes. Checks
 * named in neither are reported and never asserted: a loss class that a
 * control produces by chance cannot make it miss its expectation.
 */
export function expectationOf(scenario: Scenario, run: { verdict: Report["verdict"]; checks: Judged[] }): Report["expectation"] {
  const { verdict: want, failing_checks: mustFail, passing_checks: mustPass } = scenario.expect;
  const base = { verdict: want, failing_checks: mustFail, passing_checks: mustPass };
  const byName = new Map(run.checks.map((c) => [c.name, statusOf(c)]));
  const failed = run.checks.filter((c) => !c.ok).map((c) => `${c.name}${statusOf(c) === "fail" ? "" : ` (${statusOf(c)})`}`);
  if (run.verdict === "error") return { ...base, met: false, detail: `expected ${want}, got error (the run could not finish)` };
  if (want === "pass") {
    const met = run.verdict === "pass";
    return { ...base, met, detail: met ? "passed as expected" : `expected pass, got fail (failed: ${failed.join(", ")})` };
  }
  const problems: string[] = [];
  for (const name of mustFail) {
    const status = byName.get(name);
    if (status === "fail") continue;
    problems.push(
      status === undefined
        ? `${name} was not judged in this run`
        : status === "no-evidence"
          ? `${name} had no evidence: the control did not exercise its subject`
          : `${name} was expected to fail and is ${status}`,
    );
  }
  for (const name of mustPass) {
    const status = byName.get(name);
    if (status !== "pass") problems.push(`${name} was expected to pass and is ${status ?? "not judged in this run"}`);
  }
  if (mustFail.length === 0 && run.verdict !== "fail") problems.push("expected fail, got pass");
  const others = failed.filter((f) => !mustFail.some((n) => f === n));
  const also = others.length > 0 ? ` (also failing, not asserted: ${others.join(", ")})` : "";
  const met = problems.length === 0;
  // the subject count each named failure stands on, so a control met on 1 request reads differently from one met on 300
  const observed = new Map(run.checks.map((c) => [c.name, c.observed]));
  const withCount = (name: string) => {
    const o = observed.get(name);
    return o === undefined || o === null || o === "" ? name : `${name} (${String(o)})`;
  };
  return {
    ...base,
    met,
    detail: met
      ? `failed as expected${mustFail.length > 0 ? ` on ${mustFail.map(withCount).join(", ")}` : ""}${mustPass.length > 0 ? `, with ${mustPass.join(", ")} passing` : ""}${also}`
      : `${problems.join("; ")}; failed: ${failed.join(", ") || "none"}`,
  };
}

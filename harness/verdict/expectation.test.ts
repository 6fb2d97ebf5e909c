import { describe, expect, it } from "vitest";
import type { CheckStatus } from "../records/records.ts";
import { Scenario } from "../scenario/schema.ts";
import { expectationOf } from "./expectation.ts";

const NAMES = ["no-failed-requests", "no-cut-short-requests", "traffic-continued", "no-lost-events"];
/** Every check passes but those given a status. */
const run = (statuses: Record<string, CheckStatus> = {}) => {
  const checks = NAMES.map((name) => {
    const status = statuses[name] ?? "pass";
    return { name, status, ok: status === "pass" || status === "skipped" };
  });
  return { verdict: checks.every((c) => c.ok) ? ("pass" as const) : ("fail" as const), checks };
};
const control = (expect: Record<string, unknown>) => Scenario.parse({ name: "c", expect: { verdict: "fail", ...expect } });

describe("expectationOf", () => {
  it("says the subject count each named failure stands on", () => {
    const c = control({ failing_checks: ["no-lost-events"] });
    const r = run({ "no-lost-events": "fail" });
    r.checks = r.checks.map((x) => (x.name === "no-lost-events" ? { ...x, observed: "7 of 30" } : x));
    expect(expectationOf(c, r).detail).toBe("failed as expected on no-lost-events (7 of 30)");
  });

  it("a control is met when each named failing check has status fail, whatever else fails", () => {
    const c = control({ failing_checks: ["no-cut-short-requests"] });
    expect(expectationOf(c, run({ "no-cut-short-requests": "fail" }))).toMatchObject({
      met: true,
      detail: "failed as expected on no-cut-short-requests",
    });
    // a loss class that appears by chance beside the control's own is reported, never asserted
    expect(expectationOf(c, run({ "no-cut-short-requests": "fail", "traffic-continued": "fail" }))).toMatchObject({
      met: true,
      detail: "failed as expected on no-cut-short-requests (also failing, not asserted: traffic-continued)",
    });
  });

  it("a named failing check with no evidence does not meet the expectation: the control did not exercise its subject", () => {
    const c = control({ failing_checks: ["no-lost-events"] });
    const x = expectationOf(c, run({ "no-lost-events": "no-evidence" }));
    expect(x.met).toBe(false);
    expect(x.detail).toBe("no-lost-events had no evidence: the control did not exercise its subject; failed: no-lost-events (no-evidence)");
  });

  it("a named failing check that passes, or is missing from the run, does not meet it", () => {
    const c = control({ failing_checks: ["no-cut-short-requests", "no-failed-requests"] });
    expect(expectationOf(c, run({ "no-cut-short-requests": "fail" })).detail).toBe(
      "no-failed-requests was expected to fail and is pass; failed: no-cut-short-requests",
    );
    const absent = control({ failing_checks: ["worker-respawned"] });
    expect(expectationOf(absent, run({ "no-failed-requests": "fail" })).detail).toMatch(/^worker-respawned was not judged in this run/);
  });

  it("passing_checks must pass", () => {
    const c = control({ failing_checks: ["no-failed-requests"], passing_checks: ["traffic-continued"] });
    expect(expectationOf(c, run({ "no-failed-requests": "fail" }))).toMatchObject({
      met: true,
      detail: "failed as expected on no-failed-requests, with traffic-continued passing",
    });
    expect(expectationOf(c, run({ "no-failed-requests": "fail", "traffic-continued": "no-evidence" })).detail).toMatch(
      /^traffic-continued was expected to pass and is no-evidence/,
    );
  });

  it("a pass scenario needs every check to pass; an error never meets anything", () => {
    const p = Scenario.parse({ name: "p" });
    expect(expectationOf(p, run())).toMatchObject({ met: true, detail: "passed as expected" });
    expect(expectationOf(p, run({ "traffic-continued": "no-evidence" }))).toMatchObject({
      met: false,
      detail: "expected pass, got fail (failed: traffic-continued (no-evidence))",
    });
    expect(expectationOf(p, { ...run(), verdict: "error" }).met).toBe(false);
    expect(expectationOf(control({ failing_checks: ["no-failed-requests"] }), run()).met).toBe(false);
  });

  it("the schema refuses may_fail, a check in both lists and failing checks on a pass", () => {
    expect(() => Scenario.parse({ name: "x", expect: { verdict: "pass", failing_checks: ["no-failed-requests"] } })).toThrow(
      /a pass scenario names no failing checks/,
    );
    expect(() =>
      Scenario.parse({
        name: "x",
        expect: { verdict: "fail", failing_checks: ["no-failed-requests"], passing_checks: ["no-failed-requests"] },
      }),
    ).toThrow(/cannot be in both/);
    expect(() => Scenario.parse({ name: "x", expect: { may_fail: [] } })).toThrow();
  });
});

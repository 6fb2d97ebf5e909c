import { describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { expectationOf } from "./build-report.ts";

const checks = (...failing: string[]) =>
  ["no-failed-requests", "no-cut-short-requests", "traffic-continued"].map((name) => ({ name, ok: !failing.includes(name) }));

describe("expectationOf", () => {
  it("a control meets its expectation only when exactly its named checks fail", () => {
    const control = Scenario.parse({ name: "c", expect: { verdict: "fail", failing_checks: ["no-cut-short-requests"] } });
    expect(expectationOf(control, { verdict: "fail", checks: checks("no-cut-short-requests") })).toMatchObject({ met: true });
    const extra = expectationOf(control, { verdict: "fail", checks: checks("no-cut-short-requests", "traffic-continued") });
    expect(extra).toMatchObject({
      met: false,
      detail: "traffic-continued failed unexpectedly; failed: no-cut-short-requests, traffic-continued",
    });
    expect(expectationOf(control, { verdict: "fail", checks: checks("no-failed-requests") }).detail).toBe(
      "expected no-cut-short-requests to fail; no-failed-requests failed unexpectedly; failed: no-failed-requests",
    );
    expect(expectationOf(control, { verdict: "pass", checks: checks() })).toMatchObject({ met: false, detail: "expected fail, got pass" });
  });

  it("a fail with no named checks must fail on at least one may_fail check, and on nothing else", () => {
    const lossy = Scenario.parse({
      name: "l",
      expect: {
        verdict: "fail",
        may_fail: [
          { check: "no-failed-requests", reason: "502s" },
          { check: "traffic-continued", reason: "nodes out" },
        ],
      },
    });
    expect(expectationOf(lossy, { verdict: "fail", checks: checks("no-failed-requests") })).toMatchObject({
      met: true,
      detail: "failed as expected, on no-failed-requests (each allowed by expect.may_fail)",
    });
    expect(expectationOf(lossy, { verdict: "pass", checks: checks() })).toMatchObject({ met: false });
    expect(expectationOf(lossy, { verdict: "fail", checks: checks("no-cut-short-requests") })).toMatchObject({ met: false });
  });

  it("a check listed in may_fail may go either way, and says so", () => {
    const near = Scenario.parse({
      name: "n",
      expect: {
        verdict: "fail",
        failing_checks: ["no-cut-short-requests"],
        may_fail: [{ check: "traffic-continued", reason: "gap near 1 s" }],
      },
    });
    expect(expectationOf(near, { verdict: "fail", checks: checks("no-cut-short-requests") })).toMatchObject({ met: true });
    expect(expectationOf(near, { verdict: "fail", checks: checks("no-cut-short-requests", "traffic-continued") })).toMatchObject({
      met: true,
      detail: "failed as expected on no-cut-short-requests (traffic-continued failed too, allowed by expect.may_fail)",
    });
    const pass = Scenario.parse({ name: "p", expect: { may_fail: [{ check: "traffic-continued", reason: "gap near 1 s" }] } });
    expect(expectationOf(pass, { verdict: "fail", checks: checks("traffic-continued") })).toMatchObject({ met: true });
    expect(expectationOf(pass, { verdict: "error", checks: checks() })).toMatchObject({ met: false });
  });
});

import { describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { clean, failing, records } from "./testdata/records.ts";
import { judge } from "./verdict.ts";

const withChecks = (checks: object) => Scenario.parse({ name: "t", load: { warmup_s: 0 }, checks: { max_gap_ms: 500, ...checks } });

describe("gates", () => {
  it("pass when no limit is set, naming how to set one", () => {
    const v = judge(records(clean()));
    expect(v.checks.find((c) => c.name === "p99-during-drain")).toMatchObject({ ok: true, expected: "no limit set" });
    expect(v.checks.find((c) => c.name === "drain-duration")).toMatchObject({ ok: true, observed: "1.50 s" });
  });

  it("p99-during-drain fails over its budget and ignores requests outside the drain", () => {
    const reqs = clean();
    reqs[15]!.client.endMs = reqs[15]!.client.intendedMs + 900; // inside the drain window (1.0 s .. 2.5 s)
    reqs[35]!.client.endMs = reqs[35]!.client.intendedMs + 5000; // after it
    const v = judge(records(reqs, { scenario: withChecks({ p99_during_drain_ms: 500 }) }));
    expect(failing(v)).toEqual(["p99-during-drain"]);
    expect(v.checks.find((c) => c.name === "p99-during-drain")!.observed).toBe("900.095 ms");
    expect(failing(judge(records(reqs, { scenario: withChecks({ p99_during_drain_ms: 1000 }) })))).toEqual([]);
  });

  it("drain-duration fails when a drain takes longer than max_drain_s", () => {
    expect(failing(judge(records(clean(), { scenario: withChecks({ max_drain_s: 1 }) })))).toEqual(["drain-duration"]);
  });

  it("no-regression-vs-baseline names each breach beyond the tolerance", () => {
    const reqs = clean();
    reqs[12]!.client.endMs = reqs[12]!.client.intendedMs + 400;
    Object.assign(reqs[13]!.client, { status: 502, error: "http-5xx" });
    const baseline = { run_id: "base-1", file: "base/report.json", p99_during_drain_ms: 100, counts: { failed: 0 } };
    const v = judge(records(reqs, { baseline }));
    const c = v.checks.find((c) => c.name === "no-regression-vs-baseline")!;
    expect(c.ok).toBe(false);
    expect(c.detail).toContain("p99 during drain 400.127 ms > 170 ms (baseline 100 ms + 20% + 50 ms)");
    expect(c.detail).toContain("failed 1 > baseline 0 + 0");
    const lenient = withChecks({ baseline_tolerance: { p99_pct: 400, count: 1 } });
    expect(judge(records(reqs, { baseline, scenario: lenient })).checks.find((c) => c.name === "no-regression-vs-baseline")!.ok).toBe(true);
  });
});

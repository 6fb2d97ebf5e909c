import { describe, expect, it } from "vitest";
import { storedReport } from "../report/testdata/stored-report.ts";
import { summarizeRun } from "./cell.ts";

describe("summarizeRun", () => {
  it("takes p99 during the drain from report.json, where the run computed it once", () => {
    const report = { ...storedReport(), latency_during_drain_ms: { count: 3, p50: 60, p90: 80, p99: 80, max: 80 } };
    const s = summarizeRun(report, "cells/x/report.json");
    expect(s).toMatchObject({
      drain_requests: 3,
      drain_p99_ms: 80,
      run_id: report.run_id,
      verdict: "pass",
      failing_checks: [],
      report: "cells/x/report.json",
    });
    expect(s.counts).toEqual(report.reconciliation.counts);
  });

  it("has no drain p99 when no answer was due during a drain", () => {
    const report = { ...storedReport(), drain: null, drains: [], latency_during_drain_ms: { count: 0, p50: 0, p90: 0, p99: 0, max: 0 } };
    expect(summarizeRun(report, "r.json")).toMatchObject({ drain_p99_ms: null, drain_requests: 0 });
  });
});

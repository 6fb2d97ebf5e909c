import { describe, expect, it } from "vitest";
import type { FaultRecord } from "../records/fault-record.ts";
import { FAULT_COLORS, PHASE_COLORS } from "./chart-data.ts";
import { describeImpact, drainLatencyOf, factsOf, faultsOf, generatorFigures, keyMeasurement, lintOf } from "./findings.ts";
import { faultReport, storedReport } from "./testdata/stored-report.ts";

const fault = (kind: FaultRecord["kind"], measurements: FaultRecord["measurements"], error: string | null = null): FaultRecord =>
  ({ kind, target: "node-1", start_ms: 1000, end_ms: 2000, params: { kind } as FaultRecord["params"], error, measurements }) as FaultRecord;

describe("findings", () => {
  it("reads a report from before faults, facts, lint and the drain latency as having none", () => {
    const old = storedReport();
    expect([faultsOf(old), factsOf(old), lintOf(old), drainLatencyOf(old)]).toEqual([[], [], null, null]);
    expect(generatorFigures(old.generator)).toEqual([["client retries", "0"]]);
  });

  it("shows the line a fault's module wrote, its error, or its figures for a report before schema 2", () => {
    const [f] = faultsOf(faultReport());
    expect(keyMeasurement(f!)).toMatch(/^respawned after \d+ ms \(pid \d+ -> \d+\), ready after \d+ ms$/);
    expect(keyMeasurement({ ...f!, summary: undefined })).toMatch(/^runtime=uvicorn killed_pid=\d+ /);
    expect(keyMeasurement(fault("kill-node", {}, "docker kill failed"))).toBe("error: docker kill failed");
    expect(describeImpact(f!)).toMatch(
      /^\d+ requests due: failed \d+, unanswered \d+, cut short \d+, retried by nginx \d+, max wait \d+ ms$/,
    );
  });

  it("gives every fault kind its own shade, apart from the drain phases'", () => {
    const rgb = (c: string) => c.match(/\d+/g)!.slice(0, 3).map(Number);
    const fills = [...Object.values(FAULT_COLORS), ...Object.values(PHASE_COLORS)].map((c) => rgb(c.fill).join(","));
    // the two SIGKILL phases share one shade on purpose
    expect(new Set(fills).size).toBe(fills.length - 1);
  });
});

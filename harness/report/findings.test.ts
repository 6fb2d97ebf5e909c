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

  it("takes the key measurement of a real kill-worker fault, and its window's impact", () => {
    const [f] = faultsOf(faultReport());
    const m = f!.measurements;
    expect(keyMeasurement(f!)).toBe(
      `respawned after ${m.respawn_after_ms} ms (pid ${m.killed_pid} -> ${m.respawned_pid}), ready after ${m.ready_after_ms} ms`,
    );
    expect(describeImpact(f!)).toMatch(
      /^\d+ requests due: failed \d+, unanswered \d+, cut short \d+, retried by nginx \d+, max wait \d+ ms$/,
    );
  });

  it("has a key measurement for every fault kind, and the error when a step failed", () => {
    expect(keyMeasurement(fault("kill-worker", { killed_pid: 8, respawned_pid: null, workers_after: [9] }))).toBe(
      "not respawned (pid 8 killed, workers left [9])",
    );
    expect(keyMeasurement(fault("kill-node", { exit_code: 137, route_around_after_ms: 23 }))).toBe("exit 137, routed around after 23 ms");
    expect(keyMeasurement(fault("pause-node", { frozen_ms: 4022, timed_out_attempts: 85, attempts_on_frozen_node: 85 }))).toBe(
      "frozen 4022 ms, 85 of 85 attempts timed out",
    );
    expect(
      keyMeasurement(
        fault("netem", { mechanism: "none", mechanism_why: "no delay", extra_latency_ms: null, sockets_reset: 15, reset_rounds: 4 }),
      ),
    ).toBe("15 sockets reset in 4 rounds");
    expect(keyMeasurement(fault("netem", { mechanism: "tc", extra_latency_ms: 200, sockets_reset: 0 }))).toBe("+200 ms latency via tc");
    expect(
      keyMeasurement(
        fault("reload-storm", { reloads_sent: 22, reloads_expected: 25, reloads_failed: 0, sighup_reconfigurations_logged: 23 }),
      ),
    ).toBe("22 of 25 reloads sent, 0 failed, 23 applied per nginx's log");
    expect(
      keyMeasurement(
        fault("health-removal", { removals: [{ node: "node-1", state: "down", detection_to_removal_ms: 319 }], undetected: [] }),
      ),
    ).toBe("node-1 down: removed 319 ms after detection");
    expect(keyMeasurement(fault("mark-draining", {}))).toBe("marked draining");
    expect(keyMeasurement(fault("kill-node", {}, "docker kill failed"))).toBe("error: docker kill failed");
  });

  it("gives every fault kind its own shade, apart from the drain phases'", () => {
    const rgb = (c: string) => c.match(/\d+/g)!.slice(0, 3).map(Number);
    const fills = [...Object.values(FAULT_COLORS), ...Object.values(PHASE_COLORS)].map((c) => rgb(c.fill).join(","));
    // the two SIGKILL phases share one shade on purpose
    expect(new Set(fills).size).toBe(fills.length - 1);
  });
});

import { describe, expect, it } from "vitest";
import { measurementsOf } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import { FAULTS } from "./registry.ts";

const fault = (kind: FaultRecord["kind"], measurements: FaultRecord["measurements"]) => ({ kind, measurements });
const summary = ({ kind, measurements }: { kind: FaultRecord["kind"]; measurements: FaultRecord["measurements"] }) =>
  FAULTS[kind].summarize(measurementsOf({ kind, measurements } as FaultRecord) as never);

describe("each fault kind's summary line", () => {
  it("has a line for every fault kind, and the error when a step failed", () => {
    expect(summary(fault("kill-worker", { killed_pid: 8, respawned_pid: null, workers_after: [9] }))).toBe(
      "not respawned (pid 8 killed, workers left [9])",
    );
    expect(summary(fault("kill-node", { exit_code: 137, route_around_after_ms: 23 }))).toBe("exit 137, routed around after 23 ms");
    expect(summary(fault("pause-node", { frozen_ms: 4022, timed_out_attempts: 85, attempts_on_frozen_node: 85 }))).toBe(
      "frozen 4022 ms, 85 of 85 attempts timed out",
    );
    expect(
      summary(fault("netem", { mechanism: "none", mechanism_why: "no delay", extra_latency_ms: null, sockets_reset: 15, reset_rounds: 4 })),
    ).toBe("15 sockets reset in 4 rounds");
    expect(summary(fault("netem", { mechanism: "netem", extra_latency_ms: 200, sockets_reset: 0 }))).toBe("+200 ms latency via netem");
    expect(
      summary(fault("reload-storm", { reloads_sent: 22, reloads_expected: 25, reloads_failed: 0, sighup_reconfigurations_logged: 23 })),
    ).toBe("22 of 25 reloads sent, 0 failed, 23 applied per nginx's log");
    expect(
      summary(fault("health-removal", { removals: [{ node: "node-1", state: "down", detection_to_removal_ms: 319 }], undetected: [] })),
    ).toBe("node-1 down: removed 319 ms after detection");
    expect(summary(fault("mark-draining", {}))).toBe("marked draining");
  });
});

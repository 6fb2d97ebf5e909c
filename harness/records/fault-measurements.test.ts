import { describe, expect, it } from "vitest";
import { measurementsOf } from "./fault-measurements.ts";
import type { FaultRecord } from "./fault-record.ts";

const record = (kind: string, measurements: unknown) => ({ kind, measurements }) as unknown as FaultRecord;

describe("a fault kind's measurements, read through its schema", () => {
  it("reads each declared figure typed, and one that is absent or not a number as null (reports written earlier)", () => {
    const m = measurementsOf(
      record("kill-node", { route_around_after_ms: 23, exit_code: "137", extra: 1 }) as FaultRecord & { kind: "kill-node" },
    );
    expect(m.route_around_after_ms).toBe(23);
    expect(m.exit_code).toBeNull();
    expect(m.attempts_on_dead_node).toBeNull();
    expect(m.upstream_statuses_on_dead_node).toEqual({});
    expect(m.impact).toBeUndefined();
  });

  it("keeps the difference between a figure not measured and one measured as null", () => {
    const absent = measurementsOf(record("kill-worker", {}) as FaultRecord & { kind: "kill-worker" });
    const forever = measurementsOf(record("kill-worker", { node_out_of_rotation_ms: null }) as FaultRecord & { kind: "kill-worker" });
    expect(absent.node_out_of_rotation_ms).toBeUndefined();
    expect(forever.node_out_of_rotation_ms).toBeNull();
  });

  it("reads a kind it does not know, or measurements that are not an object, without throwing", () => {
    expect(measurementsOf(record("from-a-later-version", { impact: { requests: 3 } })).impact?.requests).toBe(3);
    expect(measurementsOf(record("netem", null))).toMatchObject({ packets: null, mechanism: null });
  });
});

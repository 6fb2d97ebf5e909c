import { describe, expect, it } from "vitest";
import { netemArgs } from "../faults/netem.ts";
import { netAdminTargets } from "./capabilities.ts";
import { FAULT_CHECK_NAMES } from "./fault-schema.ts";
import { validateScenario } from "./load-scenario.ts";
import { Scenario } from "./schema.ts";

describe("faults in the scenario format", () => {
  it("defaults to no faults and the gunicorn runtime", () => {
    const s = Scenario.parse({ name: "t" });
    expect(s.faults).toEqual([]);
    expect(s.stack.runtime).toBe("gunicorn");
  });

  it("fills each fault's defaults", () => {
    const s = Scenario.parse({
      name: "t",
      faults: [
        { kind: "kill-worker", at_s: 2 },
        { kind: "netem", at_s: 1, target: 2, duration_s: 3, delay_ms: 100 },
        { kind: "health-removal", at_s: 0 },
      ],
    });
    expect(s.faults).toEqual([
      { kind: "kill-worker", at_s: 2, target: 1, worker: 1, signal: "SIGKILL", respawn_within_s: 8 },
      {
        kind: "netem",
        at_s: 1,
        target: 2,
        duration_s: 3,
        delay_ms: 100,
        jitter_ms: 0,
        loss_pct: 0,
        reset_every_ms: null,
        mechanism: "auto",
      },
      { kind: "health-removal", at_s: 0, duration_s: null, remove_within_ms: 2000 },
    ]);
  });

  it("names the field of a bad fault", () => {
    expect(() => validateScenario({ name: "t", faults: [{ kind: "pause-node", at_s: 1 }] }, "x.yaml")).toThrow(/faults\.0\.duration_s/);
    expect(() => validateScenario({ name: "t", faults: [{ kind: "netem", at_s: 1, duration_s: 1, loss_pct: 120 }] }, "x.yaml")).toThrow(
      /faults\.0\.loss_pct/,
    );
    expect(() => validateScenario({ name: "t", faults: [{ kind: "meteor", at_s: 1 }] }, "x.yaml")).toThrow(/faults\.0\.kind/);
    expect(() => validateScenario({ name: "t", stack: { runtime: "hypercorn" } }, "x.yaml")).toThrow(/stack\.runtime/);
  });

  it("lets expect.failing_checks name the fault checks", () => {
    const s = Scenario.parse({ name: "t", expect: { verdict: "fail", failing_checks: [...FAULT_CHECK_NAMES] } });
    expect(s.expect.failing_checks).toEqual([...FAULT_CHECK_NAMES]);
  });
});

describe("netAdminTargets", () => {
  it("grants CAP_NET_ADMIN to a network fault's target only", () => {
    const parse = (faults: object[]) => Scenario.parse({ name: "t", stack: { nodes: 3 }, faults });
    expect(netAdminTargets(parse([]))).toEqual([]);
    expect(
      netAdminTargets(
        parse([
          { kind: "kill-node", at_s: 1, target: 1 },
          { kind: "pause-node", at_s: 1, target: 2, duration_s: 1 },
        ]),
      ),
    ).toEqual([]);
    expect(
      netAdminTargets(
        parse([
          { kind: "netem", at_s: 1, target: 2, duration_s: 1 },
          { kind: "netem", at_s: 3, target: 2, duration_s: 1 },
        ]),
      ),
    ).toEqual(["node-2"]);
  });
});

describe("netemArgs", () => {
  it("renders tc's netem arguments", () => {
    expect(netemArgs({ delay_ms: 150, jitter_ms: 50, loss_pct: 5 })).toEqual(["delay", "150ms", "50ms", "loss", "5%"]);
    expect(netemArgs({ delay_ms: 0, jitter_ms: 0, loss_pct: 1 })).toEqual(["loss", "1%"]);
    expect(netemArgs({ delay_ms: 100, jitter_ms: 0, loss_pct: 0 })).toEqual(["delay", "100ms"]);
  });
});

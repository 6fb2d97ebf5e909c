import { describe, expect, it } from "vitest";
import { faultRecord } from "../faults/test-records.ts";
import { resolveScenario } from "../scenario/resolved.ts";
import { Scenario } from "../scenario/schema.ts";
import { factsOf, gracefulText } from "./facts.ts";

const versions = { uvicorn: "0.32.0", gunicorn: "23.0.0" };
const kill = (runtime: string, respawned: number | null) =>
  faultRecord(
    { kind: "kill-worker", signal: "SIGKILL" },
    {},
    {
      runtime,
      killed_pid: 9,
      respawned_pid: respawned,
      respawn_after_ms: respawned === null ? null : 203,
      ready_after_ms: respawned === null ? null : 980,
      workers_before: [9, 10],
      workers_after: respawned === null ? [10] : [10, respawned],
      supervisor_log: ["INFO:     Child process [9] died"],
    },
  );

describe("factsOf", () => {
  it("records that uvicorn's supervisor respawned the worker: the seed's claim does not hold", () => {
    const [fact] = factsOf([kill("uvicorn", 19)], versions);
    expect(fact).toMatchObject({
      claim: "Only gunicorn respawns crashed workers; uvicorn --workers does not",
      source: "seed",
      holds: false,
      observed: "uvicorn 0.32.0 --workers respawned the SIGKILLed worker (pid 9 -> 19) after 203 ms, its app ready after 980 ms",
    });
    expect(fact!.evidence).toEqual([
      "node-1: workers before [9,10], after [10,19] (faultkit.py, /proc every 5 ms)",
      "log: INFO:     Child process [9] died",
    ]);
  });

  it("records that gunicorn respawned it (holds), and a runtime that did not (holds for uvicorn)", () => {
    expect(factsOf([kill("gunicorn", 23)], versions)[0]!.holds).toBe(true);
    const [none] = factsOf([kill("uvicorn", null)], versions);
    expect(none).toMatchObject({
      holds: true,
      observed: "uvicorn 0.32.0 --workers did not start a replacement for worker pid 9; workers left: [10]",
    });
  });

  it("says nothing without a kill-worker fault that ran", () => {
    expect(factsOf([faultRecord({ kind: "kill-worker" }, { error: "only 1 worker(s)" })], versions)).toEqual([]);
    expect(factsOf([faultRecord({ kind: "kill-node" })], versions)).toEqual([]);
  });
});

describe("the graceful limit a fact states", () => {
  it("is the timeout chain's: uvicorn's limit when it is the smaller under gunicorn", () => {
    const s = Scenario.parse({ name: "t", stack: { gunicorn: { graceful_timeout_s: 30 }, uvicorn: { timeout_graceful_shutdown_s: 5 } } });
    expect(gracefulText(resolveScenario(s).chain)).toBe("5 s (uvicorn timeout_graceful_shutdown)");
    const g = Scenario.parse({ name: "t", stack: { gunicorn: { graceful_timeout_s: 3 }, uvicorn: { timeout_graceful_shutdown_s: 5 } } });
    expect(gracefulText(resolveScenario(g).chain)).toBe("3 s (gunicorn graceful_timeout)");
  });
});

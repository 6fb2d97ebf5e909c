import { describe, expect, it } from "vitest";
import { gracefulText } from "../verdict/facts.ts";
import { lintScenario } from "./lint.ts";
import { resolveScenario } from "./resolved.ts";
import { Scenario } from "./schema.ts";

describe("the scenario resolved once", () => {
  it("keeps the declared scenario beside the effective one and computes the chain of the effective one", () => {
    const declared = Scenario.parse({ name: "t", stack: { gunicorn: { graceful_timeout_s: 30 } } });
    const effective = structuredClone(declared);
    effective.stack.uvicorn.timeout_graceful_shutdown_s = 5;
    const r = resolveScenario(declared, effective);
    expect(r.declared.stack.uvicorn.timeout_graceful_shutdown_s).toBeNull();
    expect(r.chain).toMatchObject({ effective_graceful_s: 5, limited_by: "uvicorn timeout_graceful_shutdown" });
    expect(r.nodes).toEqual(["node-1", "node-2"]);
    expect(Object.isFrozen(r) && Object.isFrozen(r.chain)).toBe(true);
  });

  it("gives lint and the facts one graceful limit when uvicorn's is the smaller", () => {
    const s = Scenario.parse({
      name: "t",
      stack: { gunicorn: { graceful_timeout_s: 30 }, uvicorn: { timeout_graceful_shutdown_s: 2 } },
      load: { mix: [{ weight: 1, ms: 4000 }], timeout_s: 10 },
    });
    const { chain } = resolveScenario(s);
    expect(chain.effective_graceful_s).toBe(2);
    expect(gracefulText(chain)).toBe(`${chain.effective_graceful_s} s (${chain.limited_by})`);
    const finding = lintScenario(s).find((f) => f.code === "graceful-limit-shorter-than-request");
    expect(finding?.message).toContain(`effective graceful limit ${chain.effective_graceful_s} s`);
  });
});

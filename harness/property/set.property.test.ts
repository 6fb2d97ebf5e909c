import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { applySet, validateScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";
import { setAssignment } from "./testdata/hostile.ts";

const RUNS = 200;
const MAX_MS_PER_SET = 1000;

/** What a scenario file holds before --set: a list to index into, a mapping, a scalar to walk through. */
const base = () => ({
  name: "ok",
  load: {
    rate_per_s: 100,
    mix: [
      { method: "GET", ms: 5 },
      { method: "POST", ms: 6 },
    ],
  },
  drain: { target: 1 },
});

/** Applies one --set: the target changed or a UsageError naming the --set; never another exception. */
function apply(target: Record<string, unknown>, assignment: string): boolean {
  const started = performance.now();
  try {
    applySet(target, assignment);
    return true;
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    expect(e.message).toMatch(/^--set /);
    // shown, never obeyed: no control character but the line breaks of a multi-line message
    expect(e.message).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f]/);
    return false;
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_SET);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.getPrototypeOf(target)).toBe(Object.prototype);
  }
}

describe("applySet, property: the target changed or a UsageError naming the --set, never another exception", () => {
  it("generated --set strings", { timeout: 60_000 }, () => {
    let applied = 0;
    fc.assert(
      fc.property(setAssignment, (assignment) => {
        if (apply(base(), assignment)) applied++;
      }),
      { numRuns: RUNS },
    );
    expect(applied).toBeGreaterThan(0);
  });

  it("an applied --set leaves no list longer than one past its old end, no NaN and no infinity", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(setAssignment, (assignment) => {
        const target = base();
        const mix = target.load.mix;
        if (!apply(target, assignment)) return;
        // the file's list grew by one at most (a --set may still replace it with a list of its own)
        expect(mix.length).toBeLessThanOrEqual(3);
        const text = JSON.stringify(target, (_k, v) => (typeof v === "number" && !Number.isFinite(v) ? "NON-FINITE" : v));
        expect(text).not.toContain("NON-FINITE");
      }),
      { numRuns: RUNS },
    );
  });

  it("what an applied --set makes validates to a scenario or a UsageError", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(fc.array(setAssignment, { minLength: 1, maxLength: 4 }), (sets) => {
        const target = base();
        for (const s of sets) apply(target, s);
        try {
          validateScenario(target, "generated");
        } catch (e) {
          if (!(e instanceof UsageError)) throw e;
        }
      }),
      { numRuns: RUNS },
    );
  });

  it("an index may be at most the list's length", () => {
    fc.assert(
      fc.property(fc.nat({ max: 2 ** 40 }), (i) => {
        const target = base();
        expect(apply(target, `load.mix.${i}.ms=7`)).toBe(i <= 2);
      }),
      { numRuns: RUNS },
    );
  });
});

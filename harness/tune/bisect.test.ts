import { describe, expect, it } from "vitest";
import { bisect, type Outcome } from "./bisect.ts";

const GRID = [1, 2, 3, 4, 5];

/** A made-up system: values at or above the threshold always pass; `flaky` values pass on the listed repeats only. */
function system(threshold: number, flaky: Record<number, number[]> = {}) {
  const calls: Array<[number, number]> = [];
  const runCell = async (value: number, repeat: number): Promise<Outcome & { value: number }> => {
    calls.push([value, repeat]);
    const pass = flaky[value] ? flaky[value].includes(repeat) : value >= threshold;
    return { pass, value };
  };
  return { calls, runCell };
}

describe("bisect", () => {
  it("finds the smallest passing value of a clean boundary", async () => {
    const { calls, runCell } = system(3);
    const r = await bisect(GRID, runCell, { repeats: 2 });
    expect(r.smallestPassing).toBe(3);
    expect(r.largestFailing).toBe(2);
    // probes the middle first, then closes in; a pass costs every repeat, a fail one run
    expect(calls).toEqual([
      [3, 1],
      [3, 2],
      [1, 1],
      [2, 1],
    ]);
    expect(r.probes.map((p) => [p.value, p.order, p.pass, p.outcomes.length])).toEqual([
      [3, 1, true, 2],
      [1, 2, false, 1],
      [2, 3, false, 1],
    ]);
  });

  it("does not accept a value that passed by luck: one failing repeat makes it fail", async () => {
    // 3 passes its first run and loses a request in the second; 4 always passes
    const { runCell } = system(4, { 3: [1] });
    const r = await bisect(GRID, runCell, { repeats: 3 });
    expect(r.smallestPassing).toBe(4);
    const three = r.probes.find((p) => p.value === 3)!;
    expect(three.outcomes.map((o) => o.pass)).toEqual([true, false]);
    expect(three.pass).toBe(false);
  });

  it("repeats every passing value, so a lucky pass below the boundary needs `repeats` lucky runs", async () => {
    // the true boundary is 4; 3 passes its first two runs and loses a request in the third
    const lucky = { 3: [1, 2] };
    // with 2 repeats the lucky value wins (the limit of any finite number of repeats) ...
    expect((await bisect(GRID, system(4, lucky).runCell, { repeats: 2 })).smallestPassing).toBe(3);
    // ... with 3 it is found out
    expect((await bisect(GRID, system(4, lucky).runCell, { repeats: 3 })).smallestPassing).toBe(4);
  });

  it("reports null when nothing passes, having tried the top of the range", async () => {
    const { calls, runCell } = system(99);
    const r = await bisect(GRID, runCell, { repeats: 2 });
    expect(r.smallestPassing).toBeNull();
    expect(r.largestFailing).toBe(5);
    expect(calls.map(([v]) => v)).toContain(5);
  });

  it("returns the bottom when everything passes, never probing below the grid", async () => {
    const { calls, runCell } = system(0);
    const r = await bisect(GRID, runCell, { repeats: 1 });
    expect(r.smallestPassing).toBe(1);
    expect(r.largestFailing).toBeNull();
    expect(calls.every(([v]) => GRID.includes(v))).toBe(true);
  });

  it("probes each value at most once and needs O(log n) probes", async () => {
    const grid = Array.from({ length: 100 }, (_, i) => i + 1);
    const { calls, runCell } = system(37);
    const r = await bisect(grid, runCell, { repeats: 1 });
    expect(r.smallestPassing).toBe(37);
    const probed = calls.map(([v]) => v);
    expect(new Set(probed).size).toBe(probed.length);
    expect(probed.length).toBeLessThanOrEqual(7);
  });

  it("handles a one-value grid and tells onRun about every run", async () => {
    const seen: string[] = [];
    const r = await bisect([3], system(3).runCell, { repeats: 2, onRun: (v, rep, o) => seen.push(`${v}#${rep}:${o.pass}`) });
    expect(r.smallestPassing).toBe(3);
    expect(seen).toEqual(["3#1:true", "3#2:true"]);
  });

  it("lets a run's error through (an interrupt ends the search)", async () => {
    const boom = async () => {
      throw new Error("interrupted");
    };
    await expect(bisect(GRID, boom, { repeats: 1 })).rejects.toThrow("interrupted");
  });
});

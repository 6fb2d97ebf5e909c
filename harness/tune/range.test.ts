import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.ts";
import { ceilToGrid, gridValues, parseRange } from "./range.ts";

describe("tune range", () => {
  it("parses lo..hi with a step and lists the grid", () => {
    expect(gridValues(parseRange("1..5", undefined))).toEqual([1, 2, 3, 4, 5]);
    expect(gridValues(parseRange("0.5..2", "0.5"))).toEqual([0.5, 1, 1.5, 2]);
    expect(gridValues(parseRange("0.1..0.4", "0.1"))).toEqual([0.1, 0.2, 0.3, 0.4]);
  });

  it("always includes the top even when the step misses it", () => {
    expect(gridValues(parseRange("1..6", "2"))).toEqual([1, 3, 5, 6]);
  });

  it("rejects bad ranges and steps as usage errors", () => {
    expect(() => parseRange("5..1", undefined)).toThrow(UsageError);
    expect(() => parseRange("1-5", undefined)).toThrow(/expected lo\.\.hi/);
    expect(() => parseRange("1..5", "0")).toThrow(/--step 0/);
    expect(() => parseRange("1..1000", "0.1")).toThrow(/more than 200/);
  });

  it("rounds up onto the grid", () => {
    expect(ceilToGrid(4, { lo: 1, step: 1 })).toBe(4);
    expect(ceilToGrid(6.25, { lo: 1, step: 1 })).toBe(7);
    expect(ceilToGrid(1.6, { lo: 0.5, step: 0.5 })).toBe(2);
  });
});

import { describe, expect, it } from "vitest";
import { percent, rateLowerBound, rateSentence, rateUpperBound } from "./rate-bound.ts";

describe("rate bounds (Clopper-Pearson)", () => {
  it("0 of n: the upper bound is 1 - 0.05^(1/n), the rule of three's exact form", () => {
    for (const n of [1, 3, 5, 20, 40, 100]) expect(rateUpperBound(0, n)).toBeCloseTo(1 - 0.05 ** (1 / n), 9);
    expect(percent(rateUpperBound(0, 20))).toBe("14%");
    expect(rateLowerBound(0, 20)).toBe(0);
  });

  it("k of n matches the beta quantiles of published tables", () => {
    // one-sided 95%: 1 of 20 -> 0.2161, 2 of 20 -> 0.2826; two-sided 95% for 1 of 20: 0.0013 to 0.2487
    expect(rateUpperBound(1, 20)).toBeCloseTo(0.2161, 4);
    expect(rateUpperBound(2, 20)).toBeCloseTo(0.2826, 4);
    expect(rateLowerBound(1, 20, 0.975)).toBeCloseTo(0.00127, 5);
    expect(rateUpperBound(1, 20, 0.975)).toBeCloseTo(0.2487, 4);
    expect(rateUpperBound(20, 20)).toBe(1);
  });

  it("reads as one sentence", () => {
    expect(rateSentence(0, 20)).toBe("passed 20 of 20: a loss occurs in fewer than 14% of drains (95% upper bound)");
    expect(rateSentence(1, 20)).toBe("failed 1 of 20: a loss occurs in 5.0% of these drains, between 0.1% and 25% of all (95% interval)");
  });

  it("refuses what is not a count", () => {
    expect(() => rateUpperBound(3, 2)).toThrow(RangeError);
    expect(() => rateUpperBound(0, 0)).toThrow(RangeError);
  });
});

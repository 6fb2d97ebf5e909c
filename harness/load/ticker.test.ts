import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { Ticker } from "./ticker.ts";

describe("Ticker", () => {
  it("wakes the main thread at fractional-millisecond times, in order, until stopped", async () => {
    const wanted = Array.from({ length: 20 }, (_, i) => 5 + i * 0.25);
    const woke: number[] = [];
    let i = 0;
    let done!: () => void;
    const finished = new Promise<void>((resolve) => (done = resolve));
    const base = performance.now();
    const ticker = await Ticker.start(() => {
      const now = performance.now() - base;
      // every time that is due is handled on this wake-up, as the pacer does
      while (i < wanted.length && wanted[i]! <= now) woke[i++] = now;
      if (i < wanted.length) ticker.at(base + wanted[i]!);
      else done();
    });
    ticker.at(base + wanted[0]!);
    await finished;
    await ticker.stop();
    await ticker.stop();
    expect(woke).toHaveLength(20);
    for (let k = 0; k < wanted.length; k++) {
      expect(woke[k]!).toBeGreaterThanOrEqual(wanted[k]!);
      // loose: shared CI machines deschedule threads for milliseconds
      expect(woke[k]! - wanted[k]!).toBeLessThan(250);
    }
  });
});

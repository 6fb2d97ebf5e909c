import { describe, expect, it } from "vitest";
import { RequestMix, ShardMix, seededRandom } from "./mix.ts";
import { ConstantRatePacer, OnOffPacer, pacerFor, ShardPacer } from "./pacer.ts";

describe("ConstantRatePacer", () => {
  it("spaces requests evenly at the rate", () => {
    const p = new ConstantRatePacer(200, 2);
    expect(p.total).toBe(400);
    expect(p.intendedMs(0)).toBe(0);
    expect(p.intendedMs(1)).toBe(5);
    expect(p.intendedMs(399)).toBe(1995);
  });

  it("counts what is due, never more than the total", () => {
    const p = new ConstantRatePacer(100, 1);
    expect(p.dueBy(-1)).toBe(0);
    expect(p.dueBy(0)).toBe(1);
    expect(p.dueBy(9.99)).toBe(1);
    expect(p.dueBy(10)).toBe(2);
    expect(p.dueBy(10_000)).toBe(100);
  });

  it("keeps the schedule when the sender falls behind (no coordinated omission)", () => {
    const p = new ConstantRatePacer(1000, 1);
    // a sender stalled for 250 ms owes 251 requests at once, still stamped with their own intended times
    expect(p.dueBy(250)).toBe(251);
    expect(p.intendedMs(100)).toBe(100);
    expect(p.waitMs(300, 250)).toBe(50);
    expect(p.waitMs(10, 250)).toBe(0);
  });

  it("rejects a zero rate", () => {
    expect(() => new ConstantRatePacer(0, 1)).toThrow(RangeError);
  });
});

describe("RequestMix", () => {
  it("draws kinds by weight, reproducibly", () => {
    const kinds = [
      { weight: 3, method: "GET" as const, ms: { min: 10, max: 20 }, body_bytes: 0 },
      { weight: 1, method: "POST" as const, ms: 50, body_bytes: 64 },
    ];
    const a = new RequestMix(kinds, seededRandom(7));
    const b = new RequestMix(kinds, seededRandom(7));
    const draws = Array.from({ length: 4000 }, () => a.next());
    expect(draws.slice(0, 50)).toEqual(Array.from({ length: 50 }, () => b.next()));
    const posts = draws.filter((d) => d.method === "POST");
    expect(posts.length / draws.length).toBeGreaterThan(0.22);
    expect(posts.length / draws.length).toBeLessThan(0.28);
    expect(posts[0]!.path).toBe("/orders?ms=50");
    for (const d of draws.filter((d) => d.method === "GET")) {
      expect(d.serviceMs).toBeGreaterThanOrEqual(10);
      expect(d.serviceMs).toBeLessThanOrEqual(20);
    }
  });
});

describe("OnOffPacer", () => {
  it("sends bursts of on_s at the rate, then nothing for off_s", () => {
    const p = new OnOffPacer(10, 7, 1, 2);
    // bursts at 0-0.9 s, 3-3.9 s, 6-6.9 s
    expect(p.total).toBe(30);
    expect([0, 9, 10, 19, 20, 29].map((i) => p.intendedMs(i))).toEqual([0, 900, 3000, 3900, 6000, 6900]);
    expect(p.dueBy(950)).toBe(10);
    expect(p.dueBy(2999)).toBe(10);
    expect(p.dueBy(3000)).toBe(11);
    expect(p.dueBy(100_000)).toBe(30);
  });

  it("agrees with itself: dueBy(t) counts exactly the requests with intendedMs <= t", () => {
    for (const [rate, duration, on, off] of [
      [37, 5.3, 0.4, 1.7],
      [200, 3, 0.25, 0],
      [3, 10, 2, 4.5],
    ] as const) {
      const p = new OnOffPacer(rate, duration, on, off);
      for (let i = 0; i < p.total; i++) {
        const t = p.intendedMs(i);
        expect(t).toBeLessThan(duration * 1000);
        expect(p.dueBy(t)).toBe(i + 1);
        expect(p.dueBy(t - 1e-6)).toBe(i);
      }
    }
  });

  it("is what pacerFor gives for load.on_off, and a constant rate otherwise", () => {
    expect(pacerFor({ rate_per_s: 10, duration_s: 7, on_off: { on_s: 1, off_s: 2 } })).toBeInstanceOf(OnOffPacer);
    expect(pacerFor({ rate_per_s: 10, duration_s: 7 })).toBeInstanceOf(ConstantRatePacer);
  });
});

describe("ShardPacer", () => {
  it("gives shard k the whole schedule's requests i mod N = k, at their intended times", () => {
    for (const whole of [new ConstantRatePacer(1000, 0.0107), new OnOffPacer(1000, 0.05, 0.004, 0.003)]) {
      for (const n of [1, 2, 3]) {
        const shards = Array.from({ length: n }, (_, k) => new ShardPacer(whole, k, n));
        expect(shards.reduce((t, s) => t + s.total, 0)).toBe(whole.total);
        // every request of the whole in exactly one shard, at its own time
        const times: number[] = [];
        for (let i = 0; i < whole.total; i++) times.push(shards[i % n]!.intendedMs(Math.floor(i / n)));
        expect(times).toEqual(Array.from({ length: whole.total }, (_, i) => whole.intendedMs(i)));
        // what is due in the shards adds up to what is due in the whole, at any time
        for (let ms = -1; ms < 60; ms += 0.37) {
          const due = shards.reduce((t, s) => t + s.dueBy(ms), 0);
          expect(due).toBe(whole.dueBy(ms));
        }
      }
    }
  });

  it("has nothing for a shard past the whole's end", () => {
    const p = new ShardPacer(new ConstantRatePacer(2, 1), 2, 3);
    expect(p.total).toBe(0);
    expect(p.dueBy(10_000)).toBe(0);
    expect(() => new ShardPacer(new ConstantRatePacer(2, 1), 3, 3)).toThrow(RangeError);
  });
});

describe("ShardMix", () => {
  it("draws for shard k the requests i mod N = k of the whole mix", () => {
    const kinds = [
      { weight: 1, method: "GET", ms: { min: 1, max: 50 }, body_bytes: 0 },
      { weight: 2, method: "POST", ms: 3, body_bytes: 10 },
    ];
    const whole = new RequestMix(kinds, seededRandom(7));
    const seq = Array.from({ length: 30 }, () => whole.next());
    const shards = [0, 1, 2].map((k) => new ShardMix(new RequestMix(kinds, seededRandom(7)), k, 3));
    const merged = seq.map((_, i) => shards[i % 3]!.next());
    expect(merged.map((r) => [r.kind, r.serviceMs, r.path])).toEqual(seq.map((r) => [r.kind, r.serviceMs, r.path]));
  });
});

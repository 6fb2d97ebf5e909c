import { describe, expect, it } from "vitest";
import type { GeneratorStats } from "../records/generator-stats.ts";
import { Scenario } from "../scenario/schema.ts";
import { generatorCheck } from "./generator-check.ts";

const scenario = Scenario.parse({ name: "t", load: { rate_per_s: 1000 } });

function stats(over: Partial<GeneratorStats> = {}): GeneratorStats {
  return {
    mode: "open",
    sendLagMs: { p50: 0.15, p99: 1.2, max: 4 },
    cpuShareOfOneCore: 0.3,
    cpuPeakShareOfOneCore: 0.4,
    eventLoopBusyShare: 0.25,
    eventLoopBusyPeak: 0.35,
    intendedRatePerS: 1000,
    sentRatePerS: 999.6,
    scheduleOverrunMs: 0.2,
    maxInFlight: 40,
    maxWaitingForConnection: 3,
    maxConnections: 1024,
    clientRetries: 0,
    scheduled: 12000,
    startMs: 10,
    endMs: 12_100,
    ...over,
  };
}

describe("generator-kept-up", () => {
  it("passes a generator that sent on time with time to spare", () => {
    const r = generatorCheck(stats(), scenario);
    expect(r).toMatchObject({ name: "generator-kept-up", ok: true });
    expect(r.observed).toBe("lag p99 1.2 ms, loop 25% busy, 999.6 req/s");
    expect(r.detail).toContain("kept up");
  });

  it("fails when requests left late", () => {
    const r = generatorCheck(stats({ sendLagMs: { p50: 3, p99: 185.4, max: 240 } }), scenario);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("not trustworthy");
    expect(r.expected).toContain("lag p99 <= 100 ms");
    expect(r.detail).toContain("185.4 ms late (p99; max 240 ms)");
    // its own loop was mostly idle: the CPU went elsewhere, and the detail says so instead of blaming the client
    expect(r.detail).toContain("busy only 25% of the time, so it waited for a CPU");
    const refused = generatorCheck(
      stats({ sendLagMs: { p50: 3, p99: 185.4, max: 240 }, nice: 0, niceNote: "raising it to -10 was refused (EACCES)" }),
      scenario,
    );
    expect(refused.detail).toContain("while it ran at nice 0 (raising it to -10 was refused (EACCES))");
  });

  it("fails when the event loop had no time left, and says what to do", () => {
    const r = generatorCheck(stats({ eventLoopBusyShare: 0.97, cpuShareOfOneCore: 0.99 }), scenario);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("busy 97% of the time (CPU 99% of a core)");
    expect(r.detail).toContain("lower load.rate_per_s");
  });

  it("fails when the rate did not hold, and names the connection cap when it was reached", () => {
    const r = generatorCheck(stats({ sentRatePerS: 612, maxInFlight: 1024, maxWaitingForConnection: 5000 }), scenario);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("sent 612 req/s of the 1000 req/s scheduled (61%)");
    expect(r.detail).toContain("all 1024 connections were in use");
  });

  it("does not judge the rate of a closed-model load", () => {
    const r = generatorCheck(stats({ mode: "closed", intendedRatePerS: 20000, sentRatePerS: 19000 }), scenario);
    expect(r.ok).toBe(true);
    expect(r.observed).toBe("lag p99 1.2 ms, loop 25% busy");
  });

  it("takes its limits from the scenario when set there", () => {
    const strict = Scenario.parse({ name: "t", load: { rate_per_s: 1000 }, checks: { generator: { max_send_lag_p99_ms: 1 } } });
    expect(generatorCheck(stats(), strict).ok).toBe(false);
    expect(generatorCheck(stats(), strict).expected).toBe("lag p99 <= 1 ms, loop <= 90% busy, >= 99% of 1000 req/s");
  });
});

describe("generator-kept-up, sharded load", () => {
  const shard = (i: number, over: Partial<GeneratorStats> = {}) => stats({ shard: i, intendedRatePerS: 500, sentRatePerS: 499.8, ...over });

  it("passes when the whole and every shard kept up", () => {
    const r = generatorCheck(stats({ shards: [shard(0), shard(1)] }), scenario);
    expect(r.ok).toBe(true);
    expect(r.detail).toContain("2 shards, each kept up");
  });

  it("fails a run where one shard fell behind, naming it, even when the whole's figures pass", () => {
    const r = generatorCheck(stats({ shards: [shard(0), shard(1, { sendLagMs: { p50: 4, p99: 180, max: 240 } })] }), scenario);
    expect(r.ok).toBe(false);
    expect(r.observed).toContain("shard 1 fell behind");
    expect(r.detail).toContain("the whole load kept up, but shard 1 of 2 shards fell behind");
    expect(r.detail).toContain("shard 1: the generator fell behind its schedule");
    expect(r.detail).not.toContain("shard 0:");
  });

  it("judges each shard against its own part of the rate", () => {
    const r = generatorCheck(stats({ shards: [shard(0, { sentRatePerS: 250 }), shard(1)] }), scenario);
    expect(r.ok).toBe(false);
    expect(r.detail).toContain("shard 0: ");
    expect(r.detail).toContain("it sent 250 req/s of the 500 req/s scheduled");
  });
});

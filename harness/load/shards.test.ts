import { describe, expect, it } from "vitest";
import type { GeneratorStats } from "../records/generator-stats.ts";
import { lagHistogram } from "./lag.ts";
import { mergeLag, mergeStats, shardCount, splitEvenly } from "./shards.ts";

function stats(over: Partial<GeneratorStats>): GeneratorStats {
  return {
    mode: "open",
    sendLagMs: { p50: 0, p99: 0, max: 0 },
    cpuShareOfOneCore: 0.9,
    cpuPeakShareOfOneCore: 0.95,
    eventLoopBusyShare: 0.3,
    eventLoopBusyPeak: 0.4,
    intendedRatePerS: 500,
    sentRatePerS: 500,
    scheduleOverrunMs: 0.1,
    maxInFlight: 10,
    maxWaitingForConnection: 0,
    maxConnections: 512,
    clientRetries: 1,
    scheduled: 5000,
    startMs: 100,
    endMs: 10_200,
    nice: -5,
    ...over,
  };
}

describe("shards", () => {
  it("auto is one per core but one, at least 1; a number is itself", () => {
    expect(shardCount("auto", 2)).toBe(1);
    expect(shardCount("auto", 1)).toBe(1);
    expect(shardCount("auto", 8)).toBe(7);
    expect(shardCount(3, 2)).toBe(3);
    expect(shardCount(undefined, 8)).toBe(1);
  });

  it("splits connections as evenly as integers go", () => {
    expect([0, 1, 2].map((i) => splitEvenly(1024, 3, i))).toEqual([342, 341, 341]);
    expect([0, 1].map((i) => splitEvenly(50, 2, i))).toEqual([25, 25]);
  });

  it("merges send-lag histograms exactly: the whole's percentiles are those of every value recorded in one", () => {
    const one = lagHistogram();
    const parts = [lagHistogram(), lagHistogram()];
    for (let i = 0; i < 10_000; i++) {
      const v = (i * 7919) % 50_000;
      one.recordValue(v);
      parts[i % 2]!.recordValue(v);
    }
    const merged = mergeLag(parts);
    expect(merged.totalCount).toBe(10_000);
    for (const p of [50, 90, 99, 99.9]) expect(merged.getValueAtPercentile(p)).toBe(one.getValueAtPercentile(p));
    expect(merged.maxValue).toBe(one.maxValue);
  });

  it("merges the shards' figures: counts added, the busiest loop, the rate over the whole schedule, each shard kept", () => {
    const lags = [lagHistogram(), lagHistogram()];
    lags[0]!.recordValue(500);
    lags[1]!.recordValue(90_000);
    const s = mergeStats(
      [
        { stats: stats({}), lag: lags[0]!, written: 5000, lastWrittenMs: 10_098 },
        {
          stats: stats({ eventLoopBusyShare: 0.7, scheduleOverrunMs: 3, endMs: 10_300, maxWaitingForConnection: 2 }),
          lag: lags[1]!,
          written: 5000,
          lastWrittenMs: 10_099,
        },
      ],
      { cpuShareOfOneCore: 1.6, cpuPeakShareOfOneCore: 1.8, eventLoopBusyShare: 0.01, eventLoopBusyPeak: 0.02 },
    );
    expect(s).toMatchObject({
      mode: "open",
      cpuShareOfOneCore: 1.6,
      eventLoopBusyShare: 0.7,
      intendedRatePerS: 1000,
      scheduleOverrunMs: 3,
      maxInFlight: 20,
      maxWaitingForConnection: 2,
      maxConnections: 1024,
      clientRetries: 2,
      scheduled: 10_000,
      startMs: 100,
      endMs: 10_300,
      nice: -5,
    });
    expect(s.sendLagMs.max).toBeCloseTo(90, 0);
    // 10,000 written from 100 ms to 10,099 ms at 1000/s
    expect(s.sentRatePerS).toBe(1000);
    expect(s.shards?.map((x) => [x.shard, x.eventLoopBusyShare])).toEqual([
      [0, 0.3],
      [1, 0.7],
    ]);
  });
});

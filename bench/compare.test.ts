import { describe, expect, it } from "vitest";
import { type BenchResult, compare, figures, machineNote, renderComparison } from "./compare.ts";
import { replaceBenchTable } from "./table.ts";

const result = (dl: number, wrk: number, cpu: number, startMs: number, lag5k: number): BenchResult => ({
  peak: {
    drainlab: { reqPerS: dl, cpuUsPerRequest: cpu },
    wrk: { reqPerS: wrk, cpuUsPerRequest: 10 },
    autocannon: { reqPerS: 50_000, cpuUsPerRequest: 13 },
  },
  open: { "5000": { stats: { sendLagMs: { p99: lag5k }, sentRatePerS: 5000 }, check: { ok: true } }, ticker_floor_ms: { p99: 1 } },
  ledger: { memory: { retainedBytes: 38_500_000, rows: 1_000_000 } },
  verdict_time: { start: { firstAnswerMs: startMs }, run: { ratio: 0.92 } },
});

describe("bench comparison", () => {
  it("compares ratios to a peer of the same run, so a faster machine is not a gain", () => {
    // both peers twice as fast: the ratio to wrk is unchanged
    const rows = compare(result(100_000, 160_000, 20, 1800, 2), result(50_000, 80_000, 20, 1800, 2));
    const peak = rows.find((r) => r.id === "1b")!;
    expect(peak.value).toBeCloseTo(0.625);
    expect(peak.gain).toBeCloseTo(0);
    expect(rows.some((r) => r.worse)).toBe(false);
  });

  it("flags a figure that got worse by more than 15% and names it", () => {
    // the 6220330 regression: 0.93x wrk -> 0.56x, 24 -> 40 µs, 1.7 -> 4.4 s start
    const rows = compare(result(34_599, 62_103, 40.2, 4430, 10.1), result(52_789, 56_898, 24.2, 1710, 2.26));
    const worse = rows.filter((r) => r.worse).map((r) => r.id);
    expect(worse).toEqual(expect.arrayContaining(["1b", "1c", "2-5k", "4a"]));
    expect(worse).not.toContain("3a");
    expect(renderComparison(rows, "baseline")).toMatch(/5 figure\(s\) got worse by more than 15% against baseline: 1a, 1b, 1c, 2-5k, 4a/);
  });

  it("does not flag a sub-millisecond lag moving within noise", () => {
    const rows = compare(result(1, 1, 1, 1000, 0.6), result(1, 1, 1, 1000, 0.4));
    expect(rows.find((r) => r.id === "2-5k")!.worse).toBe(false);
  });

  it("does not flag a lag within the spread of the earlier run's own rounds, and flags one past it", () => {
    const open = (best: number, rounds: number[] | undefined, ok = true): BenchResult => ({
      open: { "1000": { stats: { sendLagMs: { p99: best }, sentRatePerS: 1000 }, check: { ok }, rounds_p99_ms: rounds } },
    });
    // same code, two runs (f302934 vs a18d224): 1.47 now against 1.03 best / 1.4 worst before
    expect(compare(open(1.47, [1.47, 1.86]), open(1.03, [1.03, 1.4]))[0]!.worse).toBe(false);
    // best now past the worst before by more than 15%: a change, not noise
    expect(compare(open(2.5, [2.5, 2.7]), open(1.03, [1.03, 1.4]))[0]!.worse).toBe(true);
    // an earlier result without rounds: the plain 15% rule
    expect(compare(open(1.47, [1.47]), open(1.03, undefined))[0]!.worse).toBe(true);
    // a rate held in neither run: an overloaded queue, reported not flagged
    expect(compare(open(80.6, [80.6, 90], false), open(38.5, [38.5], false))[0]!.worse).toBe(false);
    // held before, not now: flagged whatever the lag
    const lost = compare(open(1.1, [1.1, 1.2], false), open(1.03, [1.03, 1.4]));
    expect(lost[0]!.worse).toBe(true);
    expect(renderComparison(lost, "b")).toMatch(/NO LONGER HELD/);
  });

  it("judges the stack start by its same-run peer when both runs measured one", () => {
    const withPeer = (startMs: number, importMs?: number): BenchResult => ({
      verdict_time: { start: { firstAnswerMs: startMs, appImportMs: importMs } },
    });
    // a slower machine: 1.24 s -> 3.33 s, its peer 0.5 s -> 1.4 s: the ratio got better, nothing flagged
    const slower = compare(withPeer(3330, 1400), withPeer(1240, 500));
    expect(slower.find((r) => r.id === "4a")!.worse).toBe(false);
    expect(slower.find((r) => r.id === "4c")!.worse).toBe(false);
    // the same machine, the start 3x slower: the ratio flags it
    const regressed = compare(withPeer(3330, 500), withPeer(1240, 500));
    expect(regressed.find((r) => r.id === "4c")!.worse).toBe(true);
    // an earlier result without the peer: the seconds are compared
    expect(compare(withPeer(3330, 1400), withPeer(1240)).find((r) => r.id === "4a")!.worse).toBe(true);
  });

  it("says when the earlier result is from another processor, or does not name one", () => {
    expect(machineNote({ cpu: "AMD EPYC, 2096 MHz" }, { cpu: "AMD EPYC, 2096 MHz" }, "b.json")).toBe("");
    expect(machineNote({ cpu: "AMD EPYC, 2096 MHz" }, {}, "b.json")).toMatch(
      /^note: b.json was measured on a processor it does not name, this run on AMD EPYC, 2096 MHz: figures in ms and s compare the machines/,
    );
  });

  it("a figure the earlier result lacks is shown without a change", () => {
    const rows = compare(result(1, 1, 1, 1000, 1), { peak: {} });
    expect(rows.every((r) => r.before === null && r.gain === null && !r.worse)).toBe(true);
    expect(figures({})).toEqual([]);
  });

  it("replaces only the README's marked block", () => {
    const readme = "intro\n<!-- bench:begin -->\nold table\n<!-- bench:end -->\nafter\n";
    expect(replaceBenchTable(readme, "new")).toBe("intro\n<!-- bench:begin -->\nnew\n<!-- bench:end -->\nafter\n");
    expect(() => replaceBenchTable("no markers", "x")).toThrow(/no <!-- bench:begin -->/);
  });
});

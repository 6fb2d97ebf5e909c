import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import type { ClockStep } from "../records/clock-types.ts";
import { type NginxRow, RAW_FILES, readServerRecords } from "../records/server-logs.ts";
import { clockFactsOf } from "../verdict/facts.ts";
import { clean, drain, type Req, records, request } from "../verdict/testdata/records.ts";
import { judge } from "../verdict/verdict.ts";
import { Timeline } from "./timeline.ts";
import { stepBetween, WallClock } from "./wall-clock.ts";

const T0 = 1_800_000_000_000;

describe("WallClock", () => {
  // the wall clock jumped +1300 ms at 4 s on the run's clock (a paused VM had its clock stepped)
  const step = stepBetween(T0, { runMs: 3975, epochMs: T0 + 3975 }, { runMs: 4000, epochMs: T0 + 4000 + 1300 })!;
  const clock = new WallClock(T0, [step]);

  it("sees a jump between two samples, and not the jitter of a whole-ms clock", () => {
    expect(step).toMatchObject({ at_ms: 4000, step_ms: 1300, offset_ms: T0 + 1300 });
    // a timestamp taken before the jump is at most the last sample plus the time between the samples
    expect(step.from_epoch_ms).toBe(T0 + 4000);
    expect(stepBetween(T0, { runMs: 0, epochMs: T0 }, { runMs: 10, epochMs: T0 + 10 + 3 })).toBeNull();
    expect(stepBetween(T0, { runMs: 0, epochMs: T0 }, { runMs: 10, epochMs: T0 + 10 - 40 })).toMatchObject({ step_ms: -40 });
  });

  it("reads each server timestamp with the offset in force when it was taken", () => {
    expect(clock.normalize(T0 + 3990)).toBe(T0 + 3990);
    expect(clock.normalize(T0 + 5400)).toBe(T0 + 4100);
    expect(new WallClock(T0).normalize(T0 + 5400)).toBe(T0 + 5400);
    expect(clock.wallAt(3000)).toBe(T0 + 3000);
    expect(clock.wallAt(4100)).toBe(T0 + 5400);
  });

  it("reads a request that spans the jump with its true duration", () => {
    // received at 3.9 s, answered at 5.9 s: nginx's clock read 7.2 s at the end, so $request_time said 3.3 s
    const dir = runDir([{ ...nginxLine(request(1).nginx[0]!), t: (T0 + 7200) / 1000, request_time: 3.3 }], []);
    const read = readServerRecords(dir, NODES, clock);
    expect(read.nginx[0]!.endEpochMs).toBe(T0 + 5900);
    expect(read.nginx[0]!.requestTimeMs).toBe(2000);
  });
});

const NODES = [
  { name: "node-1", address: "10.0.0.1" },
  { name: "node-2", address: "10.0.0.2" },
];

/** The log line nginx would have written for a row, with the wall clock `shift` ms off. */
function nginxLine(x: NginxRow, shift = 0): Record<string, unknown> {
  return {
    t: (x.endEpochMs + shift) / 1000,
    id: x.id,
    method: x.method,
    status: x.status,
    upstream_addr: x.upstreamAddrs.join(", "),
    upstream_status: x.upstreamStatuses.join(", "),
    request_time: x.requestTimeMs / 1000,
    generation: x.generation,
    upstream_connect_time: x.upstreamConnectMs.map((v) => (v === null ? "-" : v / 1000)).join(", "),
    upstream_header_time: x.upstreamHeaderMs.map((v) => (v === null ? "-" : v / 1000)).join(", "),
  };
}

function runDir(nginx: Array<Record<string, unknown>>, app: Array<{ node: string } & Record<string, unknown>>): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-clock-"));
  const write = (rel: string, lines: unknown[]) => {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), lines.map((l) => `${JSON.stringify(l)}\n`).join(""));
  };
  write(RAW_FILES.nginxAccessLog, nginx);
  for (const n of NODES)
    write(
      RAW_FILES.appLedger(n.name),
      app.filter((e) => e.node === n.name),
    );
  return dir;
}

describe("a drain judged across a jump of the wall clock", () => {
  // the clean records of verdict/testdata (node-1 removed at 1.5 s), but the servers' wall clock jumped +500 ms at 1.0 s,
  // as a paused VM's is stepped: every server timestamp from then on reads 500 ms late
  const reqs = clean();
  const shift = (epochMs: number) => (epochMs >= T0 + 1000 ? 500 : 0);
  const dir = runDir(
    reqs.flatMap((r) => r.nginx.map((x) => nginxLine(x, shift(x.endEpochMs - x.requestTimeMs)))),
    reqs.flatMap((r) =>
      r.app.map((e) => ({
        t: (e.epochMs + shift(e.epochMs)) / 1000,
        event: e.event,
        id: e.id,
        node: e.node,
        pid: e.pid,
        status: e.status,
      })),
    ),
  );
  const step = stepBetween(T0, { runMs: 990, epochMs: T0 + 990 }, { runMs: 1010, epochMs: T0 + 1510 })!;
  const misrouted = (clock: WallClock) => {
    const r = records(reqs, { server: readServerRecords(dir, NODES, clock) });
    return judge(r).checks.find((c) => c.name === "no-misrouted-requests")!;
  };

  it("passes no-misrouted-requests when the jump is known", () => {
    expect(misrouted(new WallClock(T0, [step])).ok).toBe(true);
  });

  it("would have failed it, read with t0's offset alone (the failure this guards against)", () => {
    expect(misrouted(new WallClock(T0)).ok).toBe(false);
  });
});

describe("Timeline's wall clock", () => {
  afterEach(() => vi.restoreAllMocks());

  it("notes a jump of Date.now() against performance.now() and reads later epochs across it", () => {
    const timeline = new Timeline(performance.now());
    const before = Date.now();
    const real = Date.now.bind(Date);
    vi.spyOn(Date, "now").mockImplementation(() => real() + 1300);
    timeline.sampleClock();
    timeline.add("after");
    expect(timeline.events.map((e) => e.event)).toEqual(["wall-clock-step", "after"]);
    expect(timeline.clock.steps).toHaveLength(1);
    expect(timeline.clock.steps[0]!.step_ms).toBeGreaterThanOrEqual(1299);
    expect(timeline.clock.steps[0]!.step_ms).toBeLessThanOrEqual(1301);
    // a server timestamp taken now (on the stepped clock) lands now on the run's clock
    // (between two readings of the run's clock: this test may be preempted between any two lines)
    const from = timeline.now();
    const stamp = Date.now();
    const to = timeline.now();
    expect(timeline.atEpoch(stamp)).toBeGreaterThan(from - 2);
    expect(timeline.atEpoch(stamp)).toBeLessThan(to + 2);
    // and one taken before the jump where it was
    expect(Math.abs(timeline.atEpoch(before) - (before - timeline.t0EpochMs))).toBeLessThan(1);
  });
});

/** A server wall clock that jumps: each step happens at `at` on the run's clock, sampled last at `prev` before it. */
function jumpingClock(jumps: Array<{ prev: number; at: number; step: number }>) {
  const steps: ClockStep[] = [];
  let offset = T0;
  for (const j of jumps) {
    const s = stepBetween(offset, { runMs: j.prev, epochMs: j.prev + offset }, { runMs: j.at, epochMs: j.at + offset + j.step })!;
    steps.push(s);
    offset = s.offset_ms;
  }
  /** What the server's wall clock read at a run time. */
  const stamp = (runMs: number) => runMs + jumps.reduce((o, j) => (runMs >= j.at ? o + j.step : o), T0);
  return { clock: new WallClock(T0, steps), stamp };
}

/** The clean run's records as the servers logged them on a jumping wall clock, each stamp read when it was taken. */
function loggedOn(reqs: Req[], stamp: (runMs: number) => number): string {
  return runDir(
    reqs.flatMap((r) =>
      r.nginx.map((x) => {
        const end = stamp(x.endEpochMs - T0);
        const start = stamp(x.endEpochMs - x.requestTimeMs - T0);
        return { ...nginxLine(x), t: end / 1000, request_time: Math.max(0, end - start) / 1000 };
      }),
    ),
    reqs.flatMap((r) =>
      r.app.map((e) => ({ t: stamp(e.epochMs - T0) / 1000, event: e.event, id: e.id, node: e.node, pid: e.pid, status: e.status })),
    ),
  );
}

describe("a backward step of the wall clock", () => {
  // node-1 is removed at 1.5 s (reload effective); the wall clock steps back 1000 ms 99 ms later: the epochs
  // of 0.6 s to 1.6 s are read twice, so node-1's requests of 0.7 s to 1.3 s could be read as after the removal
  const { clock, stamp } = jumpingClock([{ prev: 1590, at: 1599, step: -1000 }]);
  const reqs = clean();
  const dir = loggedOn(reqs, stamp);
  const judged = (c: WallClock) => judge(records(reqs, { server: readServerRecords(dir, NODES, c) }));

  it("makes the stamps of its ambiguous stretch indeterminate: 0 misrouted, 4 counted apart, the check says no-evidence", () => {
    const v = judged(clock);
    const rec = v.figures.reconciliation;
    expect(rec.counts.misrouted).toBe(0);
    expect(rec.indeterminate_time).toEqual({ count: 4, examples: ["r-7", "r-9", "r-11", "r-13"] });
    const check = v.checks.find((c) => c.name === "no-misrouted-requests")!;
    expect(check).toMatchObject({ status: "no-evidence", observed: "0 (4 indeterminate)" });
    expect(check.detail).toMatch(/4 request\(s\) reached a drained node with server stamps in the wall clock's ambiguous stretch/);
    expect(clock.ambiguous()).toEqual([expect.objectContaining({ fromEpochMs: T0 + 590, toEpochMs: T0 + 1599 })]);
    // the fact no longer claims every stamp was read with the offset in force: it names the stretch and the count
    const [fact] = clockFactsOf(clock, rec.indeterminate_time!.count);
    expect(fact!.observed).not.toMatch(/offset in force/);
    expect(fact!.observed).toContain(`epochs ${T0 + 590} to ${T0 + 1599} stands for two moments`);
    expect(fact!.observed).toContain("(4 request(s) could not be placed before or after a removal)");
  });

  it("was 4 false misrouted requests, read by the last step at or before each stamp (the failure this guards against)", () => {
    const lastStepRule = (epochMs: number) => {
      let offset = T0;
      for (const s of clock.steps) if (epochMs >= s.from_epoch_ms) offset = s.offset_ms;
      return epochMs - (offset - T0);
    };
    const ids = reqs
      .filter((r) => r.client.node === "node-1")
      .filter((r) => lastStepRule(stamp(r.nginx[0]!.endEpochMs - r.nginx[0]!.requestTimeMs - T0)) - T0 > 1500)
      .map((r) => r.client.id);
    expect(ids).toEqual(["r-7", "r-9", "r-11", "r-13"]);
  });

  it("with no request in its stretch, the check judges as ever: a step after node-1's last request passes", () => {
    const late = jumpingClock([{ prev: 3490, at: 3500, step: -1000 }]);
    const dirLate = loggedOn(reqs, late.stamp);
    const v = judge(records(reqs, { server: readServerRecords(dirLate, NODES, late.clock) }));
    expect(v.figures.reconciliation.indeterminate_time).toEqual({ count: 0, examples: [] });
    expect(v.checks.find((c) => c.name === "no-misrouted-requests")).toMatchObject({ status: "pass", observed: 0 });
  });

  it("still finds a request misrouted by a stamp out of the ambiguous stretch, the indeterminate ones said beside it", () => {
    const more = clean();
    // r-30 (3.0 s, long after the removal and the step) goes to node-1 under the old config: its stamp is unambiguous
    const r = more[30]!;
    r.client.node = "node-1";
    r.nginx[0]!.upstreamAddrs = ["10.0.0.1:8000"];
    r.nginx[0]!.generation = 1;
    for (const e of r.app) e.node = "node-1";
    const { clock: c2, stamp: s2 } = jumpingClock([{ prev: 1590, at: 1599, step: -1000 }]);
    const v = judge(records(more, { server: readServerRecords(loggedOn(more, s2), NODES, c2) }));
    expect(v.figures.reconciliation.counts.misrouted).toBe(1);
    expect(v.figures.reconciliation.indeterminate_time!.count).toBe(4);
    expect(v.checks.find((c) => c.name === "no-misrouted-requests")).toMatchObject({ status: "fail", observed: "1 (4 indeterminate)" });
  });
});

describe("a backward and a forward step", () => {
  it("map each stamp by the time order of the samples, not by the last step whose from_epoch is at or before it", () => {
    // -1000 ms at 1.0 s, then +5000 ms at 1.5 s: the second step's from_epoch (T0 + 0.5 s) lies below epochs the
    // clock read before the first step, so the old rule read a stamp taken at 0.8 s as taken at -3.2 s
    const { clock, stamp } = jumpingClock([
      { prev: 990, at: 1000, step: -1000 },
      { prev: 1490, at: 1500, step: 5000 },
    ]);
    expect(clock.steps[1]!.from_epoch_ms).toBe(T0 + 500);
    expect(clock.read(stamp(800))).toEqual({ epochMs: T0 + 800 });
    // what it read at 0.3 s it read again at 1.3 s: two readings
    expect(clock.read(stamp(300))).toEqual({ epochMs: T0 + 1300, span: [T0 + 300, T0 + 1300] });
    expect(clock.read(stamp(1200))).toEqual({ epochMs: T0 + 1200, span: [T0 + 200, T0 + 1200] });
    expect(clock.read(stamp(2000))).toEqual({ epochMs: T0 + 2000 });
    // only the epochs the clock read twice are ambiguous: the stretch after the backward step lasted 0.5 s
    expect(clock.ambiguous()).toEqual([expect.objectContaining({ fromEpochMs: T0 - 10, toEpochMs: T0 + 500 })]);
  });

  it("a forward then a backward step: a stamp of either stretch is read on its own, one read twice has a span", () => {
    const { clock, stamp } = jumpingClock([
      { prev: 990, at: 1000, step: 2000 },
      { prev: 1990, at: 2000, step: -1500 },
    ]);
    expect(clock.read(stamp(500))).toEqual({ epochMs: T0 + 500 });
    expect(clock.read(stamp(2200))).toEqual({ epochMs: T0 + 2200 });
    expect(clock.read(stamp(1500))).toEqual({ epochMs: T0 + 3000, span: [T0 + 1500, T0 + 3000] });
  });

  it("requests misrouted before the pair are found: the old rule moved its stamp 2 s earlier, before the removal", () => {
    // node-1 removed at 0.5 s; r-5 to r-13 still reached it; the clock stepped -3000 ms at 1.6 s and +5000 ms at 2.4 s
    const reqs = clean();
    const { clock, stamp } = jumpingClock([
      { prev: 1590, at: 1600, step: -3000 },
      { prev: 2390, at: 2400, step: 5000 },
    ]);
    const early = { ...drain, start_ms: 300, reload_effective_ms: 500, signal_ms: 2000 };
    for (const r of reqs) r.nginx[0]!.generation = 1;
    const v = judge(records(reqs, { drains: [early], server: readServerRecords(loggedOn(reqs, stamp), NODES, clock) }));
    expect(v.figures.reconciliation.by_node["node-1"]!.misrouted).toBe(5);
    expect(v.figures.reconciliation.indeterminate_time!.count).toBe(0);
    expect(clock.steps[1]!.from_epoch_ms).toBeLessThan(stamp(700));
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { clean, records, request } from "../verdict/testdata/records.ts";
import { judge } from "../verdict/verdict.ts";
import { type NginxRow, RAW_FILES, readServerRecords } from "./server-logs.ts";
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
    expect(Math.abs(timeline.atEpoch(Date.now()) - timeline.now())).toBeLessThan(5);
    // and one taken before the jump where it was
    expect(Math.abs(timeline.atEpoch(before) - (before - timeline.t0EpochMs))).toBeLessThan(1);
  });
});

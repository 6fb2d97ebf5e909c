import { describe, expect, it } from "vitest";
import type { DrainRecord } from "../records/drain-record.ts";
import { Scenario } from "../scenario/schema.ts";
import { clockOffsetFactsOf } from "../verdict/facts.ts";
import { clean, drain, type Req, records } from "../verdict/testdata/records.ts";
import { judge } from "../verdict/verdict.ts";
import { applyClockOffsets, estimateClockOffsets } from "./clock-offset.ts";

// an attached system, node-1 removed by its `remove` step at 1.5 s; its nginx logs no config generation
const scenario = Scenario.parse({
  name: "t",
  load: { warmup_s: 0, mix: [{ method: "GET", path: "/work", expected_ms: 10 }] },
  checks: { max_gap_ms: 500 },
  attach: {
    url: "http://127.0.0.1:18080",
    drain: {
      node: "node-1",
      steps: [
        { step: "remove", run: "a" },
        { step: "terminate", run: "b" },
      ],
    },
  },
});
const hook = (step: string, start_ms: number, end_ms: number) => ({
  step,
  command: `${step}.sh`,
  start_ms,
  end_ms,
  exit_code: 0,
  timed_out: false,
  output_tail: "",
  log: `raw/hooks/${step}.log`,
});
const attachDrain: DrainRecord = { ...drain, removal_generation: null, hooks: [hook("remove", 1400, 1500), hook("terminate", 2000, 2010)] };

/** The clean run, with r-16 to r-19 (1.6 s to 1.9 s) sent by nginx to node-1 after its removal; the servers' clocks `skew` ms off. */
function attachedRun(skew: number, change: (r: Req) => void = () => {}, estimate = true) {
  const reqs = clean();
  for (const seq of [16, 17, 18, 19]) {
    const r = reqs[seq]!;
    r.client.node = "node-1";
    r.nginx[0]!.upstreamAddrs = ["10.0.0.1:8000"];
    r.app = r.app.map((e) => ({ ...e, node: "node-1" }));
  }
  for (const r of reqs) {
    for (const x of r.nginx) Object.assign(x, { generation: Number.NaN, endEpochMs: x.endEpochMs + skew });
    for (const e of r.app) e.epochMs += skew;
    change(r);
  }
  const rec = records(reqs, { scenario, drains: [attachDrain] });
  const offsets = estimate ? applyClockOffsets(rec.server, estimateClockOffsets(rec.rows, rec.server)) : [];
  return { rec, offsets, verdict: judge(rec) };
}

const misrouting = (v: ReturnType<typeof judge>) => v.checks.find((c) => c.name === "no-misrouted-requests")!;

describe("attach: each server's clock offset, bounded by the records", () => {
  it("nginx's and the apps' clocks 500 ms behind: bounded, shifted by the midpoint, and the 4 misrouted requests found", () => {
    const { rec, offsets, verdict } = attachedRun(-500);
    const nginx = offsets.find((o) => o.source === "nginx")!;
    // received - sent >= offset >= received + header time - answered: nginx received 1 ms after the send, had the node's header 4 ms before the answer
    expect(nginx).toMatchObject({ requests: 40, lower_ms: -504, upper_ms: -499, inconsistent: false, shift_ms: -501 });
    expect(offsets.find((o) => o.source === "app node-1")).toMatchObject({ inconsistent: false });
    expect(offsets.every((o) => Math.abs(o.shift_ms + 500) <= 10)).toBe(true);
    expect(misrouting(verdict)).toMatchObject({ status: "fail", observed: 4 });
    expect(verdict.figures.reconciliation.by_node["node-1"]!.misrouted).toBe(4);
    const [fact] = clockOffsetFactsOf(offsets, rec.scenario.drain.settle_ms);
    expect(fact!.observed).toContain(
      "nginx's clock minus this machine's lies in [-504 ms, -499 ms] (40 request(s)): its stamps were shifted by 501 ms",
    );
    expect(fact!.holds).toBe(false);
  });

  it("would have lost all 4, read as this machine's clock: received 0.5 s early, before the removal (the failure this guards against)", () => {
    const { verdict } = attachedRun(-500, undefined, false);
    expect(misrouting(verdict)).toMatchObject({ status: "pass", observed: 0 });
  });

  it("a clock on time: bounds around zero, no shift, no fact, the same 4 misrouted", () => {
    const { rec, offsets, verdict } = attachedRun(0);
    expect(offsets.find((o) => o.source === "nginx")).toMatchObject({ lower_ms: -4, upper_ms: 1, shift_ms: 0 });
    expect(offsets.every((o) => o.shift_ms === 0)).toBe(true);
    expect(clockOffsetFactsOf(offsets, rec.scenario.drain.settle_ms)).toEqual([]);
    expect(misrouting(verdict)).toMatchObject({ status: "fail", observed: 4 });
  });

  it("bounds wider than drain.settle_ms: misrouting says no-evidence with that reason", () => {
    // 300 ms each way between this machine and the system: the offset is known only to within 600 ms
    const { verdict } = attachedRun(0, (r) => {
      r.client.sentMs -= 300;
      r.client.endMs += 300;
    });
    const check = misrouting(verdict);
    expect(check).toMatchObject({ status: "no-evidence", observed: "clock offset unknown" });
    expect(check.detail).toMatch(/\[-304 ms, 301 ms\].*wider than drain\.settle_ms 500 ms/);
  });

  it("nginx's log line written after the client read the answer (a busy machine) is no crossing: its receive and header times bound both sides", () => {
    // the CI run of 2026-12-07 22:38: nginx's log line 5.2 ms after the client's end crossed the bounds by the finish
    const { offsets, verdict } = attachedRun(0, (r) => {
      for (const x of r.nginx) Object.assign(x, { endEpochMs: x.endEpochMs + 25, requestTimeMs: x.requestTimeMs + 25 });
    });
    expect(offsets.find((o) => o.source === "nginx")).toMatchObject({ lower_ms: -4, upper_ms: 1, inconsistent: false });
    expect(misrouting(verdict)).toMatchObject({ status: "fail", observed: 4 });
  });

  it("bounds that cross (a clock that stepped during the run): said, not shifted, misrouting no-evidence", () => {
    const { offsets, verdict } = attachedRun(0, (r) => {
      if (r.client.seq >= 20) {
        for (const x of r.nginx) x.endEpochMs += 800;
        for (const e of r.app) e.epochMs += 800;
      }
    });
    const nginx = offsets.find((o) => o.source === "nginx")!;
    expect(nginx).toMatchObject({ inconsistent: true, shift_ms: 0 });
    // the requests that set each bound are named: one from after the step, one from before it
    const seq = (id?: string) => Number(id?.split("-").at(-1));
    expect(seq(nginx.lower_by)).toBeGreaterThanOrEqual(20);
    expect(seq(nginx.upper_by)).toBeLessThan(20);
    expect(misrouting(verdict).status).toBe("no-evidence");
    expect(misrouting(verdict).detail).toMatch(/the bounds cross.*the lower bound is request \S+'s, the upper \S+'s/);
  });
});

import { describe, expect, it } from "vitest";
import type { DrainRecord } from "../drain/drain.ts";
import type { LedgerRow } from "../load/ledger.ts";
import { Scenario } from "../scenario/schema.ts";
import { drainedNodeExitedCleanly, judge, noFailedRequests, noUnansweredRequests, trafficContinued } from "./checks.ts";
import type { Records } from "./records.ts";

const scenario = Scenario.parse({ name: "t", load: { warmup_s: 0 }, checks: { max_gap_ms: 500 } });

function row(seq: number, over: Partial<LedgerRow> = {}): LedgerRow {
  const t = seq * 100;
  return { seq, id: `r-${seq}`, kind: 0, method: "GET", serviceMs: 10, intendedMs: t, sentMs: t, endMs: t + 20, status: 200, error: "none", node: seq % 2 ? "node-1" : "node-2", bytes: 10, attempts: 1, ...over };
}

const drain: DrainRecord = {
  target: "node-1",
  removed: true,
  removal_generation: 2,
  reload_effective_ms: 900,
  signal_ms: 1000,
  signal: "SIGTERM",
  stop_wait_s: 3,
  exit_ms: 1500,
  exit_code: 0,
  killed_after_wait: false,
};

function records(rows: LedgerRow[], over: Partial<Records> = {}): Records {
  return { scenario, rows, timeline: [], drain, loadStartMs: 0, loadEndMs: rows.length * 100, ...over };
}

const clean = Array.from({ length: 40 }, (_, i) => row(i));

describe("checks", () => {
  it("pass on a clean run", () => {
    const v = judge(records(clean));
    expect(v.checks.filter((c) => !c.ok)).toEqual([]);
    expect(v.verdict).toBe("pass");
  });

  it("no-failed-requests fails on a 502 and a reset, naming the classes", () => {
    const rows = clean.map((r) => (r.seq === 5 ? { ...r, status: 502, error: "http-5xx" as const } : r.seq === 6 ? { ...r, status: 0, error: "reset" as const } : r));
    const c = noFailedRequests(records(rows));
    expect(c).toMatchObject({ ok: false, observed: 2 });
    expect(c.detail).toContain("1 http-5xx, 1 reset");
    expect(judge(records(rows)).verdict).toBe("fail");
  });

  it("no-unanswered-requests fails on an open row", () => {
    const rows = clean.map((r) => (r.seq === 7 ? { ...r, endMs: Number.NaN, status: 0, error: "unanswered" as const } : r));
    expect(noUnansweredRequests(records(rows))).toMatchObject({ ok: false, observed: 1 });
    expect(noFailedRequests(records(rows)).ok).toBe(true);
  });

  it("drained-node-exited-cleanly fails when SIGKILLed after the wait or on a non-zero code", () => {
    expect(drainedNodeExitedCleanly(records(clean)).ok).toBe(true);
    expect(drainedNodeExitedCleanly(records(clean, { drain: { ...drain, killed_after_wait: true, exit_code: 137 } })).ok).toBe(false);
    expect(drainedNodeExitedCleanly(records(clean, { drain: { ...drain, exit_code: 1 } })).ok).toBe(false);
  });

  it("traffic-continued fails when the other nodes go quiet longer than max_gap_ms", () => {
    expect(trafficContinued(records(clean)).ok).toBe(true);
    // node-2 answers nothing between 1.0 s and 2.0 s
    const rows = clean.filter((r) => !(r.node === "node-2" && r.intendedMs >= 1000 && r.intendedMs < 2000));
    const c = trafficContinued(records(rows));
    expect(c.ok).toBe(false);
    expect(c.observed).toBe("1200 ms"); // last answer 0.82 s, next 2.02 s
  });
});

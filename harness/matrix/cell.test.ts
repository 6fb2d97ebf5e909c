import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { LedgerRow } from "../load/ledger.ts";
import { storedReport } from "../report/testdata/stored-report.ts";
import { readLedgerRows, summarizeRun } from "./cell.ts";

function row(seq: number, intendedMs: number, latencyMs: number): LedgerRow {
  return { seq, id: `r-${seq}`, kind: 0, method: "GET", serviceMs: 10, intendedMs, sentMs: intendedMs, endMs: intendedMs + latencyMs, status: 200, error: "none", node: "node-2", bytes: 10, attempts: 1 };
}

describe("summarizeRun", () => {
  it("takes p99 during the drain only from rows due inside [drain.start_ms, drain.exit_ms]", () => {
    const report = storedReport(); // drain-one-node: node-1 drained from 3000.178 ms to 4623.817 ms
    const rows = [row(0, 1000, 5000), row(1, 3100, 40), row(2, 4000, 60), row(3, 4600, 80), row(4, 4700, 9000)];
    const s = summarizeRun(report, rows, "cells/x/report.json");
    expect(s.drain_requests).toBe(3);
    expect(s.drain_p99_ms).toBeCloseTo(80, 0);
    expect(s).toMatchObject({ run_id: report.run_id, verdict: "pass", failing_checks: [], report: "cells/x/report.json" });
    expect(s.counts).toEqual(report.reconciliation.counts);
  });

  it("has no drain p99 without a drain", () => {
    const report = { ...storedReport(), drain: null, drains: [] };
    expect(summarizeRun(report, [row(0, 3100, 40)], "r.json")).toMatchObject({ drain_p99_ms: null, drain_requests: 0 });
  });

  it("reads a client ledger back, NaN times included", () => {
    const path = join(mkdtempSync(join(tmpdir(), "drainlab-cell-")), "client-ledger.jsonl");
    const open = { ...row(1, 5, 0), endMs: Number.NaN, status: 0, error: "unanswered" };
    writeFileSync(path, `${JSON.stringify(row(0, 1, 2))}\n${JSON.stringify(open)}\n`);
    const rows = readLedgerRows(path);
    expect(rows).toHaveLength(2);
    expect(Number.isNaN(rows[1]!.endMs)).toBe(true);
  });
});

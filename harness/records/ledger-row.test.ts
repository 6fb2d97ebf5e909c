import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { type LedgerRow, readClientLedger, writeClientLedger } from "./ledger-row.ts";

const row = (seq: number, over: Partial<LedgerRow> = {}): LedgerRow => ({
  seq,
  id: `r-${seq}`,
  kind: 0,
  method: "GET",
  serviceMs: 10,
  intendedMs: seq,
  sentMs: seq,
  endMs: seq + 5,
  status: 200,
  error: "none",
  node: "node-2",
  bytes: 10,
  attempts: 1,
  ...over,
});

describe("client ledger jsonl", () => {
  it("reads back what it wrote, NaN times included", async () => {
    const path = join(mkdtempSync(join(tmpdir(), "drainlab-ledger-")), "client-ledger.jsonl");
    const rows = [row(0), row(1, { endMs: Number.NaN, status: 0, error: "unanswered" })];
    await writeClientLedger(path, rows);
    expect(readClientLedger(path)).toEqual({ rows, unreadable: 0 });
  });

  it("counts lines that are not ledger rows instead of failing", () => {
    const path = join(mkdtempSync(join(tmpdir(), "drainlab-ledger-")), "client-ledger.jsonl");
    writeFileSync(path, `${JSON.stringify(row(0))}\n{"id":\n[1]\n`);
    expect(readClientLedger(path)).toMatchObject({ unreadable: 2 });
  });
});

import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { row } from "../faults/test-records.ts";
import { readClientLedger, writeClientLedger } from "./ledger-row.ts";

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

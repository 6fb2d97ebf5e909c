import { once } from "node:events";
import { createWriteStream } from "node:fs";
import type { ErrorClass } from "./error-class.ts";
import { type ParsedLog, readJsonLines } from "./jsonl.ts";

/** One request as the client saw it. Times are ms since the run's t0 (NaN: did not happen). */
export interface LedgerRow {
  seq: number;
  id: string;
  kind: number;
  method: string;
  serviceMs: number;
  intendedMs: number;
  sentMs: number;
  endMs: number;
  status: number;
  error: ErrorClass;
  node: string | null;
  bytes: number;
  /** 1, or 2 when the client retried after a reused connection was reset before any response. */
  attempts: number;
  /** The load shard that sent it (load.shards > 1: request i went to shard i mod N); absent when the load ran unsharded. */
  shard?: number;
}

/** Writes the client ledger as JSON lines (NaN times become null), with backpressure. */
export async function writeClientLedger(path: string, rows: Iterable<LedgerRow>): Promise<void> {
  const out = createWriteStream(path);
  for (const row of rows) {
    if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

const TIMES = ["intendedMs", "sentMs", "endMs"] as const;

/** Reads a client ledger written by writeClientLedger; null times are NaN again ("did not happen"). */
export function readClientLedger(path: string): ParsedLog<LedgerRow> {
  return readJsonLines(
    path,
    (o) => {
      const row = o as unknown as LedgerRow;
      if (typeof row.id !== "string" || typeof row.seq !== "number") throw new Error("not a ledger row");
      for (const t of TIMES) if (row[t] === null) row[t] = Number.NaN;
      return row;
    },
    "client ledger",
  );
}

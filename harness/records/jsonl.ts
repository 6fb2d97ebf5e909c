import { existsSync } from "node:fs";
import { eachLine } from "../util/safe-file.ts";

/** One JSON object per line, as every raw record of a run is kept (client ledger, nginx log, app ledgers). */
export interface ParsedLog<T> {
  rows: T[];
  /** Lines that did not parse (a node SIGKILLed mid-write); counted, never fatal. */
  unreadable: number;
}

/** `what` names the record in a refusal ("client ledger: <path> is a FIFO ..."). */
export function readJsonLines<T>(path: string, map: (o: Record<string, unknown>) => T | undefined, what = "raw record"): ParsedLog<T> {
  if (!existsSync(path)) return { rows: [], unreadable: 0 };
  const rows: T[] = [];
  let unreadable = 0;
  // read in chunks, a line at a time: a FIFO, a device or a folder is refused (exit 2), a line past the limit is one unreadable line
  eachLine(
    path,
    what,
    (line) => {
      if (!line.trim()) return;
      try {
        const row = map(JSON.parse(line) as Record<string, unknown>);
        if (row) rows.push(row);
      } catch {
        unreadable++;
      }
    },
    () => unreadable++,
  );
  return { rows, unreadable };
}

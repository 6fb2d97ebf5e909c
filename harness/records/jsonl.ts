import { existsSync, readFileSync } from "node:fs";

/** One JSON object per line, as every raw record of a run is kept (client ledger, nginx log, app ledgers). */
export interface ParsedLog<T> {
  rows: T[];
  /** Lines that did not parse (a node SIGKILLed mid-write); counted, never fatal. */
  unreadable: number;
}

export function readJsonLines<T>(path: string, map: (o: Record<string, unknown>) => T | undefined): ParsedLog<T> {
  if (!existsSync(path)) return { rows: [], unreadable: 0 };
  const rows: T[] = [];
  let unreadable = 0;
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line.trim()) continue;
    try {
      const row = map(JSON.parse(line) as Record<string, unknown>);
      if (row) rows.push(row);
    } catch {
      unreadable++;
    }
  }
  return { rows, unreadable };
}

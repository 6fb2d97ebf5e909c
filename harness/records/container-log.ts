import { existsSync } from "node:fs";
import { eachLine } from "../util/safe-file.ts";

export interface LogLine {
  epochMs: number;
  text: string;
}

/** "2026-11-25T03:27:59.123456789Z text" lines; docker's timestamps have ns digits, Date takes ms. */
export function parseTimestamped(text: string): LogLine[] {
  return text.split("\n").flatMap((line) => timestamped(line) ?? []);
}

function timestamped(line: string): LogLine | null {
  const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z (.*)$/.exec(line);
  if (!m) return null;
  const fraction = Number(`0${m[2] ?? ""}`);
  return { epochMs: Date.parse(`${m[1]}Z`) + fraction * 1000, text: m[3]! };
}

/**
 * What a worker prints when it recycles itself: uvicorn's server (under gunicorn's UvicornWorker, which
 * hands max_requests on as limit_max_requests, and under `uvicorn --limit-max-requests`), and gunicorn's
 * own sync and threaded workers.
 */
export const RECYCLE_MARKERS = ["Maximum request limit of", "Autorestarting worker after current request"] as const;

export interface RecycleEvent {
  node: string;
  epochMs: number;
  line: string;
}

/** A node's recycles, from its container log as the teardown saved it (raw/<node>/container.log); null when that log is missing. */
export function readRecycles(path: string, node: string): RecycleEvent[] | null {
  if (!existsSync(path)) return null;
  const events: RecycleEvent[] = [];
  // a line at a time, never the whole log; a FIFO, device or folder in its place is refused (exit 2)
  eachLine(path, "container log", (line) => {
    if (!RECYCLE_MARKERS.some((m) => line.includes(m))) return;
    const l = timestamped(line);
    if (l) events.push({ node, epochMs: l.epochMs, line: l.text.trim() });
  });
  return events;
}

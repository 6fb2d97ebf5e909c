import { readFileSync } from "node:fs";

export interface LogLine {
  epochMs: number;
  text: string;
}

/** "2026-11-25T03:27:59.123456789Z text" lines; docker's timestamps have ns digits, Date takes ms. */
export function parseTimestamped(text: string): LogLine[] {
  const lines: LogLine[] = [];
  for (const line of text.split("\n")) {
    const m = /^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(\.\d+)?Z (.*)$/.exec(line);
    if (!m) continue;
    const fraction = Number(`0${m[2] ?? ""}`);
    lines.push({ epochMs: Date.parse(`${m[1]}Z`) + fraction * 1000, text: m[3]! });
  }
  return lines;
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
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return null;
  }
  return parseTimestamped(text)
    .filter((l) => RECYCLE_MARKERS.some((m) => l.text.includes(m)))
    .map((l) => ({ node, epochMs: l.epochMs, line: l.text.trim() }));
}

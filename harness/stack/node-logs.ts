import { SIGNAL_ACKS } from "../records/drain-record.ts";
import { demuxDockerLog, type Stack } from "./stack.ts";

export interface LogLine {
  epochMs: number;
  text: string;
}

/** A container's own log (stdout and stderr) since an epoch time, with docker's timestamps. */
export async function logLinesSince(stack: Stack, name: string, sinceEpochMs: number): Promise<LogLine[]> {
  const buf = (await stack
    .container(name)
    .logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(sinceEpochMs / 1000) })) as unknown as Buffer;
  return parseTimestamped(demuxDockerLog(buf).toString("utf8")).filter((l) => l.epochMs >= sinceEpochMs - 1);
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

/** The first line of the node's log at or after `sinceEpochMs` in which its server says it took the SIGTERM; null: none. */
export function signalAcknowledgement(lines: LogLine[], sinceEpochMs: number): LogLine | null {
  return lines.find((l) => l.epochMs >= sinceEpochMs - 1 && SIGNAL_ACKS.some((ack) => l.text.includes(ack))) ?? null;
}

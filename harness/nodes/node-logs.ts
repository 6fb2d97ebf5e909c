import { type LogLine, parseTimestamped } from "../records/container-log.ts";
import { SIGNAL_ACKS } from "../records/drain-record.ts";
import type { StackHandle } from "./stack-handle.ts";

/** A node's own log (stdout and stderr) since an epoch time, with docker's timestamps. */
export async function logLinesSince(stack: StackHandle, name: string, sinceEpochMs: number): Promise<LogLine[]> {
  return parseTimestamped(await stack.logSince(name, sinceEpochMs)).filter((l) => l.epochMs >= sinceEpochMs - 1);
}

/** The first line of the node's log at or after `sinceEpochMs` in which its server says it took the SIGTERM; null: none. */
export function signalAcknowledgement(lines: LogLine[], sinceEpochMs: number): LogLine | null {
  return lines.find((l) => l.epochMs >= sinceEpochMs - 1 && SIGNAL_ACKS.some((ack) => l.text.includes(ack))) ?? null;
}

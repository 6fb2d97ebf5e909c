import { type LogLine, parseTimestamped } from "../records/container-log.ts";
import { SIGNAL_ACKS } from "../records/drain-record.ts";
import { demuxDockerLog, type Stack } from "./stack.ts";

/** A container's own log (stdout and stderr) since an epoch time, with docker's timestamps. */
export async function logLinesSince(stack: Stack, name: string, sinceEpochMs: number): Promise<LogLine[]> {
  const buf = (await stack
    .container(name)
    .logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(sinceEpochMs / 1000) })) as unknown as Buffer;
  return parseTimestamped(demuxDockerLog(buf).toString("utf8")).filter((l) => l.epochMs >= sinceEpochMs - 1);
}

/** The first line of the node's log at or after `sinceEpochMs` in which its server says it took the SIGTERM; null: none. */
export function signalAcknowledgement(lines: LogLine[], sinceEpochMs: number): LogLine | null {
  return lines.find((l) => l.epochMs >= sinceEpochMs - 1 && SIGNAL_ACKS.some((ack) => l.text.includes(ack))) ?? null;
}

import { type LogLine, parseTimestamped } from "../records/container-log.ts";
import { SIGNAL_ACKS } from "../records/drain-record.ts";
import type { StackHandle } from "./stack-handle.ts";

/** A container's own log (stdout and stderr) since an epoch time, with docker's timestamps. */
export async function logLinesSince(stack: StackHandle, name: string, sinceEpochMs: number): Promise<LogLine[]> {
  const buf = (await stack
    .container(name)
    .logs({ stdout: true, stderr: true, timestamps: true, since: Math.floor(sinceEpochMs / 1000) })) as unknown as Buffer;
  return parseTimestamped(demuxDockerLog(buf).toString("utf8")).filter((l) => l.epochMs >= sinceEpochMs - 1);
}

/** The first line of the node's log at or after `sinceEpochMs` in which its server says it took the SIGTERM; null: none. */
export function signalAcknowledgement(lines: LogLine[], sinceEpochMs: number): LogLine | null {
  return lines.find((l) => l.epochMs >= sinceEpochMs - 1 && SIGNAL_ACKS.some((ack) => l.text.includes(ack))) ?? null;
}

/** Docker's multiplexed log stream: 8-byte frame headers before each chunk. */
export function demuxDockerLog(buf: Buffer): Buffer {
  const parts: Buffer[] = [];
  let i = 0;
  while (i + 8 <= buf.length && (buf[i] === 1 || buf[i] === 2) && buf[i + 1] === 0) {
    const size = buf.readUInt32BE(i + 4);
    parts.push(buf.subarray(i + 8, i + 8 + size));
    i += 8 + size;
  }
  return parts.length > 0 ? Buffer.concat(parts) : buf;
}

import { describe, expect, it } from "vitest";
import type { Records } from "../records/records.ts";
import type { AppEvent } from "../records/server-logs.ts";
import type { SessionRecord } from "../records/session-record.ts";
import { withSocketDuplicates } from "./build-report.ts";

const session = (id: string, kind: SessionRecord["kind"], duplicate_units?: number): SessionRecord => ({
  id,
  kind,
  mix: 0,
  intended_ms: 0,
  start_ms: 0,
  first_byte_ms: 1,
  end_ms: 2,
  nodes: [],
  connections: 2,
  reconnects: 1,
  status: 0,
  error: null,
  complete: true,
  units: 1,
  expected_units: 1,
  gaps: [],
  close_codes: [1012, 1000],
  lost_messages: 0,
  ...(duplicate_units === undefined ? {} : { duplicate_units }),
});
const message = (id: string, node: string, msg: string) =>
  ({ event: "ws-message", id, node, pid: 7, epochMs: 0, msg }) as unknown as AppEvent;

describe("the report's sessions", () => {
  it("a WebSocket carries the messages its app received twice (from the app ledger), so every view shows them as a feed's", () => {
    const app = [
      message("r-s1", "node-1", '{"op": "subscribe"}'),
      message("r-s1.r1", "node-2", '{"op": "subscribe"}'),
      message("r-s2", "node-1", "1"),
      message("r-s2", "node-1", "2"),
    ];
    const records = {
      sessions: [session("r-s1", "websocket"), session("r-s2", "websocket"), session("r-s3", "sse", 3)],
      server: { sessions: { app } },
    } as unknown as Records;
    expect(withSocketDuplicates(records).map((s) => [s.id, s.duplicate_units])).toEqual([
      ["r-s1", 1],
      ["r-s2", 0],
      ["r-s3", 3],
    ]);
  });
});

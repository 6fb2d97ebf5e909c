import { describe, expect, it } from "vitest";
import type { SessionRecord } from "../records/session-record.ts";
import { sessionFigures } from "./session-figures.ts";

const session = (over: Partial<SessionRecord>): SessionRecord =>
  ({
    id: "s",
    kind: "websocket",
    mix: 0,
    intended_ms: 0,
    start_ms: 0,
    first_byte_ms: 10,
    end_ms: 100,
    nodes: [],
    connections: 1,
    reconnects: 0,
    status: 0,
    error: null,
    complete: true,
    units: 1,
    expected_units: 0,
    gaps: [],
    close_codes: [],
    lost_messages: 0,
    ...over,
  }) as SessionRecord;

describe("the sessions' figures, computed once per kind", () => {
  it("counts each kind and takes the unit delay's p99 by nearest rank", () => {
    const delays = Array.from({ length: 200 }, (_, i) => i + 1);
    const [ws, sse] = sessionFigures([
      session({ close_codes: [1012, 1000], reconnects: 1, unit_delays_ms: delays }),
      session({ close_codes: [1000], lost_messages: 2, first_byte_ms: 30 }),
      session({ kind: "sse", gaps: [{ after: 3, next: 6 }], duplicate_units: 1, first_byte_ms: null }),
    ]);
    expect(ws).toMatchObject({
      kind: "websocket",
      sessions: 2,
      reconnects: 1,
      lost: 2,
      close_codes: [
        { code: 1000, count: 2 },
        { code: 1012, count: 1 },
      ],
      first_byte_p50_ms: 30,
      first_byte_max_ms: 30,
      unit_delay_p99_ms: 198,
      unit_delay_max_ms: 200,
    });
    expect(sse).toMatchObject({ kind: "sse", lost: 2, duplicates: 1, first_byte_p50_ms: null, unit_delay_p99_ms: null });
  });
});

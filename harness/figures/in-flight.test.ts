import { describe, expect, it } from "vitest";
import { clean, drain, records, T0 } from "../verdict/testdata/records.ts";
import { heldAt, inFlightAtSignal, openings } from "./in-flight.ts";

describe("in flight at the signal", () => {
  it("counts what the drained node had started and not finished at its SIGTERM, by kind", () => {
    const r = records(clean());
    // node-1's last request finished long before its SIGTERM at 2.0 s
    expect(inFlightAtSignal(r)).toEqual([{ node: "node-1", requests: 0, sessions: 0, tasks: 0 }]);
    // a 3 s request on node-1 started at 1.5 s, a background task still running, a WebSocket open
    const app = [
      ...r.server.app,
      { epochMs: T0 + 1500, event: "start" as const, id: "long", node: "node-1", pid: 7 },
      { epochMs: T0 + 4500, event: "finish" as const, id: "long", node: "node-1", pid: 7, status: 200 },
      { epochMs: T0 + 1900, event: "task-start" as const, id: "t", node: "node-1", pid: 7 },
    ];
    const sessions = { nginx: [], app: [{ epochMs: T0 + 100, event: "ws-open" as const, id: "ws", node: "node-1", pid: 8 }] };
    const held = inFlightAtSignal({ drains: [drain], server: { ...r.server, app, sessions } });
    expect(held).toEqual([{ node: "node-1", requests: 1, sessions: 1, tasks: 1 }]);
    // a finish before the instant closes it; a cancel does too
    expect(heldAt(openings({ ...r.server, app }), "node-1", T0 + 4600).requests).toBe(0);
  });

  it("is unknown without an app ledger or a signal time", () => {
    const r = records(clean());
    expect(inFlightAtSignal({ drains: [drain], server: { ...r.server, app: [] } })).toEqual([null]);
    expect(inFlightAtSignal({ drains: [{ ...drain, step_times_known: false }], server: r.server })).toEqual([null]);
  });
});

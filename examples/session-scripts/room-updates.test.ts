import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { Sessions } from "../../harness/load/sessions.ts";
import { Scenario } from "../../harness/scenario/schema.ts";

// room-updates.mjs played through drainlab's sessions against a stand-in for the
// app's room feed in this process: 6 updates, one every 5 ms. `?drain=1012` closes
// the first connection cleanly after update 3 (a node draining); `replay=1` answers
// a resubscribe from update 1 again; `skip=1` from one past the next.
const SCRIPT = fileURLToPath(new URL("./room-updates.mjs", import.meta.url));
let url = "";
let wss: WebSocketServer;
let connections = 0;
const subscribes: unknown[] = [];

beforeAll(async () => {
  wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await once(wss, "listening");
  url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  wss.on("connection", (socket, req) => {
    const first = connections++ === 0;
    const q = new URL(req.url!, "http://x").searchParams;
    socket.on("message", (data) => {
      const sub = JSON.parse(String(data)) as { after: number };
      subscribes.push(sub);
      socket.send(JSON.stringify({ type: "hello", total: 6 }));
      let seq = first ? sub.after : q.get("replay") ? 0 : q.get("skip") ? sub.after + 1 : sub.after;
      const timer = setInterval(() => {
        if (first && q.get("drain") && seq === 3) {
          clearInterval(timer);
          return socket.close(1012);
        }
        if (seq >= 6) {
          clearInterval(timer);
          return socket.send(JSON.stringify({ type: "end" }));
        }
        socket.send(JSON.stringify({ type: "update", seq: ++seq }));
      }, 5);
      socket.on("close", () => clearInterval(timer));
    });
  });
});
afterAll(() => wss.close());

async function play(path: string) {
  connections = 0;
  subscribes.length = 0;
  const kind = Scenario.parse({ name: "t", load: { mix: [{ kind: "websocket", session: SCRIPT }] } }).load.mix[0]!;
  const done = new AbortController();
  const sessions = new Sessions({ url, t0: performance.now(), timeoutMs: 5000, fixture: false, signal: done.signal, onStarted: () => {} });
  sessions.start("run-s1", kind, 0, 0, path);
  await sessions.settle(5000, () => done.abort());
  return sessions.records[0]!;
}

describe("examples/session-scripts/room-updates.mjs", () => {
  it("a room feed read to its end: complete, closed by the client", async () => {
    const r = await play("/ws/rooms");
    expect(r).toMatchObject({
      kind: "websocket",
      complete: true,
      units: 6,
      expected_units: 6,
      close_codes: [1000],
      connections: 1,
      error: null,
    });
  });

  it("a drain's 1012: it subscribes again after the last update it saw, on a new connection id; nothing lost", async () => {
    const r = await play("/ws/rooms?drain=1012");
    expect(subscribes).toEqual([
      { subscribe: "room-1", after: 0 },
      { subscribe: "room-1", after: 3 },
    ]);
    expect(r).toMatchObject({ complete: true, units: 6, reconnects: 1, connections: 2, close_codes: [1012, 1000], lost_messages: 0 });
  });

  it("a resubscribe that replays: duplicates counted; one that skips: an update lost, not complete", async () => {
    expect(await play("/ws/rooms?drain=1012&replay=1")).toMatchObject({ complete: true, units: 6, duplicate_units: 3 });
    const skipped = await play("/ws/rooms?drain=1012&skip=1");
    expect(skipped).toMatchObject({ complete: false, lost_messages: 1 });
    expect(skipped.error).toMatch(/1 unit\(s\) lost: updates 4-4 never came/);
  });
});

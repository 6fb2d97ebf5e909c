import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { Scenario } from "../scenario/schema.ts";
import { RequestMix, seededRandom } from "./mix.ts";
import { Sessions } from "./sessions.ts";

// The client side of the long-lived kinds, against a throwaway server in this
// process: the verdicts come from the real stack (test/*.container.test.ts).
let url = "";
const server = createServer((req, res) => {
  const u = new URL(req.url!, "http://x");
  res.setHeader("x-node", "node-1");
  if (u.pathname === "/stream") {
    res.write("chunk 0\n");
    if (u.searchParams.get("cut")) return res.destroy();
    res.end("chunk 1\nEND\n");
    return;
  }
  if (u.pathname === "/events") {
    // the first connection ends after id 2; a reconnect resumes after Last-Event-ID (or skips ahead with skip=1)
    const last = Number(req.headers["last-event-id"] ?? 0);
    res.setHeader("content-type", "text/event-stream");
    if (last === 0) return res.end("id: 1\ndata: a\n\nid: 2\ndata: b\n\n");
    const from = u.searchParams.get("skip") ? last + 3 : last + 1;
    res.end(`id: ${from}\ndata: c\n\nid: ${from + 1}\ndata: d\n\nevent: end\ndata: end\n\n`);
  }
  if (u.pathname === "/poll") {
    // 4 events, two per poll; the second poll fails once (a node going away); skip=1 loses events 3 and 4's first
    const cursor = Number(u.searchParams.get("cursor"));
    polls.push(cursor);
    if (cursor === 2 && polls.filter((c) => c === 2).length === 1) {
      res.statusCode = 502;
      return res.end("bad gateway");
    }
    const from = u.searchParams.get("skip") && cursor === 2 ? cursor + 2 : cursor + 1;
    const ids = [from, from + 1].filter((n) => n <= 5);
    res.end(JSON.stringify({ ids, end: ids.at(-1)! >= 4 }));
  }
});
const polls: number[] = [];

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

async function one(kind: object, path: string) {
  const k = Scenario.parse({ name: "t", system: undefined, load: { mix: [{ ...kind }] } }).load.mix[0]!;
  const done = new AbortController();
  const sessions = new Sessions({ url, t0: performance.now(), timeoutMs: 5000, fixture: false, signal: done.signal, onStarted: () => {} });
  sessions.start("run-s1", k, 0, 0, path);
  await sessions.settle(5000, () => done.abort());
  return sessions.records[0]!;
}

describe("sessions: streams and Server-Sent Events", () => {
  it("a stream is complete when it ends with the end marker, and truncated when cut before it", async () => {
    expect(await one({ kind: "stream", chunks: 2 }, "/stream")).toMatchObject({ complete: true, units: 2, nodes: ["node-1"], error: null });
    const cut = await one({ kind: "stream", chunks: 2 }, "/stream?cut=1");
    expect(cut.complete).toBe(false);
    expect(cut.error).toBeTruthy();
  });

  it("an SSE client reconnects with Last-Event-ID: resumed, nothing lost; skipped ahead, a gap", async () => {
    const resumed = await one({ kind: "sse", events: 4 }, "/events");
    expect(resumed).toMatchObject({ complete: true, units: 4, reconnects: 1, connections: 2, gaps: [] });
    // every event in the record: how late it came on the feed's clock
    expect(resumed.unit_delays_ms).toHaveLength(4);
    const skipped = await one({ kind: "sse", events: 4 }, "/events?skip=1");
    expect(skipped.gaps).toEqual([{ after: 2, next: 5 }]);
    expect(skipped.complete).toBe(false);
  });
});

describe("sessions: long polls", () => {
  it("each poll carries the last id as its cursor; a failed poll is sent again with the same cursor", async () => {
    polls.length = 0;
    const r = await one({ kind: "longpoll", events: 4 }, "/poll");
    expect(polls).toEqual([0, 2, 2]);
    expect(r).toMatchObject({ complete: true, units: 4, reconnects: 1, connections: 3, gaps: [], error: null });
    expect(r.unit_delays_ms).toHaveLength(4);
  });

  it("a poll answered from past the cursor is a gap: events lost", async () => {
    polls.length = 0;
    const r = await one({ kind: "longpoll", events: 4 }, "/poll?skip=1");
    expect(r.gaps).toEqual([{ after: 2, next: 4 }]);
    expect(r.complete).toBe(false);
  });

  it("a feed the server ends short of its last event lost the rest (a re-poll just after it was due)", async () => {
    // the server's feed ends after id 4 while the scenario declares 5 events
    const poll = await one({ kind: "longpoll", events: 5 }, "/poll");
    expect(poll.gaps).toEqual([{ after: 4, next: 6 }]);
    expect(poll.complete).toBe(false);
    const sse = await one({ kind: "sse", events: 5 }, "/events");
    expect(sse.gaps).toEqual([{ after: 4, next: 6 }]);
    expect(sse.complete).toBe(false);
  });
});

describe("the mix's paths for the fixture's long-lived kinds", () => {
  it("sends streams, feeds and sockets to their endpoints and background tasks with task_ms", () => {
    const mix = Scenario.parse({
      name: "t",
      load: {
        mix: [
          { kind: "stream", chunks: 5, interval_ms: 200 },
          { kind: "sse", events: 7, resume: false },
          { kind: "websocket" },
          { method: "POST", path: "/background", task_ms: 900 },
          { kind: "longpoll", events: 5, interval_ms: 500, hold_ms: 3000 },
        ],
      },
    }).load.mix;
    const m = new RequestMix(mix, seededRandom(1));
    const seen = new Map<number, { path: string; session: boolean }>();
    for (let i = 0; i < 400; i++) {
      const r = m.next();
      seen.set(r.kind, { path: r.path, session: r.session });
    }
    expect(seen.get(0)).toEqual({ path: "/stream?chunks=5&interval_ms=200", session: true });
    expect(seen.get(1)).toEqual({ path: "/events?events=7&interval_ms=100&resume=0", session: true });
    expect(seen.get(2)).toEqual({ path: "/ws", session: true });
    expect(seen.get(3)).toEqual({ path: "/background?ms=0&task_ms=900", session: false });
    expect(seen.get(4)).toEqual({ path: "/poll?events=5&interval_ms=500&hold_ms=3000&resume=1", session: true });
  });
});

describe("sessions: WebSockets", () => {
  // an echo server on its own port: `?close=1012` closes the first connection cleanly right after
  // message 3 arrives, unechoed; `?close=drop` ends it with no close frame (the client sees 1006)
  let wsUrl = "";
  let connections = 0;
  let wss: WebSocketServer;
  beforeAll(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    await once(wss, "listening");
    wsUrl = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on("connection", (socket, req) => {
      const first = connections++ === 0;
      const how = new URL(req.url!, "http://x").searchParams.get("close");
      socket.on("message", (data) => {
        if (first && how && String(data) === "3") return how === "drop" ? socket.terminate() : socket.close(1012);
        socket.send(data);
      });
    });
  });
  afterAll(() => wss.close());

  async function socket(path: string) {
    connections = 0;
    const k = Scenario.parse({ name: "t", load: { mix: [{ kind: "websocket", messages: 5, interval_ms: 20 }] } }).load.mix[0]!;
    const done = new AbortController();
    const sessions = new Sessions({
      url: wsUrl,
      t0: performance.now(),
      timeoutMs: 5000,
      fixture: false,
      signal: done.signal,
      onStarted: () => {},
    });
    sessions.start("run-s1", k, 0, 0, path);
    await sessions.settle(5000, () => done.abort());
    return sessions.records[0]!;
  }

  it("after a clean close (1012) the client reconnects and sends again what was never echoed: nothing lost", async () => {
    const r = await socket("/ws?close=1012");
    expect(r).toMatchObject({ complete: true, units: 5, reconnects: 1, close_codes: [1012, 1000], lost_messages: 0, resent_messages: 1 });
  });

  it("a connection that ends with no close frame (1006) loses what it had not echoed", async () => {
    const r = await socket("/ws?close=drop");
    expect(r).toMatchObject({ complete: false, close_codes: [1006], lost_messages: 1 });
    expect(r.resent_messages).toBeUndefined();
  });

  it("a clean run echoes every message and closes with 1000", async () => {
    const r = await socket("/ws");
    expect(r).toMatchObject({ complete: true, units: 5, close_codes: [1000], lost_messages: 0 });
    // each echo's round trip, from its own send
    expect(r.unit_delays_ms).toHaveLength(5);
    expect(Math.max(...r.unit_delays_ms!)).toBeLessThan(1000);
  });
});

import { createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { type AddressInfo, createServer as createTcpServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
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
  if (u.pathname === "/export") {
    // a user's NDJSON export: chunked, no end marker; cut=1 ends the connection after a last line that looks like an end
    res.write('{"id":1}\n{"id":');
    res.write("2}\n");
    if (u.searchParams.get("cut")) return void res.write('{"id":3}\nEND\n', () => setTimeout(() => res.destroy(), 20));
    return void res.end('{"id":3}\n');
  }
  if (u.pathname === "/search" && req.method === "POST") {
    // a POST whose answer streams n NDJSON rows, for a caller with its token
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      if (req.headers.authorization !== "Bearer t") {
        res.statusCode = 401;
        return void res.end("{}\n");
      }
      const n = (JSON.parse(body) as { n: number }).n;
      res.end(Array.from({ length: n }, (_, i) => `{"row":${i}}\n`).join(""));
    });
    return;
  }
  if (u.pathname === "/rows") {
    // ids seen by a session script's fetches, and the headers they carried
    scriptCalls.push({ id: String(req.headers["x-request-id"]), token: String(req.headers.authorization) });
    return void res.end(JSON.stringify({ rows: [1, 2, 3], next: u.searchParams.get("after") ? null : 3 }));
  }
  if (u.pathname === "/file") {
    // a download with content-length; cut=1 sends 4 of its 10 bytes
    res.setHeader("content-length", "10");
    if (u.searchParams.get("cut")) {
      res.write("0123");
      return void setTimeout(() => res.destroy(), 20);
    }
    return void res.end("0123456789");
  }
  if (u.pathname === "/feed") {
    // a user's feed, sse-starlette style: opaque ids, a ping comment, its own retry; the first connection ends
    // after id b7; a reconnect resumes after Last-Event-ID (or, replay=1, starts over) and ends with `event: done`
    feedConnections.push({ at: performance.now(), lastEventId: String(req.headers["last-event-id"] ?? "") });
    res.setHeader("content-type", "text/event-stream");
    const retry = u.searchParams.get("retry") ?? "50";
    if (!req.headers["last-event-id"]) return void res.end(`retry: ${retry}\n\n: ping\n\nid: a1\ndata: x\n\nid: b7\ndata: y\ndata: z\n\n`);
    const replay = u.searchParams.get("replay") ? "id: a1\ndata: x\n\nid: b7\ndata: y\n\n" : "";
    return void res.end(`${replay}id: c3\ndata: w\n\nevent: done\ndata:\n\n`);
  }
  if (u.pathname === "/forever") {
    // a feed that never ends: an event every 20 ms until the client leaves
    res.setHeader("content-type", "text/event-stream");
    let n = 0;
    const timer = setInterval(() => res.write(`id: ${++n}\ndata: tick\n\n`), 20);
    res.on("close", () => clearInterval(timer));
    return;
  }
  if (u.pathname === "/since") {
    // a user's feed: events e-a ... e-e, two per poll after `since`; replay=1 answers each poll from the start
    const since = u.searchParams.get("since");
    sincePolls.push(since);
    const all = ["e-a", "e-b", "e-c", "e-d", "e-e"];
    if (u.searchParams.get("forever"))
      return void setTimeout(() => res.end(JSON.stringify({ data: { events: [`t-${Math.random()}`] } })), 20);
    const at = since === null ? -1 : all.indexOf(since);
    const from = u.searchParams.get("replay") ? Math.max(0, at) : at + 1;
    const events = all.slice(from, from + 2).map((id) => ({ id, body: "x" }));
    const over = events.at(-1)?.id === "e-e" || events.length === 0;
    return void res.end(JSON.stringify({ data: { events, over } }));
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
/** A user's stack, for the protocols the fixture does not speak (nothing here starts it). */
const SYSTEM = { app: { image: "app:1" }, nginx: { config: "n.conf", upstream: "api" } };
const polls: number[] = [];
const sincePolls: Array<string | null> = [];
const feedConnections: Array<{ at: number; lastEventId: string }> = [];
const scriptCalls: Array<{ id: string; token: string }> = [];

beforeAll(async () => {
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => server.close());

/** One session; fixture: the fixture's preset protocol (`chunk i` ... `END`, numeric ids and `event: end`), else a user's app's. */
async function one(kind: object, path: string, fixture = true) {
  const k = Scenario.parse({
    name: "t",
    ...(fixture ? {} : { system: SYSTEM }),
    load: { mix: [{ ...(fixture ? {} : { path }), ...kind }] },
  }).load.mix[0]!;
  const done = new AbortController();
  const sessions = new Sessions({ url, t0: performance.now(), timeoutMs: 5000, fixture, signal: done.signal, onStarted: () => {} });
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

describe("sessions: connections", () => {
  it("each connection is opened for its request and carries only it: none opened ahead, none idle, none reused", async () => {
    // nginx serves a connection's first request with the configuration of the worker that accepted it:
    // a connection opened before a reload and first used after it goes where the old configuration says
    const requests = new Map<object, number>();
    const slow = createServer((req, res) => {
      requests.set(req.socket, (requests.get(req.socket) ?? 0) + 1);
      res.write("chunk 0\n");
      setTimeout(() => res.end("chunk 1\nEND\n"), 20 + (Number(req.headers["x-request-id"]!.slice(5)) % 5) * 30);
    });
    slow.on("connection", (socket) => requests.set(socket, 0));
    slow.listen(0, "127.0.0.1");
    await once(slow, "listening");
    try {
      const k = Scenario.parse({ name: "t", load: { mix: [{ kind: "stream", chunks: 2 }] } }).load.mix[0]!;
      const done = new AbortController();
      const base = `http://127.0.0.1:${(slow.address() as AddressInfo).port}`;
      const sessions = new Sessions({
        url: base,
        t0: performance.now(),
        timeoutMs: 5000,
        fixture: true,
        signal: done.signal,
        onStarted: () => {},
      });
      for (let i = 0; i < 40; i++) {
        sessions.start(`run-s${i}`, k, 0, 0, "/stream");
        if (i % 4 === 3) await new Promise((r) => setTimeout(r, 15));
      }
      await sessions.settle(5000, () => done.abort());
      expect(sessions.records.every((r) => r.complete)).toBe(true);
      expect([...requests.values()]).toEqual(Array.from({ length: 40 }, () => 1));
    } finally {
      slow.closeAllConnections();
      slow.close();
    }
  });
});

describe("sessions: a user's streams, by their framing", () => {
  it("an NDJSON export without an end marker is complete when its chunked body ended: today's false failure", async () => {
    const r = await one({ kind: "stream", unit: "ndjson" }, "/export", false);
    expect(r).toMatchObject({ complete: true, units: 3, error: null, expected_units: 0 });
    expect(await one({ kind: "stream" }, "/export", false)).toMatchObject({ complete: true, units: 0, bytes: 27 });
  });

  it("a body cut after its headers is truncated whatever its last bytes (here the end marker)", async () => {
    const r = await one({ kind: "stream", end_marker: "END" }, "/export?cut=1", false);
    expect(r.complete).toBe(false);
    expect(r.error).toMatch(/^cut before the end of its body/);
  });

  it("sends the entry's method, body and headers: a POST search streaming NDJSON rows, and a 401 is not complete", async () => {
    const search = { kind: "stream", method: "POST", body: { n: 3 }, unit: "ndjson", chunks: 3 };
    const r = await one({ ...search, headers: { authorization: "Bearer t" } }, "/search", false);
    expect(r).toMatchObject({ complete: true, units: 3, status: 200 });
    expect(await one(search, "/search", false)).toMatchObject({ complete: false, status: 401, error: "status 401" });
  });

  it("a content-length download is complete with all its bytes, truncated with fewer", async () => {
    expect(await one({ kind: "stream", unit: "bytes:5" }, "/file", false)).toMatchObject({ complete: true, units: 2, bytes: 10 });
    const cut = await one({ kind: "stream", unit: "bytes:5" }, "/file?cut=1", false);
    expect(cut).toMatchObject({ complete: false, bytes: 4 });
  });

  it("the fixture's preset: all chunks and END are complete; fewer chunks than stated are not, END or not", async () => {
    expect(await one({ kind: "stream", chunks: 2 }, "/stream")).toMatchObject({ complete: true, units: 2, expected_units: 2 });
    expect(await one({ kind: "stream", chunks: 10 }, "/stream")).toMatchObject({ complete: false, units: 2, error: "2 of 10 units" });
  });
});

describe("sessions: streams on raw HTTP bytes written over TCP", () => {
  // answers in the shape nginx writes them (written by hand, byte for byte, not captured): a stream whose
  // upstream was cut after "END\n" (nginx sends no last chunk and closes), the whole stream (with the
  // chunked terminator), and a content-length body that ends short
  const head =
    "HTTP/1.1 200 OK\r\nServer: nginx/1.26.3\r\nContent-Type: text/plain\r\nTransfer-Encoding: chunked\r\nConnection: keep-alive\r\nX-Node: node-1\r\n\r\n";
  const chunks = "8\r\nchunk 0\n\r\n8\r\nchunk 1\n\r\n4\r\nEND\n\r\n";
  const replies: Record<string, string> = {
    "/cut": head + chunks,
    "/whole": `${head + chunks}0\r\n\r\n`,
    "/short-length": "HTTP/1.1 200 OK\r\nContent-Length: 100\r\nX-Node: node-2\r\n\r\nchunk 0\nEND\n",
  };
  let raw = "";
  const tcp = createTcpServer((socket) => {
    socket.once("data", (req) => {
      const path = String(req).split(" ")[1]!;
      // each reply written in two pieces: a frame split across TCP segments
      const reply = Buffer.from(replies[path]!);
      socket.write(reply.subarray(0, 40));
      setTimeout(() => socket.end(reply.subarray(40)), 10);
    });
  });
  beforeAll(async () => {
    tcp.listen(0, "127.0.0.1");
    await once(tcp, "listening");
    raw = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
  });
  afterAll(() => tcp.close());

  async function replay(path: string, kind: object, fixture: boolean) {
    const k = Scenario.parse({ name: "t", load: { mix: [{ kind: "stream", ...kind }] } }).load.mix[0]!;
    const done = new AbortController();
    const sessions = new Sessions({ url: raw, t0: performance.now(), timeoutMs: 5000, fixture, signal: done.signal, onStarted: () => {} });
    sessions.start("run-s1", k, 0, 0, path);
    await sessions.settle(5000, () => done.abort());
    return sessions.records[0]!;
  }

  it("a chunked body cut after END (no terminator) is truncated, for the fixture's preset and for a user's end_marker", async () => {
    expect(await replay("/cut", { chunks: 2 }, true)).toMatchObject({ complete: false, units: 2, nodes: ["node-1"] });
    const user = await replay("/cut", { end_marker: "END" }, false);
    expect(user.complete).toBe(false);
    expect(user.error).toMatch(/^cut before the end of its body/);
  });

  it("the same bytes with the terminator are complete; a content-length body short of its length is not", async () => {
    expect(await replay("/whole", { chunks: 2 }, true)).toMatchObject({ complete: true, units: 2, bytes: 20 });
    expect(await replay("/whole", {}, false)).toMatchObject({ complete: true, bytes: 20 });
    expect(await replay("/short-length", { end_marker: "END" }, false)).toMatchObject({ complete: false, bytes: 12 });
  });
});

describe("sessions: a WebSocket on raw frame bytes written over TCP", () => {
  // a subscription server written byte for byte (RFC 6455, not captured): after the client's first frame it
  // sends an update as one text frame cut inside its header, an update fragmented into a text frame without
  // FIN and a continuation frame (each cut across TCP writes), then {"done":true}; cut=1 then ends the TCP
  // connection with no close frame, before the second subscription's answer
  const frame = (opcode: number, text: string, fin = true) => {
    const payload = Buffer.from(text);
    return Buffer.concat([Buffer.from([(fin ? 0x80 : 0) | opcode, payload.length]), payload]);
  };
  const answer = Buffer.concat([frame(1, '{"seq":1}'), frame(1, '{"seq":', false), frame(0, "2}"), frame(1, '{"done":true}')]);
  let raw = "";
  const tcp = createTcpServer((socket) => {
    let upgraded = false;
    let subscriptions = 0;
    let cut = false;
    socket.on("data", (data) => {
      if (!upgraded) {
        const head = String(data);
        cut = head.startsWith("GET /ws?cut=1 ");
        const key = /sec-websocket-key: *(\S+)/i.exec(head)![1]!;
        const accept = createHash("sha1").update(`${key}258EAFA5-E914-47DA-95CA-C5AB0DC85B11`).digest("base64");
        socket.write(
          `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${accept}\r\n\r\n`,
        );
        upgraded = true;
        return;
      }
      const opcode = data[0]! & 0x0f;
      if (opcode === 8) return void socket.end(Buffer.from([0x88, 2, 0x03, 0xe8]));
      if (++subscriptions === 2 && cut) return void socket.destroy();
      // cut at every 3rd byte: frame headers and payloads split across writes
      for (let at = 0; at < answer.length; at += 3) socket.write(answer.subarray(at, at + 3));
    });
  });
  beforeAll(async () => {
    tcp.listen(0, "127.0.0.1");
    await once(tcp, "listening");
    raw = `http://127.0.0.1:${(tcp.address() as AddressInfo).port}`;
  });
  afterAll(() => tcp.close());

  async function replay(path: string) {
    const k = Scenario.parse({
      name: "t",
      system: SYSTEM,
      load: { mix: [{ kind: "websocket", path, send: "sub {n}", messages: 2, interval_ms: 50, expect: 'until:"done":true' }] },
    }).load.mix[0]!;
    const done = new AbortController();
    const sessions = new Sessions({
      url: raw,
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

  it("frames split anywhere and a fragmented message are read whole: both subscriptions answered, closed with 1000", async () => {
    expect(await replay("/ws")).toMatchObject({ complete: true, units: 2, close_codes: [1000], lost_messages: 0, error: null });
  });

  it("the connection ended with no close frame (1006) before the second subscription's answer: that message is lost", async () => {
    expect(await replay("/ws?cut=1")).toMatchObject({ complete: false, units: 1, close_codes: [1006], lost_messages: 1 });
  });
});

describe("sessions: a user's Server-Sent Events feed", () => {
  it("opaque ids: a reconnect sends the last id, honours the feed's retry:, and ends on its end_event", async () => {
    feedConnections.length = 0;
    const r = await one({ kind: "sse", end_event: "done" }, "/feed?retry=300", false);
    expect(r).toMatchObject({ complete: true, units: 3, reconnects: 1, connections: 2, duplicate_units: 0, gaps: [], error: null });
    expect(feedConnections.map((c) => c.lastEventId)).toEqual(["", "b7"]);
    // retry: 300, not the default 100 ms
    expect(feedConnections[1]!.at - feedConnections[0]!.at).toBeGreaterThanOrEqual(280);
  });

  it("a resume that replays what the client had: each event counted once, the replays as duplicate_units", async () => {
    const r = await one({ kind: "sse", end_event: "done", events: 3 }, "/feed?replay=1", false);
    expect(r).toMatchObject({ complete: true, units: 3, duplicate_units: 2, gaps: [] });
  });

  it("reconnect: false ends the feed at the server's close; `events` stated and not reached is a loss", async () => {
    expect(await one({ kind: "sse", reconnect: false }, "/feed", false)).toMatchObject({ complete: true, units: 2, connections: 1 });
    const short = await one({ kind: "sse", reconnect: false, events: 3 }, "/feed", false);
    expect(short).toMatchObject({ complete: false, gaps: [{ after: 2, next: 4, after_id: "b7" }] });
  });

  it("duration_s: a feed that never ends is read that long, then closed, complete", async () => {
    const r = await one({ kind: "sse", id_order: "numeric", duration_s: 0.3 }, "/forever", false);
    expect(r).toMatchObject({ complete: true, error: null, reconnects: 0, gaps: [] });
    expect(r.units).toBeGreaterThan(3);
    expect(r.end_ms! - r.start_ms).toBeGreaterThanOrEqual(290);
    expect(r.end_ms! - r.start_ms).toBeLessThan(2000);
  });
});

describe("sessions: a session script (session:)", () => {
  const script = (body: string) => {
    const file = join(mkdtempSync(join(tmpdir(), "drainlab-script-")), "s.mjs");
    writeFileSync(file, `export default async function (ctx) {\n${body}\n}\n`);
    return file;
  };
  const kindWith = (session: string) => ({ kind: "stream", session, headers: { authorization: "Bearer t" } });

  it("fetch is bound to the run's URL, the entry's headers and one request id per connection; units, duplicates, expect", async () => {
    scriptCalls.length = 0;
    const file = script(`
      ctx.expect(4);
      let after = "";
      for (;;) {
        const page = await (await ctx.fetch(\`\${ctx.path}\${after}\`)).json();
        for (const id of page.rows) ctx.unit(id);
        if (page.next === null) break;
        after = "?after=" + page.next;
      }
      ctx.unit("last");`);
    const r = await one(kindWith(file), "/rows", false);
    expect(scriptCalls).toEqual([
      { id: "run-s1", token: "Bearer t" },
      { id: "run-s1.r1", token: "Bearer t" },
    ]);
    expect(r).toMatchObject({
      complete: true,
      units: 4,
      duplicate_units: 3,
      connections: 2,
      reconnects: 1,
      nodes: ["node-1"],
      status: 200,
    });
  });

  it("is not complete when it lost units, saw fewer than expected, or threw", async () => {
    expect(await one(kindWith(script('ctx.unit(1); ctx.lost("row 2 never came");')), "/rows", false)).toMatchObject({
      complete: false,
      lost_messages: 1,
      error: "1 unit(s) lost: row 2 never came",
    });
    expect(await one(kindWith(script("ctx.expect(3); ctx.unit(1);")), "/rows", false)).toMatchObject({
      complete: false,
      error: "1 of 3 units",
    });
    expect(await one(kindWith(script('throw new Error("protocol mismatch");')), "/rows", false)).toMatchObject({
      complete: false,
      error: "protocol mismatch",
    });
    const none = join(mkdtempSync(join(tmpdir(), "drainlab-script-")), "none.mjs");
    writeFileSync(none, "export const x = 1;\n");
    expect((await one(kindWith(none), "/rows", false)).error).toMatch(/exports no function/);
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

describe("sessions: a user's long poll (/poll?since=)", () => {
  it("the cursor in its own parameter (none on the first poll), ids and end by JSON pointers, opaque ids", async () => {
    sincePolls.length = 0;
    const kind = { kind: "longpoll", cursor_param: "since", ids_path: "/data/events", end_path: "/data/over" };
    const r = await one(kind, "/since", false);
    expect(sincePolls).toEqual([null, "e-b", "e-d"]);
    expect(r).toMatchObject({ complete: true, units: 5, duplicate_units: 0, gaps: [], error: null, expected_units: 0 });
  });

  it("an answer that replays ids the client had is counted as duplicates; a body without the list is an error", async () => {
    const replay = await one(
      { kind: "longpoll", cursor_param: "since", ids_path: "/data/events", end_path: "/data/over" },
      "/since?replay=1",
      false,
    );
    // each poll after the first starts at the id it sent: e-b, e-c and e-d come twice
    expect(replay).toMatchObject({ complete: true, units: 5, duplicate_units: 3 });
    const wrong = await one({ kind: "longpoll", cursor_param: "since", ids_path: "/events", end_path: "/data/over" }, "/since", false);
    expect(wrong.complete).toBe(false);
    expect(wrong.error).toMatch(/no list at ids_path \/events/);
  });

  it("duration_s ends a poll that never says it is over", async () => {
    const r = await one({ kind: "longpoll", ids_path: "/data/events", end_path: "/never", duration_s: 0.3 }, "/since?forever=1", false);
    expect(r).toMatchObject({ complete: true, error: null });
    expect(r.units).toBeGreaterThan(0);
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
  // message 5 arrives, unechoed; `?close=drop` ends it with no close frame (the client sees 1006). The
  // last message: an earlier one would race the client's next send (sent before the close arrives, it is
  // resent as well), and this test's timers fire late when the machine is busy
  let wsUrl = "";
  let connections = 0;
  let wss: WebSocketServer;
  beforeAll(async () => {
    wss = new WebSocketServer({
      host: "127.0.0.1",
      port: 0,
      handleProtocols: (offered) => (offered.has("v2.updates") ? "v2.updates" : false),
    });
    await once(wss, "listening");
    wsUrl = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
    wss.on("connection", (socket, req) => {
      const first = connections++ === 0;
      const u = new URL(req.url!, "http://x");
      const how = u.searchParams.get("close");
      if (u.pathname === "/sub") {
        seenHandshakes.push({
          token: String(req.headers.authorization),
          protocol: socket.protocol,
          id: String(req.headers["x-request-id"]),
        });
        // a subscription: "sub <room>" is answered with 3 updates, each sent as two WebSocket frames (a text
        // frame without FIN, then its continuation), then {"done":true}; one subscription after another.
        // close=1012 ends the first socket after update 1 of its second subscription, close=drop cuts it there
        // with no close frame: the first is complete then, however late this busy test's timers fire
        let subscriptions = 0;
        let previous = Promise.resolve();
        socket.on("message", (data) => {
          const room = String(data).split(" ")[1];
          const cut = first && how && ++subscriptions === 2;
          previous = previous.then(
            () =>
              new Promise<void>((done) => {
                let n = 0;
                const timer = setInterval(() => {
                  if (cut && n === 1) {
                    clearInterval(timer);
                    done();
                    return how === "drop" ? socket.terminate() : socket.close(1012);
                  }
                  if (n === 3) {
                    clearInterval(timer);
                    done();
                    return socket.send(JSON.stringify({ room, done: true }));
                  }
                  n++;
                  socket.send(`{"room":"${room}",`, { fin: false });
                  socket.send(`"update":${n}}`, { fin: true });
                }, 5);
              }),
          );
        });
        return;
      }
      socket.on("message", (data) => {
        if (first && how && String(data) === "5") return how === "drop" ? socket.terminate() : socket.close(1012);
        socket.send(data);
      });
    });
  });
  afterAll(() => wss.close());

  const seenHandshakes: Array<{ token: string; protocol: string; id: string }> = [];

  async function socket(path: string, kind: object = { messages: 5 }) {
    connections = 0;
    const k = Scenario.parse({ name: "t", system: SYSTEM, load: { mix: [{ kind: "websocket", path, interval_ms: 20, ...kind }] } }).load
      .mix[0]!;
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
    // the server closed the first, the client the second
    expect(r.client_closed).toEqual([1]);
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

  const subscribe = {
    send: "sub {n}",
    messages: 2,
    expect: "count:3",
    subprotocols: ["v1.updates", "v2.updates"],
    headers: { authorization: "Bearer t" },
  };

  it("a subscription answered by updates split into frames: count:N per message, the subprotocol and headers sent", async () => {
    seenHandshakes.length = 0;
    const r = await socket("/sub", subscribe);
    expect(r).toMatchObject({ complete: true, units: 2, expected_units: 2, close_codes: [1000], lost_messages: 0, error: null });
    expect(seenHandshakes).toEqual([{ token: "Bearer t", protocol: "v2.updates", id: "run-s1" }]);
  });

  it("until:<regex> waits for the message that matches", async () => {
    const r = await socket("/sub", { ...subscribe, expect: 'until:"done":true' });
    expect(r).toMatchObject({ complete: true, units: 2, close_codes: [1000] });
  });

  it("a subscription cut by a clean close (1012) is sent again on a new socket and its updates counted anew", async () => {
    const r = await socket("/sub?close=1012", subscribe);
    expect(r).toMatchObject({ complete: true, units: 2, reconnects: 1, close_codes: [1012, 1000], lost_messages: 0, resent_messages: 1 });
  });

  it("a subscription cut with no close frame (1006) is lost: its expected replies never came", async () => {
    const r = await socket("/sub?close=drop", subscribe);
    expect(r).toMatchObject({ complete: false, close_codes: [1006], lost_messages: 1, error: "closed by the server with 1006" });
  });
});

import { describe, expect, it } from "vitest";
import { longpollProtocol, Scenario, sseProtocol, streamProtocol, wsMessages } from "../scenario/schema.ts";
import { FeedTracker, jsonPointer, pollAnswer, type SseEvent, SseParser, streamShortfall, UnitCounter, WsReplies } from "./protocols.ts";

// The long-lived protocols' parsers on byte-exact bodies (the fixture's as fixtures/app/app.py writes them, and
// user-app styles written by hand), split as a network may split them.

const b = (s: string) => Buffer.from(s, "utf8");
/** Feeds `bytes` to `push` cut at every position in `cuts` (split frames). */
function split<T>(bytes: Buffer, cuts: number[], push: (chunk: Buffer) => T[]): T[] {
  const out: T[] = [];
  let from = 0;
  for (const at of [...cuts, bytes.length]) {
    out.push(...push(bytes.subarray(from, at)));
    from = at;
  }
  return out;
}
/** Every single-byte split of `bytes`: the same result whatever the chunking. */
const everyByte = (bytes: Buffer) => Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);

const kindOf = (kind: object, system = false) =>
  Scenario.parse({
    name: "t",
    ...(system ? { system: { app: { image: "app:1" }, nginx: { config: "n.conf", upstream: "api" } } } : {}),
    load: { mix: [{ ...(system ? { path: "/x" } : {}), ...kind }] },
  }).load.mix[0]!;

describe("stream units", () => {
  // the fixture's /stream?chunks=3 body as app.py writes it (after de-chunking)
  const fixtureBody = b("chunk 0\nchunk 1\nchunk 2\nEND\n");

  it("the fixture's preset counts lines starting with 'chunk ', however the body is split", () => {
    for (const cuts of [[], [3], [8, 9], everyByte(fixtureBody)]) {
      const c = new UnitCounter({ kind: "line", prefix: "chunk " });
      split(fixtureBody, cuts, (x) => [c.push(x)]);
      c.end();
      expect(c.units).toBe(3);
      expect(c.bytes).toBe(fixtureBody.length);
    }
  });

  it("ndjson: a line split across chunks is one unit, CRLF and a last line without newline count, a broken line is invalid", () => {
    const body = b('{"id":1}\r\n{"id":2,"name":"caf\u00e9"}\n\n{"id":3}');
    const c = new UnitCounter({ kind: "ndjson" });
    split(body, everyByte(body), (x) => [c.push(x)]);
    expect(c.units).toBe(2);
    c.end();
    expect(c.units).toBe(3);
    const bad = new UnitCounter({ kind: "ndjson" });
    bad.push(b('{"id":1}\n{"id":\n'));
    expect({ units: bad.units, invalid: bad.invalid }).toEqual({ units: 1, invalid: 1 });
  });

  it("line and bytes:N units", () => {
    const lines = new UnitCounter({ kind: "line", prefix: null });
    split(b("id,name\n1,a\n2,b\n"), [5, 12], (x) => [lines.push(x)]);
    lines.end();
    expect(lines.units).toBe(3);
    const blocks = new UnitCounter({ kind: "bytes", size: 4 });
    split(b("0123456789"), [3, 5], (x) => [blocks.push(x)]);
    blocks.end();
    expect(blocks.units).toBe(2);
  });
});

describe("when a stream is complete", () => {
  const read = (
    unitKind: object,
    body: string,
    end: { ended?: boolean; status?: number; framing?: "chunked" | "none" } = {},
    system = true,
  ) => {
    const p = streamProtocol(kindOf({ kind: "stream", ...unitKind }, system), !system);
    const counter = new UnitCounter(p.unit);
    counter.push(b(body));
    if (end.ended ?? true) counter.end();
    return streamShortfall(p, {
      status: end.status ?? 200,
      okStatus: null,
      framing: end.framing ?? "chunked",
      ended: end.ended ?? true,
      counter,
    });
  };

  it("a user's body without an end marker is complete when its framing ended (today's false failure)", () => {
    expect(read({}, '{"a":1}\n{"a":2}\n')).toBeNull();
    expect(read({ unit: "ndjson" }, '{"a":1}\n{"a":2}\n')).toBeNull();
  });

  it("a body cut after its headers is truncated whatever its last bytes", () => {
    expect(read({ end_marker: "END" }, "chunk 0\nEND\n", { ended: false })).toMatch(/^cut before the end of its body/);
    expect(read({}, "chunk 0\nchunk 1\nEND\n", { ended: false }, false)).toMatch(/^cut/);
  });

  it("the fixture's preset: 2 of 10 chunks and the end marker is not complete (units compared with units expected)", () => {
    expect(read({ chunks: 10 }, "chunk 0\nchunk 1\nEND\n", {}, false)).toBe("2 of 10 units");
    expect(read({ chunks: 2 }, "chunk 0\nchunk 1\nEND\n", {}, false)).toBeNull();
    expect(read({ chunks: 2 }, "chunk 0\nchunk 1\n", {}, false)).toBe("ended before the end marker");
  });

  it("end_marker, min_bytes, chunks with unit, status and an unframed body", () => {
    expect(read({ end_marker: "]" }, "[1,2]")).toBeNull();
    expect(read({ end_marker: "]" }, "[1,2")).toBe("ended before the end marker");
    expect(read({ min_bytes: 10 }, "short")).toBe("5 bytes, fewer than min_bytes 10");
    expect(read({ unit: "line", chunks: 3 }, "a\nb\n")).toBe("2 of 3 units");
    expect(read({ unit: "ndjson" }, '{"a":1}\n{"a":\n')).toBe("1 line(s) not JSON (unit: ndjson)");
    expect(read({}, "x", { status: 503 })).toBe("status 503");
    expect(read({}, "x", { framing: "none" })).toMatch(/^no framing/);
    expect(read({ end_marker: "x" }, "x", { framing: "none" })).toBeNull();
  });
});

describe("Server-Sent Events: the event stream format", () => {
  it("parses the fixture's feed, split at every byte: retry, ids, the end event", () => {
    // the fixture's /events?events=2 as app.py writes it (one connection)
    const feed = b("retry: 100\n\nid: 1\ndata: event 1 from node-1\n\nid: 2\ndata: event 2 from node-1\n\nevent: end\ndata: end\n\n");
    for (const cuts of [[], [5, 30], everyByte(feed)]) {
      const p = new SseParser();
      const events = split(feed, cuts, (x) => p.push(x));
      expect(events.map((e) => [e.type, e.id, e.data])).toEqual([
        ["message", "1", "event 1 from node-1"],
        ["message", "2", "event 2 from node-1"],
        ["end", null, "end"],
      ]);
      expect(p.retryMs).toBe(100);
      expect(p.lastEventId).toBe("2");
    }
  });

  it("comments, multi-line data, CR and CRLF line ends split between chunks, a BOM, a field without a colon", () => {
    // sse-starlette style: a ping comment, CRLF line ends, a UUID id, data on two lines
    const feed = b(
      '\ufeff: ping - 2026-12-06 19:00:00\r\n\r\nid: 5b1e6c1a-0c1f-4b1e-9c1a-1f0c1e6c1a5b\r\nevent: order\r\ndata: {"a":\r\ndata:  1}\r\n\r\nid: x-2\rdata\r\r',
    );
    for (const cuts of [[], [feed.indexOf(13) + 1], everyByte(feed)]) {
      const p = new SseParser();
      const events = split(feed, cuts, (x) => p.push(x));
      expect(events).toEqual([
        {
          type: "order",
          id: "5b1e6c1a-0c1f-4b1e-9c1a-1f0c1e6c1a5b",
          data: '{"a":\n 1}',
          hasData: true,
          lastEventId: "5b1e6c1a-0c1f-4b1e-9c1a-1f0c1e6c1a5b",
        },
        { type: "message", id: "x-2", data: "", hasData: true, lastEventId: "x-2" },
      ]);
      expect(p.comments).toBe(1);
    }
  });

  it("retry only when all digits; an id with NUL is ignored; an unfinished block at a reconnect is dropped", () => {
    const p = new SseParser();
    p.push(b("retry: 2500\n\nretry: soon\n\nid: a\0b\ndata: x\n\nid: 7\ndata: half"));
    expect(p.retryMs).toBe(2500);
    expect(p.lastEventId).toBe("");
    // the last block never ended: its id is not the last event id, and a reconnect sends the one before (none)
    p.reconnected();
    expect(p.lastEventId).toBe("");
    expect(p.push(b("data: next\n\n")).map((e) => [e.id, e.data, e.lastEventId])).toEqual([[null, "next", ""]]);
    // an id-only block sets it without an event a browser would dispatch
    p.push(b("id: 9\n\n"));
    expect(p.lastEventId).toBe("9");
  });
});

describe("a feed's ids: gaps, duplicates and the resume contract", () => {
  const ev = (id: string | null, type = "message"): SseEvent => ({ type, data: "d", hasData: true, id, lastEventId: id ?? "" });

  it("the fixture's preset: numeric ids from 1, `event: end`; a skipped id is a gap, a feed ending short loses the rest", () => {
    const p = sseProtocol(kindOf({ kind: "sse", events: 5 }), true);
    expect(p).toMatchObject({ idOrder: "numeric", endEvent: "end", expectedUnits: 5, firstAfter: 0 });
    const t = new FeedTracker(p.idOrder, p.endEvent, p.firstAfter);
    for (const id of ["1", "2"]) t.event(ev(id));
    t.reconnected("2");
    for (const id of ["4"]) t.event(ev(id));
    t.event(ev(null, "end"));
    t.endShort(p.expectedUnits);
    expect(t.ended).toBe(true);
    expect(t.gaps).toEqual([
      { after: 2, next: 4 },
      { after: 4, next: 6 },
    ]);
  });

  it("a reconnect whose resume replays the feed: duplicates counted, ids never counted twice", () => {
    // two connections: the second sent Last-Event-ID: 2 and the app started over from 1
    const first = b("id: 1\ndata: a\n\nid: 2\ndata: b\n\n");
    const second = b("id: 1\ndata: a\n\nid: 2\ndata: b\n\nid: 3\ndata: c\n\nevent: end\ndata: end\n\n");
    for (const order of ["numeric", "opaque"] as const) {
      const parser = new SseParser();
      const t = new FeedTracker(order, "end", order === "numeric" ? 0 : null);
      for (const e of parser.push(first)) t.event(e);
      t.reconnected(parser.lastEventId);
      parser.reconnected();
      split(second, [7, 20], (x) => parser.push(x)).forEach((e) => t.event(e));
      expect({ units: t.units, duplicates: t.duplicates, resumeReplays: t.resumeReplays, gaps: t.gaps, ended: t.ended }).toEqual({
        units: 3,
        duplicates: 2,
        resumeReplays: 1,
        gaps: [],
        ended: true,
      });
    }
  });

  it("opaque ids (the default for a user's feed): no gap can be seen, only duplicates; a feed short of `events` lost the rest", () => {
    const p = sseProtocol(kindOf({ kind: "sse", end_event: "done", events: 4 }, true), false);
    expect(p).toMatchObject({ idOrder: "opaque", endEvent: "done", firstAfter: null, expectedUnits: 4 });
    const t = new FeedTracker(p.idOrder, p.endEvent, p.firstAfter);
    for (const id of ["b7e1", "03aa", "ffff"]) t.event(ev(id));
    t.event(ev(null, "done"));
    t.endShort(p.expectedUnits);
    expect(t.gaps).toEqual([{ after: 3, next: 5, after_id: "ffff" }]);
  });

  it("redis-stream ids: a sequence number skipped within a millisecond, or a millisecond not starting at 0, is a gap", () => {
    const t = new FeedTracker("redis-stream", null);
    for (const id of ["1690000000000-0", "1690000000000-1", "1690000000000-3", "1690000000005-0", "1690000000009-2", "1690000000009-2"])
      t.event(ev(id));
    expect(t.units).toBe(5);
    expect(t.duplicates).toBe(1);
    expect(t.gaps).toEqual([
      { after: 1, next: 3, after_id: "1690000000000-1", next_id: "1690000000000-3" },
      { after: -1, next: 2, after_id: "1690000000005-0", next_id: "1690000000009-2" },
    ]);
    const bad = new FeedTracker("numeric", null);
    bad.event(ev("abc"));
    expect(bad.malformed).toEqual(["abc"]);
  });

  it("a user's numeric feed counts from its first id (an offset), not from 1", () => {
    const t = new FeedTracker(
      "numeric",
      null,
      sseProtocol(kindOf({ kind: "sse", id_order: "numeric", duration_s: 5 }, true), false).firstAfter,
    );
    for (const id of ["1000", "1001", "1003"]) t.event(ev(id));
    expect(t.gaps).toEqual([{ after: 1001, next: 1003 }]);
  });
});

describe("a WebSocket's answers, matched to what it sent", () => {
  it("the fixture's preset: '1', '2', ... each echoed; a differing echo answers nothing", () => {
    const messages = wsMessages(kindOf({ kind: "websocket", messages: 3 }));
    expect(messages.map((m) => [m.text, m.expect.kind])).toEqual([
      ["1", "echo"],
      ["2", "echo"],
      ["3", "echo"],
    ]);
    const r = new WsReplies(messages);
    r.sent(0);
    r.sent(1);
    expect(r.received("1")).toBe(0);
    expect(r.received("two")).toBeNull();
    expect(r.unexpected).toBe(1);
    expect(r.received("2")).toBe(1);
    expect(r.received("3")).toBeNull();
    expect(r.unexpected).toBe(2);
    r.sent(2);
    expect(r.ended()).toEqual([2]);
    expect(r.answered).toBe(2);
  });

  it("a template with {n}, a list with its own expectations, reply, count:N and until:<regex>", () => {
    const tpl = wsMessages(kindOf({ kind: "websocket", send: '{"op":"sub","room":{n}}', messages: 2, expect: "count:3" }, true));
    expect(tpl.map((m) => m.text)).toEqual(['{"op":"sub","room":1}', '{"op":"sub","room":2}']);
    const list = wsMessages(
      kindOf({ kind: "websocket", send: ["hello", { text: "sub", expect: 'until:"done":\\s*true' }, "bye"], expect: "reply" }, true),
    );
    expect(list.map((m) => [m.text, m.expect.kind])).toEqual([
      ["hello", "reply"],
      ["sub", "until"],
      ["bye", "reply"],
    ]);
    const r = new WsReplies(list);
    r.sent(0);
    r.sent(1);
    // replies go to the oldest message still waiting
    expect(r.received("welcome")).toBe(0);
    expect(r.received('{"seq":1}')).toBeNull();
    expect(r.received('{"seq":2,"done": false}')).toBeNull();
    expect(r.received('{"seq":3,"done": true}')).toBe(1);
    expect(r.pending).toBe(0);
    const c = new WsReplies(tpl);
    c.sent(0);
    expect([c.received("a"), c.received("b"), c.received("c")]).toEqual([null, null, 0]);
    c.sent(1);
    c.received("a");
    // the socket ended mid-subscription: the message no longer waits, its replies so far count for nothing
    expect(c.ended()).toEqual([1]);
    c.sent(1);
    expect([c.received("a"), c.received("b"), c.received("c")]).toEqual([null, null, 1]);
  });

  it("a message received while nothing waits is unexpected, not an answer", () => {
    const r = new WsReplies(wsMessages(kindOf({ kind: "websocket", messages: 1, expect: "reply" })));
    expect(r.received("hello from the server")).toBeNull();
    expect(r.unexpected).toBe(1);
  });
});

describe("a long poll's answers: JSON pointers into the body", () => {
  it("RFC 6901: the whole document, nested keys, array indexes, ~0 and ~1, and what names nothing", () => {
    const doc = { data: { "a/b": [10, { "m~n": true }] }, list: [1, 2] };
    expect(jsonPointer(doc, "")).toBe(doc);
    expect(jsonPointer(doc, "/list/1")).toBe(2);
    expect(jsonPointer(doc, "/data/a~1b/0")).toBe(10);
    expect(jsonPointer(doc, "/data/a~1b/1/m~0n")).toBe(true);
    expect(jsonPointer(doc, "/list/01")).toBeUndefined();
    expect(jsonPointer(doc, "/list/-")).toBeUndefined();
    expect(jsonPointer(doc, "/nothing/here")).toBeUndefined();
    expect(jsonPointer(doc, "/constructor")).toBeUndefined();
  });

  it("the fixture's preset and a user's /poll?since= answer with event objects; a body that does not fit says why", () => {
    const fixture = longpollProtocol(kindOf({ kind: "longpoll" }), true);
    expect(fixture).toMatchObject({ cursorParam: "cursor", firstCursor: "0", idsPath: "/ids", endPath: "/end", idOrder: "numeric" });
    expect(pollAnswer('{"ids":[3,4],"end":false,"node":"node-1"}', fixture.idsPath, fixture.endPath)).toEqual({
      ids: ["3", "4"],
      end: false,
    });
    const user = longpollProtocol(
      kindOf({ kind: "longpoll", cursor_param: "since", ids_path: "/data/events", end_path: "/data/closed" }, true),
      false,
    );
    expect(user).toMatchObject({ cursorParam: "since", firstCursor: null, idOrder: "opaque", expectedUnits: null });
    const answer = '{"data":{"events":[{"id":"e-9f","v":1},{"id":"e-a0","v":2}],"closed":true}}';
    expect(pollAnswer(answer, user.idsPath, user.endPath)).toEqual({ ids: ["e-9f", "e-a0"], end: true });
    // "end" that is not exactly true does not end the feed
    expect(pollAnswer('{"data":{"events":[],"closed":"yes"}}', user.idsPath, user.endPath).end).toBe(false);
    expect(() => pollAnswer("<html>502</html>", user.idsPath, user.endPath)).toThrow(/not JSON: "<html>502/);
    expect(() => pollAnswer('{"data":{}}', user.idsPath, user.endPath)).toThrow(/no list at ids_path \/data\/events/);
    expect(() => pollAnswer('{"data":{"events":[[1]]}}', user.idsPath, user.endPath)).toThrow(/neither an id/);
  });
});

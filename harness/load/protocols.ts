import type { SessionRecord } from "../records/session-record.ts";
import type { IdOrder, StreamProtocol, StreamUnit, WsMessage } from "../scenario/schema.ts";

/**
 * The long-lived protocols' parsers, as plain data in and out so they can be
 * tested on recorded bytes: a stream's unit counter and its verdict, the
 * Server-Sent Events line format (WHATWG HTML, "Parsing an event stream") and
 * a feed's id bookkeeping (gaps, duplicates, the resume contract).
 */

/** Bytes of a stream's end kept to compare with its end marker. */
const TAIL_KEPT = 1024;

/** Counts a stream body's units as its bytes arrive, however the network splits them. */
export class UnitCounter {
  units = 0;
  bytes = 0;
  /** NDJSON: lines that did not parse as JSON. */
  invalid = 0;
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private tailBuf: Buffer = Buffer.alloc(0);

  constructor(private readonly unit: StreamUnit | null) {}

  /** Feeds one chunk; returns how many units it completed. */
  push(chunk: Uint8Array): number {
    const buf = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    this.bytes += buf.length;
    this.tailBuf = Buffer.concat([this.tailBuf, buf]).subarray(-TAIL_KEPT);
    const before = this.units;
    const unit = this.unit;
    if (unit === null) return 0;
    if (unit.kind === "bytes") {
      this.units = Math.floor(this.bytes / unit.size);
      return this.units - before;
    }
    let from = 0;
    for (let nl = buf.indexOf(10); nl >= 0; nl = buf.indexOf(10, from)) {
      this.pending.push(buf.subarray(from, nl));
      this.line(Buffer.concat(this.pending));
      this.pending = [];
      this.pendingBytes = 0;
      from = nl + 1;
    }
    if (from < buf.length) {
      // keep a copy: undici may reuse the chunk's memory
      const rest = Buffer.from(buf.subarray(from));
      this.pending.push(rest);
      this.pendingBytes += rest.length;
    }
    return this.units - before;
  }

  /** The body ended with its framing: a last line without a newline is a unit too. Returns the units it completed. */
  end(): number {
    const before = this.units;
    if (this.pendingBytes > 0 && this.unit?.kind !== "bytes") this.line(Buffer.concat(this.pending));
    this.pending = [];
    this.pendingBytes = 0;
    return this.units - before;
  }

  /** The body's last bytes (up to 1 KiB). */
  tail(): Buffer {
    return this.tailBuf;
  }

  private line(raw: Buffer): void {
    const end = raw.length > 0 && raw[raw.length - 1] === 13 ? raw.length - 1 : raw.length;
    const line = raw.subarray(0, end);
    const unit = this.unit!;
    if (unit.kind === "line") {
      if (unit.prefix === null || line.subarray(0, unit.prefix.length).toString("latin1") === unit.prefix) this.units++;
      return;
    }
    const text = line.toString("utf8").trim();
    if (text === "") return;
    try {
      JSON.parse(text);
      this.units++;
    } catch {
      this.invalid++;
    }
  }
}

/** How a stream's body ended: its HTTP framing and what the client read. */
export interface StreamEnd {
  status: number;
  okStatus: ReadonlySet<number> | null;
  /** chunked, content-length, or none (the body runs to the connection's close: its end cannot be told from a cut). */
  framing: "chunked" | "content-length" | "none";
  /** Whether the body was read to its framing's end (false: the connection ended first, or an error). */
  ended: boolean;
  counter: UnitCounter;
}

/** Whether a stream is complete by its protocol, and why not: null when it is. */
export function streamShortfall(p: StreamProtocol, e: StreamEnd): string | null {
  const ok = e.okStatus ? e.okStatus.has(e.status) : e.status < 400;
  if (!ok) return `status ${e.status}`;
  if (!e.ended) return "cut before the end of its body (no chunked terminator or fewer bytes than content-length)";
  const c = e.counter;
  if (p.endMarker !== null && !endsWithMarker(c.tail(), p.endMarker)) return "ended before the end marker";
  if (e.framing === "none" && p.endMarker === null)
    return "no framing (neither chunked nor content-length): the body's end cannot be told from a cut; give end_marker";
  if (c.bytes < p.minBytes) return `${c.bytes} bytes, fewer than min_bytes ${p.minBytes}`;
  if (c.invalid > 0) return `${c.invalid} line(s) not JSON (unit: ndjson)`;
  if (p.expectedUnits !== null && c.units < p.expectedUnits) return `${c.units} of ${p.expectedUnits} units`;
  return null;
}

/** The body's last bytes are the marker, or the marker and one newline. */
function endsWithMarker(tail: Buffer, marker: string): boolean {
  const text = tail.toString("latin1");
  const m = Buffer.from(marker, "utf8").toString("latin1");
  return text.endsWith(m) || text.endsWith(`${m}\n`) || text.endsWith(`${m}\r\n`);
}

/** One event block of an SSE stream (a blank line ended it). */
export interface SseEvent {
  /** The `event:` field, or "message". */
  type: string;
  data: string;
  /** Whether the block had a `data:` field (a browser dispatches only those). */
  hasData: boolean;
  /** This block's own `id:` field; null when it had none. */
  id: string | null;
  /** The last event id in force after this block (what a reconnect sends as Last-Event-ID). */
  lastEventId: string;
}

/**
 * The event stream format, line by line as the spec parses it: lines end with CRLF, LF or CR (a CR at the
 * end of one chunk and an LF at the start of the next are one line end), a leading BOM is dropped, `:`
 * starts a comment, one space after the colon is dropped, `data:` lines join with "\n", `id:` with a NUL is
 * ignored, `retry:` sets the reconnection time when all digits, a blank line ends the block (and makes its
 * id the last event id), and an unfinished block at the end of a connection is dropped, its id too. The last event id and retry outlive a
 * connection; call `reconnected()` for each new one.
 */
export class SseParser {
  /** The last event id string: set from the id buffer when a block is dispatched (what a reconnect sends). */
  lastEventId = "";
  private idBuffer = "";
  retryMs: number | null = null;
  comments = 0;
  private decoder = new TextDecoder("utf-8");
  private buffer = "";
  private skipLf = false;
  private data: string[] = [];
  private type = "";
  private blockId: string | null = null;

  push(chunk: Uint8Array): SseEvent[] {
    const out: SseEvent[] = [];
    let text = this.decoder.decode(chunk, { stream: true });
    if (this.skipLf && text.length > 0) {
      if (text[0] === "\n") text = text.slice(1);
      this.skipLf = false;
    }
    this.buffer += text;
    let from = 0;
    for (;;) {
      const cr = this.buffer.indexOf("\r", from);
      const lf = this.buffer.indexOf("\n", from);
      const at = cr < 0 ? lf : lf < 0 ? cr : Math.min(cr, lf);
      if (at < 0) break;
      const line = this.buffer.slice(from, at);
      if (this.buffer[at] === "\r") {
        if (at + 1 < this.buffer.length) from = this.buffer[at + 1] === "\n" ? at + 2 : at + 1;
        else {
          from = at + 1;
          this.skipLf = true;
        }
      } else from = at + 1;
      const event = this.line(line);
      if (event) out.push(event);
    }
    this.buffer = this.buffer.slice(from);
    return out;
  }

  /** A new connection: the line buffer and any unfinished block are dropped; last event id and retry stay. */
  reconnected(): void {
    this.decoder = new TextDecoder("utf-8");
    this.buffer = "";
    this.skipLf = false;
    this.data = [];
    this.type = "";
    this.blockId = null;
    this.idBuffer = this.lastEventId;
  }

  private line(line: string): SseEvent | null {
    if (line === "") return this.dispatch();
    if (line[0] === ":") {
      this.comments++;
      return null;
    }
    const colon = line.indexOf(":");
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? "" : line.slice(colon + 1);
    if (value[0] === " ") value = value.slice(1);
    if (field === "event") this.type = value;
    else if (field === "data") this.data.push(value);
    else if (field === "id") {
      if (!value.includes("\0")) {
        this.blockId = value;
        this.idBuffer = value;
      }
    } else if (field === "retry") {
      if (/^[0-9]+$/.test(value)) this.retryMs = Number(value);
    }
    return null;
  }

  private dispatch(): SseEvent | null {
    this.lastEventId = this.idBuffer;
    const had = this.data.length > 0 || this.type !== "" || this.blockId !== null;
    const event: SseEvent = {
      type: this.type || "message",
      data: this.data.join("\n"),
      hasData: this.data.length > 0,
      id: this.blockId,
      lastEventId: this.lastEventId,
    };
    this.data = [];
    this.type = "";
    this.blockId = null;
    return had ? event : null;
  }
}

/** What one event did to a feed: a new unit (with its numeric id on a numeric feed), a duplicate, the end, or nothing. */
export type FeedStep = { unit: true; n: number | null } | { unit: false; duplicate: boolean; end: boolean };

/**
 * A feed's bookkeeping by its ids' order: units, gaps (numeric, redis-stream), duplicates (any order: an
 * id already received) and the resume contract (the first event after a reconnect that sent Last-Event-ID
 * must come after it: one already received is a replay, counted in resumeReplays).
 */
export class FeedTracker {
  units = 0;
  duplicates = 0;
  resumeReplays = 0;
  /** Events whose id does not fit id_order (numeric, redis-stream). */
  malformed: string[] = [];
  readonly gaps: SessionRecord["gaps"] = [];
  ended = false;
  /** The last id counted as a unit. */
  lastId: string | null = null;
  private lastN: number | null;
  private lastRedis: [number, number] | null = null;
  private readonly seen = new Set<string>();
  private resumedFrom: string | null = null;

  constructor(
    private readonly order: IdOrder,
    private readonly endEvent: string | null,
    private readonly countedFrom: number | null = null,
  ) {
    this.lastN = countedFrom;
  }

  /** A reconnect that sent `lastEventId` as Last-Event-ID (empty: none sent). */
  reconnected(lastEventId: string): void {
    this.resumedFrom = lastEventId === "" ? null : lastEventId;
  }

  event(e: SseEvent): FeedStep {
    if (this.endEvent !== null && e.type === this.endEvent) {
      this.ended = true;
      return { unit: false, duplicate: false, end: true };
    }
    if (!e.hasData) return { unit: false, duplicate: false, end: false };
    const first = this.resumedFrom !== null;
    this.resumedFrom = null;
    const id = e.id;
    if (id === null) {
      this.units++;
      return { unit: true, n: null };
    }
    const step = this.order === "numeric" ? this.numeric(id) : this.order === "redis-stream" ? this.redis(id) : this.opaque(id);
    if (!step.unit && step.duplicate) {
      this.duplicates++;
      if (first) this.resumeReplays++;
    }
    if (step.unit) {
      this.units++;
      this.lastId = id;
    }
    return step;
  }

  /**
   * The feed ended with `expected` events stated: the ones neither received nor in a gap are lost, as a gap
   * ending at expected + 1 (the fixture's ids count from 1, so its gap starts at the last id seen).
   */
  endShort(expected: number | null): void {
    if (expected === null || this.units >= expected) return;
    if (this.order === "numeric" && this.countedFrom !== null) {
      const last = this.lastN!;
      if (last < expected) this.gaps.push({ after: last, next: expected + 1 });
      return;
    }
    const inGaps = this.gaps.reduce((n, g) => n + (g.next - g.after - 1), 0);
    const missing = expected - this.units - inGaps;
    if (missing > 0)
      this.gaps.push({ after: expected - missing, next: expected + 1, ...(this.lastId === null ? {} : { after_id: this.lastId }) });
  }

  private numeric(id: string): FeedStep {
    if (!/^-?[0-9]+$/.test(id)) return this.bad(id);
    const n = Number(id);
    if (this.lastN !== null && n <= this.lastN) return { unit: false, duplicate: true, end: false };
    if (this.lastN !== null && n > this.lastN + 1) this.gaps.push({ after: this.lastN, next: n });
    this.lastN = n;
    return { unit: true, n };
  }

  private redis(id: string): FeedStep {
    const m = /^([0-9]+)-([0-9]+)$/.exec(id);
    if (!m) return this.bad(id);
    const ms = Number(m[1]);
    const seq = Number(m[2]);
    const last = this.lastRedis;
    if (last && (ms < last[0] || (ms === last[0] && seq <= last[1]))) return { unit: false, duplicate: true, end: false };
    // each millisecond's entries are numbered from 0: a skipped sequence number is an entry never received
    if (last && ms === last[0] && seq > last[1] + 1) this.gaps.push({ after: last[1], next: seq, after_id: this.lastId!, next_id: id });
    else if (last && ms > last[0] && seq > 0) this.gaps.push({ after: -1, next: seq, after_id: this.lastId!, next_id: id });
    this.lastRedis = [ms, seq];
    return { unit: true, n: null };
  }

  private opaque(id: string): FeedStep {
    if (this.seen.has(id)) return { unit: false, duplicate: true, end: false };
    this.seen.add(id);
    return { unit: true, n: null };
  }

  private bad(id: string): FeedStep {
    if (this.malformed.length < 3) this.malformed.push(id);
    this.units++;
    return { unit: false, duplicate: false, end: false };
  }
}

/**
 * A WebSocket session's answers, matched to what it sent: each message received goes to the oldest one still
 * waiting (echo: a message equal to it, others pass it by; reply: any one; count:N: N of them; until: up to
 * and with the first that matches). A socket that ended takes what was still waiting with it (`ended`).
 */
export class WsReplies {
  /** Messages answered in full. */
  answered = 0;
  /** Messages received that no waiting message expected (an echo that differs, or nothing was waiting). */
  unexpected = 0;
  private waiting: Array<{ index: number; got: number }> = [];

  constructor(private readonly messages: readonly WsMessage[]) {}

  /** Message `index` of the session was sent. */
  sent(index: number): void {
    this.waiting.push({ index, got: 0 });
  }

  get pending(): number {
    return this.waiting.length;
  }

  /** One message received; returns the index of the message it answered in full, or null. */
  received(text: string): number | null {
    const w = this.waiting[0];
    if (w === undefined) {
      this.unexpected++;
      return null;
    }
    const m = this.messages[w.index]!;
    const e = m.expect;
    let done: boolean;
    if (e.kind === "echo") {
      if (text !== m.text) {
        this.unexpected++;
        return null;
      }
      done = true;
    } else if (e.kind === "reply") done = true;
    else if (e.kind === "count") done = ++w.got >= e.n;
    else {
      w.got++;
      e.re.lastIndex = 0;
      done = e.re.test(text);
    }
    if (!done) return null;
    this.waiting.shift();
    this.answered++;
    return w.index;
  }

  /** The socket ended: the indexes of the messages still waiting, which no longer wait. */
  ended(): number[] {
    const out = this.waiting.map((w) => w.index);
    this.waiting = [];
    return out;
  }
}

/**
 * The value a JSON pointer (RFC 6901) names in a document; undefined when it names nothing. "" is the
 * document itself; ~1 is a / in a key and ~0 a ~.
 */
export function jsonPointer(doc: unknown, pointer: string): unknown {
  if (pointer === "") return doc;
  let at: unknown = doc;
  for (const raw of pointer.slice(1).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (Array.isArray(at)) {
      if (!/^(0|[1-9][0-9]*)$/.test(key)) return undefined;
      at = at[Number(key)];
    } else if (at !== null && typeof at === "object" && Object.hasOwn(at, key)) at = (at as Record<string, unknown>)[key];
    else return undefined;
    if (at === undefined) return undefined;
  }
  return at;
}

/** One long-poll answer read by its protocol: the ids it carries (as strings) and whether the feed is over. */
export function pollAnswer(text: string, idsPath: string, endPath: string): { ids: string[]; end: boolean } {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch {
    throw new Error(`the answer is not JSON: ${JSON.stringify(text.slice(0, 80))}`);
  }
  const list = jsonPointer(doc, idsPath);
  if (!Array.isArray(list)) throw new Error(`the answer has no list at ids_path ${idsPath}: ${JSON.stringify(text.slice(0, 80))}`);
  const ids = list.map((x) => {
    const id = x !== null && typeof x === "object" && !Array.isArray(x) ? (x as { id?: unknown }).id : x;
    if (typeof id !== "string" && typeof id !== "number")
      throw new Error(
        `an item at ids_path ${idsPath} is neither an id (string, number) nor an object with one: ${JSON.stringify(x).slice(0, 80)}`,
      );
    return String(id);
  });
  return { ids, end: jsonPointer(doc, endPath) === true };
}

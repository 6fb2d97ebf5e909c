import { performance } from "node:perf_hooks";
import { Client, fetch as undiciFetch, WebSocket } from "undici";
import { type SessionRecord, UNIT_DELAYS_KEPT } from "../records/session-record.ts";
import { type KindPlan, planOf } from "../scenario/request-plan.ts";
import {
  type LongpollProtocol,
  longpollProtocol,
  type RequestKind,
  type SseProtocol,
  sessionShape,
  sseProtocol,
  streamProtocol,
  wsMessages,
} from "../scenario/schema.ts";
import { FeedTracker, pollAnswer, SseParser, streamShortfall, UnitCounter, WsReplies } from "./protocols.ts";
import { loadSessionScript, type SessionContext } from "./session-script.ts";

export type { SessionRecord };

/** How many times a session connects again after its connection ended early (SSE, WebSocket). */
const MAX_RECONNECTS = 5;
/** Wait before a reconnect until the feed sends its own `retry:` (the fixture sends 100). */
const RECONNECT_DELAY_MS = 100;

export interface SessionsOptions {
  /** http://host:port of nginx. */
  url: string;
  /** performance.now() of the run's t0. */
  t0: number;
  timeoutMs: number;
  /** drainlab's fixture: its SSE feed takes the session's start (the feed's clock) as a query parameter. */
  fixture: boolean;
  /** Called when a session's first connection is written, for the generator's lag and rate figures. */
  onStarted: (intendedMs: number, nowMs: number) => void;
  /** Set when the load is over: sessions still open stop at once and are recorded as unfinished. */
  signal: AbortSignal;
}

/**
 * Long-lived traffic beside the requests, started by the same open-model
 * schedule: chunked streams, Server-Sent Events (the client reconnects with
 * Last-Event-ID, as browsers do) and WebSockets (messages both ways). Each
 * session is one record with every chunk, event id, message and close code it
 * saw; every connection it opens carries X-Request-Id `<session id>` or
 * `<session id>.r<n>` for a reconnect, so nginx's log and the app ledger show it.
 */
export class Sessions {
  readonly records: SessionRecord[] = [];
  private readonly running = new Set<Promise<void>>();
  private readonly plans = new Map<RequestKind, KindPlan>();

  constructor(private readonly options: SessionsOptions) {}

  get open(): number {
    return this.running.size;
  }

  start(id: string, kind: RequestKind, mixIndex: number, intendedMs: number, path: string): void {
    const record: SessionRecord = {
      id,
      kind: kind.kind as SessionRecord["kind"],
      mix: mixIndex,
      intended_ms: intendedMs,
      start_ms: this.now(),
      first_byte_ms: null,
      end_ms: null,
      nodes: [],
      connections: 0,
      reconnects: 0,
      status: 0,
      error: null,
      complete: false,
      units: 0,
      expected_units: expectedUnits(kind, this.options.fixture),
      gaps: [],
      close_codes: [],
      lost_messages: 0,
      unit_delays_ms: [],
    };
    this.records.push(record);
    this.options.onStarted(intendedMs, record.start_ms);
    const run =
      kind.session !== undefined
        ? this.script(record, path, kind)
        : kind.kind === "stream"
          ? this.stream(record, path, kind)
          : kind.kind === "sse"
            ? this.sse(record, path, kind)
            : kind.kind === "longpoll"
              ? this.longpoll(record, path, kind)
              : this.websocket(record, path, kind);
    const done = run
      .catch((err: Error) => {
        record.error ??= err.name === "AbortError" || this.options.signal.aborted ? "unfinished" : err.message.slice(0, 200);
      })
      .finally(() => {
        record.end_ms = this.now();
        this.running.delete(done);
      });
    this.running.add(done);
  }

  /** Waits for every session, at most graceMs; the rest are ended (recorded as unfinished). */
  async settle(graceMs: number, abort: () => void): Promise<void> {
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([Promise.all(this.running), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
    if (this.running.size > 0) {
      abort();
      await Promise.all(this.running);
    }
  }

  private now(): number {
    return performance.now() - this.options.t0;
  }

  /** One unit arrived, `dueMs` being when it should have (ms since t0). */
  private arrived(record: SessionRecord, dueMs: number): void {
    const delays = record.unit_delays_ms!;
    if (delays.length < UNIT_DELAYS_KEPT) delays.push(Math.round((this.now() - dueMs) * 10) / 10);
  }

  private headers(record: SessionRecord, extra: Record<string, string> = {}, own: Record<string, string> = {}): Record<string, string> {
    const id = record.connections === 0 ? record.id : `${record.id}.r${record.connections}`;
    record.connections++;
    return { ...own, "x-request-id": id, ...extra };
  }

  /** A kind's method, body and own headers, as its mix entry gives them (streams and feeds of a user's app). */
  private planOf(kind: RequestKind): { method: string; body: Buffer | undefined; headers: Record<string, string> } {
    let plan = this.plans.get(kind);
    if (plan === undefined) this.plans.set(kind, (plan = planOf(kind, this.options.fixture)));
    const headers: Record<string, string> = {};
    for (let i = 0; i + 1 < plan.headers.length; i += 2) headers[plan.headers[i]!] = plan.headers[i + 1]!;
    return { method: kind.method, body: plan.body, headers };
  }

  /**
   * One HTTP connection of a session: its status and answering node noted on the record. Each is a
   * connection of its own, opened when its request is sent and closed with its body: a shared pool
   * opens connections ahead of its requests (measured: 19 of 98 never used, 35 first used 25 ms to
   * 1.2 s after they opened), and nginx serves a connection's first request with the configuration
   * of the worker that accepted it: one opened before a reload and first used after it went to the
   * removed node through an old worker, a misrouting of the load generator's making, not the system's.
   */
  private async connect(
    record: SessionRecord,
    path: string,
    headers: Record<string, string>,
    signal = this.options.signal,
    send: { method: string; body: Buffer | undefined } = { method: "GET", body: undefined },
  ) {
    const target = new URL(`${this.options.url}${path}`);
    const client = new Client(target.origin, {
      pipelining: 1,
      headersTimeout: this.options.timeoutMs,
      bodyTimeout: this.options.timeoutMs,
      connectTimeout: this.options.timeoutMs,
    });
    let res: Awaited<ReturnType<Client["request"]>>;
    try {
      res = await client.request({
        path: `${target.pathname}${target.search}`,
        method: send.method as "GET",
        body: send.body,
        headers,
        signal,
      });
    } catch (err) {
      void client.destroy().catch(() => {});
      throw err;
    }
    // read to its end or cut: either way the connection goes with it
    res.body.once("close", () => void client.destroy().catch(() => {}));
    record.status = res.statusCode;
    noteNode(record, res.headers["x-node"]);
    return res;
  }

  /**
   * A streamed response read to its end: complete when its body ended with its framing (chunked terminator,
   * content-length) and an ok status, and with what the protocol adds (streamProtocol: the end marker,
   * min_bytes, every expected unit). A body cut after its headers is truncated whatever its last bytes.
   */
  private async stream(record: SessionRecord, path: string, kind: RequestKind): Promise<void> {
    const p = streamProtocol(kind, this.options.fixture);
    const plan = this.planOf(kind);
    const res = await this.connect(record, path, this.headers(record, {}, plan.headers), this.options.signal, plan);
    const counter = new UnitCounter(p.unit);
    const unitsArrived = (n: number) => {
      if (p.intervalMs !== null) for (let i = 0; i < n; i++) this.arrived(record, record.start_ms + (record.units + i + 1) * p.intervalMs);
      record.units += n;
    };
    let ended = false;
    let cut: string | null = null;
    try {
      for await (const chunk of res.body) {
        record.first_byte_ms ??= this.now();
        unitsArrived(counter.push(chunk as Buffer));
      }
      ended = true;
      unitsArrived(counter.end());
    } catch (err) {
      if (this.options.signal.aborted) throw err;
      cut = (err as Error).message.slice(0, 200);
    }
    record.bytes = counter.bytes;
    const te = String(res.headers["transfer-encoding"] ?? "").toLowerCase();
    const framing = te.includes("chunked") ? "chunked" : res.headers["content-length"] !== undefined ? "content-length" : "none";
    const okStatus = kind.ok_status ? new Set(kind.ok_status) : null;
    const short = streamShortfall(p, { status: res.statusCode, okStatus, framing, ended, counter });
    record.complete = short === null;
    if (short !== null) record.error = cut === null ? short : `${short}: ${cut}`;
  }

  /**
   * Server-Sent Events, by the feed's protocol (sseProtocol): reconnects with Last-Event-ID after the feed's
   * own `retry:` until its end (its end event, the server's close with `reconnect: false`, or `duration_s`).
   * Ids are judged by their order: a skipped one (numeric, redis-stream) is a lost event, one received
   * again is a duplicate (any order), and a resume must start after the Last-Event-ID it sent.
   */
  private async sse(record: SessionRecord, path: string, kind: RequestKind): Promise<void> {
    const p = sseProtocol(kind, this.options.fixture);
    const feed = this.feedPath(record, path);
    const plan = this.planOf(kind);
    const parser = new SseParser();
    const tracker = new FeedTracker(p.idOrder, p.endEvent, p.firstAfter);
    record.gaps = tracker.gaps;
    record.duplicate_units = 0;
    const { deadline, timer, signal } = this.feedDeadline(record, p.durationMs);
    try {
      for (;;) {
        let closed = false;
        let status = 0;
        try {
          const lastId = parser.lastEventId;
          const res = await this.connect(
            record,
            feed,
            this.headers(record, { accept: "text/event-stream", ...(lastId !== "" ? { "last-event-id": lastId } : {}) }, plan.headers),
            signal,
            plan,
          );
          status = res.statusCode;
          for await (const chunk of res.body) {
            record.first_byte_ms ??= this.now();
            for (const e of parser.push(chunk as Buffer)) {
              const step = tracker.event(e);
              if (step.unit && step.n !== null && p.intervalMs !== null) this.arrived(record, record.start_ms + step.n * p.intervalMs);
            }
            record.units = tracker.units;
            record.duplicate_units = tracker.duplicates;
          }
          closed = true;
          if (status >= 400) record.error = `status ${status}`;
        } catch (err) {
          if (this.options.signal.aborted) throw err;
          if (!deadline.signal.aborted) record.error = (err as Error).message.slice(0, 200);
        }
        record.units = tracker.units;
        record.duplicate_units = tracker.duplicates;
        // the end: the end event, the duration, or a clean close of a feed that does not reconnect (204: "do not reconnect")
        if (tracker.ended || deadline.signal.aborted || (closed && status < 300 && (!p.reconnect || status === 204))) {
          endSse(record, tracker, p);
          return;
        }
        if (!p.reconnect) {
          record.error ??= "the feed was cut before the server closed it (reconnect: false)";
          return;
        }
        if (record.reconnects >= MAX_RECONNECTS || this.options.signal.aborted) {
          record.error ??= p.endEvent === null ? "the feed ended before its duration" : "the stream ended before its end event";
          return;
        }
        record.reconnects++;
        tracker.reconnected(parser.lastEventId);
        parser.reconnected();
        await sleep(parser.retryMs ?? RECONNECT_DELAY_MS, signal);
        if (deadline.signal.aborted) {
          endSse(record, tracker, p);
          return;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A session played by the user's script (`session:`): complete when it returned, lost nothing and saw
   * every unit it expected; a unit id seen twice is a duplicate. A script that throws is an error.
   */
  private async script(record: SessionRecord, path: string, kind: RequestKind): Promise<void> {
    const fn = await loadSessionScript(kind.session!);
    const plan = this.planOf(kind);
    const seen = new Set<string>();
    const reasons: string[] = [];
    // a connection of its own per fetch, as for the other kinds (connect), closed when the script is done
    const clients: Client[] = [];
    const ctx: SessionContext = {
      id: record.id,
      url: this.options.url,
      path,
      signal: this.options.signal,
      fetch: async (p = path, init = {}) => {
        const headers = new Headers(init.headers);
        for (const [name, value] of Object.entries(this.headers(record, {}, plan.headers)))
          if (name === "x-request-id" || !headers.has(name)) headers.set(name, value);
        const target = new URL(p, this.options.url);
        const client = new Client(target.origin, { pipelining: 1 });
        clients.push(client);
        const res = (await undiciFetch(target, {
          ...(init as Parameters<typeof undiciFetch>[1]),
          headers: headers as unknown as Record<string, string>,
          signal: init.signal ?? this.options.signal,
          dispatcher: client,
        })) as unknown as Response;
        record.first_byte_ms ??= this.now();
        record.status = res.status;
        noteNode(record, res.headers.get("x-node") ?? undefined);
        return res;
      },
      ws: (p = path, protocols) => {
        const ws = new WebSocket(`${this.options.url.replace(/^http/, "ws")}${p}`, {
          headers: this.headers(record, {}, plan.headers),
          ...(protocols === undefined ? {} : { protocols }),
        } as unknown as string[]);
        ws.addEventListener("open", () => (record.first_byte_ms ??= this.now()));
        ws.addEventListener("close", (ev) => record.close_codes.push(ev.code));
        return ws;
      },
      unit: (id) => {
        if (id !== undefined) {
          const key = String(id);
          if (seen.has(key)) {
            record.duplicate_units = (record.duplicate_units ?? 0) + 1;
            return false;
          }
          seen.add(key);
        }
        record.units++;
        return true;
      },
      expect: (n) => {
        record.expected_units = n;
      },
      lost: (reason, n = 1) => {
        record.lost_messages += n;
        if (reasons.length < 3) reasons.push(String(reason).slice(0, 200));
      },
    };
    try {
      await fn(ctx);
    } finally {
      record.reconnects = Math.max(0, record.connections - 1);
      await Promise.all(clients.map((c) => c.destroy().catch(() => {})));
    }
    const short = record.expected_units > 0 && record.units < record.expected_units;
    record.complete = record.lost_messages === 0 && !short;
    if (!record.complete)
      record.error =
        record.lost_messages > 0
          ? `${record.lost_messages} unit(s) lost: ${reasons.join("; ")}`
          : `${record.units} of ${record.expected_units} units`;
  }

  /** The feed's clock for the fixture: event n is due at start + n * interval on every node, so any node can resume it. */
  /** A feed read for `durationMs` from its start (null: until it ends): `deadline` aborts then, `signal` also on the run's abort; clear `timer` when done. */
  private feedDeadline(
    record: SessionRecord,
    durationMs: number | null,
  ): { deadline: AbortController; timer: NodeJS.Timeout | undefined; signal: AbortSignal } {
    const deadline = new AbortController();
    if (durationMs === null) return { deadline, timer: undefined, signal: this.options.signal };
    const timer = setTimeout(() => deadline.abort(), Math.max(0, record.start_ms + durationMs - this.now()));
    return { deadline, timer, signal: AbortSignal.any([this.options.signal, deadline.signal]) };
  }

  private feedPath(record: SessionRecord, path: string): string {
    const sep = path.includes("?") ? "&" : "?";
    if (!this.options.fixture) return path;
    // the fixture's clock is the wall clock as it read when the feed began (it may have jumped since this process
    // did); called once per feed, so every reconnect carries the same start
    const start = Math.round(Date.now() - (performance.now() - (this.options.t0 + record.start_ms)));
    return `${path}${sep}start=${start}`;
  }

  /**
   * A long poll, by its protocol (longpollProtocol): each poll carries the last id seen in `cursor_param` (the
   * fixture's `cursor`; a user's feed gets none on its first poll), is held by the server until events are
   * due and answered with JSON whose `ids_path` lists them and whose `end_path` is true once the feed is
   * over; the next poll follows at once. A failed poll is sent again with the same cursor after 100 ms. Ids
   * are judged as an SSE feed's (FeedTracker): a skipped one (numeric, redis-stream) is lost, one already
   * had is a duplicate.
   */
  private async longpoll(record: SessionRecord, path: string, kind: RequestKind): Promise<void> {
    const p = longpollProtocol(kind, this.options.fixture);
    const feed = this.feedPath(record, path);
    const sep = feed.includes("?") ? "&" : "?";
    const plan = this.planOf(kind);
    const tracker = new FeedTracker(p.idOrder, null, p.firstAfter);
    record.gaps = tracker.gaps;
    record.duplicate_units = 0;
    const { deadline, timer, signal } = this.feedDeadline(record, p.durationMs);
    let cursor = p.firstCursor;
    let failures = 0;
    try {
      for (;;) {
        try {
          const query = cursor === null ? feed : `${feed}${sep}${p.cursorParam}=${encodeURIComponent(cursor)}`;
          const res = await this.connect(record, query, this.headers(record, { accept: "application/json" }, plan.headers), signal, plan);
          const text = await res.body.text();
          record.first_byte_ms ??= this.now();
          if (res.statusCode >= 400) throw new Error(`status ${res.statusCode}`);
          const answer = pollAnswer(text, p.idsPath, p.endPath);
          for (const id of answer.ids) {
            const step = tracker.event({ type: "message", data: "", hasData: true, id, lastEventId: id });
            if (step.unit && step.n !== null && p.intervalMs !== null) this.arrived(record, record.start_ms + step.n * p.intervalMs);
            if (step.unit) cursor = id;
          }
          record.units = tracker.units;
          record.duplicate_units = tracker.duplicates;
          if (answer.end) {
            record.error = null;
            endFeed(record, tracker, p);
            return;
          }
        } catch (err) {
          if (this.options.signal.aborted) throw err;
          if (deadline.signal.aborted) {
            endFeed(record, tracker, p);
            return;
          }
          record.error = (err as Error).message.slice(0, 200);
          if (++failures > MAX_RECONNECTS) return;
          record.reconnects++;
          tracker.reconnected(cursor ?? "");
          await sleep(RECONNECT_DELAY_MS, signal);
        }
        if (deadline.signal.aborted) {
          endFeed(record, tracker, p);
          return;
        }
      }
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * A WebSocket that sends its messages (wsMessages: the scenario's `send`, or the fixture's "1", "2", ...),
   * one per interval, each waiting for its answer (`expect`: echo, reply, count:N, until:<regex>), then
   * closes with 1000. A close by the server with a code other than 1006 (going away, service restart) is
   * followed by a reconnect for the rest, which first sends again what was never answered (its answer
   * counted anew); a message never answered on a connection that ended abruptly (1006), or after the last
   * reconnect, is lost.
   */
  private async websocket(record: SessionRecord, path: string, kind: RequestKind): Promise<void> {
    const messages = wsMessages(kind);
    const { interval_ms } = sessionShape(kind);
    const plan = this.planOf(kind);
    const wsUrl = `${this.options.url.replace(/^http/, "ws")}${path}`;
    const replies = new WsReplies(messages);
    /** Messages to send again first (never answered before a clean close), then the next new one. */
    const again: number[] = [];
    let next = 0;
    const sentAt = new Map<number, number>();
    while (next < messages.length || again.length > 0) {
      const outcome = await new Promise<{ code: number; byServer: boolean; pending: number[] }>((resolve) => {
        const init = { headers: this.headers(record, {}, plan.headers), ...(kind.subprotocols ? { protocols: kind.subprotocols } : {}) };
        const ws = new WebSocket(wsUrl, init as unknown as string[]);
        ws.binaryType = "arraybuffer";
        let timer: NodeJS.Timeout | undefined;
        let closing = false;
        const close = () => {
          if (closing) return;
          closing = true;
          ws.close(1000);
        };
        const done = () => next >= messages.length && again.length === 0 && replies.pending === 0;
        const onAbort = () => ws.close(1000);
        this.options.signal.addEventListener("abort", onAbort, { once: true });
        ws.onopen = () => {
          record.first_byte_ms ??= this.now();
          const sendNext = () => {
            const i = again.length > 0 ? again.shift()! : next < messages.length ? next++ : null;
            if (i === null) {
              if (replies.pending === 0) close();
              return;
            }
            ws.send(messages[i]!.text);
            sentAt.set(i, this.now());
            replies.sent(i);
            timer = setTimeout(sendNext, interval_ms);
          };
          sendNext();
        };
        ws.onmessage = (ev) => {
          const data = ev.data as string | ArrayBuffer;
          const answered = replies.received(typeof data === "string" ? data : Buffer.from(data).toString("utf8"));
          if (answered !== null) {
            this.arrived(record, sentAt.get(answered) ?? this.now());
            record.units++;
          }
          if (done()) close();
        };
        ws.onclose = (ev) => {
          clearTimeout(timer);
          this.options.signal.removeEventListener("abort", onAbort);
          resolve({ code: ev.code, byServer: !closing, pending: replies.ended() });
        };
        ws.onerror = () => {};
      });
      record.close_codes.push(outcome.code);
      if (!outcome.byServer) (record.client_closed ??= []).push(record.close_codes.length - 1);
      const resume = outcome.byServer && outcome.code !== 1006 && !this.options.signal.aborted && record.reconnects < MAX_RECONNECTS;
      if (resume && outcome.pending.length > 0) {
        // never answered before the server's clean close: sent again on the next connection
        again.unshift(...outcome.pending);
        record.resent_messages = (record.resent_messages ?? 0) + outcome.pending.length;
      } else {
        record.lost_messages += outcome.pending.length;
      }
      if (!outcome.byServer) break;
      if (!resume) {
        record.error = `closed by the server with ${outcome.code}`;
        break;
      }
      record.reconnects++;
    }
    record.complete = record.error === null && record.lost_messages === 0 && record.units >= messages.length;
    if (!record.complete) {
      const odd =
        replies.unexpected > 0
          ? ` (${replies.unexpected} message(s) received answered none: an echo that differed, or nothing waited)`
          : "";
      record.error ??= `${record.units} of ${messages.length} messages answered${odd}`;
    }
  }
}

function noteNode(record: SessionRecord, header: string | string[] | undefined): void {
  const node = Array.isArray(header) ? header[0] : header;
  if (node && !record.nodes.includes(node)) record.nodes.push(node);
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener("abort", () => (clearTimeout(timer), resolve()), { once: true });
  });
}

/** Units a complete session has: the protocol's count for streams and feeds (0: not stated), the shape's for the rest. */
function expectedUnits(kind: RequestKind, fixture: boolean): number {
  if (kind.session !== undefined) return kind.chunks ?? kind.events ?? kind.messages ?? 0;
  if (kind.kind === "stream") return streamProtocol(kind, fixture).expectedUnits ?? 0;
  if (kind.kind === "sse") return sseProtocol(kind, fixture).expectedUnits ?? 0;
  if (kind.kind === "longpoll") return longpollProtocol(kind, fixture).expectedUnits ?? 0;
  return wsMessages(kind).length;
}

/** An SSE feed at its end: complete with no gap, every id of its order, and every expected event. */
function endSse(record: SessionRecord, tracker: FeedTracker, p: Pick<SseProtocol, "idOrder" | "expectedUnits">): void {
  tracker.endShort(p.expectedUnits);
  record.units = tracker.units;
  record.duplicate_units = tracker.duplicates;
  const resume = tracker.resumeReplays > 0 ? `; ${tracker.resumeReplays} resume(s) replayed events before the Last-Event-ID sent` : "";
  if (tracker.malformed.length > 0) {
    record.complete = false;
    record.error = `ids not ${p.idOrder} (id_order), e.g. ${tracker.malformed.map((id) => JSON.stringify(id)).join(", ")}`;
    return;
  }
  record.complete = record.gaps.length === 0;
  // a replayed resume is judged by no-duplicate-events (duplicate_units), not here
  if (record.complete) record.error = null;
  else {
    const lost = record.gaps.reduce((n, g) => n + (g.next - g.after - 1), 0);
    record.error ??= `${lost} event(s) lost${resume}`;
  }
}

/** A long poll at its end (the answer's end flag, or duration_s): judged as an SSE feed's end. */
function endFeed(record: SessionRecord, tracker: FeedTracker, p: LongpollProtocol): void {
  endSse(record, tracker, p);
}

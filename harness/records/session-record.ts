/**
 * One long-lived session of the load (harness/load/sessions.ts): a chunked
 * stream, a Server-Sent Events feed or a WebSocket, with what the client saw.
 * Times are ms since the run's t0.
 */
export interface SessionRecord {
  /** X-Request-Id of its first connection; a reconnect's is `<id>.r<n>`. */
  id: string;
  kind: "stream" | "sse" | "websocket" | "longpoll";
  /** Index of its entry in load.mix. */
  mix: number;
  intended_ms: number;
  start_ms: number;
  /** First byte of the stream or feed, or the socket's open. */
  first_byte_ms: number | null;
  end_ms: number | null;
  /** Nodes that answered it (X-Node), for streams and feeds. */
  nodes: string[];
  connections: number;
  reconnects: number;
  /** Status of its last HTTP response (101 is not seen for WebSockets: 0). */
  status: number;
  /** Why it did not complete; null when it did. */
  error: string | null;
  /**
   * Stream: its body ended with its HTTP framing (chunked terminator or content-length) and an ok status, with
   * its end marker, min_bytes and every expected unit when the scenario (or the fixture's preset) states them;
   * feed: reached its end (end event, server close without reconnect, or duration) with no gap and every
   * expected event; socket: every message answered as its `expect` says (echo by default), closed by the client.
   */
  complete: boolean;
  /** Chunks (stream units), events or echoed messages received (an event received again is not counted twice). */
  units: number;
  /** Units a complete session has; 0: not stated (a user's stream or feed without `chunks`/`events`). */
  expected_units: number;
  /**
   * SSE, long poll: ids that skipped ahead of the last one seen (events lost across a reconnect or a failed poll):
   * `next - after - 1` events lost. redis-stream ids: sequence numbers within one millisecond, the ids themselves
   * in after_id and next_id. A feed that ended short of its expected events: after the last seen, next = expected + 1.
   */
  gaps: Array<{ after: number; next: number; after_id?: string; next_id?: string }>;
  /**
   * SSE, long poll: events received again (a resume that replayed what the client had: Last-Event-ID not
   * honoured). WebSocket: messages the app received twice, from its ledger (set when the report is built).
   */
  duplicate_units?: number;
  /** Stream: body bytes received. */
  bytes?: number;
  /** WebSocket: the close code of each connection, in order (1006: closed without a close frame). */
  close_codes: number[];
  /** WebSocket: the connections (indexes into close_codes: 0, then reconnect n) the client closed itself (done, or the load's end). */
  client_closed?: number[];
  /** WebSocket: messages sent whose expected answer (echo, reply, count:N, until) never came, on a connection that ended abruptly (1006) or after the last reconnect. */
  lost_messages: number;
  /**
   * WebSocket: messages sent again on a reconnect, because the server closed cleanly (1001, 1012) before
   * echoing them: a message in flight when a close frame crosses it is dropped (RFC 6455 5.5.1), and a
   * client that resumes resends what was never acknowledged, as SSE resumes with Last-Event-ID.
   */
  resent_messages?: number;
  /**
   * Every chunk, event or echo, in order of arrival: how late it came, in ms. A stream's chunk i and a
   * feed's (SSE, long poll) event n after their due time on the feed's clock (start + i or n intervals);
   * a WebSocket message after it was sent (the echo's round trip). At most UNIT_DELAYS_KEPT per session.
   */
  unit_delays_ms?: number[];
}

/** How many unit delays one session keeps (its first ones): a bound on a record's size. */
export const UNIT_DELAYS_KEPT = 10_000;

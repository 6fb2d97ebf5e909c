import type { LedgerRow } from "../records/ledger-row.ts";
import type { ClockOffset, ServerRecords } from "../records/server-logs.ts";
import { toRunMs } from "../records/timeline.ts";

/**
 * An attached system's clocks are not this machine's: nginx and the apps may
 * run on another host whose clock is off by any amount, and every time the
 * verdict compares (nginx received a request after the removal?) would be off
 * by as much. drainlab's own containers share the host's clock; an attached
 * system's offset is estimated from the records themselves.
 *
 * A server stamp, put on the run's clock, reads `true time + offset`. Per
 * request id: nginx received the request after the client sent it, and it
 * received the node's answer (one attempt: at least $upstream_header_time
 * later) before the client had the whole answer; so
 *   received - sent >= offset   and   received + header time - answered <= offset.
 * The same holds for an app's start of a request whose answer came from that
 * app. A finish is no bound: nginx writes its log line (and an app its finish)
 * after the answer left, as late as the machine schedules it, so the client
 * may have read the answer first (a 2-core machine under a full test suite put
 * nginx's log line 5.2 ms after the client's end). Across requests the offset
 * lies in the intersection: at least
 * the largest lower bound, at most the smallest upper bound. Bounds that cross
 * say the stamps cannot be one clock at one offset (it drifted or stepped
 * during the run, or a line belongs to another request): said, never shifted.
 * (ClockOffset itself is declared in server-logs.ts, beside the records it describes.)
 */
export type { ClockOffset };

/** An offset whose bounds exclude zero by more than this is shifted out. */
export const SHIFT_BEYOND_MS = 50;
/** nginx's $msec and $request_time count whole ms off a time it caches per event-loop turn: bounds crossed by this little are not crossed. */
const STAMP_SLACK_MS = 5;

/** The bounds of each server's clock offset, nginx's and each node's app ledger's, from the records (stamps as read, not yet shifted). */
export function estimateClockOffsets(rows: LedgerRow[], server: ServerRecords): ClockOffset[] {
  const byId = new Map(rows.map((r) => [r.id, r]));
  const answered = (r: LedgerRow) => r.status > 0 && Number.isFinite(r.endMs);
  const run = (epochMs: number) => toRunMs(epochMs, server.t0EpochMs);
  const out: ClockOffset[] = [];

  const nginx = new Bounds();
  for (const x of server.nginx) {
    const r = byId.get(x.id);
    if (!r || !Number.isFinite(r.sentMs)) continue;
    const received = run(x.endEpochMs - x.requestTimeMs);
    nginx.upper(received - r.sentMs, x.id);
    // one attempt: its header reached nginx (at least $upstream_header_time after the request did) before the client's answer
    const header = x.upstreamHeaderMs.length === 1 ? (x.upstreamHeaderMs[0] ?? 0) : 0;
    if (answered(r)) nginx.lower(received + header - r.endMs, x.id);
  }
  if (nginx.ids.size > 0) out.push(nginx.offset("nginx"));

  const nodes = [...new Set(server.app.map((e) => e.node))].sort();
  for (const node of nodes) {
    const app = new Bounds();
    for (const e of server.app) {
      if (e.node !== node || e.event !== "start") continue;
      const r = byId.get(e.id);
      if (!r || !Number.isFinite(r.sentMs)) continue;
      app.upper(run(e.epochMs) - r.sentMs, e.id);
      // before the answer only when this node's answer was the one the client read (not a request nginx gave up on)
      if (answered(r) && r.error === "none" && r.node === node) app.lower(run(e.epochMs) - r.endMs, e.id);
    }
    if (app.ids.size > 0) out.push(app.offset(`app ${node}`));
  }
  return out;
}

/** Moves each source's stamps back by its offset's midpoint where the bounds exclude zero by more than SHIFT_BEYOND_MS; returns the offsets with the shifts made. */
export function applyClockOffsets(server: ServerRecords, offsets: ClockOffset[]): ClockOffset[] {
  const done = offsets.map((o) => ({ ...o, shift_ms: shiftOf(o) }));
  const move = (span: [number, number] | undefined, by: number): [number, number] | undefined =>
    span ? [span[0] - by, span[1] - by] : undefined;
  for (const o of done) {
    if (o.shift_ms === 0) continue;
    if (o.source === "nginx") {
      for (const x of [...server.nginx, ...(server.sessions?.nginx ?? [])]) {
        x.endEpochMs -= o.shift_ms;
        if (x.receivedSpan) x.receivedSpan = move(x.receivedSpan, o.shift_ms);
      }
    } else {
      const node = o.source.slice("app ".length);
      for (const e of [...server.app, ...(server.sessions?.app ?? [])]) {
        if (e.node !== node) continue;
        e.epochMs -= o.shift_ms;
        if (e.epochSpan) e.epochSpan = move(e.epochSpan, o.shift_ms);
      }
    }
  }
  server.clock_offsets = done;
  return done;
}

/** The midpoint of bounds that exclude zero by more than SHIFT_BEYOND_MS, else 0. */
function shiftOf(o: ClockOffset): number {
  if (o.inconsistent || o.lower_ms === null || o.upper_ms === null) return 0;
  if (o.lower_ms <= SHIFT_BEYOND_MS && o.upper_ms >= -SHIFT_BEYOND_MS) return 0;
  return Math.round((o.lower_ms + o.upper_ms) / 2);
}

/** How wide the offset's bounds are (ms); infinite when a side is unbounded. */
export function offsetWidth(o: ClockOffset): number {
  return o.lower_ms === null || o.upper_ms === null ? Number.POSITIVE_INFINITY : o.upper_ms - o.lower_ms;
}

/** One line for a fact or a report: the bounds, and what was done. */
export function describeOffset(o: ClockOffset): string {
  const b = (v: number | null, inf: string) => (v === null ? inf : `${round(v)} ms`);
  const bounds = `${o.source}'s clock minus this machine's lies in [${b(o.lower_ms, "-inf")}, ${b(o.upper_ms, "+inf")}] (${o.requests} request(s))`;
  if (o.inconsistent)
    return `${bounds}: the bounds cross, so no one offset fits its stamps (its clock drifted or stepped during the run); not shifted (the lower bound is request ${o.lower_by}'s, the upper ${o.upper_by}'s)`;
  if (o.shift_ms !== 0) return `${bounds}: its stamps were shifted by ${-o.shift_ms} ms (the midpoint)`;
  return `${bounds}: within ${SHIFT_BEYOND_MS} ms of zero, not shifted`;
}

class Bounds {
  lo = Number.NEGATIVE_INFINITY;
  hi = Number.POSITIVE_INFINITY;
  loBy = "";
  hiBy = "";
  readonly ids = new Set<string>();

  lower(v: number, id: string): void {
    if (v > this.lo) [this.lo, this.loBy] = [v, id];
    this.ids.add(id);
  }

  upper(v: number, id: string): void {
    if (v < this.hi) [this.hi, this.hiBy] = [v, id];
    this.ids.add(id);
  }

  offset(source: string): ClockOffset {
    const lower = Number.isFinite(this.lo) ? round(this.lo) : null;
    const upper = Number.isFinite(this.hi) ? round(this.hi) : null;
    const inconsistent = lower !== null && upper !== null && lower > upper + STAMP_SLACK_MS;
    return {
      source,
      requests: this.ids.size,
      lower_ms: lower,
      upper_ms: upper,
      inconsistent,
      shift_ms: 0,
      ...(lower === null ? {} : { lower_by: this.loBy }),
      ...(upper === null ? {} : { upper_by: this.hiBy }),
    };
  }
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}

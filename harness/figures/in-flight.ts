import type { HeldAt } from "../records/figure-types.ts";
import type { Records } from "../records/records.ts";
import type { AppEvent } from "../records/server-logs.ts";
import { toEpochMs } from "../records/timeline.ts";

type Kind = "requests" | "sessions" | "tasks";
interface Opening {
  kind: Kind;
  node: string;
  key: string;
  epochMs: number;
  delta: 1 | -1;
}

/**
 * The app ledger's openings and closings, one stream of events: a request's start and finish (or cancel),
 * a stream or WebSocket the node served (ws-open/ws-close count as a start and a finish), and a background
 * task that runs on after its response.
 */
export function openings(server: Records["server"]): Opening[] {
  const out: Opening[] = [];
  const add = (kind: Kind, e: AppEvent, key: string, delta: 1 | -1) => out.push({ kind, node: e.node, key, epochMs: e.epochMs, delta });
  for (const e of server.app) {
    const key = `${e.id}/${e.pid}`;
    if (e.event === "start") add("requests", e, key, 1);
    else if (e.event === "finish" || e.event === "cancel") add("requests", e, key, -1);
    else if (e.event === "task-start") add("tasks", e, key, 1);
    else if (e.event === "task-finish") add("tasks", e, key, -1);
  }
  for (const e of server.sessions?.app ?? []) {
    const key = `${e.id}/${e.pid}`;
    if (e.event === "start" || e.event === "ws-open") add("sessions", e, key, 1);
    else if (e.event === "finish" || e.event === "cancel" || e.event === "ws-close") add("sessions", e, key, -1);
  }
  return out;
}

/** What `node` had started and not finished (or given up) at `epochMs`, by kind. */
export function heldAt(events: Opening[], node: string, epochMs: number): HeldAt {
  const open = new Map<string, number>();
  for (const e of events) {
    if (e.node !== node || e.epochMs > epochMs) continue;
    const key = `${e.kind}:${e.key}`;
    open.set(key, (open.get(key) ?? 0) + e.delta);
  }
  const held: HeldAt = { node, requests: 0, sessions: 0, tasks: 0 };
  for (const [key, n] of open) if (n > 0) held[key.slice(0, key.indexOf(":")) as Kind]++;
  return held;
}

/** How many openings of `node` fell in (fromEpochMs, toEpochMs]. */
export function takenIn(events: Opening[], node: string, fromEpochMs: number, toEpochMs: number): number {
  return events.filter((e) => e.delta === 1 && e.node === node && e.epochMs > fromEpochMs && e.epochMs <= toEpochMs).length;
}

/**
 * What each drained node held when its signal came (null: the signal time is unknown, or no app ledger
 * was read): the requests the graceful limit had to carry. Zero means the run said nothing about
 * timeout_graceful_shutdown, however clean.
 */
export function inFlightAtSignal(r: Pick<Records, "drains" | "server">): Array<HeldAt | null> {
  if (r.server.app.length === 0) return r.drains.map(() => null);
  const events = openings(r.server);
  return r.drains.map((d) =>
    d.step_times_known === false || !Number.isFinite(d.signal_ms)
      ? null
      : heldAt(events, d.target, toEpochMs(d.signal_ms, r.server.t0EpochMs)),
  );
}

export function describeHeld(h: HeldAt): string {
  const parts = [`${h.requests} request(s)`];
  if (h.sessions > 0) parts.push(`${h.sessions} session(s)`);
  if (h.tasks > 0) parts.push(`${h.tasks} task(s)`);
  return parts.join(", ");
}

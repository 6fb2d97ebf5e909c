import type { DrainRecord } from "../records/drain-record.ts";
import type { CheckOutcome, Records } from "../records/records.ts";
import type { AppEvent } from "../records/server-logs.ts";
import { sessionOf } from "../records/server-logs.ts";
import type { SessionRecord } from "../records/session-record.ts";
import { toEpochMs } from "../records/timeline.ts";

/**
 * The long-lived traffic's checks: streams, Server-Sent Events, WebSockets,
 * background tasks and lifespan shutdown hooks. Each is skipped when the run
 * has no such traffic at all, and says "no evidence" (never a pass) when none
 * of it was open on a drained node when that node's drain began: a drain that
 * never met a stream proves nothing about streams.
 */
type Check = (r: Records) => CheckOutcome;

/** Codes a server may close a WebSocket with on a graceful stop, after which a client reconnects. */
const CLEAN_CLOSES = new Set([1000, 1001, 1012]);

interface OpenAtDrain {
  target: string;
  /** Session ids (or request ids, for tasks) open on the target when its drain began. */
  ids: Set<string>;
}

/** What was open on each drained node at its drain's start: opened by `open` events, closed by `close` events. */
function openAtDrains(
  r: Records,
  events: AppEvent[],
  open: AppEvent["event"],
  close: AppEvent["event"][],
  idOf = (id: string) => id,
): OpenAtDrain[] {
  return r.drains.map((d: DrainRecord) => {
    const began = toEpochMs(d.start_ms, r.server.t0EpochMs);
    const state = new Map<string, number>();
    for (const e of events) {
      if (e.node !== d.target || e.epochMs > began) continue;
      const key = `${idOf(e.id)}/${e.pid}`;
      if (e.event === open) state.set(key, (state.get(key) ?? 0) + 1);
      else if (close.includes(e.event)) state.set(key, (state.get(key) ?? 0) - 1);
    }
    const ids = new Set([...state].filter(([, n]) => n > 0).map(([k]) => k.slice(0, k.lastIndexOf("/"))));
    return { target: d.target, ids };
  });
}

function subjectText(open: OpenAtDrain[], what: string): string {
  return open.map((o) => `${o.ids.size} ${what} open on ${o.target} when its drain began`).join("; ");
}

function noEvidence(name: string, expected: string, detail: string): CheckOutcome {
  return { name, status: "no-evidence", ok: false, observed: "none during a drain", expected, detail };
}

function skipped(name: string, expected: string, detail: string): CheckOutcome {
  return { name, status: "skipped", ok: true, observed: "not in this run", expected, detail };
}

/** Shared shape of the three session checks: which sessions, what must hold, how to describe a failure. */
function sessionCheck(
  name: string,
  kinds: Array<SessionRecord["kind"]>,
  what: string,
  expected: string,
  failed: (s: SessionRecord) => boolean,
  describe: (bad: SessionRecord[], all: SessionRecord[]) => string,
): Check {
  return (r) => {
    const all = (r.sessions ?? []).filter((s) => kinds.includes(s.kind));
    if (all.length === 0) return skipped(name, expected, `the mix has no ${what}`);
    if (r.drains.length === 0) return skipped(name, expected, "the scenario drains no node");
    const app = r.server.sessions?.app ?? [];
    const open = kinds.includes("websocket")
      ? openAtDrains(r, app, "ws-open", ["ws-close"], (id) => sessionOf(id) ?? id)
      : openAtDrains(r, app, "start", ["finish", "cancel"], (id) => sessionOf(id) ?? id);
    const bad = all.filter(failed);
    if (open.every((o) => o.ids.size === 0) && bad.length === 0) {
      return noEvidence(
        name,
        expected,
        `${subjectText(open, what)}: the drain met none, so it proves nothing about them (${all.length} in the run)`,
      );
    }
    return {
      name,
      ok: bad.length === 0,
      observed: `${bad.length} of ${all.length}`,
      expected,
      detail: `${subjectText(open, what)}; ${describe(bad, all)}`,
    };
  };
}

const firstIds = (bad: SessionRecord[]) =>
  bad
    .slice(0, 3)
    .map((s) => `${s.id} (${s.error ?? "incomplete"})`)
    .join(", ");

/**
 * no-truncated-streams: every stream's body ended with its framing and an ok status, with its end marker,
 * min_bytes and every expected unit where the protocol states them (streamProtocol).
 */
export const noTruncatedStreams: Check = sessionCheck(
  "no-truncated-streams",
  ["stream"],
  "stream(s)",
  "0 streams cut before their end (framing, end marker, expected units)",
  (s) => !s.complete,
  (bad, all) =>
    bad.length === 0
      ? `all ${all.length} streams complete (${all.reduce((n, s) => n + s.units, 0)} units)`
      : `${bad.length} cut before their end, e.g. ${firstIds(bad)}`,
);

/** no-lost-events: every SSE feed and long poll reached its end with its last event and without an id gap, across its reconnects. */
export const noLostEvents: Check = sessionCheck(
  "no-lost-events",
  ["sse", "longpoll"],
  "event feed(s) (SSE or long poll)",
  "0 event ids skipped across a reconnect",
  (s) => s.gaps.length > 0 || !s.complete,
  (bad, all) => {
    const reconnects = all.reduce((n, s) => n + s.reconnects, 0);
    if (bad.length === 0)
      return `all ${all.length} feeds complete, ${reconnects} reconnect(s) with Last-Event-ID or the poll's cursor, no id skipped`;
    const lost = bad.reduce((n, s) => n + s.gaps.reduce((m, g) => m + (g.next - g.after - 1), 0), 0);
    const feed = bad.find((s) => s.gaps.length > 0);
    const gap = feed?.gaps[0];
    const where = !gap
      ? ""
      : gap.next === feed!.expected_units + 1
        ? ` (e.g. after id ${gap.after_id ?? gap.after} the feed ended, ${feed!.expected_units} due)`
        : ` (e.g. after id ${gap.after_id ?? gap.after} the next was ${gap.next_id ?? gap.next})`;
    return `${bad.length} feed(s) lost ${lost} event(s)${where}; ${reconnects} reconnect(s); e.g. ${firstIds(bad)}`;
  },
);

/**
 * WebSocket messages the app received more than once in one session, from its own ledger (ws-message):
 * a message the client sent again on a new connection after a close that came once the app had it.
 */
export function wsAppDuplicates(app: AppEvent[]): Map<string, number> {
  const seen = new Map<string, number>();
  for (const e of app) {
    if (e.event !== "ws-message" || e.msg === undefined) continue;
    const key = `${sessionOf(e.id) ?? e.id}\u0000${e.msg}`;
    seen.set(key, (seen.get(key) ?? 0) + 1);
  }
  const out = new Map<string, number>();
  for (const [key, n] of seen) {
    if (n < 2) continue;
    const session = key.slice(0, key.indexOf("\u0000"));
    out.set(session, (out.get(session) ?? 0) + n - 1);
  }
  return out;
}

/**
 * no-duplicate-events: no feed received an event again (an SSE resume that replays what the client had, so
 * Last-Event-ID was not honoured; a long poll answered again with ids it had) and the app received no
 * WebSocket message twice (sent again after a close it had already reached), beyond
 * checks.allowed_duplicate_events over all of them. Judged on the same sessions as no-lost-events and
 * websockets-closed-cleanly.
 */
export const noDuplicateEvents: Check = (r) => {
  const name = "no-duplicate-events";
  // reports older than the field have no key: 0, as by default (null is no limit)
  const allowed = r.scenario.checks.allowed_duplicate_events === undefined ? 0 : r.scenario.checks.allowed_duplicate_events;
  const expected =
    allowed === null ? "counted, no limit (checks.allowed_duplicate_events)" : `at most ${allowed} event(s) or message(s) received twice`;
  const sessions = r.sessions ?? [];
  const feeds = sessions.filter((s) => s.kind === "sse" || s.kind === "longpoll");
  const sockets = sessions.filter((s) => s.kind === "websocket");
  const all = [...feeds, ...sockets];
  if (all.length === 0) return skipped(name, expected, "the mix has no event feed (SSE or long poll) and no WebSocket");
  if (r.drains.length === 0) return skipped(name, expected, "the scenario drains no node");
  const app = r.server.sessions?.app ?? [];
  const wsDup = wsAppDuplicates(app);
  const dupOf = (s: SessionRecord) => (s.kind === "websocket" ? (wsDup.get(s.id) ?? 0) : (s.duplicate_units ?? 0));
  const feedsOpen = feeds.length > 0 ? openAtDrains(r, app, "start", ["finish", "cancel"], (id) => sessionOf(id) ?? id) : [];
  const socketsOpen = sockets.length > 0 ? openAtDrains(r, app, "ws-open", ["ws-close"], (id) => sessionOf(id) ?? id) : [];
  const subjects = [
    ...(feeds.length > 0 ? [subjectText(feedsOpen, "event feed(s) (SSE or long poll)")] : []),
    ...(sockets.length > 0 ? [subjectText(socketsOpen, "WebSocket(s)")] : []),
  ];
  const anyOpen = [...feedsOpen, ...socketsOpen].some((o) => o.ids.size > 0);
  const bad = all.filter((s) => dupOf(s) > 0);
  const duplicates = bad.reduce((n, s) => n + dupOf(s), 0);
  if (!anyOpen && bad.length === 0)
    return noEvidence(
      name,
      expected,
      `${subjects.join("; ")}: the drain met none, so it proves nothing about them (${all.length} in the run)`,
    );
  const reconnects = all.reduce((n, s) => n + s.reconnects, 0);
  return {
    name,
    ok: allowed === null || duplicates <= allowed,
    observed: `${duplicates} duplicate(s) in ${bad.length} of ${all.length} sessions`,
    expected,
    detail: `${subjects.join("; ")}; ${
      bad.length === 0
        ? `nothing received twice across ${reconnects} reconnect(s)`
        : `${duplicates} received again after a reconnect (an event of a resume that did not start after the Last-Event-ID or cursor sent, or a WebSocket message the app had before the close and got again), e.g. ${bad
            .slice(0, 3)
            .map((s) => `${s.id} (${dupOf(s)} again)`)
            .join(", ")}`
    }`,
  };
};

/** websockets-closed-cleanly: close codes counted; 1006 (no close frame) or a message whose expected answer (echo, reply, count, until) never came fails. */
export const websocketsClosedCleanly: Check = sessionCheck(
  "websockets-closed-cleanly",
  ["websocket"],
  "WebSocket(s)",
  "every close 1000, 1001 or 1012 (then a reconnect), no message lost",
  (s) => s.lost_messages > 0 || s.close_codes.some((c) => !CLEAN_CLOSES.has(c)) || !s.complete,
  (bad, all) => {
    const codes = new Map<number, number>();
    for (const s of all) for (const c of s.close_codes) codes.set(c, (codes.get(c) ?? 0) + 1);
    const counted = [...codes]
      .sort(([a], [b]) => a - b)
      .map(([c, n]) => `${c} x${n}`)
      .join(", ");
    const lost = all.reduce((n, s) => n + s.lost_messages, 0);
    const resent = all.reduce((n, s) => n + (s.resent_messages ?? 0), 0);
    const again = resent > 0 ? `; ${resent} sent again after a clean close (never answered before it)` : "";
    return `close codes ${counted || "none"}; ${lost} message(s) lost${again}${bad.length ? `; e.g. ${firstIds(bad)}` : ""}`;
  },
);

/** no-lost-background-tasks: every BackgroundTask a drained node started, it finished before its worker exited. */
export const noLostBackgroundTasks: Check = (r) => {
  const name = "no-lost-background-tasks";
  const expected = "every task a drained node started finished there";
  const started = r.server.app.filter((e) => e.event === "task-start");
  if (started.length === 0) return skipped(name, expected, "no background task in this run");
  if (r.drains.length === 0) return skipped(name, expected, "the scenario drains no node");
  const open = openAtDrains(r, r.server.app, "task-start", ["task-finish"]);
  const finished = new Set(r.server.app.filter((e) => e.event === "task-finish").map((e) => `${e.node}/${e.id}`));
  const drained = new Set(r.drains.map((d) => d.target));
  const lost = started.filter((e) => drained.has(e.node) && !finished.has(`${e.node}/${e.id}`));
  const later = r.drains.map((d) => {
    const began = toEpochMs(d.start_ms, r.server.t0EpochMs);
    return started.filter((e) => e.node === d.target && e.epochMs > began).length;
  });
  if (open.every((o) => o.ids.size === 0) && later.every((n) => n === 0) && lost.length === 0) {
    return noEvidence(name, expected, `${subjectText(open, "task(s)")}, and none started during its drain: the drain met no task`);
  }
  return {
    name,
    ok: lost.length === 0,
    observed: `${lost.length} lost`,
    expected,
    detail: `${subjectText(open, "task(s)")}; ${
      lost.length === 0
        ? "every one finished"
        : `${lost.length} started and never finished, e.g. ${lost
            .slice(0, 3)
            .map((e) => `${e.id} on ${e.node} pid ${e.pid}`)
            .join(", ")}`
    }`,
  };
};

/**
 * shutdown-hooks-ran: every worker of a drained node that ran the app's lifespan startup also ran its
 * shutdown after the drain's signal. Kills by the run's own teardown (nodes not drained) do not count.
 */
export const shutdownHooksRan: Check = (r) => {
  const name = "shutdown-hooks-ran";
  const expected = "lifespan shutdown in every worker of each drained node";
  const hooks = r.server.app.filter((e) => e.event === "lifespan-startup");
  if (r.drains.length === 0) return skipped(name, expected, "the scenario drains no node");
  // reports older than the field have no key: not required, as by default
  if (!r.scenario.checks.require_shutdown_hooks)
    return skipped(name, expected, "not required by this scenario (checks.require_shutdown_hooks); see the facts for what ran");
  if (hooks.length === 0) {
    // any app ledger line shows the ledger was on: then the app simply has no lifespan hooks
    const active = r.server.app.length > 0;
    return active
      ? skipped(name, expected, "the app ran no lifespan startup (no lifespan hooks), so there is no shutdown hook to run")
      : noEvidence(name, expected, "no app ledger line from any worker: whether lifespan hooks ran cannot be told");
  }
  const missing: string[] = [];
  let workers = 0;
  for (const d of r.drains) {
    const signal = toEpochMs(d.signal_ms, r.server.t0EpochMs);
    const exit = d.exit_ms === null ? Number.POSITIVE_INFINITY : toEpochMs(d.exit_ms, r.server.t0EpochMs) + 1000;
    const pids = new Set(hooks.filter((e) => e.node === d.target && e.epochMs < signal).map((e) => e.pid));
    const ran = new Set(
      r.server.app
        .filter((e) => e.event === "lifespan-shutdown" && e.node === d.target && e.epochMs >= signal && e.epochMs <= exit)
        .map((e) => e.pid),
    );
    workers += pids.size;
    for (const pid of pids) if (!ran.has(pid)) missing.push(`${d.target} pid ${pid}`);
  }
  if (workers === 0) return noEvidence(name, expected, "no worker of a drained node had run its lifespan startup before the signal");
  return {
    name,
    ok: missing.length === 0,
    observed: `${workers - missing.length} of ${workers} workers`,
    expected,
    detail:
      missing.length === 0
        ? `all ${workers} workers of the drained node(s) ran lifespan shutdown`
        : `no lifespan shutdown in ${missing.join(", ")}`,
  };
};

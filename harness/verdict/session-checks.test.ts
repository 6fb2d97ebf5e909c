import { describe, expect, it } from "vitest";
import type { Records } from "../records/records.ts";
import type { AppEvent } from "../records/server-logs.ts";
import type { SessionRecord } from "../records/session-record.ts";
import { resolveScenario } from "../scenario/resolved.ts";
import { drainFactsOf } from "./facts.ts";
import {
  noDuplicateEvents,
  noLostBackgroundTasks,
  noLostEvents,
  noTruncatedStreams,
  shutdownHooksRan,
  websocketsClosedCleanly,
  wsAppDuplicates,
} from "./session-checks.ts";
import { clean, drain, records, T0 } from "./testdata/records.ts";

/** The drain facts, with the chain of the records' own scenario as a run resolves it. */
const drainFacts = (r: Records, versions: Record<string, string>) => drainFactsOf(r, versions, resolveScenario(r.scenario).chain);

// node-1's drain begins at 1000 ms, SIGTERM at 2000 ms, exit at 2500 ms (testdata/records.ts).
const session = (id: string, kind: SessionRecord["kind"], over: Partial<SessionRecord> = {}): SessionRecord => ({
  id,
  kind,
  mix: 1,
  intended_ms: 500,
  start_ms: 500,
  first_byte_ms: 510,
  end_ms: 2600,
  nodes: ["node-1"],
  connections: 1,
  reconnects: 0,
  status: 200,
  error: null,
  complete: true,
  units: 20,
  expected_units: 20,
  gaps: [],
  close_codes: [],
  lost_messages: 0,
  ...over,
});
const ev = (t: number, event: AppEvent["event"], id: string, node = "node-1", pid = 7, more: Partial<AppEvent> = {}): AppEvent => ({
  epochMs: T0 + t,
  event,
  id,
  node,
  pid,
  ...more,
});

function withSessions(sessions: SessionRecord[], sessionApp: AppEvent[], app: AppEvent[] = []): Records {
  const r = records(clean());
  r.scenario = { ...r.scenario, checks: { ...r.scenario.checks, require_shutdown_hooks: true } };
  r.sessions = sessions;
  r.server.sessions = { nginx: [], app: sessionApp };
  r.server.app.push(...app);
  return r;
}

describe("no-truncated-streams", () => {
  const openOnNode1 = [ev(510, "start", "run-s3"), ev(2400, "finish", "run-s3")];
  it("passes when every stream ended with its end marker, and one was open on the drained node", () => {
    const c = noTruncatedStreams(withSessions([session("run-s3", "stream")], openOnNode1));
    expect(c).toMatchObject({ ok: true, observed: "0 of 1" });
    expect(c.detail).toMatch(/1 stream\(s\) open on node-1 when its drain began/);
  });
  it("fails on a stream that ended before the end marker", () => {
    const cut = session("run-s3", "stream", { complete: false, error: "ended before the end marker", units: 12 });
    const c = noTruncatedStreams(withSessions([cut], [ev(510, "start", "run-s3"), ev(2500, "cancel", "run-s3")]));
    expect(c).toMatchObject({ ok: false, observed: "1 of 1" });
    expect(c.detail).toMatch(/run-s3 \(ended before the end marker\)/);
  });
  it("says no evidence when no stream was open on the drained node at its drain's start", () => {
    const c = noTruncatedStreams(
      withSessions([session("run-s3", "stream")], [ev(1200, "start", "run-s3", "node-2"), ev(3200, "finish", "run-s3", "node-2")]),
    );
    expect(c).toMatchObject({ ok: false, status: "no-evidence" });
  });
  it("is skipped when the mix has no stream", () => {
    expect(noTruncatedStreams(withSessions([], [])).status).toBe("skipped");
  });
});

describe("no-lost-events", () => {
  const app = [ev(510, "start", "run-s4"), ev(3000, "cancel", "run-s4"), ev(3110, "start", "run-s4.r1", "node-2")];
  it("passes a feed cut and resumed with Last-Event-ID without a gap", () => {
    const c = noLostEvents(withSessions([session("run-s4", "sse", { reconnects: 1, connections: 2, nodes: ["node-1", "node-2"] })], app));
    expect(c.ok).toBe(true);
    expect(c.detail).toMatch(/1 reconnect\(s\) with Last-Event-ID or the poll.s cursor, no id skipped/);
  });
  it("fails on an id gap across the reconnect, counting the events lost", () => {
    const gap = session("run-s4", "sse", { reconnects: 1, gaps: [{ after: 25, next: 29 }], complete: false });
    const c = noLostEvents(withSessions([gap], app));
    expect(c.ok).toBe(false);
    expect(c.detail).toMatch(/lost 3 event\(s\) \(e\.g\. after id 25 the next was 29\)/);
  });
  it("judges long polls alike: a poll held on node-1 at the drain, its next poll answered past its cursor", () => {
    const polls = [ev(600, "start", "run-s4.r3"), ev(2100, "cancel", "run-s4.r3"), ev(2210, "start", "run-s4.r4", "node-2")];
    const ok = noLostEvents(withSessions([session("run-s4", "longpoll", { reconnects: 1 })], polls));
    expect(ok.ok).toBe(true);
    const lost = noLostEvents(withSessions([session("run-s4", "longpoll", { gaps: [{ after: 9, next: 14 }], complete: false })], polls));
    expect(lost.ok).toBe(false);
    expect(lost.detail).toMatch(/lost 4 event\(s\)/);
    const short = noLostEvents(
      withSessions([session("run-s4", "longpoll", { gaps: [{ after: 19, next: 21 }], units: 19, complete: false })], polls),
    );
    expect(short.ok).toBe(false);
    expect(short.detail).toMatch(/lost 1 event\(s\) \(e\.g\. after id 19 the feed ended, \d+ due\)/);
  });
});

describe("no-duplicate-events", () => {
  const app = [ev(510, "start", "run-s4"), ev(3000, "cancel", "run-s4"), ev(3110, "start", "run-s4.r1", "node-2")];
  const resumed = (duplicate_units: number) =>
    session("run-s4", "sse", { reconnects: 1, connections: 2, nodes: ["node-1", "node-2"], duplicate_units });
  it("passes a feed resumed after its Last-Event-ID with nothing received twice", () => {
    const c = noDuplicateEvents(withSessions([resumed(0)], app));
    expect(c).toMatchObject({ ok: true, observed: "0 duplicate(s) in 0 of 1 sessions" });
    expect(c.detail).toMatch(/nothing received twice across 1 reconnect/);
  });
  it("fails on a resume that replayed events the client had (a feed complete and with no gap: no-lost-events passes)", () => {
    const r = withSessions([resumed(4)], app);
    expect(noLostEvents(r).ok).toBe(true);
    const c = noDuplicateEvents(r);
    expect(c).toMatchObject({ ok: false, observed: "4 duplicate(s) in 1 of 1 sessions" });
    expect(c.detail).toMatch(/4 received again after a reconnect .*run-s4 \(4 again\)/);
  });
  it("passes within checks.allowed_duplicate_events, and null counts without a limit", () => {
    const r = withSessions([resumed(4)], app);
    r.scenario = { ...r.scenario, checks: { ...r.scenario.checks, allowed_duplicate_events: 4 } };
    expect(noDuplicateEvents(r).ok).toBe(true);
    r.scenario = { ...r.scenario, checks: { ...r.scenario.checks, allowed_duplicate_events: null } };
    expect(noDuplicateEvents(r)).toMatchObject({ ok: true, observed: "4 duplicate(s) in 1 of 1 sessions" });
  });
  it("says no evidence when no feed was open on the drained node, and is skipped without feeds", () => {
    const elsewhere = [ev(1200, "start", "run-s4", "node-2"), ev(3200, "finish", "run-s4", "node-2")];
    expect(noDuplicateEvents(withSessions([resumed(0)], elsewhere))).toMatchObject({ ok: false, status: "no-evidence" });
    expect(noDuplicateEvents(withSessions([session("run-s3", "stream")], [])).status).toBe("skipped");
  });
});

describe("no-duplicate-events for WebSockets: a message the app received twice", () => {
  // the server's 1012 came after the app had message 3, before its echo left: the client sent 3 again on node-2
  const app = [
    ev(520, "ws-open", "run-s5"),
    ev(600, "ws-message", "run-s5", "node-1", 7, { msg: "1" }),
    ev(700, "ws-message", "run-s5", "node-1", 7, { msg: "2" }),
    ev(1990, "ws-message", "run-s5", "node-1", 7, { msg: "3" }),
    ev(2000, "ws-close", "run-s5", "node-1", 7, { code: 1012 }),
    ev(2100, "ws-open", "run-s5.r1", "node-2", 9),
    ev(2110, "ws-message", "run-s5.r1", "node-2", 9, { msg: "3" }),
  ];
  const socket = session("run-s5", "websocket", { close_codes: [1012, 1000], reconnects: 1, resent_messages: 1 });

  it("counts it from the app's ledger, per session across its connections, and fails", () => {
    expect(wsAppDuplicates(app)).toEqual(new Map([["run-s5", 1]]));
    const c = noDuplicateEvents(withSessions([socket], app));
    expect(c).toMatchObject({ ok: false, observed: "1 duplicate(s) in 1 of 1 sessions" });
    expect(c.detail).toMatch(/^1 WebSocket\(s\) open on node-1 when its drain began; 1 received again/);
  });

  it("passes when the resent message had not reached the app", () => {
    const c = noDuplicateEvents(
      withSessions(
        [socket],
        app.filter((e) => !(e.event === "ws-message" && e.msg === "3" && e.node === "node-1")),
      ),
    );
    expect(c).toMatchObject({ ok: true, observed: "0 duplicate(s) in 0 of 1 sessions" });
  });
});

describe("websockets-closed-cleanly", () => {
  const app = [ev(520, "ws-open", "run-s5"), ev(2000, "ws-close", "run-s5", "node-1", 7, { code: 1012 })];
  it("passes a server's 1012 followed by a reconnect, counting the close codes", () => {
    const c = websocketsClosedCleanly(withSessions([session("run-s5", "websocket", { close_codes: [1012, 1000], reconnects: 1 })], app));
    expect(c.ok).toBe(true);
    expect(c.detail).toMatch(/close codes 1000 x1, 1012 x1; 0 message\(s\) lost/);
  });
  it("fails on 1006 and on a message never echoed", () => {
    const dropped = session("run-s5", "websocket", {
      close_codes: [1006],
      lost_messages: 1,
      complete: false,
      error: "closed by the server with 1006",
    });
    const c = websocketsClosedCleanly(withSessions([dropped], [ev(520, "ws-open", "run-s5")]));
    expect(c).toMatchObject({ ok: false, observed: "1 of 1" });
    expect(c.detail).toMatch(/close codes 1006 x1; 1 message\(s\) lost/);
  });
});

describe("no-lost-background-tasks", () => {
  it("fails on a task the drained node started and never finished; passes when it finished", () => {
    const started = [ev(900, "task-start", "r-9")];
    const lost = noLostBackgroundTasks(withSessions([], [], started));
    expect(lost).toMatchObject({ ok: false, observed: "1 lost" });
    expect(lost.detail).toMatch(/r-9 on node-1 pid 7/);
    const done = noLostBackgroundTasks(withSessions([], [], [...started, ev(1900, "task-finish", "r-9")]));
    expect(done.ok).toBe(true);
  });
  it("says no evidence when the drain met no task, and is skipped without any", () => {
    const c = noLostBackgroundTasks(withSessions([], [], [ev(100, "task-start", "r-1"), ev(300, "task-finish", "r-1")]));
    expect(c.status).toBe("no-evidence");
    expect(noLostBackgroundTasks(withSessions([], [])).status).toBe("skipped");
  });
});

describe("shutdown-hooks-ran", () => {
  const startup = [
    ev(0, "lifespan-startup", "-", "node-1", 7),
    ev(0, "lifespan-startup", "-", "node-1", 8),
    ev(0, "lifespan-startup", "-", "node-2", 9),
  ];
  it("passes when every worker of the drained node ran its shutdown after the signal; node-2's teardown does not count", () => {
    const c = shutdownHooksRan(
      withSessions([], [], [...startup, ev(2300, "lifespan-shutdown", "-", "node-1", 7), ev(2310, "lifespan-shutdown", "-", "node-1", 8)]),
    );
    expect(c).toMatchObject({ ok: true, observed: "2 of 2 workers" });
  });
  it("fails for a worker that never ran it (killed)", () => {
    const c = shutdownHooksRan(withSessions([], [], [...startup, ev(2300, "lifespan-shutdown", "-", "node-1", 7)]));
    expect(c).toMatchObject({ ok: false, observed: "1 of 2 workers" });
    expect(c.detail).toBe("no lifespan shutdown in node-1 pid 8");
  });
  it("is skipped for an app without lifespan hooks, and says no evidence without any ledger line", () => {
    expect(shutdownHooksRan(withSessions([], [], [ev(0, "ledger-active", "-")])).status).toBe("skipped");
    const none = records([]);
    const required = { ...none.scenario, checks: { ...none.scenario.checks, require_shutdown_hooks: true } };
    expect(shutdownHooksRan({ ...none, scenario: required, drains: [drain] }).status).toBe("no-evidence");
    expect(shutdownHooksRan({ ...none, drains: [drain] }).status).toBe("skipped");
  });
});

describe("the fact that uvicorn closes open WebSockets with 1012", () => {
  // node-1's SIGTERM at 2000 ms: s6 is closed by the server (the app saw 1012), s7's client finished and closed
  // it itself just after the signal (1000), s8's app stopped at a send and never saw the code (unknown)
  const app = [
    ev(520, "ws-open", "run-s6"),
    ev(530, "ws-open", "run-s7"),
    ev(540, "ws-open", "run-s8"),
    ev(2010, "ws-close", "run-s6", "node-1", 7, { code: 1012 }),
    ev(2020, "ws-close", "run-s7", "node-1", 7, { code: 1000 }),
    ev(2030, "ws-close", "run-s8", "node-1", 7, { code: "unknown" }),
  ];
  const sockets = [
    session("run-s6", "websocket", { close_codes: [1012, 1000], reconnects: 1, client_closed: [1] }),
    session("run-s7", "websocket", { close_codes: [1000], client_closed: [0] }),
    session("run-s8", "websocket", { close_codes: [1012, 1000], reconnects: 1, client_closed: [1] }),
  ];
  const fact = (r: Records) => drainFacts(r, { uvicorn: "0.32.0" }).find((f) => f.claim.startsWith("uvicorn closes open WebSockets"));

  it("is judged on the closes the server made, not on a socket its client closed after the signal", () => {
    expect(fact(withSessions(sockets, app))).toMatchObject({
      holds: true,
      observed: expect.stringMatching(/its 1 socket\(s\) on node-1 closed with 1012$/),
    });
    // the same client close counted as the server's (no client_closed) would contradict it
    const unknownCloser = sockets.map((s) => ({ ...s, client_closed: undefined }));
    expect(fact(withSessions(unknownCloser, app))).toMatchObject({ holds: false });
  });
});

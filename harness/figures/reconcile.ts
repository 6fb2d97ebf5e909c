import type { NodeCounts, Reconciliation, Story, StoryEvent } from "../records/figure-types.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import type { Records } from "../records/records.ts";
import { type AppEvent, attemptAnswered, attemptConnected, type NginxRow } from "../records/server-logs.ts";
import { toRunMs } from "../records/timeline.ts";
import { LOSS_CLASS_TABLE, LOSS_CLASSES, type LossClass, type PrimaryClass } from "../scenario/loss-classes.ts";
import { isIdempotent } from "../scenario/schema.ts";
import { upstreamAddr } from "../scenario/topology.ts";
import { drainWindows, dueDuringDrain } from "./summaries.ts";

const MAX_STORIES = 5;
const MAX_MARKS = 5000;

/** Reconciles the client ledger with nginx's access log and the app ledgers, by request id. */
export function reconcile(r: Records): Reconciliation {
  const { server } = r;
  const toRel = (epochMs: number) => toRunMs(epochMs, server.t0EpochMs);
  const nodeOfAddr = new Map(server.nodes.map((n) => [upstreamAddr(n.address), n.name]));
  const nodeNames = [...new Set(server.nodes.map((n) => n.name))];
  const nginxById = groupBy(server.nginx, (x) => x.id);
  const appById = groupBy(server.app, (x) => x.id);
  // the nodes whose app ledger can say a request never started there: it has events, and no line was unreadable
  const ledgerNodes = new Set(server.unreadable === 0 ? server.app.map((e) => e.node) : []);
  // a node is out of service from its removal taking effect until it is re-added (if ever); nginx
  // itself says which config served a request, so a request of the removal's generation is out too
  const outOfService = r.drains
    .filter((d) => d.removed && d.reload_effective_ms !== null)
    .map((d) => ({
      node: d.target,
      from: d.reload_effective_ms!,
      generation: d.removal_generation,
      to: d.readded_ms ?? Number.POSITIVE_INFINITY,
    }));
  // a drained node nginx never names by its own address (behind a Kubernetes Service): its app ledger says
  // what reached it, and a start later than the removal plus the drain's settle could only come after it
  const addressed = new Set(server.nodes.filter((n) => n.address !== "").map((n) => n.name));
  const unaddressed = outOfService.filter((o) => !addressed.has(o.node));
  const windows = drainWindows(r.drains, r.loadEndMs);

  const primary: Record<PrimaryClass, number> = { ok: 0, failed: 0, unanswered: 0 };
  const failedByError: Record<string, number> = {};
  const counts = Object.fromEntries(LOSS_CLASSES.map((c) => [c, 0])) as Record<LossClass, number>;
  const idempotentCounts = Object.fromEntries(LOSS_CLASSES.map((c) => [c, 0])) as Record<LossClass, number>;
  const byMethod: Partial<Record<LossClass, Record<string, number>>> = {};
  const mix = r.scenario.load.mix;
  const byNode: Record<string, NodeCounts> = Object.fromEntries(nodeNames.map((n) => [n, emptyNode()]));
  const node = (name: string) => (byNode[name] ??= emptyNode());
  const examples: Partial<Record<LossClass, Story[]>> = {};
  const marks: Reconciliation["marks"] = [];
  let missingInNginx = 0;
  let missingInApp = 0;
  let attemptsWithoutStart = 0;
  const indeterminateTime = { count: 0, examples: [] as string[] };

  /** Whether a request (or a session's connection) reached a node out of service: by nginx's rows, else by when its app began it. */
  const routingOf = (ng: NginxRow[], app: AppEvent[]): Routing => {
    const byNginx = misroutedAttempt(ng, outOfService, nodeOfAddr, server.t0EpochMs);
    if (byNginx && "misrouted" in byNginx) return byNginx;
    return startedAfterRemoval(app, unaddressed, server.t0EpochMs, r.scenario.drain.settle_ms) ?? byNginx;
  };

  for (const row of r.rows) {
    const ng = nginxById.get(row.id) ?? [];
    const app = appById.get(row.id) ?? [];
    const classes: LossClass[] = [];
    const p = primaryOf(row);
    primary[p]++;
    if (p !== "ok") classes.push(p);
    if (p === "failed") failedByError[row.error] = (failedByError[row.error] ?? 0) + 1;
    if (row.status > 0 && ng.length === 0) missingInNginx++;
    if (p === "ok" && row.node) {
      node(row.node).answered++;
      if (!app.some((e) => e.event === "finish" && e.node === row.node)) missingInApp++;
    }

    const open = new Map<string, number>();
    for (const e of app) {
      const key = `${e.node}/${e.pid}`;
      if (e.event === "start") {
        open.set(key, (open.get(key) ?? 0) + 1);
        node(e.node).app_started++;
      } else if (e.event === "finish") {
        open.set(key, (open.get(key) ?? 0) - 1);
        node(e.node).app_finished++;
      }
    }
    const cutOn = [...open].filter(([, n]) => n > 0).map(([key]) => key.split("/")[0]!);
    if (cutOn.length > 0) {
      classes.push("cut-short");
      for (const n of cutOn) node(n).cut_short++;
    }
    // retries by cause: an attempt that never connected never reached an app; one that connected reached it
    // unless the node's own app ledger (kept, since the node wrote to it) has no start of this request: a
    // connection the kernel accepted while the server was closing its socket, closed before any app code ran
    let harmful = false;
    let rerouted = false;
    for (const x of ng) {
      x.upstreamAddrs.slice(0, -1).forEach((addr, i) => {
        const name = nodeOfAddr.get(addr) ?? addr;
        const neverStarted = ledgerNodes.has(name) && !app.some((e) => e.event === "start" && e.node === name);
        if (attemptConnected(x, i) && !neverStarted) {
          harmful = true;
          node(name).retried_away++;
        } else {
          rerouted = true;
          node(name).rerouted_away++;
        }
      });
      // an attempt a node answered (a response header) must have its start in that node's app ledger
      x.upstreamAddrs.forEach((addr, i) => {
        const name = nodeOfAddr.get(addr);
        if (name && attemptAnswered(x, i) && !app.some((e) => e.event === "start" && e.node === name)) attemptsWithoutStart++;
      });
    }
    if (harmful) classes.push("retried-by-nginx");
    if (rerouted) classes.push("rerouted-before-app");
    // run twice: finished twice, or its order written twice, whatever the method (a POST re-sent by nginx writes two orders)
    if (app.filter((e) => e.event === "finish").length > 1 || app.filter((e) => e.event === "order").length > 1)
      classes.push("executed-twice");
    // the work was done (a complete response on the app's side, or the order written) yet the client saw a failure
    if (p !== "ok" && app.some((e) => e.event === "order" || (e.event === "finish" && (e.status ?? 0) < 500)))
      classes.push("finished-but-failed");
    const routing = routingOf(ng, app);
    if (routing && "misrouted" in routing) {
      classes.push("misrouted");
      node(routing.misrouted).misrouted++;
    } else if (routing) {
      // its server stamps fall in a backward wall-clock step's ambiguous stretch, astride the removal: counted apart
      indeterminateTime.count++;
      if (indeterminateTime.examples.length < MAX_STORIES) indeterminateTime.examples.push(row.id);
    }
    const overhead = row.endMs - row.intendedMs - row.serviceMs;
    const inDrain = dueDuringDrain(row, windows);
    if (inDrain && overhead > r.scenario.checks.slow_overhead_ms) classes.push("slow-during-drain");

    const kind = mix[row.kind];
    const idempotent = kind ? isIdempotent(kind) : isIdempotent({ method: row.method, idempotent: undefined });
    for (const c of classes) {
      counts[c]++;
      if (idempotent) idempotentCounts[c]++;
      const m = (byMethod[c] ??= {});
      m[row.method] = (m[row.method] ?? 0) + 1;
      const list = (examples[c] ??= []);
      if (list.length < MAX_STORIES) list.push(story(row, classes, ng, app, toRel, nodeOfAddr));
      if (marks.length < MAX_MARKS) marks.push({ t_ms: round(row.intendedMs), class: c });
    }
  }
  // the sessions' connections (streams, SSE, WebSockets, long polls, each reconnect its own id) are routed
  // like any request: one that reached a drained node after its removal took effect is misrouted too
  const sessionNginx = groupBy(server.sessions?.nginx ?? [], (x) => x.id);
  const sessionApp = groupBy(
    // their starts: what routing reads, and all a misrouted one's story needs of the app
    (server.sessions?.app ?? []).filter((e) => e.event === "start" || e.event === "ws-open"),
    (x) => x.id,
  );
  const sessionMisrouted = { count: 0, examples: [] as Story[] };
  for (const id of new Set([...sessionNginx.keys(), ...sessionApp.keys()])) {
    const ng = sessionNginx.get(id) ?? [];
    const app = sessionApp.get(id) ?? [];
    const routing = routingOf(ng, app);
    if (routing && "misrouted" in routing) {
      sessionMisrouted.count++;
      counts.misrouted++;
      node(routing.misrouted).misrouted++;
      if (sessionMisrouted.examples.length < MAX_STORIES) sessionMisrouted.examples.push(sessionStory(id, ng, app, toRel, nodeOfAddr));
    } else if (routing) {
      indeterminateTime.count++;
      if (indeterminateTime.examples.length < MAX_STORIES) indeterminateTime.examples.push(id);
    }
  }
  return {
    primary,
    failed_by_error: failedByError,
    counts,
    idempotent_counts: idempotentCounts,
    by_method: byMethod,
    by_node: byNode,
    examples,
    marks,
    indeterminate_time: indeterminateTime,
    ...(sessionMisrouted.count > 0 ? { session_misrouted: sessionMisrouted } : {}),
    records: {
      client_rows: r.rows.length,
      nginx_rows: server.nginx.length,
      app_events: server.app.length,
      unreadable_lines: server.unreadable,
      answered_but_not_in_nginx_log: missingInNginx,
      answered_but_not_in_app_ledger: missingInApp,
      attempts_without_app_start: attemptsWithoutStart,
    },
  };
}

/** Whether a request reached a node out of service: yes (which node), or a time that cannot tell (a backward wall-clock step), or no. */
type Routing = { misrouted: string } | { indeterminate: string } | null;

/** A server stamp on the run's clock as the earliest and latest moment it may stand for (the same moment unless a backward wall-clock step made it ambiguous). */
function spanOf(epochMs: number, span: [number, number] | undefined, t0EpochMs: number): [number, number] {
  return span ? [toRunMs(span[0], t0EpochMs), toRunMs(span[1], t0EpochMs)] : [toRunMs(epochMs, t0EpochMs), toRunMs(epochMs, t0EpochMs)];
}

/**
 * The drained node an attempt of this request reached after its removal took
 * effect, if any: by nginx's receive time (after the reload was seen to take
 * effect, or after the rewrite when no reload followed) or by the config
 * generation nginx logged (the removal's or later), until a re-add. An attempt
 * that was refused counts too: nginx still chose the node. A receive time a
 * backward wall-clock step made ambiguous, with moments on both sides of the
 * removal (or the re-add), cannot tell: indeterminate, unless the generation does.
 */
function misroutedAttempt(
  ng: NginxRow[],
  outOfService: Array<{ node: string; from: number; generation: number | null; to: number }>,
  nodeOfAddr: Map<string, string>,
  t0EpochMs: number,
): Routing {
  let indeterminate: string | null = null;
  for (const x of ng) {
    const [earliest, latest] = spanOf(x.endEpochMs - x.requestTimeMs, x.receivedSpan, t0EpochMs);
    for (const addr of x.upstreamAddrs) {
      const name = nodeOfAddr.get(addr);
      const o = outOfService.find((w) => w.node === name);
      if (!o || earliest >= o.to) continue;
      const byTime = earliest > o.from && latest < o.to;
      const byGeneration = o.generation !== null && x.generation >= o.generation && latest < o.to;
      if (byTime || byGeneration) return { misrouted: o.node };
      const beforeByTime = latest <= o.from && !(o.generation !== null && x.generation >= o.generation);
      if (!beforeByTime) indeterminate ??= o.node;
    }
  }
  return indeterminate ? { indeterminate } : null;
}

/** A request (or a WebSocket: its ws-open) the app began on a drained node nginx cannot name, later than its removal took effect plus `settleMs`. */
function startedAfterRemoval(
  app: AppEvent[],
  outOfService: Array<{ node: string; from: number; to: number }>,
  t0EpochMs: number,
  settleMs: number,
): Routing {
  let indeterminate: string | null = null;
  for (const e of app) {
    if (e.event !== "start" && e.event !== "ws-open") continue;
    const [earliest, latest] = spanOf(e.epochMs, e.epochSpan, t0EpochMs);
    for (const o of outOfService) {
      if (o.node !== e.node) continue;
      if (earliest > o.from + settleMs && latest < o.to) return { misrouted: o.node };
      if (latest > o.from + settleMs && earliest < o.to) indeterminate ??= o.node;
    }
  }
  return indeterminate ? { indeterminate } : null;
}

/**
 * Where a loss class happened, the one place it is worked out: per client
 * error for `failed`, per node for the classes that have a node count; empty
 * for the others. The check's detail and every view's "where" read it.
 */
export function lossWhere(rec: Reconciliation, lossClass: LossClass): Array<{ where: string; count: number }> {
  if (lossClass === "failed") return Object.entries(rec.failed_by_error ?? {}).map(([where, count]) => ({ where, count }));
  if (lossClass === "executed-twice") return Object.entries(rec.by_method?.[lossClass] ?? {}).map(([where, count]) => ({ where, count }));
  const field = LOSS_CLASS_TABLE[lossClass].node_field;
  if (!field) return [];
  return Object.entries(rec.by_node)
    .map(([where, c]) => ({ where, count: c[field] ?? 0 }))
    .filter((w) => w.count > 0);
}

export function primaryOf(row: LedgerRow): PrimaryClass {
  if (row.error === "unanswered" || Number.isNaN(row.endMs)) return "unanswered";
  return row.error === "none" ? "ok" : "failed";
}

function story(
  row: LedgerRow,
  classes: LossClass[],
  ng: NginxRow[],
  app: AppEvent[],
  toRel: (epochMs: number) => number,
  nodeOfAddr: Map<string, string>,
): Story {
  const events: StoryEvent[] = [
    { t_ms: round(row.intendedMs), source: "client", event: `due: ${row.method} (${row.serviceMs} ms of work)` },
    { t_ms: round(row.sentMs), source: "client", event: `sent${row.attempts > 1 ? ` (re-sent once after a reset)` : ""}` },
  ];
  if (!Number.isNaN(row.endMs)) {
    events.push({
      t_ms: round(row.endMs),
      source: "client",
      event: row.status ? `answer ${row.status} from ${row.node ?? "nginx"}` : `error: ${row.error}`,
    });
  } else {
    events.push({ t_ms: round(row.sentMs), source: "client", event: "never answered" });
  }
  events.push(...serverEvents(ng, app, toRel, nodeOfAddr));
  events.sort((a, b) => a.t_ms - b.t_ms);
  return { id: row.id, classes, events };
}

/** What nginx and the apps recorded of one request id, as story events. */
function serverEvents(ng: NginxRow[], app: AppEvent[], toRel: (epochMs: number) => number, nodeOfAddr: Map<string, string>): StoryEvent[] {
  const events: StoryEvent[] = [];
  for (const x of ng) {
    const hops = x.upstreamAddrs.map((a, i) => `${nodeOfAddr.get(a) ?? a} ${x.upstreamStatuses[i] ?? "?"}`).join(" -> ");
    events.push({ t_ms: toRel(x.endEpochMs - x.requestTimeMs), source: "nginx", event: `received (config generation ${x.generation})` });
    events.push({ t_ms: toRel(x.endEpochMs), source: "nginx", event: `answered ${x.status}; upstream ${hops || "none"}` });
  }
  for (const e of app) {
    events.push({ t_ms: toRel(e.epochMs), source: `app ${e.node} pid ${e.pid}`, event: e.event + (e.status ? ` ${e.status}` : "") });
  }
  return events;
}

/** A session connection's story: what nginx and the app recorded of it (its client side is the session record). */
function sessionStory(
  id: string,
  ng: NginxRow[],
  app: AppEvent[],
  toRel: (epochMs: number) => number,
  nodeOfAddr: Map<string, string>,
): Story {
  const events = serverEvents(ng, app, toRel, nodeOfAddr).sort((a, b) => a.t_ms - b.t_ms);
  return { id, classes: ["misrouted"], events };
}

function emptyNode(): NodeCounts {
  return { answered: 0, app_started: 0, app_finished: 0, cut_short: 0, misrouted: 0, retried_away: 0, rerouted_away: 0 };
}

function groupBy<T>(items: T[], key: (t: T) => string): Map<string, T[]> {
  const map = new Map<string, T[]>();
  for (const item of items) {
    const k = key(item);
    const list = map.get(k);
    if (list) list.push(item);
    else map.set(k, [item]);
  }
  return map;
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

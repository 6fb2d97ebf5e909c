import { join } from "node:path";
import type { ServerClock } from "./clock-types.ts";
import { type RecycleEvent, readRecycles } from "./container-log.ts";
import { type ParsedLog, readJsonLines } from "./jsonl.ts";

export type { ParsedLog };

/** A server clock's offset against this machine's, bounded by the records (clock/clock-offset.ts). */
export interface ClockOffset {
  /** "nginx", or "app <node>". */
  source: string;
  /** Requests whose stamps bound the offset. */
  requests: number;
  /** The offset lies in [lower_ms, upper_ms] (server clock minus the run's, ms); null: no request bounds that side. */
  lower_ms: number | null;
  upper_ms: number | null;
  /** The lower bound exceeds the upper one (beyond the stamps' whole-ms rounding): no one offset fits. */
  inconsistent: boolean;
  /** How far this source's stamps were moved back (the bounds' midpoint), 0 when they were not. */
  shift_ms: number;
  /** The request ids whose stamps set the lower and the upper bound: where to look when they cross. */
  lower_by?: string;
  upper_by?: string;
}

/** What the servers recorded: nginx's access log and every node's app ledger, the drained node's included. */
export interface ServerRecords {
  nginx: NginxRow[];
  app: AppEvent[];
  /** Epoch ms of the run's t0, to put server timestamps on the run's clock. */
  t0EpochMs: number;
  nodes: Array<{ name: string; address: string }>;
  unreadable: number;
  /** Worker recycles each node logged (max_requests), from its container log; null when a node's log was not saved. */
  recycles?: RecycleEvent[] | null;
  /** The rows of the long-lived sessions (streams, SSE, WebSockets; ids `<run>-s<n>`), kept apart from the requests' reconciliation. */
  sessions?: { nginx: NginxRow[]; app: AppEvent[] };
  /** attach: each server's clock offset against this machine's, estimated from the records (clock/clock-offset.ts), and any shift made. */
  clock_offsets?: ClockOffset[];
}

/** X-Request-Id of a session's connection (harness/load/sessions.ts): `<run id>-s<seq>`, `.r<n>` for a reconnect. */
const SESSION_ID = /-s\d+(\.r\d+)?$/;

/** The session a connection id belongs to (its reconnect suffix dropped), or null for a request's id. */
export function sessionOf(id: string): string | null {
  return SESSION_ID.test(id) ? id.replace(/\.r\d+$/, "") : null;
}

/** Names in raw/ that are not a node's folder: a node named so gets a prefix, so its ledger is neither dropped nor written elsewhere. */
const NOT_NODE_DIRS = new Set([".", "..", "client-ledger.jsonl"]);

/** A node's name as a folder name (an attached system's node names are its own): odd characters replaced. */
export function nodeDir(node: string): string {
  const safe = node.replace(/[^\w.-]/g, "_");
  return NOT_NODE_DIRS.has(safe) ? `node_${safe}` : safe;
}

/** Where a run's raw records live, relative to its folder: the one naming of these paths. */
export const RAW_FILES = {
  clientLedger: "raw/client-ledger.jsonl",
  nginxAccessLog: "raw/nginx/access.jsonl",
  appLedger: (node: string) => `raw/${nodeDir(node)}/app-ledger.jsonl`,
  containerLog: (node: string) => `raw/${nodeDir(node)}/container.log`,
} as const;

/**
 * nginx's access log and every node's app ledger from a run folder (bind-mounted, so the drained node's
 * survives its exit), their wall-clock timestamps read across any jump of the wall clock (clock/wall-clock.ts).
 */
export function readServerRecords(runDir: string, nodes: Array<{ name: string; address: string }>, clock: ServerClock): ServerRecords {
  const nginx = readNginxLog(join(runDir, RAW_FILES.nginxAccessLog));
  const apps = [...new Set(nodes.map((n) => n.name))].map((name) => readAppLedger(join(runDir, RAW_FILES.appLedger(name))));
  for (const x of nginx.rows) {
    // nginx's $request_time is a difference of two wall-clock readings too: across a jump, each end is read on its own
    const rawStart = x.endEpochMs - x.requestTimeMs;
    const start = clock.read(rawStart);
    const end = clock.normalize(x.endEpochMs);
    if (end - x.endEpochMs !== start.epochMs - rawStart) x.requestTimeMs = Math.max(0, end - start.epochMs);
    x.endEpochMs = end;
    if (start.span) x.receivedSpan = start.span;
  }
  for (const a of apps)
    for (const x of a.rows) {
      const at = clock.read(x.epochMs);
      x.epochMs = at.epochMs;
      if (at.span) x.epochSpan = at.span;
    }
  const app = apps.flatMap((a) => a.rows);
  const perNode = [...new Set(nodes.map((n) => n.name))].map((name) => readRecycles(join(runDir, RAW_FILES.containerLog(name)), name));
  const isSession = (x: { id: string }) => sessionOf(x.id) !== null;
  return {
    nginx: nginx.rows.filter((x) => !isSession(x)),
    app: app.filter((x) => !isSession(x)),
    t0EpochMs: clock.t0EpochMs,
    nodes,
    unreadable: nginx.unreadable + apps.reduce((sum, a) => sum + a.unreadable, 0),
    recycles: perNode.some((r) => r === null)
      ? null
      : perNode.flatMap((r) => r!.map((x) => ({ ...x, epochMs: clock.normalize(x.epochMs) }))),
    sessions: { nginx: nginx.rows.filter(isSession), app: app.filter(isSession) },
  };
}

/** One line of nginx's JSON access log (fixtures/nginx/nginx.conf.template). */
export interface NginxRow {
  /** Epoch ms when nginx finished the request. */
  endEpochMs: number;
  id: string;
  method: string;
  status: number;
  /** One entry per upstream attempt: "172.20.0.2:8000, 172.20.0.3:8000". */
  upstreamAddrs: string[];
  upstreamStatuses: string[];
  requestTimeMs: number;
  generation: number;
  /**
   * Per attempt, ms to connect to the upstream; null: the connection was never made (refused, timed out),
   * so that attempt never reached an app. Empty when the log has no $upstream_connect_time (unknown).
   */
  upstreamConnectMs: Array<number | null>;
  /** Per attempt, ms until the upstream's response header; null: no response began. Empty when unknown. */
  upstreamHeaderMs: Array<number | null>;
  /**
   * Set when a backward step of the wall clock made nginx's receive stamp ambiguous (clock/wall-clock.ts):
   * the earliest and latest epoch (t0's terms) it may stand for. Checks that compare times say indeterminate.
   */
  receivedSpan?: [number, number];
}

/** One line of a node's app ledger (fixtures/app/app.py). */
export interface AppEvent {
  epochMs: number;
  /**
   * ledger-active: a worker loaded the app with the ledger on (id "-"); lifespan-startup and
   * lifespan-shutdown: the app's lifespan hooks ran in that worker (id "-"); task-start and
   * task-finish: a BackgroundTask of the request; ws-open, ws-message and ws-close: a WebSocket; the rest per request.
   */
  event:
    | "start"
    | "finish"
    | "cancel"
    | "order"
    | "ledger-active"
    | "lifespan-startup"
    | "lifespan-shutdown"
    | "task-start"
    | "task-finish"
    | "ws-open"
    | "ws-message"
    | "ws-close";
  id: string;
  node: string;
  pid: number;
  status?: number;
  /** ws-close: the close code the app saw ("cancelled" when its handler was cancelled). */
  code?: number | string;
  /** ws-message: the message as the app received it (the fixture's client numbers them 1, 2, ... per session). */
  msg?: string;
  /** Set when a backward step of the wall clock made this stamp ambiguous: the earliest and latest epoch (t0's terms) it may stand for. */
  epochSpan?: [number, number];
}

const list = (v: unknown) =>
  String(v ?? "")
    .split(/[,:]\s+|,\s*/)
    .map((s) => s.trim())
    .filter((s) => s && s !== "-");

/** "0.001, -, 0.002" (or " : " between redirect hops) into ms per attempt, "-" as null; absent: []. */
const times = (v: unknown): Array<number | null> =>
  v === undefined || v === null || v === ""
    ? []
    : String(v)
        .split(/\s*[,:]\s+|,\s*/)
        .map((s) => s.trim())
        .filter((s) => s !== "")
        .map((s) => (s === "-" ? null : Number(s) * 1000));

export function readNginxLog(path: string): ParsedLog<NginxRow> {
  return readJsonLines(
    path,
    (o) => {
      if (!o.id) return undefined;
      // nginx separates attempts with ", " and hops to an internal redirect with " : "
      const addrs = String(o.upstream_addr ?? "")
        .split(/\s*[,:]\s+/)
        .filter((s) => s && s !== "-");
      return {
        endEpochMs: Number(o.t) * 1000,
        id: String(o.id),
        method: String(o.method),
        status: Number(o.status),
        upstreamAddrs: addrs,
        upstreamStatuses: list(o.upstream_status),
        requestTimeMs: Number(o.request_time) * 1000,
        generation: Number(o.generation),
        upstreamConnectMs: times(o.upstream_connect_time),
        upstreamHeaderMs: times(o.upstream_header_time),
      };
    },
    "nginx access log",
  );
}

export function readAppLedger(path: string): ParsedLog<AppEvent> {
  return readJsonLines(
    path,
    (o) =>
      o.id
        ? {
            epochMs: Number(o.t) * 1000,
            event: o.event as AppEvent["event"],
            id: String(o.id),
            node: String(o.node),
            pid: Number(o.pid),
            ...(o.status === undefined ? {} : { status: Number(o.status) }),
            ...(o.code === undefined ? {} : { code: typeof o.code === "number" ? o.code : String(o.code) }),
            ...(o.msg === undefined ? {} : { msg: String(o.msg).slice(0, 64) }),
          }
        : undefined,
    "app ledger",
  );
}

/** Whether nginx's own record says attempt `i` of a request connected to its upstream; unknown (no connect times logged) counts as yes. */
export function attemptConnected(row: NginxRow, i: number): boolean {
  if (row.upstreamConnectMs.length === 0) return true;
  return row.upstreamConnectMs[i] !== null && row.upstreamConnectMs[i] !== undefined;
}

/** Whether attempt `i` got a response header from its upstream: the app (or its server) certainly had the request. */
export function attemptAnswered(row: NginxRow, i: number): boolean {
  const h = row.upstreamHeaderMs[i];
  return h !== null && h !== undefined;
}

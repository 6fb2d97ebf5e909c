import type { LossClass, PrimaryClass } from "../scenario/loss-classes.ts";
import type { SessionRecord } from "./session-record.ts";

/**
 * The figures a report carries, as plain data: what figures/ computes from
 * the records (percentiles, the series, the reconciliation, what a node held,
 * the sessions' figures) and every view and check reads.
 */

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
}

/** One 100 ms bucket of the run, by intended send time: what the charts draw. */
export interface SeriesBucket {
  t_ms: number;
  sent: number;
  ok: number;
  failed: number;
  p50_ms: number | null;
  p99_ms: number | null;
  /** ok answers per node in this bucket. */
  by_node: Record<string, number>;
}

export interface StoryEvent {
  t_ms: number;
  source: string;
  event: string;
}

/** One request told from all three sides, in time order. */
export interface Story {
  id: string;
  classes: LossClass[];
  events: StoryEvent[];
}

export interface NodeCounts {
  /** Requests whose answer came from this node (client's view, X-Node). */
  answered: number;
  app_started: number;
  app_finished: number;
  cut_short: number;
  misrouted: number;
  /** nginx attempts on this node that had reached it, which nginx gave up on and re-sent elsewhere. */
  retried_away: number;
  /** nginx attempts on this node that never connected (refused), re-sent elsewhere. */
  rerouted_away: number;
}

export interface Reconciliation {
  primary: Record<PrimaryClass, number>;
  /** Failed requests by the client's error class (http-5xx, reset, refused, timeout ...). */
  failed_by_error: Record<string, number>;
  counts: Record<LossClass, number>;
  /** Of each class's count, the requests whose mix entry is idempotent (checks.allowed_idempotent covers only these; absent before 0.3). */
  idempotent_counts?: Record<LossClass, number>;
  /** Each class's count by HTTP method (absent before 0.3). */
  by_method?: Partial<Record<LossClass, Record<string, number>>>;
  by_node: Record<string, NodeCounts>;
  examples: Partial<Record<LossClass, Story[]>>;
  /** Where each flagged request sat on the time axis (intended send time), for charts. */
  marks: Array<{ t_ms: number; class: LossClass }>;
  /**
   * Requests that reached a drained node with server stamps in a backward wall-clock step's ambiguous stretch
   * (clock/wall-clock.ts), one reading before the removal and one after: neither misrouted nor clear, so the
   * misrouting check says no-evidence for them (absent before 0.4).
   */
  indeterminate_time?: { count: number; examples: string[] };
  /**
   * The sessions' connections (streams, SSE, WebSockets, long polls) that reached a drained node after its
   * removal took effect, judged as requests are; counted in counts.misrouted and by_node (absent when none).
   */
  session_misrouted?: { count: number; examples: Story[] };
  records: {
    client_rows: number;
    nginx_rows: number;
    app_events: number;
    unreadable_lines: number;
    answered_but_not_in_nginx_log: number;
    /** ok answers (X-Node named the node) whose node's app ledger has no finish for the id (absent in reports before 0.2). */
    answered_but_not_in_app_ledger?: number;
    /** nginx attempts that got a response header from a node whose app ledger has no start for the id (absent before schema 2). */
    attempts_without_app_start?: number;
  };
}

/** What a node held at one instant, by the app's own ledger: requests, long-lived sessions and background tasks. */
export interface HeldAt {
  node: string;
  requests: number;
  sessions: number;
  tasks: number;
}

/** Everything a node held at that instant. */
export const heldTotal = (h: HeldAt): number => h.requests + h.sessions + h.tasks;

/** What the long-lived sessions of one kind came to: computed once with the run's figures and written to report.json. */
export interface SessionFigures {
  kind: SessionRecord["kind"];
  sessions: number;
  complete: number;
  reconnects: number;
  /** SSE, long poll: event ids skipped; WebSocket: messages never echoed. */
  lost: number;
  /** SSE, long poll: events received again on a resume (no-duplicate-events). */
  duplicates: number;
  /** WebSocket close codes, each with how many connections closed with it, in code order. */
  close_codes: Array<{ code: number; count: number }>;
  /** Time to first byte (or open) from the intended start, p50 and max, ms. */
  first_byte_p50_ms: number | null;
  first_byte_max_ms: number | null;
  /** How late the chunks, events or echoes came, p99 and max over every unit of the kind, ms; null: none kept (reports before 0.3). */
  unit_delay_p99_ms: number | null;
  unit_delay_max_ms: number | null;
}

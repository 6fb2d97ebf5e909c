/**
 * What each server prints when it takes a shutdown signal: gunicorn's master, uvicorn's
 * --workers supervisor, and every uvicorn server (a lone uvicorn, or a UvicornWorker).
 */
export const SIGNAL_ACKS = ["Handling signal: term", "Received SIGTERM", "Shutting down"] as const;
export const SIGNAL_ACK_TEXT = `no ${SIGNAL_ACKS.map((a) => `"${a}"`).join(", ")} in its log after the signal`;

/** What happened to one drained node, in ms since t0. */
export interface DrainRecord {
  target: string;
  start_ms: number;
  removed: boolean;
  removal_generation: number | null;
  /** When the removal took effect: the reload did (old nginx workers shutting down), or the rewrite when no reload followed. */
  reload_effective_ms: number | null;
  signal_ms: number;
  signal: "SIGTERM" | "SIGKILL";
  stop_wait_s: number;
  exit_ms: number | null;
  exit_code: number | null;
  /** The operator had to SIGKILL it after the stop wait. */
  killed_after_wait: boolean;
  /**
   * SIGTERM drains: the node's log line in which its server said it took the signal (gunicorn
   * "Handling signal: term", uvicorn "Received SIGTERM" or "Shutting down"), with its time on the run's
   * clock; null when the server never said so before it exited. Absent for a SIGKILL drain.
   */
  signal_acknowledged?: { t_ms: number; line: string } | null;
  /** When the reload that put the node back in nginx's upstream was sent (rolling drains); null if it was not re-added. */
  readded_ms: number | null;
  /** When the flag that makes the node report draining was sent; null when the drain had no such step (no removal, or drain.mark_draining false). */
  marked_ms: number | null;
  /** When the health monitor saw the node report draining, before the removal; null when it did not within drain.detect_timeout_ms (or there was no removal). */
  draining_seen_ms: number | null;
  /** Rolling drains: when the monitor saw the restarted node healthy before its re-add; null when it did not (or it was not re-added). */
  readd_healthy_seen_ms: number | null;
}

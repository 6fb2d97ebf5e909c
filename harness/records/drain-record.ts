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
  /** When the reload that put the node back in nginx's upstream was sent (rolling drains); null if it was not re-added. */
  readded_ms: number | null;
  /** When the flag that makes the node report draining was sent; null when the drain had no such step (no removal, or drain.mark_draining false). */
  marked_ms: number | null;
  /** When the health monitor saw the node report draining, before the removal; null when it did not within drain.detect_timeout_ms (or there was no removal). */
  draining_seen_ms: number | null;
  /** Rolling drains: when the monitor saw the restarted node healthy before its re-add; null when it did not (or it was not re-added). */
  readd_healthy_seen_ms: number | null;
}

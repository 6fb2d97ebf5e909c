/**
 * What each server prints when it takes a shutdown signal: gunicorn's master, uvicorn's
 * --workers supervisor, and every uvicorn server (a lone uvicorn, or a UvicornWorker).
 */
export const SIGNAL_ACKS = ["Handling signal: term", "Received SIGTERM", "Shutting down"] as const;
export const SIGNAL_ACK_TEXT = `no ${SIGNAL_ACKS.map((a) => `"${a}"`).join(", ")} in its log after the signal`;

/** attach: one of the user's drain commands as it ran, in ms since t0. */
export interface HookRecord {
  /** "command" (the one drain command), a step of attach.drain.steps, or "records" (a record source's command). */
  step: string;
  command: string;
  start_ms: number;
  end_ms: number;
  /** null: it was killed (timed out, or the run was interrupted). */
  exit_code: number | null;
  timed_out: boolean;
  /** The end of its output, stdout and stderr together; the whole of it is in `log`. */
  output_tail: string;
  /** Its whole output, relative to the run folder. */
  log: string;
}

/** Whether a hook did its job: exit code 0 within its timeout. */
export function hookOk(h: HookRecord): boolean {
  return h.exit_code === 0 && !h.timed_out;
}

/** A hook's outcome in one line, for the timeline, the terminal and check details. */
export function describeHook(r: HookRecord): string {
  const took = `${((r.end_ms - r.start_ms) / 1000).toFixed(2)} s`;
  const how = r.timed_out ? "timed out" : r.exit_code === null ? "was killed" : `exited ${r.exit_code}`;
  return `${r.step} (${r.command}) ${how} after ${took}`;
}

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
  /** attach: the user's commands that made this drain, in the order they ran. */
  hooks?: HookRecord[];
  /**
   * attach with one drain command: false, the drain window is known (the command's start and end) but
   * not when the node left nginx or got its signal. Absent: every step's time is known.
   */
  step_times_known?: boolean;
  /**
   * attach steps: when the operator's procedure ended, its restore aside (a removal after the exit is part
   * of the drain); null: a step failed, so the node may never have left nginx and the drain lasts to the
   * load's end. Absent: the drain ends with the node's exit.
   */
  window_end_ms?: number | null;
}

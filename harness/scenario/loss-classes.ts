/**
 * The one table of loss classes: what each means, the check that judges it
 * and the per-node count the views show for it. The schema's `checks.allowed`
 * keys, the reconciliation's counts, the per-class checks and every view's
 * labels all derive from it; a new class is one row here.
 */
export const LOSS_CLASS_TABLE = {
  failed: { check: "no-failed-requests", means: "the client got an error or a 5xx", node_field: null, allowed: 0 },
  unanswered: {
    check: "no-unanswered-requests",
    means: "no answer by the end of the run plus the grace period",
    node_field: null,
    allowed: 0,
  },
  "cut-short": { check: "no-cut-short-requests", means: "the app started it and never finished it", node_field: "cut_short", allowed: 0 },
  "retried-by-nginx": {
    check: "no-retried-by-nginx",
    means: "nginx re-sent it to another upstream after an attempt that had reached an app ($upstream_status like 502, 200)",
    node_field: "retried_away",
    allowed: 0,
  },
  // harmless by itself: the request never reached an app, its cost is a few ms of latency (slow-during-drain judges that)
  "rerouted-before-app": {
    check: "no-rerouted-before-app",
    means: "nginx re-sent it after an attempt that never connected to an app (connection refused; no upstream connect time)",
    node_field: "rerouted_away",
    allowed: null,
  },
  "executed-twice": {
    check: "no-executed-twice",
    means: "the app finished the same request id more than once",
    node_field: null,
    allowed: 0,
  },
  // Jepsen's indeterminate: the work was done, the client cannot know it, and a retry does it again
  "finished-but-failed": {
    check: "no-finished-but-failed",
    means: "the app finished it (its response complete on the app's side, or its order written) but the client saw a failure or no answer",
    node_field: null,
    allowed: 0,
  },
  misrouted: {
    check: "no-misrouted-requests",
    means: "nginx sent it to the drained node after the removal took effect (by nginx's receive time and config generation)",
    node_field: "misrouted",
    allowed: 0,
  },
  "slow-during-drain": {
    check: "no-slow-during-drain",
    means: "due inside the drain window and slower than its own work by more than checks.slow_overhead_ms",
    node_field: null,
    allowed: 0,
  },
} as const;

export type LossClass = keyof typeof LOSS_CLASS_TABLE;
export type PrimaryClass = "ok" | "failed" | "unanswered";
export const LOSS_CLASSES = Object.keys(LOSS_CLASS_TABLE) as LossClass[];
/** checks.allowed's default per class; null: no limit (the class is shown, and its cost judged elsewhere). */
export const DEFAULT_ALLOWED = Object.fromEntries(LOSS_CLASSES.map((c) => [c, LOSS_CLASS_TABLE[c].allowed])) as Record<
  LossClass,
  number | null
>;
export type LossClassCheck = (typeof LOSS_CLASS_TABLE)[LossClass]["check"];
export const LOSS_CLASS_CHECKS = LOSS_CLASSES.map((c) => LOSS_CLASS_TABLE[c].check);

/** The check that judges each loss class, by name (the views label loss classes with it). */
export const CLASS_CHECK_NAMES = Object.fromEntries(LOSS_CLASSES.map((c) => [c, LOSS_CLASS_TABLE[c].check])) as Record<
  LossClass,
  LossClassCheck
>;

/** The loss class a check judges, if it is one of the per-class checks. */
export function lossClassOfCheck(checkName: string): LossClass | null {
  return LOSS_CLASSES.find((c) => CLASS_CHECK_NAMES[c] === checkName) ?? null;
}

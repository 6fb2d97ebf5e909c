/**
 * The one table of loss classes: what each means, the check that judges it
 * and the per-node count the views show for it. The schema's `checks.allowed`
 * keys, the reconciliation's counts, the per-class checks and every view's
 * labels all derive from it; a new class is one row here.
 */
export const LOSS_CLASS_TABLE = {
  failed: { check: "no-failed-requests", means: "the client got an error or a 5xx", node_field: null },
  unanswered: { check: "no-unanswered-requests", means: "no answer by the end of the run plus the grace period", node_field: null },
  "cut-short": { check: "no-cut-short-requests", means: "the app started it and never finished it", node_field: "cut_short" },
  "retried-by-nginx": {
    check: "no-retried-by-nginx",
    means: "nginx tried more than one upstream ($upstream_status like 502, 200)",
    node_field: "retried_away",
  },
  "executed-twice": { check: "no-executed-twice", means: "the app finished the same request id more than once", node_field: null },
  misrouted: {
    check: "no-misrouted-requests",
    means: "it reached the drained node after its removal had taken effect",
    node_field: "misrouted",
  },
  "slow-during-drain": {
    check: "no-slow-during-drain",
    means: "due inside the drain window and slower than its own work by more than checks.slow_overhead_ms",
    node_field: null,
  },
} as const;

export type LossClass = keyof typeof LOSS_CLASS_TABLE;
export type PrimaryClass = "ok" | "failed" | "unanswered";
export const LOSS_CLASSES = Object.keys(LOSS_CLASS_TABLE) as LossClass[];
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

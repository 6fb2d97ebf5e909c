import type { TimelineEvent } from "../records/timeline.ts";

export type PhaseName = "removal" | "reload" | "sigterm-wait" | "sigkill-after-wait" | "sigkill" | "readd";

/** One interval of the drain, shaded on the charts the way Jepsen shades fault intervals. */
export interface DrainPhase {
  name: PhaseName;
  label: string;
  /** The drained node, when the timeline names it. */
  target: string | null;
  from_ms: number;
  to_ms: number;
  from_event: string;
  to_event: string;
  /** The closing event never came (run aborted or the node never exited); the phase runs to the end. */
  open: boolean;
}

interface PhaseRule {
  name: PhaseName;
  label: string;
  from: string;
  /** The first of these after `from` closes the phase. */
  to: string[];
  /** Any of these first means the phase did not happen this time (a reload that was skipped). */
  abandon: string[];
}

const NEXT_NODE = ["drain-start", "restarted"];
const RULES: PhaseRule[] = [
  {
    name: "removal",
    label: "removal (mark draining .. upstream down)",
    from: "mark-draining",
    to: ["removed"],
    abandon: ["sigterm", "sigkill", ...NEXT_NODE],
  },
  {
    name: "reload",
    label: "nginx reload (.. new workers effective)",
    from: "removed",
    to: ["reload-effective"],
    abandon: ["sigterm", "sigkill", ...NEXT_NODE],
  },
  {
    name: "sigterm-wait",
    label: "SIGTERM, graceful wait (.. exit)",
    from: "sigterm",
    to: ["sigkill-after-wait", "exited"],
    abandon: NEXT_NODE,
  },
  {
    name: "sigkill-after-wait",
    label: "SIGKILL after the stop wait (.. exit)",
    from: "sigkill-after-wait",
    to: ["exited"],
    abandon: NEXT_NODE,
  },
  { name: "sigkill", label: "SIGKILL (.. exit)", from: "sigkill", to: ["exited"], abandon: NEXT_NODE },
  { name: "readd", label: "restarted, re-added (.. back in the upstream)", from: "restarted", to: ["readded"], abandon: ["drain-start"] },
];

function targetOf(e: TimelineEvent): string | null {
  return typeof e.detail.target === "string" ? e.detail.target : null;
}

/**
 * The drain's phases from the timeline, in time order: one set per drained
 * node (a rolling drain has several); phases whose start never happened are left out.
 */
export function drainPhases(timeline: TimelineEvent[], runEndMs: number): DrainPhase[] {
  const phases: DrainPhase[] = [];
  timeline.forEach((start, i) => {
    const rule = RULES.find((r) => r.from === start.event);
    if (!rule) return;
    const target = targetOf(start);
    const later = timeline
      .slice(i + 1)
      .filter((e) => target === null || targetOf(e) === null || targetOf(e) === target || NEXT_NODE.includes(e.event));
    const end = later.find((e) => rule.to.includes(e.event) || rule.abandon.includes(e.event));
    if (end && !rule.to.includes(end.event)) return;
    phases.push({
      name: rule.name,
      label: rule.label,
      target,
      from_ms: start.t_ms,
      to_ms: end ? end.t_ms : Math.max(start.t_ms, runEndMs),
      from_event: rule.from,
      to_event: end ? end.event : "end of run",
      open: !end,
    });
  });
  return phases.sort((a, b) => a.from_ms - b.from_ms);
}

/** Where the charts' time axis ends: the last bucket or the last event, whichever is later. */
export function runEndMs(report: { timeline: TimelineEvent[]; series: { bucket_ms: number; buckets: Array<{ t_ms: number }> } }): number {
  const lastBucket = report.series.buckets.at(-1);
  const lastEvent = report.timeline.at(-1);
  return Math.max(lastBucket ? lastBucket.t_ms + report.series.bucket_ms : 0, lastEvent ? lastEvent.t_ms : 0);
}

import { performance } from "node:perf_hooks";
import { round, type Timeline, type TimelineEvent } from "../records/timeline.ts";

/** An epoch time (a container's clock, a log timestamp) on the run's timeline: ms since t0. Same kernel, same clock. */
export function runMs(timeline: Timeline, epochMs: number): number {
  return round(epochMs - (performance.timeOrigin + timeline.t0));
}

/**
 * Puts an event on the timeline at a time measured elsewhere (inside a
 * container), keeping the timeline in time order.
 */
export function addAt(timeline: Timeline, t_ms: number, event: string, detail: Record<string, unknown> = {}): TimelineEvent {
  const e = { t_ms: round(t_ms), event, detail };
  let i = timeline.events.length;
  while (i > 0 && timeline.events[i - 1]!.t_ms > e.t_ms) i--;
  timeline.events.splice(i, 0, e);
  return e;
}

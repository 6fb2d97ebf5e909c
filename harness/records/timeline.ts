import { performance } from "node:perf_hooks";

export interface TimelineEvent {
  /** ms since the run's t0 (the start of the load schedule). */
  t_ms: number;
  event: string;
  detail: Record<string, unknown>;
}

/** The run's timeline: every drain step, fault and health change, timestamped on one clock. */
export class Timeline {
  readonly events: TimelineEvent[] = [];

  constructor(readonly t0: number) {}

  now(): number {
    return performance.now() - this.t0;
  }

  add(event: string, detail: Record<string, unknown> = {}): TimelineEvent {
    const e = { t_ms: round(this.now()), event, detail };
    this.events.push(e);
    return e;
  }

  /** Epoch ms of t0: where server timestamps (same kernel, same clock) meet the run's clock. */
  get t0EpochMs(): number {
    return performance.timeOrigin + this.t0;
  }

  /** An epoch time (a container's clock, a log timestamp) on this run's clock: ms since t0. */
  atEpoch(epochMs: number): number {
    return toRunMs(epochMs, this.t0EpochMs);
  }

  /** Puts an event on the timeline at a time measured elsewhere (inside a container), keeping the timeline in time order. */
  addAt(t_ms: number, event: string, detail: Record<string, unknown> = {}): TimelineEvent {
    const e = { t_ms: round(t_ms), event, detail };
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.t_ms > e.t_ms) i--;
    this.events.splice(i, 0, e);
    return e;
  }

  first(event: string): TimelineEvent | undefined {
    return this.events.find((e) => e.event === event);
  }
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

/** The one conversion from an epoch time to the run's clock (ms since t0), and back. */
export function toRunMs(epochMs: number, t0EpochMs: number): number {
  return round(epochMs - t0EpochMs);
}

export function toEpochMs(runMs: number, t0EpochMs: number): number {
  return runMs + t0EpochMs;
}

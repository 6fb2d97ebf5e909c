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

  first(event: string): TimelineEvent | undefined {
    return this.events.find((e) => e.event === event);
  }
}

export function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}

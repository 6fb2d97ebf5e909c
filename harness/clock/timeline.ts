import { performance } from "node:perf_hooks";
import type { ClockStep } from "../records/clock-types.ts";
import { round, type TimelineEvent, toRunMs } from "../records/timeline.ts";
import { stepBetween, WallClock } from "./wall-clock.ts";

/** A clock sample whose two monotonic readings lie further apart was interrupted between them: not used. */
const MAX_SAMPLE_SPREAD_MS = 1;

/**
 * The run's timeline: every drain step, fault and health change, timestamped
 * on one clock. It also keeps the wall clock's jumps against that clock
 * (clock/wall-clock.ts): sampled at every event and, while watchClock()
 * runs, every few tens of ms.
 */
export class Timeline {
  readonly events: TimelineEvent[] = [];
  /** Epoch ms of t0: where server timestamps (same kernel, same clock) meet the run's clock. */
  readonly t0EpochMs: number;
  private readonly steps: ClockStep[] = [];
  private last: { runMs: number; epochMs: number };

  constructor(readonly t0: number) {
    // tied with Date.now() read now, not performance.timeOrigin (read when the process started, before any
    // jump of the wall clock while the stack started)
    let sample = this.readClock();
    for (let i = 0; !sample && i < 10; i++) sample = this.readClock();
    this.last = sample ?? { runMs: this.now(), epochMs: Date.now() };
    this.t0EpochMs = this.last.epochMs - this.last.runMs;
  }

  now(): number {
    return performance.now() - this.t0;
  }

  add(event: string, detail: Record<string, unknown> = {}): TimelineEvent {
    this.sampleClock();
    const e = { t_ms: round(this.now()), event, detail };
    this.events.push(e);
    return e;
  }

  /** The wall clock as this run saw it so far: its reading at t0 and each jump. */
  get clock(): WallClock {
    return new WallClock(this.t0EpochMs, [...this.steps]);
  }

  /** Samples the wall clock against the run's clock; a jump goes on the timeline as `wall-clock-step`. */
  sampleClock(): void {
    const sample = this.readClock();
    if (!sample) return;
    const step = stepBetween(this.steps.at(-1)?.offset_ms ?? this.t0EpochMs, this.last, sample);
    this.last = sample;
    if (!step) return;
    this.steps.push(step);
    this.events.push({ t_ms: step.at_ms, event: "wall-clock-step", detail: { step_ms: step.step_ms } });
  }

  /** Samples the wall clock every `intervalMs` until the returned function is called. */
  watchClock(intervalMs = 25): () => void {
    const timer = setInterval(() => this.sampleClock(), intervalMs);
    timer.unref();
    return () => clearInterval(timer);
  }

  /** An epoch time (a container's clock, a log timestamp) on this run's clock: ms since t0. */
  atEpoch(epochMs: number): number {
    this.sampleClock();
    return toRunMs(this.clock.normalize(epochMs), this.t0EpochMs);
  }

  /** What the wall clock read at a run time: to ask a server for what it logged since then. */
  wallAt(runMs: number): number {
    return this.clock.wallAt(runMs);
  }

  private readClock(): { runMs: number; epochMs: number } | null {
    const a = performance.now();
    const epochMs = Date.now();
    const b = performance.now();
    // Date.now() counts whole ms: its reading lies anywhere in the ms it names
    return b - a > MAX_SAMPLE_SPREAD_MS ? null : { runMs: (a + b) / 2 - this.t0, epochMs: epochMs + 0.5 };
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

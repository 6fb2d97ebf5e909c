/**
 * Server timestamps come from the wall clock (nginx's $msec, the app's
 * time.time(), a container's log); the run's clock is monotonic
 * (performance.now()). The two are tied once, at t0. A wall clock that jumps
 * after that (a virtual machine resumed from a pause has its clock stepped;
 * NTP's first sync steps it too) would shift every later server timestamp by
 * the jump: a request nginx received before a removal would read as received
 * after it. So the run samples the wall clock against its own all through,
 * keeps each jump it sees, and reads every server timestamp with the offset in
 * force when it was taken.
 */

/** A jump of the wall clock against the run's clock, seen between two samples. */
export interface ClockStep {
  /** Run ms of the first sample after the jump. */
  at_ms: number;
  /** How far the wall clock jumped, ms (positive: forward). */
  step_ms: number;
  /** Wall-clock epoch ms from which a server timestamp is read with this offset. */
  from_epoch_ms: number;
  /** Wall-clock epoch ms minus run ms, from the jump on. */
  offset_ms: number;
}

/** A jump smaller than this is sampling jitter (Date.now() counts whole ms), not a step. */
export const STEP_MS = 5;

/** The wall clock as the run saw it: its reading at t0 and every jump since. */
export class WallClock {
  constructor(
    readonly t0EpochMs: number,
    readonly steps: readonly ClockStep[] = [],
  ) {}

  /** A server's wall-clock timestamp in t0's terms: the epoch it would read had the clock never jumped. */
  normalize(epochMs: number): number {
    return epochMs - (this.offsetAtEpoch(epochMs) - this.t0EpochMs);
  }

  /** What the wall clock read at a run time (to ask a server for what it logged since then). */
  wallAt(runMs: number): number {
    let offset = this.t0EpochMs;
    for (const s of this.steps) if (runMs >= s.at_ms) offset = s.offset_ms;
    return runMs + offset;
  }

  private offsetAtEpoch(epochMs: number): number {
    let offset = this.t0EpochMs;
    for (const s of this.steps) if (epochMs >= s.from_epoch_ms) offset = s.offset_ms;
    return offset;
  }
}

/**
 * A step from one sample to the next, or null when the offset held. Where the
 * wall clock's epochs before and after a forward jump part is known exactly: a
 * timestamp taken before it is at most `prev.epoch + (run - prev.run)`. A
 * backward jump makes a stretch of epochs ambiguous; they are read with the
 * new offset.
 */
export function stepBetween(
  current: number,
  prev: { runMs: number; epochMs: number },
  sample: { runMs: number; epochMs: number },
): ClockStep | null {
  const offset = sample.epochMs - sample.runMs;
  if (Math.abs(offset - current) < STEP_MS) return null;
  return {
    at_ms: Math.round(sample.runMs * 1000) / 1000,
    step_ms: Math.round(offset - current),
    from_epoch_ms: Math.min(sample.epochMs, prev.epochMs + (sample.runMs - prev.runMs)),
    offset_ms: offset,
  };
}

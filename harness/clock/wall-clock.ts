import type { ClockReading, ClockStep, ServerClock } from "../records/clock-types.ts";

/**
 * Server timestamps come from the wall clock (nginx's $msec, the app's
 * time.time(), a container's log); the run's clock is monotonic
 * (performance.now()). The two are tied once, at t0. A wall clock that jumps
 * after that (a virtual machine resumed from a pause has its clock stepped;
 * NTP's first sync steps it too) would shift every later server timestamp by
 * the jump: a request nginx received before a removal would read as received
 * after it. So the run samples the wall clock against its own all through and
 * keeps each jump it sees. Between two jumps the offset held, so each stretch
 * of the run's clock has a stretch of epochs of its own; a server timestamp is
 * read by the stretch (in the time order of the samples) whose epochs hold it.
 * A backward jump makes the wall clock read some epochs twice: a timestamp in
 * that ambiguous stretch stands for two moments, and is read as such (a span,
 * `ClockReading.span`), never as one of them picked by rule.
 */

/** A jump smaller than this is sampling jitter (Date.now() counts whole ms), not a step. */
export const STEP_MS = 5;

/** The wall clock as the run saw it: its reading at t0 and every jump since. */
export class WallClock implements ServerClock {
  constructor(
    readonly t0EpochMs: number,
    readonly steps: readonly ClockStep[] = [],
  ) {}

  /** A server's wall-clock timestamp in t0's terms: the epoch it would read had the clock never jumped. */
  normalize(epochMs: number): number {
    return this.read(epochMs).epochMs;
  }

  /**
   * A server's wall-clock timestamp in t0's terms, by the stretches of the run between jumps in time order:
   * each stretch whose run times could have read this epoch (the jump lies somewhere between the samples on
   * either side of it) is a reading of it. Two or more: the epoch is ambiguous, and its span says how far.
   * None (an epoch the clock skipped, or sampling jitter at a boundary): the nearest stretch.
   */
  read(epochMs: number): ClockReading {
    const candidates: number[] = [];
    let nearest = { distance: Number.POSITIVE_INFINITY, runMs: 0 };
    this.stretches().forEach(({ offset, from, to }) => {
      const runMs = epochMs - offset;
      const distance = runMs < from ? from - runMs : runMs > to ? runMs - to : 0;
      if (distance === 0) candidates.push(runMs);
      else if (distance < nearest.distance) nearest = { distance, runMs };
    });
    if (candidates.length === 0) return { epochMs: nearest.runMs + this.t0EpochMs };
    const latest = candidates.at(-1)! + this.t0EpochMs;
    if (candidates.length === 1) return { epochMs: latest };
    const lo = Math.min(...candidates) + this.t0EpochMs;
    const hi = Math.max(...candidates) + this.t0EpochMs;
    return hi - lo < STEP_MS ? { epochMs: latest } : { epochMs: latest, span: [lo, hi] };
  }

  /** What the wall clock read at a run time (to ask a server for what it logged since then). */
  wallAt(runMs: number): number {
    let offset = this.t0EpochMs;
    for (const s of this.steps) if (runMs >= s.at_ms) offset = s.offset_ms;
    return runMs + offset;
  }

  /** The backward jumps: each one's stretch of epochs the wall clock read twice, [from, to] in its own epochs. */
  ambiguous(): Array<{ step: ClockStep; fromEpochMs: number; toEpochMs: number }> {
    const stretches = this.stretches();
    return this.steps.flatMap((step, i) => {
      if (step.step_ms >= 0) return [];
      const before = stretches[i]!;
      const after = stretches[i + 1]!;
      // the clock reads again what it read from the jump on, for as long as this stretch lasts
      return [{ step, fromEpochMs: after.from + after.offset, toEpochMs: Math.min(before.to + before.offset, after.to + after.offset) }];
    });
  }

  /** Each stretch of the run with one offset: the run times it could cover (from the sample before its jump to the sample after the next). */
  private stretches(): Array<{ offset: number; from: number; to: number }> {
    const out = [{ offset: this.t0EpochMs, from: Number.NEGATIVE_INFINITY, to: Number.POSITIVE_INFINITY }];
    for (const s of this.steps) {
      out.at(-1)!.to = s.at_ms;
      out.push({ offset: s.offset_ms, from: s.prev_at_ms ?? s.at_ms, to: Number.POSITIVE_INFINITY });
    }
    return out;
  }
}

/**
 * A step from one sample to the next, or null when the offset held. Where the
 * wall clock's epochs before and after a forward jump part is known exactly: a
 * timestamp taken before it is at most `prev.epoch + (run - prev.run)`. A
 * backward jump makes a stretch of epochs ambiguous: WallClock.read says so.
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
    prev_at_ms: Math.round(prev.runMs * 1000) / 1000,
  };
}

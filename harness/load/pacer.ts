/**
 * Constant-arrival-rate schedule (open model): request i is due at i / rate,
 * whether or not earlier requests have returned. Pure, so the schedule can be
 * tested without a network.
 */
export class ConstantRatePacer {
  readonly total: number;
  private readonly intervalMs: number;

  constructor(
    readonly ratePerS: number,
    readonly durationS: number,
  ) {
    if (!(ratePerS > 0) || !(durationS > 0)) throw new RangeError("rate and duration must be > 0");
    this.intervalMs = 1000 / ratePerS;
    this.total = Math.floor(ratePerS * durationS);
  }

  /** Intended send time of request `seq` (0-based), in ms since the schedule started. */
  intendedMs(seq: number): number {
    return seq * this.intervalMs;
  }

  /** How many requests are due by `elapsedMs` (all of those with intendedMs <= elapsed). */
  dueBy(elapsedMs: number): number {
    if (elapsedMs < 0) return 0;
    return Math.min(this.total, Math.floor(elapsedMs / this.intervalMs) + 1);
  }

  /** Time to wait from `elapsedMs` until request `seq` is due; 0 when already due. */
  waitMs(seq: number, elapsedMs: number): number {
    return Math.max(0, this.intendedMs(seq) - elapsedMs);
  }
}

/**
 * The wall clock's records as plain data: its jumps against the run's clock
 * and a server timestamp read across them. What computes them (the wall
 * clock, the run's clock watch, the servers' clock offsets) is in clock/.
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
  /** Run ms of the last sample before the jump: the jump happened between it and `at_ms` (absent before 0.4: taken as `at_ms`). */
  prev_at_ms?: number;
}

/** A server timestamp on t0's terms. */
export interface ClockReading {
  /** The epoch it would read had the clock never jumped (of an ambiguous one, its latest reading). */
  epochMs: number;
  /**
   * Set only when the epoch has more than one reading: a backward jump made the wall clock read it twice (or a
   * jump shorter than the time between two samples leaves open which side of it the stamp was taken). The
   * earliest and latest epoch it may stand for.
   */
  span?: [number, number];
}

/** What reading the servers' logs needs of the run's wall clock (clock/wall-clock.ts is one): t0, and a stamp read across its jumps. */
export interface ServerClock {
  readonly t0EpochMs: number;
  /** A server's wall-clock timestamp in t0's terms, with its span when the stamp is ambiguous. */
  read(epochMs: number): ClockReading;
  /** The same, its epoch alone. */
  normalize(epochMs: number): number;
}

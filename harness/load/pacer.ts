/**
 * Constant-arrival-rate schedule (open model): request i is due at i / rate,
 * whether or not earlier requests have returned. Pure, so the schedule can be
 * tested without a network.
 */
export class ConstantRatePacer implements Pacer {
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

/** The schedule a generator follows: when request `seq` is due, and how many are due by a time. */
export interface Pacer {
  readonly total: number;
  intendedMs(seq: number): number;
  dueBy(elapsedMs: number): number;
}

/**
 * Constant rate in bursts: `onS` seconds at `ratePerS`, then `offS` seconds
 * with nothing due, repeated for `durationS` (a burst cut by the end is cut).
 * The idle phases leave connections idle long enough to meet a keepalive
 * timeout, which a constant rate never does.
 */
export class OnOffPacer implements Pacer {
  readonly total: number;
  private readonly intervalMs: number;
  private readonly perBurst: number;
  private readonly cycleMs: number;

  constructor(
    readonly ratePerS: number,
    readonly durationS: number,
    readonly onS: number,
    readonly offS: number,
  ) {
    if (!(ratePerS > 0) || !(durationS > 0) || !(onS > 0) || !(offS >= 0))
      throw new RangeError("rate, duration and on must be > 0, off >= 0");
    this.intervalMs = 1000 / ratePerS;
    this.perBurst = Math.max(1, Math.ceil((onS * 1000) / this.intervalMs));
    this.cycleMs = (onS + offS) * 1000;
    const durationMs = durationS * 1000;
    const fullCycles = Math.floor(durationMs / this.cycleMs);
    const rest = durationMs - fullCycles * this.cycleMs;
    this.total = fullCycles * this.perBurst + Math.min(this.perBurst, Math.ceil(rest / this.intervalMs));
  }

  intendedMs(seq: number): number {
    return Math.floor(seq / this.perBurst) * this.cycleMs + (seq % this.perBurst) * this.intervalMs;
  }

  dueBy(elapsedMs: number): number {
    if (elapsedMs < 0) return 0;
    const cycle = Math.floor(elapsedMs / this.cycleMs);
    let n = Math.min(
      this.total,
      cycle * this.perBurst + Math.min(this.perBurst, Math.floor((elapsedMs - cycle * this.cycleMs) / this.intervalMs) + 1),
    );
    // the division above can land one off where intendedMs rounds the other way: settle on intendedMs itself
    while (n < this.total && this.intendedMs(n) <= elapsedMs) n++;
    while (n > 0 && this.intendedMs(n - 1) > elapsedMs) n--;
    return n;
  }
}

/** The scenario's schedule: constant, or in on/off bursts (load.on_off). */
export function pacerFor(load: { rate_per_s: number; duration_s: number; on_off?: { on_s: number; off_s: number } | undefined }): Pacer {
  return load.on_off
    ? new OnOffPacer(load.rate_per_s, load.duration_s, load.on_off.on_s, load.on_off.off_s)
    : new ConstantRatePacer(load.rate_per_s, load.duration_s);
}

/** When the schedule's last request is due, ms after its start. */
export function scheduleSpanMs(load: Parameters<typeof pacerFor>[0]): number {
  const pacer = pacerFor(load);
  return pacer.intendedMs(Math.max(0, pacer.total - 1));
}

/**
 * One shard of a schedule split N ways: request i of the whole goes to shard
 * i mod N, so the shard's request j is the whole's request j*N + shard, at the
 * same intended time. Each shard is itself a constant-rate schedule (at rate/N).
 */
export class ShardPacer implements Pacer {
  readonly total: number;

  constructor(
    private readonly whole: Pacer,
    readonly shard: number,
    readonly shards: number,
  ) {
    if (!(Number.isInteger(shards) && shards >= 1 && Number.isInteger(shard) && shard >= 0 && shard < shards))
      throw new RangeError(`shard ${shard} of ${shards}`);
    this.total = whole.total > shard ? Math.ceil((whole.total - shard) / shards) : 0;
  }

  intendedMs(seq: number): number {
    return this.whole.intendedMs(seq * this.shards + this.shard);
  }

  dueBy(elapsedMs: number): number {
    const due = this.whole.dueBy(elapsedMs);
    return due > this.shard ? Math.ceil((due - this.shard) / this.shards) : 0;
  }
}

import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

/** monotonicAt reads this many ticks of Date.now() (a ms each) read within GOOD_SPREAD_MS... */
const TICKS_KEPT = 7;
/** ...of at most this many ticks (a busy machine preempts some readings). */
const TICKS_READ = 30;
const GOOD_SPREAD_MS = 0.02;

/**
 * performance.now() at a wall-clock instant, to a few µs. Date.now() counts whole ms, so one reading places
 * "now" anywhere in its ms: shards converting that way would sit up to a ms apart on the run's timeline,
 * enough to make the servers' clock offset (estimated from all rows together) look inconsistent. The
 * moment Date.now() ticks over is exact: wait for it and read the monotonic clock there. Such a tick is
 * sometimes seen late although both readings around it lie µs apart (on this project's VMs 1 in 20, up to
 * a ms; more with the machine busy), never early: of several ticks, the earliest is taken (about 7 ms).
 * Measured with two other processes busy: 60 readings within 1 µs of each other (the median of the
 * same ticks: within 22 µs).
 */
export function monotonicAt(epochMs: number): number {
  return readMonotonicAt(epochMs).at;
}

/** monotonicAt, with its uncertainty: half the time between the two monotonic readings around the tick it took. */
export function readMonotonicAt(epochMs: number): { at: number; uncertaintyMs: number } {
  let best = { at: Number.POSITIVE_INFINITY, spread: Number.POSITIVE_INFINITY };
  let good = 0;
  for (let tick = 0; tick < TICKS_READ && good < TICKS_KEPT; tick++) {
    const first = Date.now();
    let before = performance.now();
    for (;;) {
      const wall = Date.now();
      const after = performance.now();
      if (wall !== first) {
        const spread = after - before;
        const at = (before + after) / 2 - (wall - epochMs);
        // a preempted reading (wide spread) counts only while no good one was seen
        if (spread <= GOOD_SPREAD_MS ? good++ === 0 || at < best.at : good === 0 && spread < best.spread) best = { at, spread };
        break;
      }
      before = after;
    }
  }
  return { at: best.at, uncertaintyMs: best.spread / 2 };
}

/** The wall-clock instant of a performance.now() reading (the run's t0), to a few µs: monotonicAt's reverse. */
export function epochAt(monotonicMs: number): number {
  const epochMs = Date.now();
  return epochMs + (monotonicMs - monotonicAt(epochMs));
}

/**
 * This kernel's boot id (/proc/sys/kernel/random/boot_id), or null where it cannot be read. Processes that read
 * the same one share one CLOCK_MONOTONIC, which every process's performance.now() counts (from its own origin).
 */
export function bootId(): string | null {
  try {
    return readFileSync("/proc/sys/kernel/random/boot_id", "utf8").trim() || null;
  } catch {
    return null;
  }
}

/** performance.now()'s origin on the kernel's monotonic clock (ms): process.hrtime() reads that clock itself. */
function monotonicOrigin(): number {
  let best = { origin: 0, spread: Number.POSITIVE_INFINITY };
  for (let i = 0; i < 5; i++) {
    const a = performance.now();
    const host = Number(process.hrtime.bigint()) / 1e6;
    const b = performance.now();
    if (b - a < best.spread) best = { origin: host - (a + b) / 2, spread: b - a };
  }
  return best.origin;
}

/** A performance.now() reading on this host's monotonic clock: the same instant reads the same in every process of the host. */
export function toHostMonotonic(perfMs: number): number {
  return perfMs + monotonicOrigin();
}

/** toHostMonotonic's reverse, in this process. */
export function fromHostMonotonic(hostMs: number): number {
  return hostMs - monotonicOrigin();
}

/** A run's t0 (performance.now()) as a shard spec's t0_host_monotonic: this kernel's boot id and t0 on its monotonic clock; undefined without a boot id. */
export function hostMonotonicT0(perfMs: number): { bootId: string; ms: number } | undefined {
  const boot = bootId();
  return boot ? { bootId: boot, ms: toHostMonotonic(perfMs) } : undefined;
}

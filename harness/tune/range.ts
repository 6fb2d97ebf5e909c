import { UsageError } from "../util/errors.ts";

export interface TuneRange {
  lo: number;
  hi: number;
  step: number;
}

/** Enough to cover a wide range at a fine step; each value can cost several runs. */
export const MAX_GRID_VALUES = 200;

/** Floats on a step grid (0.1 + 0.2) are rounded back to what the user typed. */
export function roundToGrid(v: number): number {
  return Math.round(v * 1e6) / 1e6;
}

/** `lo..hi` plus --step: both ends numbers, lo < hi, step > 0, not too many values. */
export function parseRange(text: string, stepText: string | undefined): TuneRange {
  const m = /^\s*(-?[\d.]+)\s*\.\.\s*(-?[\d.]+)\s*$/.exec(text);
  const lo = m ? Number(m[1]) : Number.NaN;
  const hi = m ? Number(m[2]) : Number.NaN;
  if (!Number.isFinite(lo) || !Number.isFinite(hi)) throw new UsageError(`--range ${text}: expected lo..hi, e.g. --range 1..10`);
  if (lo >= hi) throw new UsageError(`--range ${text}: lo (${lo}) must be below hi (${hi})`);
  const step = stepText === undefined ? 1 : Number(stepText);
  if (!Number.isFinite(step) || step <= 0) throw new UsageError(`--step ${stepText}: expected a number above 0`);
  const count = Math.floor(roundToGrid((hi - lo) / step)) + 1;
  if (count > MAX_GRID_VALUES)
    throw new UsageError(`--range ${text} --step ${step}: ${count} values, more than ${MAX_GRID_VALUES}; use a larger --step`);
  return { lo, hi, step };
}

/** lo, lo+step, ... up to hi; hi itself is added when the step does not land on it, so the top is always tried. */
export function gridValues({ lo, hi, step }: TuneRange): number[] {
  const values: number[] = [];
  for (let i = 0; ; i++) {
    const v = roundToGrid(lo + i * step);
    if (v > hi) break;
    values.push(v);
  }
  if (values[values.length - 1] !== hi) values.push(hi);
  return values;
}

/** The smallest grid value at or above v (on lo + k*step), or v itself above hi. */
export function ceilToGrid(v: number, { lo, step }: Pick<TuneRange, "lo" | "step">): number {
  const k = Math.ceil(roundToGrid((v - lo) / step));
  return roundToGrid(lo + Math.max(0, k) * step);
}

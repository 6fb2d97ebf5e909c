export interface TimelineEvent {
  /** ms since the run's t0 (the start of the load schedule). */
  t_ms: number;
  event: string;
  detail: Record<string, unknown>;
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

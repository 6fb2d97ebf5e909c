import * as hdr from "hdr-histogram-js";

/** Send lag in microseconds, up to an hour, 3 significant digits. */
export function lagHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

export function lagMs(h: hdr.Histogram): { p50: number; p99: number; max: number } {
  return h.totalCount === 0
    ? { p50: 0, p99: 0, max: 0 }
    : { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 };
}

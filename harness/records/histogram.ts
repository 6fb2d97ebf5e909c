import * as hdr from "hdr-histogram-js";

/**
 * The one HDR histogram drainlab records durations in: microseconds, up to an
 * hour, 3 significant digits. The generator's send lag and the run's latency
 * percentiles use the same settings, so shards' histograms merge exactly.
 */
export function microsHistogram(): hdr.Histogram {
  return hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });
}

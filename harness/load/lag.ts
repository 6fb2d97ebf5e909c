import type * as hdr from "hdr-histogram-js";
import { microsHistogram } from "../records/histogram.ts";

/** Send lag in microseconds (records/histogram.ts). */
export const lagHistogram = microsHistogram;

export function lagMs(h: hdr.Histogram): { p50: number; p99: number; max: number } {
  return h.totalCount === 0
    ? { p50: 0, p99: 0, max: 0 }
    : { p50: h.getValueAtPercentile(50) / 1000, p99: h.getValueAtPercentile(99) / 1000, max: h.maxValue / 1000 };
}

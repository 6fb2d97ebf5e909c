import { UsageError } from "../util/errors.ts";
import type { Baseline } from "./records.ts";
import type { Report } from "./report.ts";

export type { Baseline };

import { readReport } from "./report-reader.ts";

/** Reads the figures a run is compared with from an earlier report.json (validated by the one report reader); a bad file is exit 2 naming it. */
export function readBaseline(file: string): Baseline {
  const report = readReport(file, "--baseline");
  const lat = report.latency_during_drain_ms;
  const counts = (report as Partial<Report>).reconciliation?.counts;
  if (!counts)
    throw new UsageError(
      `--baseline ${file}: a report.json without reconciliation.counts (written before drainlab reconciled its records)`,
    );
  return {
    run_id: report.run_id,
    file,
    p99_during_drain_ms: lat && lat.count > 0 ? lat.p99 : null,
    counts,
  };
}

import { readFileSync } from "node:fs";
import { UsageError } from "../util/errors.ts";

/** What a later run is compared with: the figures of an earlier report.json. */
export interface Baseline {
  run_id: string;
  file: string;
  p99_during_drain_ms: number | null;
  counts: Record<string, number>;
}

/** Reads the figures a run is compared with from an earlier report.json; a bad file is a usage error naming it. */
export function readBaseline(file: string): Baseline {
  let report: { run_id?: unknown; latency_during_drain_ms?: { p99?: unknown; count?: unknown }; reconciliation?: { counts?: unknown } };
  try {
    report = JSON.parse(readFileSync(file, "utf8"));
  } catch (e) {
    const why = (e as NodeJS.ErrnoException).code ?? (e as Error).message;
    throw new UsageError(`--baseline ${file}: cannot read a report.json (${why})`);
  }
  const counts = report.reconciliation?.counts;
  if (typeof report.run_id !== "string" || !counts || typeof counts !== "object") {
    throw new UsageError(
      `--baseline ${file}: not a drainlab report.json with reconciliation.counts (field reconciliation.counts: ${JSON.stringify(counts)})`,
    );
  }
  const lat = report.latency_during_drain_ms;
  return {
    run_id: report.run_id,
    file,
    p99_during_drain_ms: lat && typeof lat.p99 === "number" && Number(lat.count) > 0 ? lat.p99 : null,
    counts: counts as Record<string, number>,
  };
}

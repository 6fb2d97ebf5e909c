import { join, relative } from "node:path";
import type { CheckResult } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { type RunOptions, runScenario } from "../run/run.ts";
import type { Scenario } from "../scenario/schema.ts";

/**
 * What a matrix cell or a tune probe keeps of one run: the verdict, the loss
 * counts and the latency during the drain; the run's own folder has the rest.
 */
export interface RunSummary {
  run_id: string;
  /** The run's report.json, relative to the matrix or tune folder. */
  report: string;
  verdict: Report["verdict"];
  failing_checks: string[];
  checks: CheckResult[];
  expectation_met: boolean;
  /** report.reconciliation.counts: requests per loss class. */
  counts: Record<string, number>;
  requests: Report["requests"];
  latency_p99_ms: number;
  /**
   * p99 latency (from the intended send time) of the client-ledger rows whose
   * intendedMs falls inside a drain window [drain.start_ms, drain.exit_ms];
   * the same figure as the p99-during-drain check. null: no drain, or no answer inside it.
   */
  drain_p99_ms: number | null;
  /** How many answered requests that p99 is drawn from. */
  drain_requests: number;
  wall_time_s: number;
}

/** Pure: a finished run's report.json into a summary (the report already holds every figure). */
export function summarizeRun(report: Report, reportPath: string): RunSummary {
  const during = report.latency_during_drain_ms;
  return {
    run_id: report.run_id,
    report: reportPath,
    verdict: report.verdict,
    failing_checks: report.checks.filter((c) => !c.ok).map((c) => c.name),
    checks: report.checks,
    expectation_met: report.expectation.met,
    counts: { ...report.reconciliation.counts },
    requests: report.requests,
    latency_p99_ms: report.latency_ms.p99,
    drain_p99_ms: during.count > 0 ? during.p99 : null,
    drain_requests: during.count,
    wall_time_s: report.wall_time_s,
  };
}

export interface CellRunOptions extends Pick<RunOptions, "scenarioFile" | "log" | "onProgress" | "signal"> {
  /** Where the run folder goes (`<outDir>/<run-id>/`). */
  outDir: string;
  /** The matrix or tune folder, for the relative report path. */
  baseDir: string;
}

/** One run on a fresh stack (the images are reused), summarized. */
export async function runCell(scenario: Scenario, options: CellRunOptions): Promise<RunSummary> {
  const { grid: _grid, ...cellScenario } = scenario;
  const { report, runDir } = await runScenario(cellScenario, {
    scenarioFile: options.scenarioFile,
    outDir: options.outDir,
    log: options.log,
    onProgress: options.onProgress,
    signal: options.signal,
  });
  return summarizeRun(report, relative(options.baseDir, join(runDir, "report.json")));
}

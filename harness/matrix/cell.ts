import { readFileSync } from "node:fs";
import { join, relative } from "node:path";
import type { LedgerRow } from "../load/ledger.ts";
import type { Report } from "../report/report.ts";
import { runScenario, type RunOptions } from "../run.ts";
import type { Scenario } from "../scenario/schema.ts";
import { latencyDuringDrain } from "../verdict/gates.ts";
import type { CheckResult } from "../verdict/records.ts";

/**
 * What a matrix cell or a tune probe keeps of one run: the verdict, the loss
 * counts and the latency during the drain; the run's own folder has the rest.
 */
export interface RunSummary {
  run_id: string;
  /** The run's report.json, relative to the matrix or tune folder. */
  report: string;
  verdict: "pass" | "fail";
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

/** Pure: a finished run's report plus its client-ledger rows into a summary. */
export function summarizeRun(report: Report, rows: LedgerRow[], reportPath: string): RunSummary {
  const drains = report.drains ?? (report.drain ? [report.drain] : []);
  const during = drains.length > 0 ? latencyDuringDrain({ rows, drains, loadEndMs: report.generator.endMs }) : null;
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
    drain_p99_ms: during && during.count > 0 ? during.p99 : null,
    drain_requests: during?.count ?? 0,
    wall_time_s: report.wall_time_s,
  };
}

/** raw/client-ledger.jsonl back into rows (JSON wrote NaN times as null). */
export function readLedgerRows(path: string): LedgerRow[] {
  const rows: LedgerRow[] = [];
  for (const line of readFileSync(path, "utf8").split("\n")) {
    if (!line) continue;
    const r = JSON.parse(line) as LedgerRow;
    for (const k of ["intendedMs", "sentMs", "endMs"] as const) if (r[k] === null) r[k] = Number.NaN;
    rows.push(r);
  }
  return rows;
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
  const rows = readLedgerRows(join(runDir, report.files.client_ledger ?? "raw/client-ledger.jsonl"));
  return summarizeRun(report, rows, relative(options.baseDir, join(runDir, "report.json")));
}

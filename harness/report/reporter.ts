import type { LoadProgress } from "../records/generator-stats.ts";
import type { Report } from "../records/report.ts";

/** Known before the stack starts: enough to name the run. */
export interface RunInfo {
  runId: string;
  scenario: string;
  /** Where the run writes its output, when already known. */
  runDir?: string;
}

/** What the load reports while it runs (RunOptions.onProgress passes exactly this). */
export type RunProgress = LoadProgress & { phase: string };

/**
 * One view of a run. Every hook is optional; a reporter that throws is logged
 * and skipped by the multiplexer, never allowed to end the run.
 */
export interface Reporter {
  /** Used in error messages only. */
  readonly name: string;
  onBegin?(info: RunInfo): void | Promise<void>;
  onProgress?(progress: RunProgress): void;
  /** Returns the files it wrote, if any. */
  onEnd?(report: Report, runDir: string): void | string[] | Promise<void | string[]>;
}

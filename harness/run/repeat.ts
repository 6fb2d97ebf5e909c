import { writeFileSync } from "node:fs";
import { basename, join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { type RepeatReport, type RepeatRun, repeatReportOf, repeatRunOf } from "../records/repeat-report.ts";
import type { Report } from "../records/report.ts";
import { renderRepeatHtml, renderRepeatMarkdown } from "../report/repeat-view.ts";
import type { Scenario } from "../scenario/schema.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { newRunId, type RunOptions, runScenario } from "./run.ts";

export const REPEAT_FILE = "repeat.json";

export interface RepeatOptions extends RunOptions {
  /** Called after each run with its report and folder. */
  onRun?: (index: number, report: Report, runDir: string) => void;
}

/**
 * `drainlab run --repeat N`: the same scenario N times, one after another, each
 * run a full run with its own folder under <out>/repeat-<id>/. The outcome is a
 * rate with its 95% upper bound (repeat.json, summary.md, report.html side by
 * side); any run that misses fails the gate, and every run's report is kept.
 * Written also when a run throws or the repeat is interrupted, then rethrown.
 */
export async function runRepeat(
  scenario: Scenario,
  runs: number,
  options: RepeatOptions = {},
): Promise<{ repeat: RepeatReport; dir: string }> {
  const parent = options.outDir ?? "reports";
  ensureWritableDir("--out", parent, "the repeat's folder");
  const repeatId = `repeat-${newRunId()}`;
  const dir = resolve(parent, repeatId);
  const started = performance.now();
  const done: RepeatRun[] = [];
  const write = (): RepeatReport => {
    const repeat = repeatReportOf(
      {
        repeat_id: repeatId,
        scenario: { name: scenario.name, file: options.scenarioFile ?? null },
        expected: scenario.expect.verdict,
        asked: runs,
        wall_time_s: Math.round((performance.now() - started) / 10) / 100,
      },
      done,
    );
    if (done.length > 0) {
      writeFileSync(join(dir, REPEAT_FILE), `${JSON.stringify(repeat, null, 2)}\n`);
      writeFileSync(join(dir, "summary.md"), renderRepeatMarkdown(repeat));
      writeFileSync(join(dir, "report.html"), renderRepeatHtml(repeat));
    }
    return repeat;
  };
  let repeat: RepeatReport;
  try {
    for (let i = 1; i <= runs; i++) {
      if (options.signal?.aborted) break;
      const { report, runDir } = await runScenario(scenario, { ...options, outDir: dir });
      done.push(repeatRunOf(report, basename(runDir)));
      options.onRun?.(i, report, runDir);
    }
  } finally {
    repeat = write();
  }
  return { repeat, dir };
}

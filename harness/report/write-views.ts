import type { Report } from "../records/report.ts";
import { htmlReporter } from "./html.ts";
import { junitReporter } from "./junit.ts";
import { markdownReporter } from "./markdown.ts";
import { Multiplexer } from "./multiplexer.ts";
import type { Reporter } from "./reporter.ts";

/** The file views of a report (report.json itself is written by the run). */
export function fileReporters(): Reporter[] {
  return [htmlReporter(), junitReporter(), markdownReporter()];
}

/**
 * Writes report.html, junit.xml and summary.md next to report.json (summary.md is
 * also appended to $GITHUB_STEP_SUMMARY when set). A view that fails is logged
 * and left out; the others are still written. Returns the paths written.
 */
export async function writeViews(report: Report, runDir: string, log?: (line: string) => void): Promise<string[]> {
  return new Multiplexer(fileReporters(), log).onEnd(report, runDir);
}

import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { MATRIX_HTML_FILE, renderMatrixHtml } from "./matrix-html.ts";
import { MATRIX_JUNIT_FILE, renderMatrixJunit } from "./matrix-junit.ts";
import type { MatrixReport } from "./matrix-report.ts";
import { MATRIX_MARKDOWN_FILE, renderMatrixMarkdown } from "./matrix-text.ts";

export const MATRIX_JSON_FILE = "matrix.json";

const VIEWS: Array<{ file: string; render: (m: MatrixReport) => string }> = [
  { file: MATRIX_HTML_FILE, render: renderMatrixHtml },
  { file: MATRIX_JUNIT_FILE, render: renderMatrixJunit },
  { file: MATRIX_MARKDOWN_FILE, render: renderMatrixMarkdown },
];

/**
 * matrix.json, then its views. A view that fails is logged and left out, the
 * others are still written (as the run's reporters do). summary.md is also
 * appended to $GITHUB_STEP_SUMMARY when set. Returns the paths written.
 */
export function writeMatrix(
  m: MatrixReport,
  dir: string,
  log: (line: string) => void = () => {},
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const written = [join(dir, MATRIX_JSON_FILE)];
  writeFileSync(written[0]!, `${JSON.stringify(m, null, 2)}\n`);
  for (const view of VIEWS) {
    try {
      const text = view.render(m);
      const path = join(dir, view.file);
      writeFileSync(path, text);
      written.push(path);
      if (view.file === MATRIX_MARKDOWN_FILE && env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${text}\n`);
    } catch (e) {
      log(`drainlab: matrix view ${view.file} failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  return written;
}

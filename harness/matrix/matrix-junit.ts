import { checkTestCase, junit } from "../report/junit.ts";
import type { MatrixReport } from "./matrix-report.ts";

export const MATRIX_JUNIT_FILE = "junit.xml";

/**
 * junit.xml of a matrix: one testsuite per cell (named by its values), one
 * testcase per check; a cell that could not run is one testcase with an <error>.
 */
export function renderMatrixJunit(m: MatrixReport): string {
  const builder = junit.newBuilder().name(`drainlab matrix ${m.scenario.name}`);
  for (const cell of m.cells) {
    const suite = builder
      .testSuite()
      .name(`${m.scenario.name} [${cell.label}]`)
      .timestamp(m.started_at.slice(0, 19))
      .time(cell.run?.wall_time_s ?? 0)
      .property("matrix_id", m.matrix_id)
      .property("cell", String(cell.index + 1))
      .property("status", cell.status)
      .property("lint", cell.lint.map((f) => `${f.severity} ${f.code}`).join(", ") || "clean");
    for (const [key, value] of Object.entries(cell.values)) suite.property(key, String(value));
    const classname = `drainlab.matrix.${m.scenario.name}.cell${cell.index + 1}`;
    if (!cell.run) {
      const tc = suite.testCase().className(classname).name("run");
      if (cell.status === "skipped") tc.skipped();
      else tc.error(cell.error ?? "the cell could not run", "environment");
      continue;
    }
    suite.property("run_id", cell.run.run_id).property("report", cell.run.report);
    if (cell.run.drain_p99_ms !== null) suite.property("drain_p99_ms", String(cell.run.drain_p99_ms));
    for (const check of cell.run.checks) checkTestCase(suite, classname, check);
  }
  return `${builder.build()}\n`;
}

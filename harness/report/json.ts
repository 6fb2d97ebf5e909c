import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Report } from "../records/report.ts";
import type { Reporter } from "./reporter.ts";

export const REPORT_FILE = "report.json";

/** report.json: the canonical output, every other view is drawn from it. */
export function jsonReporter(): Reporter {
  return {
    name: "json",
    onEnd(report: Report, runDir: string) {
      const path = join(runDir, REPORT_FILE);
      writeFileSync(path, `${JSON.stringify(report, null, 2)}\n`);
      return [path];
    },
  };
}

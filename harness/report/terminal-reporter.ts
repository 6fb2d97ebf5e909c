import type { Report } from "../records/report.ts";
import type { Reporter } from "./reporter.ts";
import { renderTerminal } from "./terminal.ts";

/** The end-of-run summary on a terminal (or any stream), behind the same multiplexer as the file views. */
export function terminalReporter(write: (text: string) => void, color: boolean): Reporter {
  return {
    name: "terminal",
    onEnd(report: Report, runDir: string) {
      write(renderTerminal(report, color));
      write(`report    ${runDir}/report.json\n          ${runDir}/report.html\n`);
    },
  };
}

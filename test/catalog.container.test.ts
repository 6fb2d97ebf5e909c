import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { statusOf } from "../harness/records/records.ts";
import { renderTerminal } from "../harness/report/terminal.ts";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import { catalog, labelled, TEST_REPORTS_DIR } from "./support.ts";

// Every catalog scenario runs on the real stack and must meet the expectation
// written in its file: a pass scenario passes every check; a must-fail control
// fails each of its failing_checks with status `fail` (never no-evidence) and
// passes its passing_checks. Other checks are reported, not asserted. A
// mismatch is reported with the run's whole summary (each failing class's first
// example request, told from the client, nginx and app ledgers) and its folder,
// so a CI log says why; it is never retried away.
describe("scenario catalog", () => {
  for (const file of catalog()) {
    const scenario = loadScenario(file);
    const { verdict, failing_checks: mustFail, passing_checks: mustPass, repeat } = scenario.expect;
    const outcome =
      verdict === "pass"
        ? "passes"
        : `fails on ${mustFail.join(", ") || "some check"}${mustPass.length ? `, passing ${mustPass.join(", ")}` : ""}`;
    for (let attempt = 1; attempt <= repeat; attempt++) {
      const label = repeat > 1 ? ` (repeat ${attempt}/${repeat})` : "";
      it(`${basename(file)} ${outcome}${label}`, async () => {
        const { report, runDir } = await runScenario(scenario, { scenarioFile: file, outDir: TEST_REPORTS_DIR });
        const forensics = `${report.expectation.detail}\nrun folder: ${runDir}\n\n${renderTerminal(report)}`;
        expect(report.expectation.met, forensics).toBe(true);
        const status = (name: string) => {
          const c = report.checks.find((x) => x.name === name);
          return c ? statusOf(c) : "absent";
        };
        for (const name of mustFail) expect(status(name), `${name} must fail with evidence\n${forensics}`).toBe("fail");
        for (const name of mustPass) expect(status(name), `${name} must pass\n${forensics}`).toBe("pass");
        expect(await labelled(report.run_id), `nothing of the run is left (${runDir})`).toEqual({ containers: 0, networks: 0 });
      });
    }
  }
});

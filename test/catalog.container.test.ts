import { basename } from "node:path";
import { describe, expect, it } from "vitest";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import { catalog, labelled, TEST_REPORTS_DIR } from "./support.ts";

// Every catalog scenario runs on the real stack and must meet the expectation
// written in its file: pass, or fail on the named checks (must-fail controls).
// Scenarios near a timing boundary set expect.repeat; every repeat must match,
// and a mismatch is reported, never retried away.
describe("scenario catalog", () => {
  for (const file of catalog()) {
    const scenario = loadScenario(file);
    for (let attempt = 1; attempt <= scenario.expect.repeat; attempt++) {
      const label = scenario.expect.repeat > 1 ? ` (repeat ${attempt}/${scenario.expect.repeat})` : "";
      const { verdict, failing_checks: must, may_fail: may } = scenario.expect;
      const outcome =
        verdict === "pass"
          ? "passes"
          : must.length > 0
            ? `fails on ${must.join(", ")}`
            : `fails, only on ${may.map((m) => m.check).join(" / ")}`;
      it(`${basename(file)} ${outcome}${label}`, async () => {
        const { report } = await runScenario(scenario, { scenarioFile: file, outDir: TEST_REPORTS_DIR });
        const summary = report.checks.map((c) => `${c.ok ? "ok  " : "FAIL"} ${c.name}: ${c.observed} (${c.detail})`).join("\n");
        expect(report.expectation.met, `${report.expectation.detail}\n${summary}\nrun: ${report.run_id}`).toBe(true);
        for (const name of scenario.expect.failing_checks) {
          expect(report.checks.find((c) => c.name === name)?.ok, `${name} must fail`).toBe(false);
        }
        expect(await labelled(report.run_id), "nothing of the run is left").toEqual({ containers: 0, networks: 0 });
      });
    }
  }
});

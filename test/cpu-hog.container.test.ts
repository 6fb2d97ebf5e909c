import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { cpuHog } from "../harness/cli/soak-command.ts";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import { labelled, SCENARIOS_DIR, TEST_REPORTS_DIR } from "./support.ts";

// A busy CI machine: one of the two cores is held by a busy loop for the whole
// run. A correct drain must still pass: no check may fail because the machine
// is busy (the generator runs at nice -10 with its session's autogroup raised,
// and its own figures say whether it kept up); the loop is in a session of its
// own, as another job on the machine would be. `drainlab soak --cpu-hog` runs the whole catalog this way.
describe("a drain on a busy machine", () => {
  it("drain-one-node passes with one core held by a busy loop", async () => {
    const hog = cpuHog();
    try {
      const file = join(SCENARIOS_DIR, "drain-one-node.yaml");
      const { report } = await runScenario(loadScenario(file), { scenarioFile: file, outDir: TEST_REPORTS_DIR });
      const summary = report.checks.map((c) => `${c.status} ${c.name}: ${c.observed}`).join("\n");
      expect(report.expectation.met, `${report.expectation.detail}\n${summary}`).toBe(true);
      expect(report.generator.nice).toBe(-10);
      expect(await labelled(report.run_id)).toEqual({ containers: 0, networks: 0 });
    } finally {
      hog.kill("SIGKILL");
    }
  });
});

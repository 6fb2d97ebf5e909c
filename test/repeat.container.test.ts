import { mkdirSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RepeatReport } from "../harness/records/repeat-report.ts";
import { cli, labelled, SCENARIOS_DIR, SHORT_PASS, setFlags, TEST_REPORTS_DIR } from "./support.ts";

describe("drainlab run --repeat", () => {
  it("runs the flagship twice, states the rate with its bound, and keeps each run with its report", () => {
    const scenario = join(SCENARIOS_DIR, "drain-one-node.yaml");
    const short = [...setFlags(SHORT_PASS), "--out", TEST_REPORTS_DIR];
    mkdirSync(TEST_REPORTS_DIR, { recursive: true });
    const before = new Set(readdirSync(TEST_REPORTS_DIR, { withFileTypes: true }).map((d) => d.name));
    const r = cli(["run", scenario, ...short, "--repeat", "2"]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^run 1\/2 {2}PASS/m);
    expect(r.stdout).toMatch(/passed 2 of 2: a loss occurs in fewer than 78% of drains \(95% upper bound\)/);
    const dir = readdirSync(TEST_REPORTS_DIR).find((d) => d.startsWith("repeat-") && !before.has(d))!;
    const repeat = JSON.parse(readFileSync(join(TEST_REPORTS_DIR, dir, "repeat.json"), "utf8")) as RepeatReport;
    expect(repeat).toMatchObject({ kind: "repeat", asked: 2, good: 2, gate: "pass" });
    for (const run of repeat.runs) expect(readdirSync(join(TEST_REPORTS_DIR, dir, run.dir))).toContain("report.json");
    expect(readFileSync(join(TEST_REPORTS_DIR, dir, "summary.md"), "utf8")).toContain("passed 2 of 2");
  });

  it("fails the gate when its runs lose requests, and removes every container", async () => {
    const scenario = join(SCENARIOS_DIR, "drain-one-node.yaml");
    // no removal and a 0.1 s graceful limit: POSTs of 50-500 ms are cut in every run
    const r = cli([
      "run",
      scenario,
      ...["--set", "load.duration_s=5", "--set", "drain.at_s=2", "--set", "drain.remove=false"],
      ...["--set", "stack.uvicorn.timeout_graceful_shutdown_s=0.1", "--repeat", "2", "--out", TEST_REPORTS_DIR],
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(1);
    expect(r.stdout).toMatch(/failed 2 of 2: a loss occurs in 100% of these drains/);
    expect(await labelled()).toEqual({ containers: 0, networks: 0 });
  });
});

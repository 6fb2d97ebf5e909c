import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { cli, SCENARIOS_DIR, SHORT_PASS, setFlags, TEST_REPORTS_DIR } from "./support.ts";

describe("gate: --baseline", () => {
  it("exits 1 naming the breach when a run is worse than its baseline", () => {
    const scenario = join(SCENARIOS_DIR, "drain-one-node.yaml");
    const short = [...setFlags(SHORT_PASS), "--out", TEST_REPORTS_DIR];
    const base = cli(["run", scenario, ...short]);
    expect(base.code, base.stdout + base.stderr).toBe(0);
    const baseline = /report\s+(\S+report\.json)/.exec(base.stdout)![1]!;

    // the same drain without the removal and with a 0.1 s graceful limit: POSTs of 50-500 ms are cut
    const worse = cli([
      "run",
      scenario,
      ...short,
      "--baseline",
      baseline,
      "--set",
      "drain.remove=false",
      "--set",
      "stack.uvicorn.timeout_graceful_shutdown_s=0.1",
    ]);
    expect(worse.code, worse.stderr).toBe(1);
    expect(worse.stdout).toMatch(/no-regression-vs-baseline\s+FAIL/);
    expect(worse.stdout).toMatch(/failed \d+ > baseline 0 \+ 0/);

    // the baseline judged against itself passes the gate (its own records: no third run of the stack)
    const same = cli(["judge", dirname(baseline), "--baseline", baseline, "--out", join(dirname(baseline), "judged-vs-itself")]);
    expect(same.code, same.stdout + same.stderr).toBe(0);
    expect(same.stdout).toMatch(/no-regression-vs-baseline\s+PASS/);
  });

  it("exits 2 naming a baseline that is not a report", () => {
    const r = cli(["run", join(SCENARIOS_DIR, "drain-one-node.yaml"), "--baseline", join(SCENARIOS_DIR, "drain-one-node.yaml")]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--baseline .*drain-one-node\.yaml: not JSON/);
  });
});

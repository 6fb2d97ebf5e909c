import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../harness/records/report.ts";
import { cli, SCENARIOS_DIR, SHORT_PASS, setFlags, TEST_REPORTS_DIR } from "./support.ts";

// drainlab judge re-runs the checks on a finished run's raw records. On a
// fresh run's folder it must reproduce the verdict and every count exactly;
// an allowance that covers the run's losses turns its failure into a pass,
// and a limit it breaks turns a pass into a failure.
const read = (path: string) => JSON.parse(readFileSync(path, "utf8")) as Report;
const same = (r: Report) => ({
  verdict: r.verdict,
  checks: r.checks.map((c) => [c.name, c.status, c.observed]),
  counts: r.reconciliation.counts,
  requests: r.requests,
  latency: r.latency_ms,
  during: r.latency_during_drain_ms,
});

describe("drainlab judge on a fresh run", () => {
  it("reproduces a failing run exactly, and passes it once checks.allowed covers its losses", () => {
    const run = cli(["run", join(SCENARIOS_DIR, "long-post-short-timeout.yaml"), "--out", TEST_REPORTS_DIR]);
    expect(run.code, run.stderr).toBe(1);
    const reportPath = /report\s+(\S+report\.json)/.exec(run.stdout)![1]!;
    const runDir = join(reportPath, "..");
    const original = read(reportPath);

    const again = cli(["judge", runDir]);
    expect(again.code, again.stderr).toBe(1);
    expect(same(read(join(runDir, "judged", "report.json")))).toEqual(same(original));

    const { failed, "cut-short": cut } = original.reconciliation.counts;
    expect(failed).toBeGreaterThan(0);
    const allowed = cli([
      "judge",
      runDir,
      "--set",
      `checks.allowed.failed=${failed}`,
      "--set",
      `checks.allowed.cut-short=${cut}`,
      "--out",
      join(runDir, "allowed"),
    ]);
    // the two allowances turn those two checks into passes and touch no other check; the run's verdict follows
    // the rest (a chance loss beside them, a request reset in the accept backlog, the scenario reports and does
    // not assert: it keeps that check failing here too)
    const rejudged = read(join(runDir, "allowed", "report.json"));
    const allowedChecks = ["no-failed-requests", "no-cut-short-requests"];
    const others = (r: Report) => r.checks.filter((c) => !allowedChecks.includes(c.name)).map((c) => [c.name, c.status]);
    for (const name of allowedChecks) expect(rejudged.checks.find((c) => c.name === name)?.status, name).toBe("pass");
    expect(others(rejudged)).toEqual(others(original));
    const restPass = others(original).every(([, status]) => status === "pass" || status === "skipped");
    expect(allowed.code, allowed.stdout).toBe(restPass ? 0 : 1);
    expect(rejudged.verdict).toBe(restPass ? "pass" : "fail");
  });

  it("turns a passing run into a failure when a limit it breaks is set", () => {
    const run = cli(["run", join(SCENARIOS_DIR, "drain-one-node.yaml"), ...setFlags(SHORT_PASS), "--out", TEST_REPORTS_DIR]);
    expect(run.code, run.stdout).toBe(0);
    const runDir = join(/report\s+(\S+report\.json)/.exec(run.stdout)![1]!, "..");
    const strict = cli(["judge", runDir, "--set", "checks.max_drain_s=0.1"]);
    expect(strict.code, strict.stdout).toBe(1);
    const judged = read(join(runDir, "judged", "report.json"));
    expect(judged.checks.find((c) => c.name === "drain-duration")).toMatchObject({ status: "fail" });
    expect(judged.checks.filter((c) => !c.ok).map((c) => c.name)).toEqual(["drain-duration"]);
    // the run itself happened as it did: only checks.* may change
    expect(cli(["judge", runDir, "--set", "load.rate_per_s=5"]).stderr).toMatch(/judge changes only checks\.\*/);
  });
});

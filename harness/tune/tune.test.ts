import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { RunSummary } from "../matrix/cell.ts";
import { Scenario } from "../scenario/schema.ts";
import { UsageError } from "../util/errors.ts";
import { parseRange } from "./range.ts";
import { exercisingTheSignal, planTune, runTune } from "./tune.ts";
import { renderTuneText, TUNE_RULE } from "./tune-report.ts";

const PARAM = "stack.uvicorn.timeout_graceful_shutdown_s";

function scenarioFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "drainlab-tune-")), "t.yaml");
  writeFileSync(path, text);
  return path;
}

const FILE = scenarioFile(`name: three-seconds
stack: { gunicorn: { graceful_timeout_s: 10 } }
load: { mix: [{ method: GET, ms: 3000 }] }
`);

/** Made up: limits below 3 s cut requests; 3 s passes. */
async function fakeRun(scenario: Scenario): Promise<RunSummary> {
  const limit = scenario.stack.uvicorn.timeout_graceful_shutdown_s!;
  const pass = limit >= 3;
  return {
    run_id: `run-${limit}-${Math.random().toString(16).slice(2, 6)}`,
    report: "runs/x/report.json",
    verdict: pass ? "pass" : "fail",
    failing_checks: pass ? [] : ["no-cut-short-requests", "no-retried-by-nginx"],
    checks: [],
    expectation_met: pass,
    counts: {},
    requests: { sent: 1, ok: 1, failed: 0, unanswered: 0, client_retried: 0 },
    latency_p99_ms: 3010,
    drain_p99_ms: pass ? 3012 : 6020,
    drain_requests: 50,
    wall_time_s: 20,
  };
}

describe("tune", () => {
  it("validates param, range and repeats before anything runs", () => {
    expect(() => planTune(FILE, "stack.uvicorn.nope", parseRange("1..5", "1"), 2)).toThrow(/no such field/);
    expect(() => planTune(FILE, "stack.nginx.proxy_next_upstream", parseRange("1..5", "1"), 2)).toThrow(/not a number/);
    expect(() => planTune(FILE, "stack.gunicorn.graceful_timeout_s", parseRange("1..2", "0.5"), 2)).toThrow(/at 1\.5/);
    expect(() => planTune(FILE, PARAM, parseRange("1..5", "1"), 0)).toThrow(UsageError);
  });

  it("refuses a search that lint says cannot pass at any value", () => {
    const bad = scenarioFile("name: bad\nstack: { nginx: { proxy_read_timeout_s: 1 } }\nload: { mix: [{ method: GET, ms: 3000 }] }\n");
    expect(() => planTune(bad, PARAM, parseRange("1..5", "1"), 1)).toThrow(
      /lint errors at every value.*read-timeout-shorter-than-request/s,
    );
  });

  it("bisects, recommends with a margin and the chain, and writes tune.json and summary.md", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-tune-out-"));
    const plan = planTune(FILE, PARAM, parseRange("1..5", "1"), 2);
    const { tune, dir } = await runTune(plan, { outDir: out, runCell: fakeRun });
    expect(tune.smallest_passing).toBe(3);
    expect(tune.largest_failing).toBe(2);
    expect(tune.evidence.map((e) => [e.value, e.order, e.runs.length, e.pass])).toEqual([
      [1, 2, 1, false],
      [2, 3, 1, false],
      [3, 1, 2, true],
    ]);
    expect(tune.recommendation!.sets).toEqual([`${PARAM}=4`, "stack.gunicorn.graceful_timeout_s=5", "drain.stop_wait_s=7"]);
    expect(tune.recommendation_lint).toEqual([]);
    const json = JSON.parse(readFileSync(join(dir, "tune.json"), "utf8"));
    expect(json).toMatchObject({ kind: "drainlab-tune", param: PARAM, smallest_passing: 3, grid: [1, 2, 3, 4, 5] });
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toContain("**4**");
    const text = renderTuneText(tune, dir);
    expect(text).toMatch(/^3\s+#1\s+2\/2\s+pass pass\s+PASS/m);
    expect(text).toMatch(/^1\s+#2\s+1\/2\s+fail\s+FAIL\s+no-cut-short-requests, no-retried-by-nginx/m);
  });

  it("reports no recommendation when nothing in the range passes", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-tune-out-"));
    const { tune } = await runTune(planTune(FILE, PARAM, parseRange("1..2", "1"), 1), { outDir: out, runCell: fakeRun });
    expect(tune.smallest_passing).toBeNull();
    expect(tune.recommendation).toBeNull();
    expect(renderTuneText(tune, out)).toContain("no value in 1..2 passed");
  });

  it("writes the evidence so far when a run fails to start, then rethrows", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-tune-out-"));
    let n = 0;
    const runCell = async (s: Scenario) => {
      if (n++ === 1) throw new Error("engine went away");
      return fakeRun(s);
    };
    await expect(runTune(planTune(FILE, PARAM, parseRange("1..5", "1"), 2), { outDir: out, runCell })).rejects.toThrow("engine went away");
    const [folder] = readdirSync(out);
    const json = JSON.parse(readFileSync(join(out, folder!, "tune.json"), "utf8"));
    expect(json).toMatchObject({ error: "engine went away", smallest_passing: null, recommendation: null });
    expect(json.evidence).toHaveLength(1);
  });

  it("refuses an --out no folder can go in before any run, naming it", async () => {
    const plan = planTune(FILE, PARAM, parseRange("1..5", "1"), 1);
    let ran = 0;
    const runCell = async (s: Scenario) => (ran++, fakeRun(s));
    await expect(runTune(plan, { outDir: FILE, runCell })).rejects.toThrow(UsageError);
    await expect(runTune(plan, { outDir: join(FILE, "x"), runCell })).rejects.toThrow(
      /^--out .*t\.yaml\/x: cannot create the tune folder in .* \(ENOTDIR\): .*t\.yaml is a file, not a folder$/,
    );
    await expect(runTune(plan, { outDir: "/proc/drainlab-nope", runCell })).rejects.toThrow(/\(ENOENT\)/);
    expect(ran).toBe(0);
  });
});

describe("every tune cell exercises the graceful limit", () => {
  it("asks each cell for at least one request in flight at the SIGTERM, keeping a stricter ask", () => {
    const base = Scenario.parse({ name: "t" });
    expect(exercisingTheSignal(base).checks.min_in_flight_at_signal).toBe(1);
    const strict = Scenario.parse({ name: "t", checks: { min_in_flight_at_signal: 5 } });
    expect(exercisingTheSignal(strict).checks.min_in_flight_at_signal).toBe(5);
    expect(TUNE_RULE).toContain("checks.min_in_flight_at_signal 1");
  });
});

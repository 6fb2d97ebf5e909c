import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { Scenario } from "../scenario/schema.ts";
import { DrainlabError, ExitCode, UsageError } from "../util/errors.ts";
import type { RunSummary } from "./cell.ts";
import { matrixExitCode, planMatrix, runMatrix } from "./matrix.ts";

const LOSSES = {
  failed: 0,
  unanswered: 0,
  "cut-short": 0,
  "retried-by-nginx": 0,
  "executed-twice": 0,
  misrouted: 0,
  "slow-during-drain": 0,
};

/** A made-up run: fails (cut-short) when the graceful limit is shorter than the request. */
function fakeRun(scenario: Scenario): RunSummary {
  const limit = scenario.stack.uvicorn.timeout_graceful_shutdown_s ?? 30;
  const ms = scenario.load.mix[0]!.ms as number;
  const cut = limit * 1000 < ms ? 12 : 0;
  return {
    run_id: `run-${limit}-${ms}`,
    report: `cells/run-${limit}-${ms}/report.json`,
    verdict: cut ? "fail" : "pass",
    failing_checks: cut ? ["no-cut-short-requests"] : [],
    checks: [
      {
        name: "no-cut-short-requests",
        status: cut ? "fail" : "pass",
        ok: !cut,
        observed: cut,
        expected: "0",
        detail: cut ? `${cut} <cut> & short` : "none",
      },
    ],
    expectation_met: !cut,
    counts: { ...LOSSES, "cut-short": cut },
    requests: { sent: 100, ok: 100 - cut, failed: cut, unanswered: 0, client_retried: 0 },
    latency_p99_ms: ms + 5,
    drain_p99_ms: ms + 7,
    drain_requests: 40,
    wall_time_s: 1.5,
  };
}

function scenarioFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "drainlab-matrix-")), "m.yaml");
  writeFileSync(path, text);
  return path;
}

const FILE = `name: m
stack: { gunicorn: { graceful_timeout_s: 10 }, uvicorn: { timeout_graceful_shutdown_s: 5 } }
load: { mix: [{ method: GET, ms: 200 }] }
grid:
  stack.uvicorn.timeout_graceful_shutdown_s: [1, 5]
`;

describe("matrix", () => {
  it("plans every cell with its lint before anything runs, and rejects a bad cell naming it", () => {
    const plan = planMatrix(scenarioFile(FILE), ["load.mix.0.ms=200,2500"]);
    expect(plan.cells.map((c) => c.cell.label)).toEqual([
      "stack.uvicorn.timeout_graceful_shutdown_s=1 load.mix.0.ms=200",
      "stack.uvicorn.timeout_graceful_shutdown_s=1 load.mix.0.ms=2500",
      "stack.uvicorn.timeout_graceful_shutdown_s=5 load.mix.0.ms=200",
      "stack.uvicorn.timeout_graceful_shutdown_s=5 load.mix.0.ms=2500",
    ]);
    expect(plan.cells[1]!.scenario.load.mix[0]!.ms).toBe(2500);
    expect(plan.cells[1]!.lint.map((f) => f.code)).toEqual(["graceful-limit-shorter-than-request"]);
    expect(() => planMatrix(scenarioFile(FILE), ["load.rate_per_s=100,-1"])).toThrow(
      /matrix cell 2 .*load\.rate_per_s=-1.*\n.*load\.rate_per_s/s,
    );
    expect(() => planMatrix(scenarioFile("name: x\n"), [])).toThrow(UsageError);
  });

  it("runs every cell, writes matrix.json and its views, and fails when a cell fails", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-matrix-out-"));
    const plan = planMatrix(scenarioFile(FILE), ["load.mix.0.ms=200,2500"]);
    const { matrix, dir } = await runMatrix(plan, { outDir: out, runCell: async (s) => fakeRun(s) });
    expect(matrix.cells.map((c) => c.status)).toEqual(["pass", "fail", "pass", "pass"]);
    expect(matrix.verdict).toBe("fail");
    expect(matrixExitCode(matrix)).toBe(ExitCode.checkFailed);
    expect(matrix.cells[1]!.run!.counts["cut-short"]).toBe(12);

    const json = JSON.parse(readFileSync(join(dir, "matrix.json"), "utf8"));
    expect(json).toMatchObject({
      kind: "drainlab-matrix",
      verdict: "fail",
      axes: [{ key: "stack.uvicorn.timeout_graceful_shutdown_s" }, { key: "load.mix.0.ms" }],
    });

    const html = readFileSync(join(dir, "matrix.html"), "utf8");
    expect(html).toContain('id="heatmap-verdict"');
    expect(html).toContain('id="heatmap-p99"');
    expect(html).toContain('data-cell="1" data-status="fail"');
    expect(html).toContain("2507 ms");
    expect(html).toContain('href="cells/run-1-2500/report.html"');
    expect(html).not.toContain("<cut>");

    const xml = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(dir, "junit.xml"), "utf8"));
    const suites = xml.testsuites.testsuite;
    expect(suites).toHaveLength(4);
    expect(suites[1]["@_name"]).toBe("m [stack.uvicorn.timeout_graceful_shutdown_s=1 load.mix.0.ms=2500]");
    expect(suites[1].testcase.failure).toBeDefined();
    expect(suites[0].testcase.failure).toBeUndefined();

    const md = readFileSync(join(dir, "summary.md"), "utf8");
    expect(md).toContain("❌ FAIL");
    expect(md).toContain("| 1 | PASS (none) p99 207 ms | FAIL (cut-short 12) p99 2507 ms |");
  });

  it("passes when every cell passes, records a cell that cannot run as an error, and keeps going", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-matrix-out-"));
    const ok = await runMatrix(planMatrix(scenarioFile(FILE), []), { outDir: out, runCell: async (s) => fakeRun(s) });
    expect([ok.matrix.verdict, matrixExitCode(ok.matrix)]).toEqual(["pass", ExitCode.pass]);

    let n = 0;
    const flaky = async (s: Scenario) => {
      if (n++ === 0) throw new Error("stack would not start");
      return fakeRun(s);
    };
    const { matrix } = await runMatrix(planMatrix(scenarioFile(FILE), []), { outDir: out, runCell: flaky });
    expect(matrix.cells.map((c) => c.status)).toEqual(["error", "pass"]);
    expect(matrix.cells[0]!.error).toBe("stack would not start");
    expect(matrixExitCode(matrix)).toBe(ExitCode.environment);
  });

  it("on an interrupt writes what it has, marks the rest skipped, and rethrows", async () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-matrix-out-"));
    const abort = new AbortController();
    const interrupt = new DrainlabError("interrupted by SIGINT", ExitCode.interrupted);
    const runCell = async (_s: Scenario) => {
      abort.abort(interrupt);
      throw interrupt;
    };
    await expect(runMatrix(planMatrix(scenarioFile(FILE), []), { outDir: out, runCell, signal: abort.signal })).rejects.toBe(interrupt);
  });

  it("refuses more cells than maxCells (default 100) before loading any, naming the count and --max-cells", () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1).join(",");
    const file = scenarioFile("name: plain\n");
    const started = performance.now();
    expect(() => planMatrix(file, [`load.rate_per_s=${values}`, `drain.stop_wait_s=${values}`])).toThrow(
      /^the grid makes 10000 cells \(load\.rate_per_s 100 x drain\.stop_wait_s 100\), more than --max-cells 100; pass --max-cells 10000 to run them all/,
    );
    expect(performance.now() - started).toBeLessThan(2000);
    expect(planMatrix(file, [`load.rate_per_s=${values}`]).cells).toHaveLength(100);
    expect(() => planMatrix(file, ["load.rate_per_s=1,2,3"], [], { maxCells: 2 })).toThrow(/makes 3 cells .*, more than --max-cells 2;/);
    expect(planMatrix(file, ["load.rate_per_s=1,2,3"], [], { maxCells: 3 }).cells).toHaveLength(3);
  });

  it("refuses an --out no folder can go in before any cell runs, naming it", async () => {
    const notAFolder = scenarioFile("x");
    let ran = 0;
    const runCell = async (s: Scenario) => (ran++, fakeRun(s));
    const plan = planMatrix(scenarioFile(FILE), []);
    await expect(runMatrix(plan, { outDir: notAFolder, runCell })).rejects.toThrow(UsageError);
    await expect(runMatrix(plan, { outDir: notAFolder, runCell })).rejects.toThrow(
      /^--out .*m\.yaml: cannot create the matrix folder in .* \(ENOTDIR\)/,
    );
    await expect(runMatrix(plan, { outDir: "/proc/drainlab-nope", runCell })).rejects.toThrow(/--out \/proc\/drainlab-nope: .*\(ENOENT\)/);
    expect(ran).toBe(0);
  });
});

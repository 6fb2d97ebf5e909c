import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { XMLParser } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import type { MatrixReport } from "../harness/matrix/matrix-report.ts";
import type { TuneReport } from "../harness/tune/tune-report.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { labelled, TEST_REPORTS_DIR } from "./support.ts";

const MATRIX_FILE = join(PROJECT_ROOT, "scenarios/matrix/graceful-vs-request.yaml");
const TUNE_FILE = join(PROJECT_ROOT, "scenarios/tune/three-second-requests.yaml");
const UVICORN = "stack.uvicorn.timeout_graceful_shutdown_s";

/** The drainlab command as a user runs it, asynchronously so the test's timeout can end it. */
function drainlab(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/drainlab.mjs"), ...args], { env: { ...process.env, CI: "true" } });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    child.on("close", (code) => done({ code, stdout, stderr }));
  });
}

/** A fresh parent folder, so the one matrix-<id> or tune-<id> inside is the run's. */
function outDir(prefix: string): string {
  mkdirSync(TEST_REPORTS_DIR, { recursive: true });
  return mkdtempSync(join(TEST_REPORTS_DIR, prefix));
}

function onlyChild(dir: string): string {
  const entries = readdirSync(dir);
  expect(entries).toHaveLength(1);
  return join(dir, entries[0]!);
}

describe("matrix and tune on the real stack", () => {
  // 4 short cells of about 15 s each
  it("a 2x2 matrix finds the one failing cell (1 s limit, 2.5 s GETs), exits 1 and writes one testsuite per cell", {
    timeout: 420_000,
  }, async () => {
    const out = outDir("matrix-");
    const r = await drainlab(["matrix", MATRIX_FILE, "--out", out]);
    const dir = onlyChild(out);
    const m = JSON.parse(readFileSync(join(dir, "matrix.json"), "utf8")) as MatrixReport;
    const table = m.cells.map((c) => `${c.label}: ${c.status} ${c.run?.failing_checks.join(",") ?? c.error}`).join("\n");
    expect(r.code, `${table}\n${r.stderr.slice(-2000)}`).toBe(1);

    const status = Object.fromEntries(m.cells.map((c) => [`${c.values[UVICORN]}/${c.values["load.mix.0.ms"]}`, c]));
    expect(Object.keys(status).sort()).toEqual(["1/200", "1/2500", "5/200", "5/2500"]);
    const failing = status["1/2500"]!;
    expect(failing.status, table).toBe("fail");
    // uvicorn cancels the GETs it still holds after 1 s and answers 500
    expect(failing.run!.counts["cut-short"], table).toBeGreaterThan(0);
    expect(failing.run!.failing_checks, table).toContain("no-cut-short-requests");
    expect(failing.lint.map((f) => f.code)).toContain("graceful-limit-shorter-than-request");
    for (const key of ["1/200", "5/200", "5/2500"]) expect(status[key]!.status, `${key}\n${table}`).toBe("pass");
    for (const c of m.cells) {
      expect(c.run!.drain_requests, c.label).toBeGreaterThan(0);
      expect(c.run!.drain_p99_ms, c.label).toBeGreaterThan(c.values["load.mix.0.ms"] as number);
    }

    const junit = new XMLParser({ ignoreAttributes: false }).parse(readFileSync(join(dir, "junit.xml"), "utf8"));
    expect(junit.testsuites.testsuite).toHaveLength(4);
    expect(readFileSync(join(dir, "matrix.html"), "utf8")).toContain('id="heatmap-verdict"');
    expect(readFileSync(join(dir, "summary.md"), "utf8")).toContain("FAIL");
    expect(r.stdout).toMatch(/verdict\s+FAIL/);
    for (const c of m.cells)
      expect(await labelled(c.run!.run_id), `nothing of ${c.run!.run_id} is left`).toEqual({ containers: 0, networks: 0 });
  });

  // bisection over 2..4: 3 (2 runs), then 2 (1 run) when the boundary is clean: 3 runs (1..5 took 4, 13 s more of CI)
  it("tune over 3 s requests recommends a graceful limit of at least 3 s, and no value below 3 s passes", {
    timeout: 420_000,
  }, async () => {
    const out = outDir("tune-");
    const r = await drainlab(["tune", TUNE_FILE, "--param", UVICORN, "--range", "2..4", "--step", "1", "--repeats", "2", "--out", out]);
    const t = JSON.parse(readFileSync(join(onlyChild(out), "tune.json"), "utf8")) as TuneReport;
    const evidence = t.evidence
      .map((e) => `${e.value}: ${e.runs.map((x) => x.verdict).join(" ")} ${e.failing_checks.join(",")}`)
      .join("\n");
    expect(r.code, `${evidence}\n${r.stderr.slice(-2000)}`).toBe(0);

    expect(t.smallest_passing, evidence).not.toBeNull();
    expect(t.smallest_passing!, evidence).toBeGreaterThanOrEqual(3);
    for (const e of t.evidence.filter((x) => x.value < 3)) {
      expect(e.pass, evidence).toBe(false);
      expect(
        e.runs.some((x) => x.verdict === "fail"),
        evidence,
      ).toBe(true);
    }
    for (const e of t.evidence.filter((x) => x.pass)) expect(e.runs.map((x) => x.verdict)).toEqual(["pass", "pass"]);

    const rec = t.recommendation!;
    expect(rec.value).toBeGreaterThanOrEqual(3);
    const setting = (field: string) => rec.settings.find((s) => s.field === field)!.value;
    expect(setting(UVICORN)).toBeGreaterThanOrEqual(t.smallest_passing! + 1);
    expect(setting("stack.gunicorn.graceful_timeout_s")).toBeGreaterThanOrEqual(setting(UVICORN) + 1);
    expect(setting("drain.stop_wait_s")).toBeGreaterThan(setting("stack.gunicorn.graceful_timeout_s"));
    expect(t.recommendation_lint.filter((f) => f.severity === "error")).toEqual([]);
    expect(r.stdout).toMatch(/recommend stack\.uvicorn\.timeout_graceful_shutdown_s = \d/);
    for (const e of t.evidence) for (const x of e.runs) expect(await labelled(x.run_id)).toEqual({ containers: 0, networks: 0 });
  });
});

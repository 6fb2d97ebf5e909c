import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../records/report.ts";
import { UsageError } from "../util/errors.ts";
import { diagnose, intermittentRepeat, loadRun, renderMarkdown, renderText } from "./doctor.ts";
import { verifyFixes } from "./verify.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const TESTDATA = new URL("./testdata/", import.meta.url).pathname;

function recorded(name: string): { dir: string; report: Report } {
  const report = JSON.parse(readFileSync(join(TESTDATA, `${name}.json`), "utf8")) as Report;
  report.scenario.file = join(ROOT, report.scenario.file!);
  const dir = mkdtempSync(join(tmpdir(), "drainlab-verify-"));
  writeFileSync(join(dir, "report.json"), JSON.stringify(report));
  return { dir, report };
}

/** The recorded run with these checks passing: what a re-run with a working fix reports. */
function passing(report: Report, names: string[]): Report {
  const copy = structuredClone(report);
  for (const c of copy.checks) if (names.includes(c.name)) Object.assign(c, { ok: true, status: "pass", observed: 0 });
  copy.verdict = copy.checks.every((c) => c.ok) ? "pass" : "fail";
  return copy;
}

describe("doctor --verify", () => {
  it("confirms a fix only when every check it explains passes in the re-run, and passes the fix as --set overrides", async () => {
    const { dir, report } = recorded("sigterm-no-removal-short-wait");
    const result = diagnose(loadRun(dir));
    const calls: Array<{ sets: string[]; label: string }> = [];
    await verifyFixes(
      result,
      report,
      async (sets, label) => {
        calls.push({ sets, label });
        return { reports: [passing(report, ["no-cut-short-requests", "no-failed-requests"])], runDir: join(dir, label) };
      },
      () => {},
    );
    expect(calls).toEqual([{ sets: ["stack.uvicorn.timeout_graceful_shutdown_s=4"], label: "fix-1" }]);
    const d = result.diagnoses[0]!;
    expect(d.verified!.status).toBe("confirmed");
    expect(d.verified!.checks).toEqual([
      { name: "no-cut-short-requests", before: "fail (28)", after: "pass (0)" },
      { name: "no-failed-requests", before: "fail (28)", after: "pass (0)" },
    ]);
    // one fix: its run is already the run with every fix
    expect(result.all_fixes).toBeUndefined();
  });

  it("reports a fix whose checks still fail as not confirmed, with the new run's evidence, and runs every fix together", async () => {
    const { dir, report } = recorded("forgot-reload");
    const result = diagnose(loadRun(dir));
    // a second diagnosis, as a run with two causes has
    result.diagnoses.push(structuredClone(result.diagnoses[0]!));
    const labels: string[] = [];
    await verifyFixes(
      result,
      report,
      async (_sets, label) => {
        labels.push(label);
        return { reports: [report], runDir: join(dir, label) };
      },
      () => {},
    );
    expect(labels).toEqual(["fix-1", "fix-2", "all"]);
    expect(result.diagnoses[0]!.verified).toMatchObject({
      status: "not confirmed",
      checks: [{ name: "no-misrouted-requests", before: "fail (56)", after: "fail (56)" }],
    });
    expect(result.diagnoses[0]!.verified!.detail).toContain("failing: no-misrouted-requests");
    expect(result.all_fixes!.status).toBe("not confirmed");
  });

  it("verifies a Dockerfile fix with a patched copy drainlab builds from the user's own context", async () => {
    const { dir, report } = recorded("uvicorn-workers-shell-cmd");
    const system = (report.parameters as unknown as { system: { app: { build: { context: string } }; nginx: { config: string } } }).system;
    system.app.build.context = join(ROOT, system.app.build.context);
    system.nginx.config = join(ROOT, system.nginx.config);
    writeFileSync(join(dir, "report.json"), JSON.stringify(report));
    const result = diagnose(loadRun(dir));
    const seen: string[][] = [];
    await verifyFixes(
      result,
      report,
      async (sets) => {
        seen.push(sets);
        return { reports: [passing(report, ["drained-node-exited-cleanly"])], runDir: dir };
      },
      () => {},
    );
    const copy = join(dir, "doctor", "verify", "fix-1", "Dockerfile.shell-cmd");
    expect(seen).toEqual([[`system.app.build.dockerfile=${JSON.stringify(copy)}`]]);
    expect(readFileSync(copy, "utf8")).toMatch(/^CMD \["python3", "-m", "uvicorn"/m);
    expect(result.diagnoses[0]!.verified!.status).toBe("confirmed");
  });
});

describe("doctor --verify --repeat N", () => {
  const CUT = ["no-cut-short-requests", "no-failed-requests"];

  it("runs each fix as a repeat of N and confirms it only when all N pass its checks: passed N of N, with the rate's bound", async () => {
    const { dir, report } = recorded("sigterm-no-removal-short-wait");
    const result = diagnose(loadRun(dir));
    const calls: Array<{ label: string; runs: number }> = [];
    await verifyFixes(
      result,
      report,
      async (_sets, label, runs) => {
        calls.push({ label, runs });
        return { reports: Array.from({ length: runs }, () => passing(report, CUT)), runDir: join(dir, label) };
      },
      () => {},
      5,
    );
    expect(calls).toEqual([{ label: "fix-1", runs: 5 }]);
    const v = result.diagnoses[0]!.verified!;
    expect(v.status).toBe("confirmed");
    expect(v.checks).toEqual([
      { name: "no-cut-short-requests", before: "fail (28)", after: "passed 5 of 5" },
      { name: "no-failed-requests", before: "fail (28)", after: "passed 5 of 5" },
    ]);
    expect(v.repeat).toEqual({
      asked: 5,
      runs: 5,
      passed: 5,
      rate: "passed 5 of 5: a check it explains fails in fewer than 45% of runs (95% upper bound)",
    });
    const text = renderText(result);
    expect(text).toMatch(/fix 1 +no-cut-short-requests +fail \(28\) +passed 5 of 5 +confirmed/);
    expect(text).toContain("fix 1   passed 5 of 5: a check it explains fails in fewer than 45% of runs (95% upper bound)");
    expect(renderMarkdown(result)).toContain("| no-failed-requests | fail (28) | passed 5 of 5 |");
  });

  it("one run of the N that still fails a check: not confirmed, with the run and the check named", async () => {
    const { dir, report } = recorded("sigterm-no-removal-short-wait");
    const result = diagnose(loadRun(dir));
    await verifyFixes(
      result,
      report,
      async (_sets, label, runs) => ({
        reports: Array.from({ length: runs }, (_, i) => (i === 1 ? passing(report, ["no-failed-requests"]) : passing(report, CUT))),
        runDir: join(dir, label),
      }),
      () => {},
      4,
    );
    const v = result.diagnoses[0]!.verified!;
    expect(v.status).toBe("not confirmed");
    expect(v.checks.map((c) => c.after)).toEqual(["passed 3 of 4", "passed 4 of 4"]);
    expect(v.detail).toMatch(/^failed 1 of 4: a check it explains fails in 25% of these runs, between .* \(95% interval\)/);
    expect(v.detail).toContain("failing: run 2: no-cut-short-requests");
  });

  it("an interrupted repeat confirms nothing: fewer runs than asked", async () => {
    const { dir, report } = recorded("sigterm-no-removal-short-wait");
    const result = diagnose(loadRun(dir));
    await verifyFixes(
      result,
      report,
      async () => ({ reports: [passing(report, CUT), passing(report, CUT)], runDir: dir }),
      () => {},
      3,
    );
    const v = result.diagnoses[0]!.verified!;
    expect(v.status).toBe("not confirmed");
    expect(v.detail).toContain("(only 2 of the 3 runs asked finished)");
  });

  it("every fix together is a repeat too", async () => {
    const { dir, report } = recorded("forgot-reload");
    const result = diagnose(loadRun(dir));
    result.diagnoses.push(structuredClone(result.diagnoses[0]!));
    const seen: Array<[string, number]> = [];
    await verifyFixes(
      result,
      report,
      async (_sets, label, runs) => {
        seen.push([label, runs]);
        return { reports: Array.from({ length: runs }, () => passing(report, ["no-misrouted-requests"])), runDir: dir };
      },
      () => {},
      3,
    );
    expect(seen).toEqual([
      ["fix-1", 3],
      ["fix-2", 3],
      ["all", 3],
    ]);
    expect(result.all_fixes).toMatchObject({ status: "confirmed", repeat: { passed: 3, runs: 3 } });
  });

  it("an intermittent failure: the run is one of a repeat that both passed and failed (repeat.json beside it)", () => {
    const parent = mkdtempSync(join(tmpdir(), "drainlab-verify-repeat-"));
    const { report } = recorded("sigterm-no-removal-short-wait");
    const runDir = join(parent, "20261206-000000-aaaaaa");
    mkdirSync(runDir);
    writeFileSync(join(runDir, "report.json"), JSON.stringify(report));
    const repeatJson = (verdicts: string[]) =>
      writeFileSync(join(parent, "repeat.json"), JSON.stringify({ kind: "repeat", runs: verdicts.map((verdict) => ({ verdict })) }));
    expect(intermittentRepeat(loadRun(runDir))).toBeNull();
    repeatJson(["pass", "fail", "pass", "pass", "fail"]);
    expect(intermittentRepeat(loadRun(runDir))).toEqual({ runs: 5, failed: 2, file: join(parent, "repeat.json") });
    repeatJson(["fail", "fail"]);
    expect(intermittentRepeat(loadRun(runDir))).toBeNull();
    writeFileSync(join(parent, "repeat.json"), "{");
    expect(() => intermittentRepeat(loadRun(runDir))).toThrow(UsageError);
  });

  it("the command refuses --repeat without --verify, and a --repeat that is not a whole number from 1 to 1000 (exit 2)", () => {
    const bin = join(ROOT, "bin", "drainlab.mjs");
    const { dir } = recorded("forgot-reload");
    for (const [args, message] of [
      [["--repeat", "3"], /--repeat n is the number of runs of each --verify re-run: give --verify too/],
      [["--verify", "--repeat", "0"], /--repeat "0": a whole number of runs from 1 to 1000/],
      [["--verify", "--repeat", "2.5"], /--repeat "2\.5": a whole number/],
    ] as const) {
      const r = spawnSync(process.execPath, [bin, "doctor", dir, ...args], { encoding: "utf8" });
      expect(r.status).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

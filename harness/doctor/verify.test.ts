import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { Report } from "../records/report.ts";
import { diagnose, loadRun } from "./doctor.ts";
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

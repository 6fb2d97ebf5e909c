import { spawnSync } from "node:child_process";
import { copyFileSync, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import type { DoctorResult } from "../harness/doctor/types.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";

// `drainlab run --doctor` on the forgot-reload control, as the catalog runs it (8 s of load; cut to 5 s, node-1's
// drain from 3.0 s outlasted the load on a slow machine, 5.3 s against 5.1 s, and drain-exercised failed beside it):
// the run fails on no-misrouted-requests, doctor names the missing reload, and its patch of the scenario applies.
// What else node-1's stop shows (a request in its accept backlog reset, re-sent by nginx) the scenario reports and
// does not assert, and neither does this test: a second diagnosis or an unexplained check may sit beside it.
describe("drainlab run --doctor", () => {
  it("forgot-reload: diagnosed as the removal without a reload, with a patch that applies to the scenario", () => {
    const out = mkdtempSync(join(tmpdir(), "drainlab-doctor-"));
    const scenario = join(PROJECT_ROOT, "scenarios/forgot-reload.yaml");
    const r = spawnSync("node", [join(PROJECT_ROOT, "bin/drainlab.mjs"), "run", scenario, "--doctor", "--out", out], {
      env: { ...process.env, CI: "true" },
      encoding: "utf8",
      timeout: 170_000,
    });
    const text = `${r.stdout}${r.stderr}`;
    // the run's verdict stays the exit code
    expect(r.status, text).toBe(1);
    const [run] = readdirSync(out);
    const dir = join(out, run!);
    const doctor = JSON.parse(readFileSync(join(dir, "doctor", "doctor.json"), "utf8")) as DoctorResult;
    const found = doctor.diagnoses.find((d) => d.rule === "removal-without-reload");
    expect(found, text).toBeDefined();
    expect(found!.checks).toContain("no-misrouted-requests");
    expect(found!.examples.length).toBeGreaterThan(0);
    expect(doctor.unexplained.map((u) => u.check)).not.toContain("no-misrouted-requests");
    expect(r.stdout).toMatch(/\d\. removal-without-reload {2}explains [\w-, ]*no-misrouted-requests/);
    const patchFile = found!.fix!.file;
    const patch = readFileSync(patchFile, "utf8");
    expect(patch).toContain("-  reload: false\n+  reload: true\n");
    const copy = mkdtempSync(join(tmpdir(), "drainlab-doctor-apply-"));
    copyFileSync(scenario, join(copy, "forgot-reload.yaml"));
    const apply = spawnSync("git", ["apply", "--check", patchFile], { cwd: copy, encoding: "utf8" });
    expect(apply.status, apply.stderr).toBe(0);
    expect(readFileSync(join(dir, "report.html"), "utf8")).toContain('<section id="doctor">');
  });
});

/**
 * doctor --verify: the scenario run again once with each fix applied to drainlab's copy of the setting (a
 * --set override of the scenario, the same path `system:` overrides take, or a patched copy of the user's
 * nginx.conf written in the run folder), then with every fix together. A fix is confirmed only when every
 * check it explains passes in the new run; doctor never claims a fix it did not see work.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Report } from "../records/report.ts";
import { DOCTOR_DIR } from "./doctor.ts";
import type { Diagnosis, DoctorResult, Located, VerifyOutcome } from "./types.ts";

/** Runs the scenario with these --set overrides; returns its report and folder. Injected by the command (it sits above doctor). */
export type Rerun = (sets: string[], label: string) => Promise<{ report: Report; runDir: string }>;

const shown = (r: Report, name: string) => {
  const c = r.checks.find((x) => x.name === name);
  return c ? `${c.status ?? (c.ok ? "pass" : "fail")} (${c.observed})` : "absent";
};

/** The overrides that apply these verify steps; null (and why) when one cannot be applied to drainlab's copy. */
function overrides(steps: Located["verify"][], folder: string): { sets: string[] } | { none: string } {
  const sets: string[] = [];
  for (const step of steps) {
    if ("none" in step) return { none: step.none };
    if ("sets" in step) sets.push(...step.sets);
    else {
      mkdirSync(folder, { recursive: true });
      const path = join(folder, step.copy.file);
      writeFileSync(path, step.copy.text);
      sets.push(`${step.copy.field}=${JSON.stringify(path)}`);
    }
  }
  return { sets };
}

async function check(before: Report, checks: string[], sets: string[], label: string, rerun: Rerun): Promise<VerifyOutcome> {
  const { report, runDir } = await rerun(sets, label);
  const rows = checks.map((name) => ({ name, before: shown(before, name), after: shown(report, name) }));
  const passed = checks.filter((name) => report.checks.find((c) => c.name === name)?.status === "pass");
  const confirmed = passed.length === checks.length;
  const still = report.checks.filter((c) => !c.ok).map((c) => c.name);
  return {
    status: confirmed ? "confirmed" : "not confirmed",
    run_dir: runDir,
    checks: rows,
    detail: `${confirmed ? "every check it explains passed" : `${checks.length - passed.length} of ${checks.length} check(s) it explains did not pass`} in ${runDir} (verdict ${report.verdict}${still.length ? `; failing: ${still.join(", ")}` : ""}); overrides: ${sets.join(" ") || "none"}`,
  };
}

/** Fills each diagnosis's `verified` and the result's `all_fixes`; `log` says what runs. */
export async function verifyFixes(result: DoctorResult, before: Report, rerun: Rerun, log: (line: string) => void): Promise<void> {
  const base = join(result.run_dir, DOCTOR_DIR, "verify");
  const all: string[] = [];
  const fixed = result.diagnoses.filter((d): d is Diagnosis & { fix: NonNullable<Diagnosis["fix"]> } => d.fix !== null);
  for (const [i, d] of fixed.entries()) {
    const how = overrides(d.fix.verify, join(base, `fix-${i + 1}`));
    if ("none" in how) {
      d.verified = {
        status: "not run",
        run_dir: null,
        checks: d.checks.map((name) => ({ name, before: shown(before, name), after: "not run" })),
        detail: how.none,
      };
      continue;
    }
    log(`verify    fix ${i + 1} (${d.rule}): ${how.sets.join(" ")}`);
    d.verified = await check(before, d.checks, how.sets, `fix-${i + 1}`, rerun);
    all.push(...how.sets);
  }
  const verified = fixed.filter((d) => d.verified?.status !== "not run");
  if (verified.length > 1) {
    log(`verify    every fix together: ${all.join(" ")}`);
    result.all_fixes = await check(before, [...new Set(verified.flatMap((d) => d.checks))], all, "all", rerun);
  }
  // one fix: its own run is the run with every fix
}

/**
 * doctor --verify: the scenario run again once with each fix applied to drainlab's copy of the setting (a
 * --set override of the scenario, the same path `system:` overrides take, or a patched copy of the user's
 * nginx.conf written in the run folder), then with every fix together. A fix is confirmed only when every
 * check it explains passes in the new run; doctor never claims a fix it did not see work. With a repeat of N
 * (--repeat N, or the repeat an intermittent failure came from), each re-run is N runs and a fix is confirmed
 * only when all N pass its checks; the outcome carries the rate sentence of rate-bound.ts. An attach run is
 * never re-run: drainlab did not start the system (ATTACH_VERIFY).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { rateSentence } from "../records/rate-bound.ts";
import type { Report } from "../records/report.ts";
import { DOCTOR_DIR } from "./doctor.ts";
import type { Diagnosis, DoctorResult, Located, VerifyOutcome } from "./types.ts";

/**
 * Runs the scenario `runs` times with these --set overrides (one run, or a repeat: runRepeat); returns each
 * run's report and the folder (the run's, or the repeat's). Injected by the command (it sits above doctor).
 */
export type Rerun = (sets: string[], label: string, runs: number) => Promise<{ reports: Report[]; runDir: string }>;

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

const passes = (r: Report, name: string) => r.checks.find((c) => c.name === name)?.status === "pass";

async function check(
  before: Report,
  checks: string[],
  sets: string[],
  label: string,
  rerun: Rerun,
  repeat: number,
): Promise<VerifyOutcome> {
  const { reports, runDir } = await rerun(sets, label, repeat);
  const overrides = `overrides: ${sets.join(" ") || "none"}`;
  if (repeat === 1 && reports.length === 1) {
    const report = reports[0]!;
    const rows = checks.map((name) => ({ name, before: shown(before, name), after: shown(report, name) }));
    const passed = checks.filter((name) => passes(report, name));
    const confirmed = passed.length === checks.length;
    const still = report.checks.filter((c) => !c.ok).map((c) => c.name);
    return {
      status: confirmed ? "confirmed" : "not confirmed",
      run_dir: runDir,
      checks: rows,
      detail: `${confirmed ? "every check it explains passed" : `${checks.length - passed.length} of ${checks.length} check(s) it explains did not pass`} in ${runDir} (verdict ${report.verdict}${still.length ? `; failing: ${still.join(", ")}` : ""}); ${overrides}`,
    };
  }
  // a repeat: confirmed only when every one of the N runs passes every check the fix explains
  const ran = reports.length;
  const good = reports.filter((r) => checks.every((name) => passes(r, name))).length;
  const confirmed = ran === repeat && good === ran;
  const rate = ran > 0 ? rateSentence(ran - good, ran, "a check it explains fails", "runs") : "no run finished";
  const rows = checks.map((name) => ({
    name,
    before: shown(before, name),
    after: `passed ${reports.filter((r) => passes(r, name)).length} of ${ran}`,
  }));
  const failing = reports.flatMap((r, i) => {
    const names = checks.filter((name) => !passes(r, name));
    return names.length ? [`run ${i + 1}: ${names.join(", ")}`] : [];
  });
  return {
    status: confirmed ? "confirmed" : "not confirmed",
    run_dir: runDir,
    checks: rows,
    repeat: { asked: repeat, runs: ran, passed: good, rate },
    detail: `${rate}${ran < repeat ? ` (only ${ran} of the ${repeat} runs asked finished)` : ""}, in ${runDir}${failing.length ? `; failing: ${failing.join("; ")}` : ""}; ${overrides}`,
  };
}

/** Fills each diagnosis's `verified` and the result's `all_fixes`; `log` says what runs. */
export async function verifyFixes(
  result: DoctorResult,
  before: Report,
  rerun: Rerun,
  log: (line: string) => void,
  repeat = 1,
): Promise<void> {
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
    log(`verify    fix ${i + 1} (${d.rule})${repeat > 1 ? `, ${repeat} runs` : ""}: ${how.sets.join(" ")}`);
    d.verified = await check(before, d.checks, how.sets, `fix-${i + 1}`, rerun, repeat);
    all.push(...how.sets);
  }
  const verified = fixed.filter((d) => d.verified?.status !== "not run");
  if (verified.length > 1) {
    log(`verify    every fix together${repeat > 1 ? `, ${repeat} runs` : ""}: ${all.join(" ")}`);
    result.all_fixes = await check(before, [...new Set(verified.flatMap((d) => d.checks))], all, "all", rerun, repeat);
  }
  // one fix: its own run is the run with every fix
}

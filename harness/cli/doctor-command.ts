import type { Command } from "commander";
import { diagnose, loadRun, renderText, writeDoctor } from "../doctor/doctor.ts";
import type { DoctorResult } from "../doctor/types.ts";
import { verifyFixes } from "../doctor/verify.ts";
import { runScenario } from "../run/run.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { ExitCode, UsageError } from "../util/errors.ts";
import { printable } from "../util/text.ts";
import { withInterrupt } from "./interrupt.ts";
import type { CommandState } from "./options.ts";
import { err, runsProgress } from "./options.ts";

/** 0: every failing check explained (with --verify: every fix confirmed); 1: not; the run passed: 0. */
export function doctorExitCode(result: DoctorResult): number {
  if (result.verdict === "pass") return ExitCode.pass;
  if (result.unexplained.length > 0 || result.diagnoses.length === 0) return ExitCode.checkFailed;
  if (result.diagnoses.some((d) => d.verified && d.verified.status !== "confirmed")) return ExitCode.checkFailed;
  return ExitCode.pass;
}

/** Diagnoses a run folder, writes <run-dir>/doctor/, prints the terminal text; with verify, runs the scenario again per fix. */
export async function runDoctor(runDir: string, verify: boolean): Promise<DoctorResult> {
  const run = loadRun(runDir);
  const result = diagnose(run);
  if (verify && result.diagnoses.some((d) => d.fix)) {
    const file = run.report.scenario.file;
    if (!file) throw new UsageError(`${runDir}: the run names no scenario file to run again`);
    const { progress, log, onProgress } = runsProgress();
    const started = Date.now();
    let runs = 0;
    try {
      await withInterrupt(
        (signal) =>
          verifyFixes(
            result,
            run.report,
            async (sets, label) => {
              const began = Date.now();
              runs++;
              const outcome = await runScenario(loadScenario(file, sets), {
                scenarioFile: file,
                outDir: `${run.dir}/doctor/verify/${label}`,
                signal,
                log,
                onProgress,
              });
              progress.done();
              err(
                `verify    ${label}: ${outcome.report.verdict.toUpperCase()} in ${((Date.now() - began) / 1000).toFixed(1)} s (the original run: ${run.report.wall_time_s} s)`,
              );
              return outcome;
            },
            log,
          ),
        err,
      );
    } finally {
      progress.done();
    }
    result.verify_time = { original_run_s: run.report.wall_time_s, verify_s: Math.round((Date.now() - started) / 100) / 10, runs };
  }
  const written = writeDoctor(result);
  process.stdout.write(printable(renderText(result), { keepNewlines: true }));
  for (const path of written) process.stdout.write(`wrote     ${path}\n`);
  return result;
}

export function register(program: Command, state: CommandState): void {
  program
    .command("doctor")
    .description("explain a failing run: the cause of each failing check, the setting at fault (file:line) and its fix as a patch")
    .argument("<run-dir>", "a run folder (holds report.json)")
    .option(
      "--verify",
      "run the scenario again once with each fix applied to drainlab's copy, then with all of them; report before/after per check",
    )
    .addHelpText(
      "after",
      `
Writes <run-dir>/doctor/: doctor.md (pasteable into a pull request), doctor.json
and fix-N.patch, one per diagnosis with a fix, and a doctor section in
report.html. A patch is a unified diff of the file at fault (your
gunicorn.conf.py, nginx.conf or Dockerfile, or the scenario's own YAML for
drainlab's fixture stack), never applied: apply it from that file's folder
with \`git apply fix-N.patch\` or \`patch -p1 < fix-N.patch\`.

A failing check no rule explains is listed with its example requests; doctor
never guesses a fix. --verify confirms a fix only when every check it explains
passes in the new run (it reads the scenario file again: --set overrides of
the original run are not repeated).

Exit codes: 0 every failing check explained (and, with --verify, every fix
confirmed) or the run passed, 1 otherwise, 2 bad usage (no such run folder,
not a run folder, a report.json drainlab cannot read), 3 environment.`,
    )
    .action(async (dir: string, opts: { verify?: boolean }) => {
      const result = await runDoctor(dir, Boolean(opts.verify));
      state.setExitCode(doctorExitCode(result));
    });
}

import type { Command } from "commander";
import { ATTACH_VERIFY } from "../doctor/locate.ts";
import type { DoctorResult } from "../doctor/types.ts";
import type { Report } from "../records/report.ts";
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

/** --repeat's text as a whole number of runs, 1 to 1000; a usage error otherwise. */
export function parseRepeat(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isInteger(n) || n < 1 || n > 1000)
    throw new UsageError(`--repeat ${JSON.stringify(text)}: a whole number of runs from 1 to 1000`);
  return n;
}

/**
 * Diagnoses a run folder, writes <run-dir>/doctor/, prints the terminal text; with verify, runs the scenario
 * again per fix: once, or `repeat` times (--repeat N; without it, the size of the repeat an intermittent
 * failure came from).
 */
export async function runDoctor(runDir: string, verify: boolean, repeat?: number): Promise<DoctorResult> {
  const [
    { diagnose, intermittentRepeat, loadRun, renderText, writeDoctor },
    { verifyFixes },
    { runRepeat },
    { runScenario },
    { loadScenario },
  ] = await Promise.all([
    import("../doctor/doctor.ts"),
    import("../doctor/verify.ts"),
    import("../run/repeat.ts"),
    import("../run/run.ts"),
    import("../scenario/load-scenario.ts"),
  ]);
  const run = loadRun(runDir);
  const result = diagnose(run);
  if (verify && result.diagnoses.some((d) => d.fix)) {
    const file = run.report.scenario.file;
    if (!file) throw new UsageError(`${runDir}: the run names no scenario file to run again`);
    const flaky = repeat === undefined ? intermittentRepeat(run) : null;
    const runs = repeat ?? flaky?.runs ?? 1;
    if (runs > 1)
      result.verify_repeat = {
        runs,
        why: flaky
          ? `the failure was intermittent (${flaky.failed} of ${flaky.runs} runs of ${flaky.file} failed): each fix is run as many times`
          : `--repeat ${runs}`,
      };
    const { progress, log, onProgress } = runsProgress();
    const started = Date.now();
    let total = 0;
    try {
      await withInterrupt(
        (signal) =>
          verifyFixes(
            result,
            run.report,
            async (sets, label, n) => {
              const began = Date.now();
              const outDir = `${run.dir}/doctor/verify/${label}`;
              const scenario = loadScenario(file, sets);
              let reports: Report[];
              let folder: string;
              if (n === 1) {
                total++;
                const outcome = await runScenario(scenario, { scenarioFile: file, outDir, signal, log, onProgress });
                reports = [outcome.report];
                folder = outcome.runDir;
              } else {
                // the same runner as drainlab run --repeat: N runs, each in its folder, repeat.json beside them
                reports = [];
                const outcome = await runRepeat(scenario, n, {
                  scenarioFile: file,
                  outDir,
                  signal,
                  log,
                  onProgress,
                  onRun: (i, report, dir) => {
                    total++;
                    reports.push(report);
                    progress.done();
                    err(`verify    ${label} run ${i}/${n}: ${report.verdict.toUpperCase()}  ${dir}`);
                  },
                });
                folder = outcome.dir;
              }
              progress.done();
              err(
                `verify    ${label}: ${reports.map((r) => r.verdict.toUpperCase()).join(" ")} in ${((Date.now() - began) / 1000).toFixed(1)} s (the original run: ${run.report.wall_time_s} s)`,
              );
              return { reports, runDir: folder };
            },
            log,
            runs,
          ),
        err,
      );
    } finally {
      progress.done();
    }
    result.verify_time = { original_run_s: run.report.wall_time_s, verify_s: Math.round((Date.now() - started) / 100) / 10, runs: total };
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
    .option(
      "--repeat <n>",
      "with --verify: each re-run is n runs (drainlab run --repeat's runner); a fix is confirmed only when all n pass its checks",
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

Attach runs: doctor reads the attached system's settings only from the
Kubernetes manifests the scenario names in attach.manifests (relative to it):
in the workload of the drained pod, terminationGracePeriodSeconds, the preStop
sleep and gunicorn's --graceful-timeout (uvicorn's --timeout-graceful-shutdown)
in the container's command/args. Its fixes are patches of those files.

A failing check no rule explains is listed with its example requests; doctor
never guesses a fix. --verify confirms a fix only when every check it explains
passes in the new run (it reads the scenario file again: --set overrides of
the original run are not repeated). With --repeat n, or without it when the
run is one of a repeat (repeat.json in its parent folder) that both passed and
failed, each re-run is a repeat of n runs (of the repeat's size): a fix is
confirmed only when all n pass its checks, and the table says "passed k of n"
with the rate's 95% bound. An attach run is never re-run: --verify says
"${ATTACH_VERIFY}".

Exit codes: 0 every failing check explained (and, with --verify, every fix
confirmed; an attach run's fixes are not) or the run passed, 1 otherwise,
2 bad usage (no such run folder, not a run folder, a report.json drainlab
cannot read, a manifest in attach.manifests missing or not YAML, --repeat
without --verify or outside 1-1000), 3 environment.`,
    )
    .action(async (dir: string, opts: { verify?: boolean; repeat?: string }) => {
      const repeat = parseRepeat(opts.repeat);
      if (repeat !== undefined && !opts.verify)
        throw new UsageError("--repeat n is the number of runs of each --verify re-run: give --verify too");
      const result = await runDoctor(dir, Boolean(opts.verify), repeat);
      state.setExitCode(doctorExitCode(result));
    });
}

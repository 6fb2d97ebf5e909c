import type { Command } from "commander";
import { parseRange } from "../tune/range.ts";
import { SAFETY_SHARE, STOP_WAIT_MARGIN_S } from "../tune/recommend.ts";
import { ExitCode, UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { printable, shown } from "../util/text.ts";
import { withInterrupt } from "./interrupt.ts";
import type { CommandState } from "./options.ts";
import { collect, err, runsProgress } from "./options.ts";

export const DEFAULT_REPEATS = 3;

export function register(program: Command, state: CommandState): void {
  program
    .command("tune")
    .description("find the smallest value of one field that passes, by bisection on the real stack, and recommend a value with a margin")
    .argument("<scenario>", "scenario YAML file")
    .requiredOption("--param <dotted.path>", "the numeric field to search, e.g. stack.uvicorn.timeout_graceful_shutdown_s")
    .requiredOption("--range <lo..hi>", "the values to search, e.g. 1..10")
    .option("--step <s>", "grid step (values lo, lo+step, ..., hi)", "1")
    .option("--repeats <n>", "runs a value needs, all passing, to count as passing", String(DEFAULT_REPEATS))
    .option("--set <key=value>", "override a scenario field in every run (repeatable)", collect, [])
    .option("--out <dir>", "parent folder for the tune folder", "reports")
    .addHelpText(
      "after",
      `
Bisection over the step grid, assuming that if a value passes every larger one
would. A value passes only when all its --repeats runs pass; its first failing
run ends its probe, since a lost request is proof. Each run is a fresh stack.

The recommendation is max(1 s, ${SAFETY_SHARE * 100}%) above the smallest passing value (1000 ms
for *_ms fields, one step for unitless ones), rounded up to the grid. For
stack.uvicorn.timeout_graceful_shutdown_s it adds gunicorn graceful_timeout
>= that + 1 s and a stop wait (docker stop -t) = graceful_timeout + ${STOP_WAIT_MARGIN_S} s.

Writes <out>/tune-<id>/: tune.json, summary.md, and every run under runs/.
Exit codes: 0 a value passed (recommendation made), 1 no value in the range
passed, 2 bad usage (or lint errors at every value), 3 environment, 130 interrupted.

Example:
  drainlab tune scenarios/tune/long-tail.yaml --param stack.uvicorn.timeout_graceful_shutdown_s --range 1..10 --repeats 2`,
    )
    .action(async (file: string, opts: { param: string; range: string; step: string; repeats: string; set: string[]; out: string }) => {
      const repeats = Number(opts.repeats);
      if (!Number.isInteger(repeats)) throw new UsageError(`--repeats ${shown(opts.repeats)}: expected a whole number from 1 to 10`);
      // before planning, so the first line says what is wrong (runTune checks again, for other callers)
      ensureWritableDir("--out", opts.out, "the tune folder");
      const [{ planTune, runTune }, { renderTuneText }] = await Promise.all([import("../tune/tune.ts"), import("../tune/tune-report.ts")]);
      const plan = planTune(file, opts.param, parseRange(opts.range, opts.step), repeats, opts.set);
      err(`tune      ${plan.param} over ${plan.values.join(", ")}; ${plan.repeats} repeat(s) per passing value`);
      for (const [end, findings] of [
        ["lo", plan.lint.get(plan.values[0]!)!],
        ["hi", plan.lint.get(plan.values[plan.values.length - 1]!)!],
      ] as const) {
        for (const f of findings) err(printable(`lint ${end}   ${f.severity} ${f.code}: ${f.message}`));
      }
      const { progress, log, onProgress } = runsProgress();
      try {
        const { tune, dir } = await withInterrupt(
          (signal) =>
            runTune(plan, {
              outDir: opts.out,
              signal,
              log,
              onProgress,
              onRun: (event, value, repeat, summary) => {
                progress.done();
                if (event === "start") err(`run       ${plan.param}=${value}  repeat ${repeat}/${plan.repeats}`);
                else if (summary)
                  err(
                    `run       ${plan.param}=${value}  ${summary.verdict.toUpperCase()}  ${summary.failing_checks.join(", ") || "all checks passed"}  ${summary.wall_time_s} s`,
                  );
              },
            }),
          err,
        );
        process.stdout.write(printable(renderTuneText(tune, dir), { keepNewlines: true }));
        state.setExitCode(tune.recommendation ? ExitCode.pass : ExitCode.checkFailed);
      } finally {
        progress.done();
      }
    });
}

import { dirname, resolve } from "node:path";
import { Command, CommanderError } from "commander";
import { registerCommands } from "./cli/commands.ts";
import { withInterrupt } from "./cli/interrupt.ts";
import { DrainlabError, EnvironmentError, ExitCode, UsageError } from "./util/errors.ts";
import { ensureWritableDir } from "./util/out-dir.ts";
import { logLine, printable } from "./util/text.ts";
import { VERSION } from "./util/version.ts";

// Each command imports what it runs when it runs: `drainlab lint` or `--help` loads neither the Docker client nor the
// load generator nor the report views (half of its start-up: 1.4 s -> 0.65 s), a shard process no Docker client.
const collect = (value: string, previous: string[]) => [...previous, value];
const err = logLine;

export async function main(argv: string[]): Promise<number> {
  const program = new Command("drainlab")
    .version(VERSION)
    .description("Drain a node of a real nginx -> gunicorn -> uvicorn -> FastAPI stack under load and prove nothing was lost.")
    .exitOverride()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode: number = ExitCode.pass;

  program
    .command("run")
    .description("run a scenario: stack up, load, drain, verdict, reports")
    .argument("<scenario>", "scenario YAML file")
    .option("--set <key=value>", "override a scenario field by dotted path (repeatable)", collect, [])
    .option("--out <dir>", "parent folder for the run folder", "reports")
    .option(
      "--baseline <report.json>",
      "fail when p99 during the drain or a loss count is worse than this earlier run's (tolerance: checks.baseline_tolerance)",
    )
    .option("--repeat <n>", "run it n times and state the outcome as a rate with its 95% upper bound (default: expect.repeat, 1)")
    .option("--accept-client-only", "attach.client_only: let a run judged on the client's ledger alone pass (checks.client_only_ok)")
    .option("--doctor", "when the run fails, explain it as `drainlab doctor <run-dir>` does (writes <run-dir>/doctor/)")
    .action(
      async (
        file: string,
        opts: { set: string[]; out: string; baseline?: string; repeat?: string; acceptClientOnly?: boolean; doctor?: boolean },
      ) => {
        const [{ loadScenario }, { readBaseline }, { LiveProgress }] = await Promise.all([
          import("./scenario/load-scenario.ts"),
          import("./records/baseline.ts"),
          import("./report/progress.ts"),
        ]);
        const scenario = loadScenario(file, [...opts.set, ...(opts.acceptClientOnly ? ["checks.client_only_ok=true"] : [])]);
        const repeat = opts.repeat === undefined ? scenario.expect.repeat : Number(opts.repeat);
        if (!Number.isInteger(repeat) || repeat < 1 || repeat > 1000)
          throw new UsageError(`--repeat ${JSON.stringify(opts.repeat)}: a whole number from 1 to 1000`);
        // refused here, before anything starts: a --out no run folder can go in (under /proc a recursive mkdir spins
        // forever) and a --baseline that is not a report.json
        if (opts.baseline !== undefined) readBaseline(opts.baseline);
        ensureWritableDir("--out", opts.out, "the run folder");
        const progress = new LiveProgress();
        const color = Boolean(process.stdout.isTTY) && !process.env.NO_COLOR;
        if (repeat > 1) {
          if (opts.doctor)
            throw new UsageError(
              "--doctor explains one run: run it without --repeat, or run drainlab doctor on a run folder of the repeat",
            );
          const [{ runRepeat }, { renderRepeatTerminal }] = await Promise.all([
            import("./run/repeat.ts"),
            import("./report/repeat-view.ts"),
          ]);
          try {
            const { repeat: result, dir } = await withInterrupt(
              (signal) =>
                runRepeat(scenario, repeat, {
                  scenarioFile: file,
                  outDir: opts.out,
                  baselineFile: opts.baseline,
                  signal,
                  log: err,
                  reporters: [progress],
                  onRun: (i, report, runDir) => {
                    progress.done();
                    const failing = report.checks.filter((c) => !c.ok).map((c) => c.name);
                    process.stdout.write(
                      `run ${i}/${repeat}  ${report.verdict.toUpperCase()}  ${failing.length ? `failing: ${failing.join(", ")}` : "every check passed"}  ${runDir}\n`,
                    );
                  },
                }),
              err,
            );
            process.stdout.write(renderRepeatTerminal(result));
            process.stdout.write(`report    ${dir}/repeat.json\n          ${dir}/report.html\n`);
            exitCode = result.gate === "pass" ? ExitCode.pass : ExitCode.checkFailed;
          } finally {
            progress.done();
          }
          return;
        }
        const [{ runScenario }, { terminalReporter }] = await Promise.all([
          import("./run/run.ts"),
          import("./report/terminal-reporter.ts"),
        ]);
        const terminal = terminalReporter((text) => process.stdout.write(text), color);
        try {
          const { report, runDir } = await withInterrupt(
            (signal) =>
              runScenario(scenario, {
                scenarioFile: file,
                outDir: opts.out,
                baselineFile: opts.baseline,
                signal,
                log: err,
                reporters: [progress, terminal],
              }),
            err,
          );
          exitCode = report.verdict === "pass" ? ExitCode.pass : ExitCode.checkFailed;
          progress.done();
          // the run's verdict stays its exit code; doctor only explains it
          if (opts.doctor && report.verdict === "fail") {
            try {
              const { runDoctor } = await import("./cli/doctor-command.ts");
              await runDoctor(runDir, false);
            } catch (e) {
              // a manifest named in attach.manifests that is gone or broken: said, and the run's exit code kept
              if (!(e instanceof UsageError)) throw e;
              err(`doctor    ${e.message}`);
            }
          }
        } finally {
          progress.done();
        }
      },
    );

  program
    .command("report")
    .description("redraw the views of a run from its report.json")
    .argument("<report.json>")
    .action(async (file: string) => {
      const [{ readReport }, { renderTerminal }, { fileReporters, writeViews }] = await Promise.all([
        import("./records/report-reader.ts"),
        import("./report/terminal.ts"),
        import("./report/write-views.ts"),
      ]);
      const report = readReport(file);
      let summary: string;
      try {
        summary = renderTerminal(report, Boolean(process.stdout.isTTY));
      } catch (e) {
        throw new UsageError(`${file}: cannot draw this report.json (${(e as Error).message})`);
      }
      const written = await writeViews(report, dirname(resolve(file)), err);
      process.stdout.write(summary);
      for (const path of written) process.stdout.write(`wrote     ${path}\n`);
      const views = fileReporters().length;
      // redrawing the views is this command's only job: one that could not be written is a failure of it
      if (written.length < views)
        throw new EnvironmentError(`${views - written.length} of ${views} views could not be written next to ${file} (see above)`);
      exitCode = report.verdict === "pass" ? ExitCode.pass : ExitCode.checkFailed;
    });

  program
    .command("judge")
    .description("run the checks again on a finished run's raw records; writes a new report.json and views")
    .argument("<run-dir>", "a run folder (holds report.json and raw/)")
    .option("--set <checks.key=value>", "override a checks.* field (repeatable), e.g. --set checks.allowed.cut-short=5", collect, [])
    .option("--baseline <report.json>", "compare with this earlier run (no-regression-vs-baseline)")
    .option("--out <dir>", "where the new report.json and views go (default: <run-dir>/judged)")
    .option("--accept-client-only", "attach.client_only: let a run judged on the client's ledger alone pass (checks.client_only_ok)")
    .action(async (dir: string, opts: { set: string[]; baseline?: string; out?: string; acceptClientOnly?: boolean }) => {
      const sets = [...opts.set, ...(opts.acceptClientOnly ? ["checks.client_only_ok=true"] : [])];
      const [{ rejudge }, { renderTerminal }] = await Promise.all([import("./run/rejudge.ts"), import("./report/terminal.ts")]);
      const { report, dir: out } = await rejudge(dir, { sets, baselineFile: opts.baseline, outDir: opts.out, log: err });
      process.stdout.write(renderTerminal(report, Boolean(process.stdout.isTTY) && !process.env.NO_COLOR));
      process.stdout.write(`report    ${out}/report.json\n`);
      exitCode = report.verdict === "pass" ? ExitCode.pass : ExitCode.checkFailed;
    });

  program
    .command("clean")
    .description("remove every container and network drainlab created (by label)")
    .action(async () => {
      const [{ ensureEngine }, { sweep }] = await Promise.all([import("./env/engine.ts"), import("./stack/sweep.ts")]);
      const docker = await ensureEngine(err);
      const removed = await sweep(docker);
      process.stdout.write(`removed ${removed.containers} container(s) and ${removed.networks} network(s)\n`);
    });

  program
    .command("setup")
    .description("start a Docker engine if none answers and build the images (what run does first)")
    .action(async () => {
      const [{ ensureEngine }, { ensureImages }] = await Promise.all([import("./env/engine.ts"), import("./env/images.ts")]);
      const docker = await ensureEngine(err);
      const images = await ensureImages(docker, err);
      process.stdout.write(`engine ok; images ${images.app}, ${images.nginx} (base ${images.base})\n`);
    });

  program
    .command("schema")
    .description("print the scenario JSON Schema (for editors)")
    .action(async () => {
      const { scenarioJsonSchema } = await import("./scenario/schema.ts");
      process.stdout.write(`${JSON.stringify(scenarioJsonSchema(), null, 2)}\n`);
    });

  registerCommands(program, { setExitCode: (code) => void (exitCode = code) });

  try {
    await program.parseAsync(argv, { from: "user" });
    return exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      return e.exitCode === 0 ? ExitCode.pass : ExitCode.usage;
    }
    if (e instanceof DrainlabError) {
      // messages quote file names, --set values and fields: shown, never obeyed by the terminal
      err(`drainlab: ${printable(e.message, { keepNewlines: true })}`);
      return e.exitCode;
    }
    // an engine that went away mid-command: only a command that reached it has its client loaded
    const { engineLost } = await import("./env/engine.ts");
    if (await engineLost()) {
      err(
        `drainlab: the Docker engine stopped answering (${(e as Error).message}); nothing was judged. Start it again and re-run; \`drainlab clean\` removes what is left.`,
      );
      return ExitCode.environment;
    }
    err(`drainlab: internal error: ${printable(e instanceof Error ? (e.stack ?? e.message) : String(e), { keepNewlines: true })}`);
    return ExitCode.environment;
  }
}

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import { loadScenario } from "../scenario/load-scenario.ts";
import { DrainlabError, ExitCode, UsageError } from "../util/errors.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { withInterrupt } from "./interrupt.ts";
import type { CommandState } from "./options.ts";
import { err } from "./options.ts";
import { readSoakFiles, renderSoakTable } from "./soak-table.ts";

/** One scenario run of a soak, as the table counts it. */
export interface SoakOutcome {
  scenario: string;
  round: number;
  met: boolean;
  verdict: string;
  failing: string[];
  detail: string;
  run_id: string;
}

/**
 * The catalog's lanes: `ci` is every scenario file directly under scenarios/ (what CI runs); `soak` is
 * scenarios/soak/, the scenarios that cannot reach 0 mismatches in 40 runs, each with its measured rate in
 * its comment (run by `npm run soak`, never by CI). Matrix and tune files live in their own subfolders.
 */
export function catalogFiles(lane: "ci" | "soak" | "all" = "ci", root = join(PROJECT_ROOT, "scenarios")): string[] {
  const yamls = (dir: string) =>
    readdirSync(dir)
      .filter((f) => f.endsWith(".yaml"))
      .sort()
      .map((f) => join(dir, f));
  return [...(lane === "soak" ? [] : yamls(root)), ...(lane === "ci" ? [] : yamls(join(root, "soak")))];
}

/**
 * A busy loop in its own process and its own session: holds one core for as long as it lives, as another
 * job on a busy CI machine would. Its own session, because with autogroups on a loop in drainlab's session
 * would share that session's raised weight (raiseSessionPriority) and take the stack's core instead of
 * another job's share.
 */
export function cpuHog(): ChildProcess {
  // out of drainlab's process group, no signal to the group reaches it: it ends itself once its parent is gone
  const loop = `const p = process.ppid; for (let i = 0; ; i++) if (i % 1e8 === 0 && process.ppid !== p) process.exit();`;
  const hog = spawn(process.execPath, ["-e", loop], { stdio: "ignore", detached: true });
  hog.unref();
  const end = () => hog.kill("SIGKILL");
  process.once("exit", end);
  hog.once("exit", () => process.removeListener("exit", end));
  return hog;
}

export function register(program: Command, state: CommandState): void {
  program
    .command("soak-table")
    .description(
      "one table of several soaks' results (soak-*.json files, or folders holding them): mismatches per scenario, idle and with one core held",
    )
    .argument("<paths...>", "soak-*.json files or the --out folders of `drainlab soak`")
    .action((paths: string[]) => {
      const soaks = readSoakFiles(paths);
      process.stdout.write(renderSoakTable(soaks));
      state.setExitCode(soaks.every((s) => s.soak.outcomes.every((o) => o.met)) ? ExitCode.pass : ExitCode.checkFailed);
    });
  program
    .command("soak")
    .description("run the catalog (or the given scenarios) several times and list every outcome that did not match its expectation")
    .argument("[scenarios...]", "scenario files (default: the catalog lanes given by --lane)")
    .option("--lane <lane>", "without files: ci (scenarios/*.yaml), soak (scenarios/soak/*.yaml) or all", "all")
    .option("--runs <n>", "rounds over the scenarios", "3")
    .option("--cpu-hog", "hold one core with a busy loop for the whole soak (a busy CI machine)")
    .option("--out <dir>", "parent folder for the run folders", "reports/soak")
    .action(async (files: string[], opts: { runs: string; cpuHog?: boolean; out: string; lane: string }) => {
      if (!["ci", "soak", "all"].includes(opts.lane)) throw new UsageError(`--lane ${JSON.stringify(opts.lane)}: ci, soak or all`);
      const rounds = Number(opts.runs);
      if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000)
        throw new UsageError(`--runs ${JSON.stringify(opts.runs)}: a whole number from 1 to 1000`);
      const scenarios = (files.length ? files.map((f) => resolve(f)) : catalogFiles(opts.lane as "ci" | "soak" | "all")).map((file) => ({
        file,
        scenario: loadScenario(file),
      }));
      const { runScenario } = await import("../run/run.ts");
      const startedAt = new Date().toISOString();
      const hog = opts.cpuHog ? cpuHog() : null;
      const outcomes: SoakOutcome[] = [];
      try {
        await withInterrupt(async (signal) => {
          for (let round = 1; round <= rounds; round++) {
            for (const { file, scenario } of scenarios) {
              const { report } = await runScenario(scenario, { scenarioFile: file, outDir: opts.out, signal });
              const failing = report.checks.filter((c) => !c.ok).map((c) => c.name);
              outcomes.push({
                scenario: scenario.name,
                round,
                met: report.expectation.met,
                verdict: report.verdict,
                failing,
                detail: report.expectation.detail,
                run_id: report.run_id,
              });
              err(
                `soak      round ${round}/${rounds} ${scenario.name}: ${report.expectation.met ? "as expected" : `MISMATCH: ${report.expectation.detail}`}`,
              );
            }
          }
        }, err);
      } catch (e) {
        if (!(e instanceof DrainlabError) || e.exitCode !== ExitCode.interrupted) throw e;
        err("soak      interrupted; the table covers the runs that finished");
      } finally {
        hog?.kill("SIGKILL");
      }
      const soak = { rounds, cpu_hog: Boolean(opts.cpuHog), commit: gitCommit(), started_at: startedAt, outcomes };
      let file = "this soak";
      if (outcomes.length > 0) {
        mkdirSync(opts.out, { recursive: true });
        file = join(opts.out, `soak-${Date.now()}.json`);
        writeFileSync(file, `${JSON.stringify(soak, null, 2)}\n`);
      }
      // the table soak-table prints, of this one soak
      process.stdout.write(renderSoakTable([{ file, soak }]));
      state.setExitCode(outcomes.every((o) => o.met) ? ExitCode.pass : ExitCode.checkFailed);
    });
}

/** The commit drainlab runs from, so soaks of different code are told apart (null outside a git checkout). */
function gitCommit(): string | null {
  try {
    return (
      execFileSync("git", ["rev-parse", "HEAD"], { cwd: PROJECT_ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim() ||
      null
    );
  } catch {
    return null;
  }
}

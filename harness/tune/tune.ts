import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { type CellRunOptions, type RunSummary, runCell } from "../matrix/cell.ts";
import { newRunId, type RunOptions } from "../run/run.ts";
import { type LintFinding, lintErrors, lintScenario } from "../scenario/lint.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import type { Scenario } from "../scenario/schema.ts";
import { UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { VERSION } from "../util/version.ts";
import { bisect } from "./bisect.ts";
import { gridValues, type TuneRange } from "./range.ts";
import { recommend } from "./recommend.ts";
import { evidenceOf, TUNE_RULE, TUNE_SCHEMA_VERSION, type TuneReport, writeTune } from "./tune-report.ts";

/** Every value of the grid resolved and linted: a bad --param, --range or --set fails here, before any container starts. */
export interface TunePlan {
  file: string;
  name: string;
  baseSets: string[];
  param: string;
  range: TuneRange;
  repeats: number;
  values: number[];
  scenarios: Map<number, Scenario>;
  lint: Map<number, LintFinding[]>;
}

function valueAt(root: unknown, path: string): { found: boolean; value: unknown } {
  let node: unknown = root;
  for (const key of path.split(".")) {
    if (node === null || typeof node !== "object" || !(key in (node as object))) return { found: false, value: undefined };
    node = (node as Record<string, unknown>)[key];
  }
  return { found: true, value: node };
}

export function planTune(file: string, param: string, range: TuneRange, repeats: number, sets: string[] = []): TunePlan {
  if (!Number.isInteger(repeats) || repeats < 1 || repeats > 10)
    throw new UsageError(`--repeats ${repeats}: expected a whole number from 1 to 10`);
  const base = loadScenario(file, sets);
  const current = valueAt(base, param);
  if (!current.found)
    throw new UsageError(`--param ${param}: no such field in the resolved scenario (e.g. stack.uvicorn.timeout_graceful_shutdown_s)`);
  if (current.value !== null && typeof current.value !== "number") {
    throw new UsageError(`--param ${param}: the field holds ${JSON.stringify(current.value)}, not a number; tune searches numeric fields`);
  }
  const values = gridValues(range);
  const scenarios = new Map<number, Scenario>();
  const lint = new Map<number, LintFinding[]>();
  for (const value of values) {
    let scenario: Scenario;
    try {
      scenario = loadScenario(file, [...sets, `${param}=${value}`]);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`--param ${param} at ${value}: ${e.message}`);
      throw e;
    }
    scenario = exercisingTheSignal(scenario);
    scenarios.set(value, scenario);
    lint.set(value, lintScenario(scenario));
  }
  // lint errors are configuration that fails whatever the timing: if every value has one, no run can pass
  const top = values[values.length - 1]!;
  const topErrors = lintErrors(lint.get(top)!);
  if (values.every((v) => lintErrors(lint.get(v)!).length > 0)) {
    throw new UsageError(
      `${file}: lint errors at every value of ${param} ${range.lo}..${range.hi}, so no run could pass:\n${topErrors.map((f) => `  ${f.code}: ${f.message}`).join("\n")}`,
    );
  }
  return { file, name: base.name, baseSets: sets, param, range, repeats, values, scenarios, lint };
}

export interface TuneOptions {
  /** Parent folder of tune-<id>/; default reports/. */
  outDir?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: RunOptions["onProgress"];
  /** Told before each run and after it (the CLI prints a line). */
  onRun?: (event: "start" | "end", value: number, repeat: number, summary?: RunSummary) => void;
  /** Replaceable for tests; default: a real run on a fresh stack. */
  runCell?: (scenario: Scenario, options: CellRunOptions) => Promise<RunSummary>;
}

/**
 * Bisects the grid for the smallest value that passes (see bisect.ts), each run
 * on a fresh stack, then recommends a value with a margin and the chain around
 * it. Writes tune.json and summary.md into <outDir>/tune-<id>/ (runs under
 * runs/), also when interrupted or failing, then rethrows.
 */
export async function runTune(plan: TunePlan, options: TuneOptions = {}): Promise<{ tune: TuneReport; dir: string; written: string[] }> {
  const run = options.runCell ?? runCell;
  const tuneId = `tune-${newRunId()}`;
  // --out checked (and made) before any run starts: a file, a read-only folder or /proc is exit 2 naming it
  const dir = join(ensureWritableDir("--out", options.outDir ?? "reports", "the tune folder"), tuneId);
  const runsDir = join(dir, "runs");
  mkdirSync(runsDir, { recursive: true });
  const wallStart = performance.now();
  const tune: TuneReport = {
    schema_version: TUNE_SCHEMA_VERSION,
    kind: "drainlab-tune",
    tune_id: tuneId,
    drainlab_version: VERSION,
    started_at: new Date().toISOString(),
    wall_time_s: 0,
    scenario: { name: plan.name, file: plan.file },
    base_sets: plan.baseSets,
    param: plan.param,
    range: plan.range,
    grid: plan.values,
    repeats: plan.repeats,
    rule: TUNE_RULE,
    evidence: [],
    smallest_passing: null,
    largest_failing: null,
    recommendation: null,
    recommendation_lint: [],
    lint_at_range: { lo: plan.lint.get(plan.values[0]!)!, hi: plan.lint.get(plan.values[plan.values.length - 1]!)! },
    interrupted: false,
  };

  // every run lands here first, so an interrupted search still reports what it saw
  const seen = new Map<number, { order: number; runs: RunSummary[] }>();
  const runOne = async (value: number, repeat: number) => {
    options.onRun?.("start", value, repeat);
    const summary = await run(plan.scenarios.get(value)!, {
      scenarioFile: plan.file,
      outDir: runsDir,
      baseDir: dir,
      log: options.log,
      onProgress: options.onProgress,
      signal: options.signal,
    });
    if (!seen.has(value)) seen.set(value, { order: seen.size + 1, runs: [] });
    seen.get(value)!.runs.push(summary);
    options.onRun?.("end", value, repeat, summary);
    return { ...summary, pass: summary.verdict === "pass" };
  };

  let failure: unknown;
  try {
    const result = await bisect(plan.values, runOne, { repeats: plan.repeats });
    tune.smallest_passing = result.smallestPassing;
    tune.largest_failing = result.largestFailing;
  } catch (e) {
    failure = e;
    tune.interrupted = Boolean(options.signal?.aborted);
    tune.error = tune.interrupted ? undefined : e instanceof Error ? e.message : String(e);
  }
  tune.evidence = [...seen.entries()]
    .map(([value, { order, runs }]) =>
      evidenceOf(value, order, runs, runs.length === plan.repeats && runs.every((r) => r.verdict === "pass")),
    )
    .sort((a, b) => a.value - b.value);
  if (tune.smallest_passing !== null) {
    tune.recommendation = recommend(plan.param, tune.smallest_passing, plan.range);
    try {
      tune.recommendation_lint = lintScenario(loadScenario(plan.file, [...plan.baseSets, ...tune.recommendation.sets]));
    } catch (e) {
      tune.error = `the recommended settings do not validate: ${e instanceof Error ? e.message : String(e)}`;
    }
  }
  tune.wall_time_s = Math.round((performance.now() - wallStart) / 10) / 100;
  const written = writeTune(tune, dir);
  if (failure !== undefined) throw failure;
  return { tune, dir, written };
}

/**
 * A cell that held nothing at its SIGTERM passed without testing the graceful limit: a recommendation
 * cannot rest on it. tune asks every cell for at least one in flight (more if the scenario asks more).
 */
export function exercisingTheSignal(scenario: Scenario): Scenario {
  const asked = scenario.checks.min_in_flight_at_signal;
  if (asked !== null && asked >= 1) return scenario;
  return { ...scenario, checks: { ...scenario.checks, min_in_flight_at_signal: 1 } };
}

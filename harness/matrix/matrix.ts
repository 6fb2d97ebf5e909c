import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { newRunId, type RunOptions } from "../run/run.ts";
import { type LintFinding, lintScenario } from "../scenario/lint.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import type { Scenario } from "../scenario/schema.ts";
import { DrainlabError, ExitCode, UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { shown } from "../util/text.ts";
import { VERSION } from "../util/version.ts";
import { type CellRunOptions, type RunSummary, runCell } from "./cell.ts";
import {
  axesFromMapping,
  cellCount,
  DEFAULT_MAX_CELLS,
  type GridAxis,
  type GridCell,
  gridCells,
  mergeAxes,
  parseGridOption,
} from "./grid.ts";
import {
  DRAIN_P99_SOURCE,
  MATRIX_EXIT_RULE,
  MATRIX_SCHEMA_VERSION,
  type MatrixReport,
  matrixVerdict,
  pendingCell,
} from "./matrix-report.ts";
import { writeMatrix } from "./write-matrix.ts";

/** Every cell resolved and linted: a bad --grid or --set fails here, before any container starts. */
export interface MatrixPlan {
  file: string;
  name: string;
  baseSets: string[];
  axes: GridAxis[];
  cells: Array<{ cell: GridCell; scenario: Scenario; lint: LintFinding[] }>;
}

export function planMatrix(file: string, gridOptions: string[], sets: string[] = [], options: { maxCells?: number } = {}): MatrixPlan {
  const maxCells = options.maxCells ?? DEFAULT_MAX_CELLS;
  const base = loadScenario(file, sets);
  const axes = mergeAxes(axesFromMapping(base.grid), gridOptions.map(parseGridOption));
  if (axes.length === 0)
    throw new UsageError(`${shown(file)}: no grid; pass --grid key=v1,v2 (repeatable) or add a grid: mapping to the scenario`);
  // counted before any cell is made or loaded: 100 x 100 values would be 10,000 runs of minutes each
  const count = cellCount(axes);
  if (count > maxCells)
    throw new UsageError(
      `the grid makes ${count} cells (${axes.map((a) => `${shown(a.key, 80)} ${a.values.length}`).join(" x ")}), more than --max-cells ${maxCells}; ` +
        `pass --max-cells ${count} to run them all, or give fewer values`,
    );
  const cells = gridCells(axes).map((cell) => {
    let scenario: Scenario;
    try {
      scenario = loadScenario(file, [...sets, ...cell.sets]);
    } catch (e) {
      if (e instanceof UsageError) throw new UsageError(`matrix cell ${cell.index + 1} (${cell.label}): ${e.message}`);
      throw e;
    }
    return { cell, scenario, lint: lintScenario(scenario) };
  });
  return { file, name: base.name, baseSets: sets, axes, cells };
}

export interface MatrixOptions {
  /** Parent folder of matrix-<id>/; default reports/. */
  outDir?: string;
  log?: (line: string) => void;
  signal?: AbortSignal;
  onProgress?: RunOptions["onProgress"];
  /** Told before and after each cell (the CLI prints a line). */
  onCell?: (event: "start" | "end", cell: MatrixReport["cells"][number], total: number) => void;
  /** Replaceable for tests; default: a real run on a fresh stack. */
  runCell?: (scenario: Scenario, options: CellRunOptions) => Promise<RunSummary>;
}

/**
 * Runs every cell in turn, each on a fresh stack (images reused), then writes
 * matrix.json and its views into <outDir>/matrix-<id>/ (cells under cells/).
 * An interrupted matrix still writes what it has, then throws the interrupt.
 */
export async function runMatrix(
  plan: MatrixPlan,
  options: MatrixOptions = {},
): Promise<{ matrix: MatrixReport; dir: string; written: string[] }> {
  const log = options.log ?? (() => {});
  const run = options.runCell ?? runCell;
  const matrixId = `matrix-${newRunId()}`;
  // --out checked (and made) before any cell starts: a file, a read-only folder or /proc is exit 2 naming it
  const dir = join(ensureWritableDir("--out", options.outDir ?? "reports", "the matrix folder"), matrixId);
  const cellsDir = join(dir, "cells");
  mkdirSync(cellsDir, { recursive: true });
  const wallStart = performance.now();
  const matrix: MatrixReport = {
    schema_version: MATRIX_SCHEMA_VERSION,
    kind: "drainlab-matrix",
    matrix_id: matrixId,
    drainlab_version: VERSION,
    started_at: new Date().toISOString(),
    wall_time_s: 0,
    scenario: { name: plan.name, file: plan.file },
    base_sets: plan.baseSets,
    axes: plan.axes,
    verdict: "pass",
    exit_rule: MATRIX_EXIT_RULE,
    drain_p99_source: DRAIN_P99_SOURCE,
    interrupted: false,
    cells: plan.cells.map(({ cell, lint }) => pendingCell(cell, lint)),
  };

  let interrupt: unknown;
  for (const [i, { scenario }] of plan.cells.entries()) {
    const cell = matrix.cells[i]!;
    if (options.signal?.aborted) {
      interrupt = options.signal.reason;
      break;
    }
    options.onCell?.("start", cell, plan.cells.length);
    try {
      cell.run = await run(scenario, {
        scenarioFile: plan.file,
        outDir: cellsDir,
        baseDir: dir,
        log,
        onProgress: options.onProgress,
        signal: options.signal,
      });
      cell.status = cell.run.verdict;
    } catch (e) {
      if (options.signal?.aborted || (e instanceof DrainlabError && e.exitCode === ExitCode.interrupted)) {
        interrupt = e;
        break;
      }
      cell.status = "error";
      cell.error = e instanceof Error ? e.message : String(e);
      log(`drainlab: matrix cell ${i + 1} (${cell.label}) could not run: ${cell.error}`);
    }
    options.onCell?.("end", cell, plan.cells.length);
  }

  matrix.interrupted = interrupt !== undefined;
  matrix.verdict = matrixVerdict(matrix.cells);
  matrix.wall_time_s = Math.round((performance.now() - wallStart) / 10) / 100;
  const written = writeMatrix(matrix, dir, log);
  if (interrupt !== undefined) throw interrupt;
  return { matrix, dir, written };
}

/** The command's exit code for a finished matrix (see MATRIX_EXIT_RULE). */
export function matrixExitCode(m: MatrixReport): number {
  return m.verdict === "error" ? ExitCode.environment : m.verdict === "fail" ? ExitCode.checkFailed : ExitCode.pass;
}

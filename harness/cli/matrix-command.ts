import type { Command } from "commander";
import { DEFAULT_MAX_CELLS } from "../matrix/grid.ts";
import { MATRIX_EXIT_RULE } from "../matrix/matrix-report.ts";
import { UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { printable, shown } from "../util/text.ts";
import { withInterrupt } from "./interrupt.ts";
import type { CommandState } from "./options.ts";
import { collect, err, runsProgress } from "./options.ts";

/** --max-cells itself has a ceiling: past it even planning (every cell loaded and linted) takes long. */
const MAX_MAX_CELLS = 100_000;

export function register(program: Command, state: CommandState): void {
  program
    .command("matrix")
    .description("run a scenario once per combination of values (a grid), each on a fresh stack; one combined report")
    .argument("<scenario>", "scenario YAML file (its grid: mapping, if any, gives the axes)")
    .option(
      "--grid <key=v1,v2>",
      "an axis: a dotted field and its values, comma-separated (repeatable; replaces the file's axis of that key)",
      collect,
      [],
    )
    .option("--set <key=value>", "override a scenario field in every cell (repeatable)", collect, [])
    .option("--out <dir>", "parent folder for the matrix folder", "reports")
    .option("--max-cells <n>", "refuse a grid of more cells than this (each is a full run on a fresh stack)", String(DEFAULT_MAX_CELLS))
    .addHelpText(
      "after",
      `
Writes <out>/matrix-<id>/: matrix.json, matrix.html (heatmaps and the cell table),
junit.xml (one testsuite per cell), summary.md; every cell's own run folder is
under cells/. Every cell is resolved and linted before any container starts.
"p99 drain" is the p99 latency of the requests due while the node drained
(client ledger rows with intendedMs in [drain.start_ms, drain.exit_ms]).

At most --max-cells cells (default ${DEFAULT_MAX_CELLS}); a larger grid is refused before anything starts.

Exit codes: ${MATRIX_EXIT_RULE}; 2 for a bad scenario, --grid, --set, --out or --max-cells.

Example:
  drainlab matrix scenarios/matrix/graceful-vs-request.yaml \\
    --grid stack.uvicorn.timeout_graceful_shutdown_s=1,5 --grid load.mix.0.ms=200,2500`,
    )
    .action(async (file: string, opts: { grid: string[]; set: string[]; out: string; maxCells: string }) => {
      const maxCells = Number(opts.maxCells);
      if (!/^\d+$/.test(opts.maxCells.trim()) || maxCells < 1 || maxCells > MAX_MAX_CELLS)
        throw new UsageError(`--max-cells ${shown(opts.maxCells)}: expected a whole number from 1 to ${MAX_MAX_CELLS}`);
      // before planning, so the first line says what is wrong (runMatrix checks again, for other callers)
      ensureWritableDir("--out", opts.out, "the matrix folder");
      const [{ matrixExitCode, planMatrix, runMatrix }, { renderMatrixText }] = await Promise.all([
        import("../matrix/matrix.ts"),
        import("../matrix/matrix-text.ts"),
      ]);
      const plan = planMatrix(file, opts.grid, opts.set, { maxCells });
      const errors = plan.cells.filter((c) => c.lint.some((f) => f.severity === "error")).length;
      err(
        `matrix    ${plan.cells.length} cells over ${plan.axes.map((a) => `${printable(a.key)} (${a.values.length})`).join(" x ")}; lint errors in ${errors} cell(s)`,
      );
      const { progress, log, onProgress } = runsProgress();
      try {
        const { matrix, dir } = await withInterrupt(
          (signal) =>
            runMatrix(plan, {
              outDir: opts.out,
              signal,
              log,
              onProgress,
              onCell: (event, cell, total) => {
                progress.done();
                // grid values and errors come from the scenario: shown, never obeyed by the terminal
                if (event === "start") err(`cell ${cell.index + 1}/${total}  ${printable(cell.label)}`);
                else
                  err(
                    printable(
                      `cell ${cell.index + 1}/${total}  ${cell.status.toUpperCase()}${cell.run ? `  ${cell.run.failing_checks.join(", ") || "all checks passed"}  ${cell.run.wall_time_s} s` : `  ${cell.error ?? ""}`}`,
                    ),
                  );
              },
            }),
          err,
        );
        process.stdout.write(printable(renderMatrixText(matrix, dir), { keepNewlines: true }));
        state.setExitCode(matrixExitCode(matrix));
      } finally {
        progress.done();
      }
    });
}

import type { LintFinding } from "../scenario/lint.ts";
import type { RunSummary } from "./cell.ts";
import type { GridAxis, GridCell, GridValue } from "./grid.ts";

export const MATRIX_SCHEMA_VERSION = 1;

export const MATRIX_EXIT_RULE =
  "exit 0 when every cell passed; 1 when any cell's verdict is fail (the rule of `run`, cell by cell; the scenario's expect is shown per cell but does not change the exit code); " +
  "3 when a cell could not run (environment); 130 when interrupted";

export const DRAIN_P99_SOURCE =
  "client-ledger rows (raw/client-ledger.jsonl) whose intendedMs falls in a drain window [drain.start_ms, drain.exit_ms], HDR p99 of their latency from the intended send time";

/** One cell: the grid values, the lint of its resolved scenario, and its run (or why it has none). */
export interface MatrixCell {
  index: number;
  label: string;
  values: Record<string, GridValue>;
  sets: string[];
  /** pass/fail: the run's verdict; error: the run could not be made; skipped: not reached (interrupted). */
  status: "pass" | "fail" | "error" | "skipped";
  lint: LintFinding[];
  run: RunSummary | null;
  error?: string;
}

/** matrix.json: the canonical output of `drainlab matrix`; matrix.html, junit.xml and summary.md are views of it. */
export interface MatrixReport {
  schema_version: number;
  kind: "drainlab-matrix";
  matrix_id: string;
  drainlab_version: string;
  started_at: string;
  wall_time_s: number;
  scenario: { name: string; file: string };
  /** --set overrides applied to every cell, before the cell's own values. */
  base_sets: string[];
  axes: GridAxis[];
  verdict: "pass" | "fail" | "error";
  exit_rule: string;
  drain_p99_source: string;
  interrupted: boolean;
  cells: MatrixCell[];
}

export function pendingCell(cell: GridCell, lint: LintFinding[]): MatrixCell {
  return { index: cell.index, label: cell.label, values: cell.values, sets: cell.sets, status: "skipped", lint, run: null };
}

/** error beats fail beats pass; skipped cells (an interrupted matrix) count as nothing. */
export function matrixVerdict(cells: MatrixCell[]): MatrixReport["verdict"] {
  if (cells.some((c) => c.status === "error")) return "error";
  if (cells.some((c) => c.status === "fail")) return "fail";
  return "pass";
}

/** The largest loss class of a run: what the heatmap's shade shows (a request can be in several classes, so they are not added). */
export function worstLoss(run: RunSummary | null): number {
  return run ? Math.max(0, ...Object.values(run.counts)) : 0;
}

/** `failed 20, cut-short 20`: only the non-zero classes, or "none". */
export function lossText(counts: Record<string, number>): string {
  const parts = Object.entries(counts)
    .filter(([, n]) => n > 0)
    .map(([k, n]) => `${k} ${n}`);
  return parts.join(", ") || "none";
}

/** The heatmap's layout: the first axis down, every other axis combined across. */
export function heatmapLayout(m: Pick<MatrixReport, "axes" | "cells">): {
  rowAxis: string;
  colLabel: string;
  rows: string[];
  cols: string[];
  at: (r: number, c: number) => MatrixCell | undefined;
} {
  const [first, ...rest] = m.axes;
  const rowKey = (cell: MatrixCell) => (first ? String(cell.values[first.key]) : "");
  const colKey = (cell: MatrixCell) =>
    rest.length === 0
      ? "all"
      : rest.length === 1
        ? String(cell.values[rest[0]!.key])
        : rest.map((a) => `${a.key}=${String(cell.values[a.key])}`).join(" ");
  const rows = [...new Set(m.cells.map(rowKey))];
  const cols = [...new Set(m.cells.map(colKey))];
  const byPos = new Map(m.cells.map((c) => [`${rowKey(c)}\u0000${colKey(c)}`, c]));
  return {
    rowAxis: first?.key ?? "",
    colLabel: rest.map((a) => a.key).join(", ") || "",
    rows,
    cols,
    at: (r, c) => byPos.get(`${rows[r]}\u0000${cols[c]}`),
  };
}

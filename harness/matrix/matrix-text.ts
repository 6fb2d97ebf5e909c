import { escapeMarkdown } from "../report/markdown.ts";
import { heatmapLayout, lossText, type MatrixCell, type MatrixReport } from "./matrix-report.ts";

export const MATRIX_MARKDOWN_FILE = "summary.md";

const ms = (v: number | null | undefined) => (v === null || v === undefined ? "n/a" : `${Math.round(v)} ms`);

/** The per-cell table, shared by the terminal and summary.md. */
export function cellRows(m: MatrixReport): { head: string[]; rows: string[][] } {
  const keys = m.axes.map((a) => a.key);
  const head = [...keys, "verdict", "failing checks", "losses", "p99 drain", "lint", "run"];
  const rows = m.cells.map((c) => [
    ...keys.map((k) => String(c.values[k])),
    c.status.toUpperCase(),
    c.run ? c.run.failing_checks.join(", ") || "-" : "-",
    c.run ? lossText(c.run.counts) : (c.error ?? "not run"),
    ms(c.run?.drain_p99_ms),
    c.lint.map((f) => `${f.severity === "error" ? "E" : "W"}:${f.code}`).join(" ") || "clean",
    c.run?.run_id ?? "-",
  ]);
  return { head, rows };
}

/** The verdict heatmap as text: first axis down, the others across. */
export function heatmapRows(m: MatrixReport): { head: string[]; rows: string[][] } {
  const layout = heatmapLayout(m);
  const show = (c: MatrixCell | undefined) =>
    c ? `${c.status.toUpperCase()}${c.run ? ` (${lossText(c.run.counts)}) p99 ${ms(c.run.drain_p99_ms)}` : ""}` : "";
  return {
    head: [`${layout.rowAxis} \\ ${layout.colLabel || "cell"}`, ...layout.cols],
    rows: layout.rows.map((r, ri) => [r, ...layout.cols.map((_, ci) => show(layout.at(ri, ci)))]),
  };
}

export function textTable(head: string[], rows: string[][]): string[] {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => Math.min((r[i] ?? "").length, 60))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** What `drainlab matrix` prints at the end. */
export function renderMatrixText(m: MatrixReport, dir: string): string {
  const h = heatmapRows(m);
  const c = cellRows(m);
  return [
    `drainlab matrix ${m.scenario.name}  ${m.matrix_id}  ${m.cells.length} cells  ${m.wall_time_s} s${m.interrupted ? "  INTERRUPTED" : ""}`,
    "",
    ...textTable(h.head, h.rows),
    "",
    ...textTable(c.head, c.rows),
    "",
    `p99 drain: ${m.drain_p99_source}`,
    `verdict   ${m.verdict.toUpperCase()}  (${m.exit_rule})`,
    `matrix    ${dir}/matrix.json`,
    `          ${dir}/matrix.html`,
    "",
  ].join("\n");
}

function mdRow(cells: string[]): string {
  return `| ${cells.map(escapeMarkdown).join(" | ")} |`;
}

function mdTable(head: string[], rows: string[][]): string[] {
  return [mdRow(head), `| ${head.map(() => "---").join(" | ")} |`, ...rows.map(mdRow)];
}

/** summary.md: verdict, the heatmap and the cell table, for a PR or a CI step summary. */
export function renderMatrixMarkdown(m: MatrixReport): string {
  const mark = m.verdict === "pass" ? "✅ PASS" : "❌ FAIL";
  const h = heatmapRows(m);
  const c = cellRows(m);
  return [
    `## ${mark}: drainlab matrix ${escapeMarkdown(m.scenario.name)} (${m.cells.length} cells)`,
    "",
    `Axes: ${m.axes.map((a) => `\`${a.key}\` = ${a.values.map(String).join(", ")}`).join("; ")}${m.interrupted ? ". **Interrupted**: some cells did not run." : ""}`,
    "",
    ...mdTable(h.head, h.rows),
    "",
    ...mdTable(c.head, c.rows),
    "",
    `p99 drain: ${escapeMarkdown(m.drain_p99_source)}. Exit rule: ${escapeMarkdown(m.exit_rule)}.`,
    "",
    `${escapeMarkdown(m.matrix_id)}, started ${escapeMarkdown(m.started_at)}, ${m.wall_time_s} s, drainlab ${escapeMarkdown(m.drainlab_version)}; every cell's own report is in its run folder.`,
    "",
  ].join("\n");
}

import type { RepeatReport } from "../records/repeat-report.ts";
import { LOSS_CLASSES } from "../scenario/loss-classes.ts";
import { printable } from "../util/text.ts";
import { escapeHtml } from "./html-escape.ts";
import { escapeMarkdown } from "./markdown.ts";

/** The loss classes that any run of the repeat had: the columns worth showing. */
function lossColumns(r: RepeatReport): string[] {
  return LOSS_CLASSES.filter((c) => r.runs.some((run) => run.losses[c] > 0));
}

function cells(r: RepeatReport): { head: string[]; rows: string[][] } {
  const classes = lossColumns(r);
  const head = ["#", "run", "verdict", "expectation", ...classes, "in flight at signal", "p99 during drain", "not passing"];
  const rows = r.runs.map((run, i) => [
    String(i + 1),
    run.run_id,
    run.untrusted ? `${run.verdict} (not trustworthy)` : run.verdict,
    run.expectation_met ? "met" : "NOT met",
    ...classes.map((c) => String(run.losses[c as keyof typeof run.losses])),
    run.in_flight_at_signal === null || run.in_flight_at_signal === undefined ? "-" : String(run.in_flight_at_signal),
    run.p99_during_drain_ms === null ? "-" : `${run.p99_during_drain_ms} ms`,
    run.not_passing.join(", ") || "-",
  ]);
  return { head, rows };
}

/** The terminal's closing lines of a repeat: one line per run, then the statement. */
export function renderRepeatTerminal(r: RepeatReport): string {
  const lines = r.runs.map(
    (run, i) =>
      `run ${String(i + 1).padStart(3)}  ${run.run_id}  ${run.verdict.toUpperCase().padEnd(5)}  ${typeof run.in_flight_at_signal === "number" ? `${String(run.in_flight_at_signal).padStart(3)} in flight at signal  ` : ""}${printable(run.not_passing.join(", ") || "every check passed")}${run.untrusted ? "  (not trustworthy: not counted as a loss)" : ""}`,
  );
  return `${[
    "",
    `repeat    ${printable(r.scenario.name)}: ${r.runs.length} run(s) in ${r.wall_time_s} s`,
    ...lines,
    "",
    `gate      ${r.gate.toUpperCase()}   ${r.statement}`,
  ].join("\n")}\n`;
}

/** summary.md of a repeat: the statement, then each run's verdict and loss counts side by side. */
export function renderRepeatMarkdown(r: RepeatReport): string {
  const m = escapeMarkdown;
  const { head, rows } = cells(r);
  const line = (xs: string[]) => `| ${xs.join(" | ")} |`;
  return `${[
    `# drainlab repeat: ${m(r.scenario.name)}: ${r.gate === "pass" ? "✅ PASS" : "❌ **FAIL**"}`,
    "",
    m(r.statement),
    "",
    `Expected ${r.expected}; ${r.runs.length} of ${r.asked} run(s) finished in ${r.wall_time_s} s. Each run's own report is in its folder.`,
    "",
    line(head.map(m)),
    line(head.map(() => "---")),
    ...rows.map((row) => line(row.map(m))),
  ].join("\n")}\n`;
}

/** report.html of a repeat: a self-contained page with the statement and the side-by-side table, each run linked to its own report. */
export function renderRepeatHtml(r: RepeatReport): string {
  const h = escapeHtml;
  const { head, rows } = cells(r);
  const body = rows
    .map((row, i) => {
      const run = r.runs[i]!;
      const tds = row.map((c, j) => (j === 1 ? `<td><a href="${h(`${run.dir}/report.html`)}">${h(c)}</a></td>` : `<td>${h(c)}</td>`));
      return `<tr class="${run.verdict === "pass" ? "ok" : "bad"}">${tds.join("")}</tr>`;
    })
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>drainlab repeat: ${h(r.scenario.name)}</title>
<style>body{font:14px system-ui,sans-serif;margin:2em}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}tr.bad td{background:#fde8e8}.pass{color:#17692c}.fail{color:#b00020}</style>
</head><body>
<h1>drainlab repeat: ${h(r.scenario.name)} <span class="${h(r.gate)}">${h(r.gate.toUpperCase())}</span></h1>
<p><strong>${h(r.statement)}</strong></p>
<p>Expected ${h(r.expected)}; ${r.runs.length} of ${r.asked} run(s) finished in ${h(r.wall_time_s)} s.</p>
<table><thead><tr>${head.map((c) => `<th>${h(c)}</th>`).join("")}</tr></thead>
<tbody>
${body}
</tbody></table>
</body></html>
`;
}

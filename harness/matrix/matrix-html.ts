import { escapeHtml as e } from "../report/html-escape.ts";
import { LOSS_CLASSES } from "../scenario/loss-classes.ts";
import { heatmapLayout, lossText, type MatrixCell, type MatrixReport, worstLoss } from "./matrix-report.ts";

export const MATRIX_HTML_FILE = "matrix.html";

const CSS = `
:root { color-scheme: light; --ok: #1e7e34; --fail: #b52a1c; --muted: #5f6b76; --line: #dde2e6; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d252c; background: #f6f7f9; }
main { max-width: 1300px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; margin-right: 8px; }
.verdict.pass { background: var(--ok); } .verdict.fail, .verdict.error { background: var(--fail); }
.note, .meta { color: var(--muted); margin: 2px 0 8px; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td { font-variant-numeric: tabular-nums; }
table.heatmap td { text-align: center; min-width: 130px; padding: 8px 10px; border: 2px solid #fff; }
table.heatmap td b { display: block; font-size: 15px; }
table.heatmap th.corner { font-weight: 400; color: var(--muted); font-size: 12px; max-width: 260px; word-break: break-all; }
#cells tr.fail td.status, #cells tr.error td.status { color: var(--fail); font-weight: 600; }
#cells tr.pass td.status { color: var(--ok); font-weight: 600; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 13px; }
`;

/** Light to dark: green shades for a pass, red for a fail (darker with more losses), grey when there is no run. */
function verdictColour(cell: MatrixCell | undefined, maxLoss: number): { bg: string; fg: string } {
  if (!cell?.run) return { bg: "#d5d9dd", fg: "#1d252c" };
  if (cell.status === "pass") return { bg: "#cfe9d6", fg: "#0f3d1b" };
  const share = maxLoss > 0 ? Math.log1p(worstLoss(cell.run)) / Math.log1p(maxLoss) : 1;
  const light = Math.round(88 - share * 40);
  return { bg: `hsl(6, 70%, ${light}%)`, fg: light < 62 ? "#fff" : "#3d0d07" };
}

/** Sequential (log) scale between the fastest and the slowest cell's p99 during the drain. */
function latencyColour(p99: number | null, min: number, max: number): { bg: string; fg: string } {
  if (p99 === null) return { bg: "#d5d9dd", fg: "#1d252c" };
  const share = max > min ? (Math.log(p99) - Math.log(min)) / (Math.log(max) - Math.log(min)) : 0;
  const light = Math.round(92 - share * 50);
  return { bg: `hsl(32, 90%, ${light}%)`, fg: light < 60 ? "#fff" : "#3a2000" };
}

function heatmap(
  m: MatrixReport,
  id: string,
  title: string,
  note: string,
  body: (cell: MatrixCell | undefined) => { bg: string; fg: string; html: string },
): string {
  const layout = heatmapLayout(m);
  const corner = `<th class="corner">down: <code>${e(layout.rowAxis)}</code><br>across: <code>${e(layout.colLabel || "-")}</code></th>`;
  const head = `<tr>${corner}${layout.cols.map((c) => `<th>${e(c)}</th>`).join("")}</tr>`;
  const rows = layout.rows.map((r, ri) => {
    const tds = layout.cols.map((_, ci) => {
      const cell = layout.at(ri, ci);
      const { bg, fg, html } = body(cell);
      return `<td style="background:${e(bg)};color:${e(fg)}"${cell ? ` data-cell="${cell.index}" data-status="${e(cell.status)}"` : ""}>${html}</td>`;
    });
    return `<tr><th>${e(r)}</th>${tds.join("")}</tr>`;
  });
  return `<section><h2>${e(title)}</h2><p class="note">${e(note)}</p>\n<table class="heatmap" id="${e(id)}"><thead>${head}</thead><tbody>\n${rows.join("\n")}\n</tbody></table></section>`;
}

const ms = (v: number | null) => (v === null ? "n/a" : `${Math.round(v)} ms`);

function cellsTable(m: MatrixReport): string {
  const keys = m.axes.map((a) => a.key);
  const head = ["#", ...keys, "verdict", "failing checks", ...LOSS_CLASSES, "p99 during drain", "p99 overall", "lint", "wall", "run"];
  const rows = m.cells.map((c) => {
    const r = c.run;
    const lint = c.lint.length ? c.lint.map((f) => `${f.severity} ${f.code}`).join(", ") : "clean";
    const link = r ? `<a href="${e(r.report.replace(/report\.json$/, "report.html"))}">${e(r.run_id)}</a>` : e(c.error ?? "");
    const cells = [
      e(c.index + 1),
      ...keys.map((k) => `<code>${e(String(c.values[k]))}</code>`),
      e(c.status.toUpperCase()),
      e(r ? r.failing_checks.join(", ") || "none" : "-"),
      ...LOSS_CLASSES.map((lc) => e(r ? (r.counts[lc] ?? 0) : "-")),
      e(r ? ms(r.drain_p99_ms) : "-"),
      e(r ? ms(r.latency_p99_ms) : "-"),
      e(lint),
      e(r ? `${r.wall_time_s} s` : "-"),
      link,
    ];
    return `<tr class="${e(c.status)}" data-cell="${c.index}">${cells.map((x, i) => `<td${i === keys.length + 1 ? ' class="status"' : ""}>${x}</td>`).join("")}</tr>`;
  });
  return `<section><h2>Cells</h2>\n<table id="cells"><thead><tr>${head.map((h) => `<th>${e(h)}</th>`).join("")}</tr></thead><tbody>\n${rows.join("\n")}\n</tbody></table></section>`;
}

/** matrix.html: one self-contained page (no script) drawn from matrix.json alone. */
export function renderMatrixHtml(m: MatrixReport): string {
  const maxLoss = Math.max(0, ...m.cells.map((c) => worstLoss(c.run)));
  const p99s = m.cells.map((c) => c.run?.drain_p99_ms).filter((v): v is number => typeof v === "number" && v > 0);
  const [lo, hi] = [Math.min(...p99s), Math.max(...p99s)];
  const verdictMap = heatmap(
    m,
    "heatmap-verdict",
    "Verdict and losses",
    "Green: the cell passed. Red: it failed; the darker, the larger its largest loss class. Requests per loss class, then the failing checks.",
    (cell) => {
      const { bg, fg } = verdictColour(cell, maxLoss);
      if (!cell) return { bg, fg, html: "" };
      const lost = cell.run ? lossText(cell.run.counts) : (cell.error ?? "not run");
      const failing = cell.run?.failing_checks.length ? `<br><small>${e(cell.run.failing_checks.join(", "))}</small>` : "";
      return { bg, fg, html: `<b>${e(cell.status.toUpperCase())}</b>${e(lost)}${failing}` };
    },
  );
  const latencyMap = heatmap(
    m,
    "heatmap-p99",
    "p99 latency during the drain",
    `From the ${m.drain_p99_source}. Darker is slower (log scale).`,
    (cell) => {
      const p99 = cell?.run?.drain_p99_ms ?? null;
      const { bg, fg } = latencyColour(p99, lo, hi);
      return { bg, fg, html: cell ? `<b>${e(ms(p99))}</b>${e(cell.run ? `${cell.run.drain_requests} requests` : "")}` : "" };
    },
  );
  const title = `drainlab matrix ${m.verdict.toUpperCase()}: ${m.scenario.name} (${m.matrix_id})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${e(title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1><span class="verdict ${e(m.verdict)}" id="verdict">${e(m.verdict.toUpperCase())}</span>matrix: ${e(m.scenario.name)}</h1>
<p class="meta">${e(m.matrix_id)} &middot; started ${e(m.started_at)} &middot; ${e(m.wall_time_s)} s wall time &middot; ${e(m.cells.length)} cells &middot; drainlab ${e(m.drainlab_version)} &middot; ${e(m.scenario.file)}${m.interrupted ? " &middot; INTERRUPTED" : ""}</p>
<p class="note">Axes: ${m.axes.map((a) => `<code>${e(a.key)}</code> = ${e(a.values.map(String).join(", "))}`).join("; ")}${m.base_sets.length ? `; every cell also <code>${e(m.base_sets.join(" "))}</code>` : ""}. Exit rule: ${e(m.exit_rule)}.</p></header>
${verdictMap}
${latencyMap}
${cellsTable(m)}
</main>
</body>
</html>
`;
}

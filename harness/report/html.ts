import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Report } from "../records/report.ts";
import { chartData } from "./chart-data.ts";
import { describeDrains, describeLatency, describeRequests, evidenceLine, verdictQualifier } from "./describe.ts";
import { baselineOf, describeBaseline } from "./findings.ts";
import { escapeHtml as e, inlineScript, inlineStyle, jsonForScript } from "./html-escape.ts";
import { factsSection, faultsSection, lintSection } from "./html-faults.ts";
import { lossClassesSection, lossMarksLegend, storiesSection } from "./html-loss.ts";
import {
  checksSection,
  drainsSection,
  latencySection,
  parametersSection,
  phasesLegend,
  sessionsSection,
  stackSection,
  systemSection,
  timelineSection,
  timeoutChainSection,
} from "./html-sections.ts";
import { reconciliationOf } from "./loss-classes.ts";
import type { Reporter } from "./reporter.ts";

export const HTML_FILE = "report.html";

interface Assets {
  uplotJs: string;
  uplotCss: string;
  chartsJs: string;
}

let assets: Assets | undefined;

/** Read at render time from node_modules, so the page needs no network and the version is the pinned one. */
function loadAssets(): Assets {
  if (!assets) {
    const require = createRequire(import.meta.url);
    assets = {
      uplotJs: readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"),
      uplotCss: readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"),
      chartsJs: readFileSync(fileURLToPath(new URL("./charts-client.js", import.meta.url)), "utf8"),
    };
  }
  return assets;
}

const PAGE_CSS = `
:root { color-scheme: light; --ok: #1e7e34; --fail: #b52a1c; --muted: #5f6b76; --line: #dde2e6; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 0; color: #1d252c; background: #f6f7f9; }
main { max-width: 1200px; margin: 0 auto; padding: 20px 24px 48px; }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 17px; margin: 28px 0 8px; } h3 { font-size: 14px; margin: 16px 0 6px; }
.verdict { display: inline-block; padding: 2px 10px; border-radius: 4px; color: #fff; font-weight: 600; margin-right: 8px; }
.verdict.pass { background: var(--ok); } .verdict.fail { background: var(--fail); }
.note, .meta { color: var(--muted); margin: 2px 0 8px; }
dl.summary { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
dl.summary dt { color: var(--muted); } dl.summary dd { margin: 0; }
.chart { background: #fff; border: 1px solid var(--line); border-radius: 6px; padding: 8px 0 0; margin: 10px 0; overflow: hidden; }
ul.phases { list-style: none; padding: 0; margin: 8px 0; display: flex; flex-wrap: wrap; gap: 6px 18px; }
ul.phases li { display: flex; align-items: center; gap: 6px; }
.swatch { display: inline-block; width: 22px; height: 14px; }
table { border-collapse: collapse; background: #fff; border: 1px solid var(--line); width: 100%; }
th, td { text-align: left; padding: 4px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { background: #eef1f4; font-weight: 600; }
td { font-variant-numeric: tabular-nums; word-break: break-word; }
#checks tr.ok td:nth-child(2) { color: var(--ok); font-weight: 600; }
#checks tr.fail td:nth-child(2) { color: var(--fail); font-weight: 600; }
#checks tr.fail { background: #fdf0ee; }
#parameters td:first-child, #timeline td:nth-child(2) { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#loss-classes tr.fail td:nth-child(4) { color: var(--fail); font-weight: 600; }
#loss-classes tr.ok td:nth-child(4) { color: var(--ok); }
#loss-classes tr.fail { background: #fdf0ee; }
#loss-classes tr:not(.seen) td { color: var(--muted); }
#loss-classes td:first-child, #loss-classes td:nth-child(5), .rid { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#drains tr.fail, #faults tr.fail { background: #fdf0ee; }
#facts tr.holds td:nth-child(2) { color: var(--ok); font-weight: 600; }
#facts tr.fails td:nth-child(2) { color: var(--fail); font-weight: 600; }
#facts td:nth-child(4) { white-space: pre-line; font-family: ui-monospace, SFMono-Regular, Menlo, monospace; font-size: 12px; }
#faults td:first-child, #faults td:last-child, #lint td:nth-child(2) { font-family: ui-monospace, SFMono-Regular, Menlo, monospace; }
#faults td:last-child { font-size: 12px; }
#lint tr.error td:first-child { color: var(--fail); font-weight: 600; }
#lint tr.warning td:first-child { color: #b8860b; font-weight: 600; }
ul.marks { list-style: none; padding: 0; margin: 4px 0 8px; display: flex; flex-wrap: wrap; gap: 4px 18px; }
ul.marks li { display: flex; align-items: center; gap: 6px; }
ul.marks li.none { color: var(--muted); }
canvas.mark-swatch { width: 14px; height: 14px; }
.story-group h3 .note { font-weight: normal; margin-left: 6px; }
details.story { background: #fff; border: 1px solid var(--line); border-radius: 4px; margin: 4px 0; }
details.story summary { cursor: pointer; padding: 4px 10px; }
details.story[open] summary { border-bottom: 1px solid var(--line); }
details.story table { border: 0; }
details.story td:first-child { white-space: nowrap; width: 7em; }
details.story td:nth-child(2) { white-space: nowrap; width: 12em; }
tr.src-client td:nth-child(2) { color: #1f6fb2; } tr.src-nginx td:nth-child(2) { color: #8e44ad; } tr.src-app td:nth-child(2) { color: #1e7e34; }
.grid2 { display: grid; grid-template-columns: 1fr 1fr; gap: 0 24px; }
@media (max-width: 800px) { .grid2 { grid-template-columns: 1fr; } }
`;

function header(report: Report): string {
  const x = report.expectation;
  const expectation = `expected ${x.verdict}${x.failing_checks.length ? ` (failing ${x.failing_checks.join(", ")})` : ""}: ${x.met ? "met" : "NOT met"}, ${x.detail}`;
  const rows: Array<[string, string]> = [
    ["requests", describeRequests(report.requests)],
    ["latency", describeLatency(report.latency_ms)],
    ...describeDrains(report).map((line): [string, string] => ["drain", line]),
    ["expectation", expectation],
  ];
  const baseline = baselineOf(report);
  if (baseline) rows.push(["baseline", describeBaseline(baseline)]);
  const evidence = evidenceLine(report);
  return (
    (evidence ? `<p class="note fail" id="evidence">${e(evidence)}</p>\n` : "") +
    `<header><h1><span class="verdict ${report.verdict === "pass" ? "pass" : "fail"}" id="verdict">${report.verdict.toUpperCase()}</span>` +
    `<span id="scenario-name">${e(report.scenario.name)}</span></h1>\n` +
    (verdictQualifier(report) ? `<p class="note" id="verdict-qualifier">${e(verdictQualifier(report).trim().slice(1, -1))}</p>\n` : "") +
    `<p class="note" id="scenario-description">${e(report.scenario.description)}</p>\n` +
    (report.error
      ? `<p class="note fail" id="run-error">The run did not finish: ${e(report.error)}. What was gathered until then is judged below; the verdict is error, never pass or fail.</p>\n`
      : "") +
    `<p class="meta">run ${e(report.run_id)} &middot; started ${e(report.started_at)} &middot; ${e(report.wall_time_s)} s wall time` +
    ` &middot; drainlab ${e(report.drainlab_version)}${report.scenario.file ? ` &middot; ${e(report.scenario.file)}` : ""}</p>\n` +
    `<dl class="summary">${rows.map(([k, v]) => `<dt>${e(k)}</dt><dd>${e(v)}</dd>`).join("")}</dl></header>`
  );
}

/** report.html: one self-contained page (uPlot, styles and data inline) drawn from the report alone. */
export function renderHtml(report: Report): string {
  const { uplotJs, uplotCss, chartsJs } = loadAssets();
  const data = chartData(report);
  const phases = e(data.phases.map((p) => p.name).join(" "));
  const faults = e(data.faults.map((f) => f.kind).join(" "));
  const title = `drainlab ${report.verdict.toUpperCase()}: ${report.scenario.name} (${report.run_id})`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${e(title)}</title>
<style>${inlineStyle(uplotCss)}</style>
<style>${inlineStyle(PAGE_CSS)}</style>
</head>
<body>
<main>
${header(report)}
<section id="charts"><h2>Over time</h2>
<p class="note">One time axis, seconds since the load started; requests are placed by their intended send time. Shaded: the drain phases and the faults' intervals. Along the top of the latency chart, one lane per loss class: a mark for each request in it.</p>
${phasesLegend(data)}
${lossMarksLegend(data, reconciliationOf(report) !== null)}
<div class="chart" id="chart-latency" data-chart="latency" data-phases="${phases}" data-faults="${faults}" data-loss-classes="${e(data.loss_marks.map((m) => m.class).join(" "))}"></div>
<div class="chart" id="chart-rps" data-chart="rps" data-phases="${phases}" data-faults="${faults}"></div>
<div class="chart" id="chart-failures" data-chart="failures" data-phases="${phases}" data-faults="${faults}"></div>${
    data.sessions.length > 0
      ? `\n<div class="chart" id="chart-sessions" data-chart="sessions" data-phases="${phases}" data-faults="${faults}" data-session-kinds="${e(data.sessions.map((x) => x.kind).join(" "))}"></div>`
      : ""
  }
</section>
${checksSection(report)}
${systemSection(report)}
${sessionsSection(report)}
${factsSection(report)}
${faultsSection(report)}
${lossClassesSection(report)}
${storiesSection(report)}
${drainsSection(report)}
<div class="grid2"><div>${timeoutChainSection(report)}${lintSection(report)}</div><div>${latencySection(report)}</div></div>
${timelineSection(report)}
${parametersSection(report)}
${stackSection(report)}
</main>
<script type="application/json" id="drainlab-data">${jsonForScript(data)}</script>
<script>${inlineScript(uplotJs)}</script>
<script>${inlineScript(chartsJs)}</script>
</body>
</html>
`;
}

export function htmlReporter(): Reporter {
  return {
    name: "html",
    onEnd(report, runDir) {
      const path = join(runDir, HTML_FILE);
      writeFileSync(path, renderHtml(report));
      return [path];
    },
  };
}

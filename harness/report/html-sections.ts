import { STATUS_LABEL, statusOf } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import type { ChartData } from "./chart-data.ts";
import { describeDetail, drainsOf, flatten, seconds } from "./describe.ts";
import { drainLatencyOf, generatorFigures } from "./findings.ts";
import { escapeHtml as e } from "./html-escape.ts";
import { SESSION_COLUMNS, sessionCells, sessionSummaries } from "./sessions-view.ts";
import { SHARD_COLUMNS, shardRows } from "./shards-view.ts";

/** Cells are plain text, escaped here; rowAttrs returns ready-escaped attributes. */
export function table(id: string, head: string[], rows: string[][], rowAttrs: (i: number) => string = () => ""): string {
  const th = head.map((h) => `<th>${e(h)}</th>`).join("");
  const tr = rows.map((r, i) => `<tr${rowAttrs(i)}>${r.map((c) => `<td>${e(c)}</td>`).join("")}</tr>`).join("\n");
  return `<table id="${e(id)}"><thead><tr>${th}</tr></thead><tbody>\n${tr}\n</tbody></table>`;
}

export function checksSection(report: Report): string {
  const rows = report.checks.map((c) => [c.name, STATUS_LABEL[statusOf(c)], String(c.observed), c.expected, c.detail]);
  const attrs = (i: number) => {
    const c = report.checks[i]!;
    return ` class="${c.ok ? "ok" : "fail"}" data-check="${e(c.name)}" data-status="${statusOf(c)}"`;
  };
  return `<section><h2>Checks</h2>\n${table("checks", ["check", "result", "observed", "expected", "detail"], rows, attrs)}</section>`;
}

/** The shaded intervals: drain phases, then faults, each with its swatch and span. */
export function phasesLegend(data: ChartData): string {
  const span = (p: { from_s: number; to_s: number; open: boolean }) =>
    `${p.from_s.toFixed(3)} s to ${p.open ? "end of run" : `${p.to_s.toFixed(3)} s`} (${(p.to_s - p.from_s).toFixed(3)} s)`;
  const item = (attr: string, p: ChartData["phases"][number] | ChartData["faults"][number]) =>
    `<li ${attr} data-target="${e(p.target ?? "")}" data-from-s="${e(p.from_s)}" data-to-s="${e(p.to_s)}">` +
    `<span class="swatch" style="background:${e(p.fill)};border-left:3px solid ${e(p.edge)}"></span>${p.target ? `${e(p.target)} ` : ""}${e(p.label)}: ${e(span(p))}</li>`;
  const phases =
    data.phases.length === 0
      ? [`<li class="none">no drain phases on this run's timeline</li>`]
      : data.phases.map((p) => item(`data-phase="${e(p.name)}"`, p));
  const faults = data.faults.map((f) => item(`data-fault="${e(f.kind)}"`, f));
  return `<ul id="phases" class="phases">${[...phases, ...faults].join("")}</ul>`;
}

/** Every drained node (several in a rolling drain), one row each, times in seconds since the load started. */
export function drainsSection(report: Report): string {
  const drains = drainsOf(report);
  if (drains.length === 0) return `<section><h2>Drains</h2><p class="note" id="drains">no drain in this scenario</p></section>`;
  const at = (ms: number | null) => (ms === null ? "-" : seconds(ms));
  const rows = drains.map((d) => [
    d.target,
    seconds(d.start_ms),
    d.removed ? `generation ${d.removal_generation}, effective ${at(d.reload_effective_ms)}` : "not removed",
    `${d.signal} at ${seconds(d.signal_ms)}`,
    d.exit_ms === null
      ? "never seen to exit"
      : `${seconds(d.exit_ms)} (${seconds(d.exit_ms - d.signal_ms)} after ${d.signal}), code ${d.exit_code}`,
    d.killed_after_wait ? `yes, after the ${d.stop_wait_s} s stop wait` : `no (stop wait ${d.stop_wait_s} s)`,
    at(d.readded_ms),
  ]);
  const attrs = (i: number) =>
    ` data-target="${e(drains[i]!.target)}"${drains[i]!.killed_after_wait || drains[i]!.exit_code !== 0 ? ' class="fail"' : ""}`;
  const head = ["node", "drain start", "removed from nginx", "signal", "exit", "SIGKILL", "re-added"];
  return `<section><h2>Drains</h2>\n${table("drains", head, rows, attrs)}</section>`;
}

export function parametersSection(report: Report): string {
  return `<section><h2>Resolved parameters</h2><p class="note">The scenario as run, every default filled in.</p>\n${table("parameters", ["parameter", "value"], flatten(report.parameters))}</section>`;
}

export function timeoutChainSection(report: Report): string {
  const t = report.timeout_chain;
  const rows: string[][] = [
    ["uvicorn timeout_graceful_shutdown", t.uvicorn_graceful_s === null ? "none (waits without limit)" : `${t.uvicorn_graceful_s} s`],
    ["gunicorn graceful_timeout", `${t.gunicorn_graceful_timeout_s} s`],
    ["effective graceful limit", `${t.effective_graceful_s} s (limited by ${t.limited_by})`],
    ["stop wait before SIGKILL", `${t.stop_wait_s} s`],
  ];
  return `<section><h2>Timeout chain</h2>\n${table("timeout-chain", ["setting", "value"], rows)}</section>`;
}

/** The run's HDR percentiles, those of the requests due inside a drain window next to them, and the generator's figures. */
export function latencySection(report: Report): string {
  const l = report.latency_ms;
  const d = drainLatencyOf(report);
  const g = report.generator;
  const keys = ["p50", "p90", "p99", "max"] as const;
  const rows = [
    ["answers", String(l.count), ...(d ? [String(d.count)] : [])],
    ...keys.map((k) => [k, `${l[k]} ms`, ...(d ? [`${d[k]} ms`] : [])]),
  ];
  const gen = [
    ["generator CPU", `${(g.cpuShareOfOneCore * 100).toFixed(0)}% of one core`],
    ["send lag p50 / p99 / max", `${g.sendLagMs.p50} / ${g.sendLagMs.p99} / ${g.sendLagMs.max} ms`],
    ["max in flight", String(g.maxInFlight)],
    [
      "scheduled",
      g.scheduleEndMs === undefined
        ? String(g.scheduled)
        : `${g.scheduled}, due until ${(g.scheduleEndMs / 1000).toFixed(1)} s (load.after_drain_s: the drain's end plus its tail)`,
    ],
    ...generatorFigures(g),
  ];
  const note = d
    ? ""
    : (report as Partial<Report>).latency_during_drain_ms === undefined
      ? " This report predates the during-drain percentiles."
      : ` No request was due inside a drain window${drainsOf(report).length ? "" : " (no drain in this scenario)"}.`;
  return (
    `<section><h2>Latency (HDR histogram)</h2><p class="note">From the intended send time, after warm-up: a stalled node shows up here, not as fewer requests. ` +
    `During drain: the requests due between a drain's start and its node's exit.${e(note)}</p>\n` +
    `${table("latency", ["percentile", "whole run", ...(d ? ["during drain"] : [])], rows)}\n<h3>Load generator</h3>\n${table("generator", ["measure", "value"], gen)}${shardsTable(report)}</section>`
  );
}

/**
 * A shard that fell behind is shown like a failed check; the rule comes with the table, not in the page's
 * stylesheet, so the page of a load that ran in one thread stays as it was.
 */
const SHARDS_STYLE =
  "<style>#generator-shards tr.fail { background: #fdf0ee; } #generator-shards tr.fail td:last-child { color: var(--fail); font-weight: 600; }</style>";

/** A sharded load: each shard's row under the whole generator's, a shard that fell behind marked "fail"; "" for one thread. */
function shardsTable(report: Report): string {
  const rows = shardRows(report);
  if (rows.length === 0) return "";
  const attrs = (i: number) => ` data-shard="${rows[i]!.shard}"${rows[i]!.keptUp ? "" : ' class="fail"'}`;
  return `\n<h3>Load generator shards</h3>\n${SHARDS_STYLE}\n${table(
    "generator-shards",
    SHARD_COLUMNS,
    rows.map((r) => r.cells),
    attrs,
  )}`;
}

export function timelineSection(report: Report): string {
  const rows = report.timeline.map((ev) => [seconds(ev.t_ms), ev.event, describeDetail(ev.detail)]);
  return `<section><h2>Timeline</h2>\n${table("timeline", ["t", "event", "detail"], rows)}</section>`;
}

/** Streams, Server-Sent Events and WebSockets: one row per kind. */
export function sessionsSection(report: Report): string {
  const rows = sessionSummaries(report).map(sessionCells);
  if (rows.length === 0) return "";
  return `<section><h2>Streams, events and WebSockets</h2>\n${table("sessions", SESSION_COLUMNS, rows)}</section>`;
}

/** A user's system: the signal path, each node's workers and ledger, and every change drainlab made. */
export function systemSection(report: Report): string {
  const sys = report.system;
  if (!sys) return "";
  const rows: string[][] = [
    ...(sys.signal_path ? [["signal path", sys.signal_path.note]] : []),
    ...sys.nodes.map((n) => [
      n.name,
      `${n.workers_ready} worker(s) serving at the load's start; app ledger ${n.ledger_active ? "active" : "NOT active"}`,
    ]),
    ...sys.overrides.map((o) => ["override", o]),
    ...sys.notes.map((o) => ["note", o]),
  ];
  return `<section><h2>Your system</h2>\n${table("system", ["what", "value"], rows)}</section>`;
}

export function stackSection(report: Report): string {
  const rows: string[][] = [
    ...Object.entries(report.stack.versions).map(([k, v]) => [k, v]),
    ...report.stack.nodes.map((n) => [n.name, n.address]),
    ...(report.stack.load_entry
      ? [
          [
            "load sent to",
            `${report.stack.load_entry.url} (${report.stack.load_entry.path === "run-network" ? "nginx on the run's network" : "nginx's published port"})`,
          ],
        ]
      : []),
    ...Object.entries(report.stack.images).map(([k, v]) => [`image ${k}`, v]),
    ...Object.entries(report.files).map(([k, v]) => [`file ${k}`, v]),
  ];
  return `<section><h2>Stack and records</h2>\n${table("stack", ["what", "value"], rows)}</section>`;
}

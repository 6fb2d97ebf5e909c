import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CheckStatus, statusOf } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { describeDrains, describeLatency, describePhase, describeRequests, drainsOf, evidenceLine, verdictQualifier } from "./describe.ts";
import {
  baselineOf,
  describeBaseline,
  describeDrainLatency,
  describeImpact,
  drainLatencyOf,
  factsOf,
  faultSpan,
  faultsOf,
  holdsText,
  keyMeasurement,
  lintOf,
} from "./findings.ts";
import { allowedText, describeRecords, lossRows, reconciliationOf } from "./loss-classes.ts";
import { drainPhases, runEndMs } from "./phases.ts";
import { SESSION_COLUMNS, sessionCells, sessionSummaries } from "./sessions-view.ts";
import { SHARD_COLUMNS, type ShardRow, shardRows } from "./shards-view.ts";

const MD_STATUS: Record<CheckStatus, string> = {
  pass: "✅ pass",
  fail: "❌ **FAIL**",
  "no-evidence": "❌ **NO EVIDENCE**",
  skipped: "➖ skipped",
};

import type { Reporter } from "./reporter.ts";

export const MARKDOWN_FILE = "summary.md";

/**
 * Text into GitHub-flavoured Markdown: no emphasis, code, table breaks or raw
 * HTML can come from a scenario name or a check's detail.
 */
export function escapeMarkdown(text: unknown): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/([\\`*_[\]|~])/g, "\\$1")
    .replace(/\r?\n/g, " ")
    .replace(/^([#+-])/, "\\$1")
    .replace(/^(\d+)\./, "$1\\.");
}

function row(cells: string[]): string {
  return `| ${cells.join(" | ")} |`;
}

/** summary.md: verdict, requests, latency, drain, the checks table, facts, faults, lint and loss classes, for a PR or a CI step summary. */
export function renderMarkdown(report: Report): string {
  const m = escapeMarkdown;
  const pass = report.verdict === "pass";
  const x = report.expectation;
  const t = report.timeout_chain;
  const phases = drainPhases(report.timeline, runEndMs(report));
  const drainLatency = drainLatencyOf(report);
  const baseline = baselineOf(report);
  const g = report.generator;
  const evidence = evidenceLine(report);
  const lines = [
    ...(evidence ? [`> **${m(evidence)}**`, ""] : []),
    `## ${pass ? "✅ PASS" : report.verdict === "error" ? "⛔ ERROR" : "❌ FAIL"}${m(verdictQualifier(report))}: drainlab ${m(report.scenario.name)}`,
    "",
    ...(report.error ? [`**The run did not finish:** ${m(report.error)}. What was gathered until then is judged below.`, ""] : []),
    ...(report.scenario.description ? [`${m(report.scenario.description)}`, ""] : []),
    `**Expectation:** ${m(x.verdict)}${x.failing_checks.length ? ` (failing ${m(x.failing_checks.join(", "))})` : ""}, ${x.met ? "met" : "**NOT met**"}: ${m(x.detail)}`,
    "",
    `- **Requests:** ${m(describeRequests(report.requests))}`,
    `- **Latency:** ${m(describeLatency(report.latency_ms))}`,
    ...(drainLatency ? [`- **Latency during drain:** ${m(describeDrainLatency(drainLatency))}`] : []),
    ...describeDrains(report).map((line) => `- **Drain:** ${m(line)}`),
    ...phases.map((p) => `  - ${m(describePhase(p))}`),
    `- **Timeout chain:** effective graceful limit ${m(t.effective_graceful_s)} s (${m(t.limited_by)}), stop wait ${m(t.stop_wait_s)} s`,
    `- **Generator:** ${m((g.cpuShareOfOneCore * 100).toFixed(0))}% of a core, send lag p99 ${m(g.sendLagMs.p99)} ms${g.intendedRatePerS === undefined ? "" : `, sent ${m(g.sentRatePerS)}/s of ${m(g.intendedRatePerS)}/s intended`}`,
    ...(baseline ? [`- **Baseline:** ${m(describeBaseline(baseline))}`] : []),
    ...shardLines(report),
    "",
    "### Checks",
    "",
    row(["check", "result", "observed", "expected", "detail"]),
    row(["---", "---", "---", "---", "---"]),
    ...report.checks.map((c) => row([m(c.name), MD_STATUS[statusOf(c)], m(c.observed), m(c.expected), m(c.detail)])),
    "",
    ...findingLines(report),
    ...lossLines(report),
    "",
    `run ${m(report.run_id)}, started ${m(report.started_at)}, ${m(report.wall_time_s)} s, drainlab ${m(report.drainlab_version)}; full report in report.html and report.json next to this file.`,
  ];
  return `${lines.join("\n")}\n`;
}

/** A sharded load: each shard's row, a shard that fell behind marked; nothing for a load that ran in one thread. */
function shardLines(report: Report): string[] {
  const rows = shardRows(report);
  if (rows.length === 0) return [];
  const last = SHARD_COLUMNS.length - 1;
  const cell = (r: ShardRow, c: string, i: number) => (i < last ? escapeMarkdown(c) : r.keptUp ? `✅ ${c}` : `❌ **${escapeMarkdown(c)}**`);
  return [
    "",
    "### Load generator shards",
    "",
    row(SHARD_COLUMNS),
    row(SHARD_COLUMNS.map(() => "---")),
    ...rows.map((r) => row(r.cells.map((c, i) => cell(r, c, i)))),
  ];
}

/** Facts checked, faults and lint findings, each a section only when the report has any. */
function findingLines(report: Report): string[] {
  const m = escapeMarkdown;
  const facts = factsOf(report);
  const faults = faultsOf(report);
  const lint = lintOf(report) ?? [];
  const mark = (holds: boolean | null) => (holds === null ? "❔" : holds ? "✅" : "❌");
  return [
    ...(facts.length === 0
      ? []
      : [
          "### Facts checked",
          "",
          row(["claim", "holds", "observed", "evidence"]),
          row(["---", "---", "---", "---"]),
          ...facts.map((f) => row([m(f.claim), `${mark(f.holds)} ${holdsText(f)}`, m(f.observed), m(f.evidence.join("; "))])),
          "",
        ]),
    ...(faults.length === 0
      ? []
      : [
          "### Faults",
          "",
          row(["fault", "target", "interval", "key measurement", "impact"]),
          row(["---", "---", "---", "---", "---"]),
          ...faults.map((f) => row([m(f.kind), m(f.target ?? "-"), m(faultSpan(f)), m(keyMeasurement(f)), m(describeImpact(f) || "-")])),
          "",
        ]),
    ...(sessionSummaries(report).length > 0
      ? [
          "### Streams, events and WebSockets",
          "",
          row(SESSION_COLUMNS),
          row(SESSION_COLUMNS.map(() => "---")),
          ...sessionSummaries(report).map((s) => row(sessionCells(s).map(m))),
          "",
        ]
      : []),
    ...(report.system
      ? [
          "### Your system",
          "",
          ...(report.system.signal_path ? [`- signal path: ${m(report.system.signal_path.note)}`] : []),
          ...report.system.nodes.map(
            (n) =>
              `- ${m(n.name)}: ${n.workers_ready} worker(s) serving at the load's start; app ledger ${n.ledger_active ? "active" : "**not active**"}`,
          ),
          ...report.system.overrides.map((o) => `- override: ${m(o)}`),
          ...report.system.notes.map((o) => `- note: ${m(o)}`),
          "",
        ]
      : []),
    ...(lint.length === 0
      ? []
      : [
          "### Lint",
          "",
          ...lint.map((f) => `- ${f.severity === "error" ? "❌ **error**" : "⚠️ warning"} ${m(f.code)}: ${m(f.message)}`),
          "",
        ]),
  ];
}

/** The loss-class counts against what the scenario allows, and the same per node. */
function lossLines(report: Report): string[] {
  const m = escapeMarkdown;
  const rec = reconciliationOf(report);
  if (!rec)
    return [
      "### Loss classes",
      "",
      "This report was written before drainlab reconciled the client, nginx and app records: no loss classes.",
    ];
  const drained = new Set(drainsOf(report).map((d) => d.target));
  return [
    "### Loss classes",
    "",
    row(["class", "requests", "allowed", "result", "where", "first example"]),
    row(["---", "---:", "---:", "---", "---", "---"]),
    ...lossRows(report).map((r) =>
      row([
        m(r.lossClass),
        String(r.count),
        allowedText(r.allowed),
        r.ok ? "✅ pass" : "❌ **FAIL**",
        r.where ? m(r.where) : "-",
        r.stories[0] ? m(r.stories[0].id) : "-",
      ]),
    ),
    "",
    row(["node", "answered", "app started", "app finished", "cut short", "misrouted", "retried away by nginx"]),
    row(["---", "---:", "---:", "---:", "---:", "---:", "---:"]),
    ...Object.entries(rec.by_node)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([node, c]) =>
        row([
          m(drained.has(node) ? `${node} (drained)` : node),
          ...[c.answered, c.app_started, c.app_finished, c.cut_short, c.misrouted, c.retried_away].map(String),
        ]),
      ),
    "",
    m(describeRecords(rec)),
  ];
}

export interface MarkdownReporterOptions {
  /** Where GITHUB_STEP_SUMMARY is looked up; process.env unless a test passes its own. */
  env?: NodeJS.ProcessEnv;
}

export function markdownReporter(options: MarkdownReporterOptions = {}): Reporter {
  return {
    name: "markdown",
    onEnd(report, runDir) {
      const text = renderMarkdown(report);
      const path = join(runDir, MARKDOWN_FILE);
      writeFileSync(path, text);
      const stepSummary = (options.env ?? process.env).GITHUB_STEP_SUMMARY;
      if (stepSummary) appendFileSync(stepSummary, `${text}\n`);
      return [path];
    },
  };
}

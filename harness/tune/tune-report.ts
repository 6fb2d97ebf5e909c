import { appendFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { RunSummary } from "../matrix/cell.ts";
import { textTable } from "../matrix/matrix-text.ts";
import { rateSentence } from "../records/rate-bound.ts";
import { escapeMarkdown } from "../report/markdown.ts";
import type { LintFinding } from "../scenario/lint.ts";
import type { TuneRange } from "./range.ts";
import type { Recommendation } from "./recommend.ts";

export const TUNE_SCHEMA_VERSION = 1;
export const TUNE_JSON_FILE = "tune.json";
export const TUNE_MARKDOWN_FILE = "summary.md";

export const TUNE_RULE =
  "bisection over the step grid, assuming a value that passes means every larger one would; a value passes only when all its repeats pass, and its first failing run ends its probe (a lost request is proof); every run must hold at least one request at each SIGTERM (checks.min_in_flight_at_signal 1 unless the scenario asks more), so no value passes without exercising the graceful limit";

/** Every run made at one value. */
export interface TuneEvidence {
  value: number;
  /** 1-based order in which the value was probed. */
  order: number;
  pass: boolean;
  runs: RunSummary[];
  /** Union of the checks that failed in any run at this value. */
  failing_checks: string[];
  wall_time_s: number;
}

/** tune.json: the canonical output of `drainlab tune`; summary.md and the terminal table are views of it. */
export interface TuneReport {
  schema_version: number;
  kind: "drainlab-tune";
  tune_id: string;
  drainlab_version: string;
  started_at: string;
  wall_time_s: number;
  scenario: { name: string; file: string };
  base_sets: string[];
  param: string;
  range: TuneRange;
  /** Every value bisection could probe; evidence has the ones it did. */
  grid: number[];
  repeats: number;
  rule: string;
  /** By value, ascending. */
  evidence: TuneEvidence[];
  smallest_passing: number | null;
  largest_failing: number | null;
  recommendation: Recommendation | null;
  /** Lint of the scenario with the recommendation applied. */
  recommendation_lint: LintFinding[];
  /** Lint at the two ends of the range, before any run. */
  lint_at_range: { lo: LintFinding[]; hi: LintFinding[] };
  interrupted: boolean;
  error?: string;
}

export function evidenceOf(value: number, order: number, runs: RunSummary[], pass: boolean): TuneEvidence {
  return {
    value,
    order,
    pass,
    runs,
    failing_checks: [...new Set(runs.flatMap((r) => r.failing_checks))],
    wall_time_s: Math.round(runs.reduce((sum, r) => sum + r.wall_time_s, 0) * 100) / 100,
  };
}

export function evidenceRows(t: TuneReport): { head: string[]; rows: string[][] } {
  return {
    head: ["value", "probe", "repeats", "verdicts", "result", "failing checks", "p99 drain", "wall"],
    rows: t.evidence.map((e) => [
      String(e.value),
      `#${e.order}`,
      `${e.runs.length}/${t.repeats}`,
      e.runs.map((r) => r.verdict).join(" "),
      e.pass ? "PASS" : "FAIL",
      e.failing_checks.join(", ") || "-",
      `${e.runs.map((r) => (r.drain_p99_ms === null ? "n/a" : `${Math.round(r.drain_p99_ms)}`)).join("/")} ms`,
      `${e.wall_time_s} s`,
    ]),
  };
}

function outcomeLine(t: TuneReport): string {
  if (t.smallest_passing === null) {
    return t.interrupted || t.error
      ? "no result: the search did not finish"
      : `no value in ${t.range.lo}..${t.range.hi} passed; widen the range (or the failing checks name another cause)`;
  }
  const runs = t.evidence.find((e) => e.value === t.smallest_passing)?.runs.length ?? t.repeats;
  return `smallest passing ${t.smallest_passing} (${rateSentence(0, runs)})${t.largest_failing === null ? "" : `; largest failing ${t.largest_failing}`}`;
}

/** What `drainlab tune` prints at the end. */
export function renderTuneText(t: TuneReport, dir: string): string {
  const ev = evidenceRows(t);
  const rec = t.recommendation;
  const lines = [
    `drainlab tune ${t.scenario.name}  ${t.tune_id}  ${t.param} over ${t.range.lo}..${t.range.hi} step ${t.range.step}, ${t.repeats} repeats  ${t.wall_time_s} s${t.interrupted ? "  INTERRUPTED" : ""}`,
    "",
    ...textTable(ev.head, ev.rows),
    "",
    `result    ${outcomeLine(t)}`,
  ];
  if (rec) {
    lines.push(`recommend ${rec.settings.map((s) => `${s.field} = ${s.value}`).join("\n          ")}`);
    lines.push(`          (${rec.margin_rule}; margin ${rec.margin})`);
    for (const s of rec.settings) lines.push(`          ${s.field}: ${s.why}`);
    lines.push(`          ${rec.sets.map((s) => `--set ${s}`).join(" ")}`);
    lines.push(
      `lint      ${t.recommendation_lint.length ? t.recommendation_lint.map((f) => `${f.severity} ${f.code}: ${f.message}`).join("\n          ") : "the recommended chain is consistent (no finding)"}`,
    );
  }
  if (t.error) lines.push(`error     ${t.error}`);
  lines.push(`tune      ${dir}/${TUNE_JSON_FILE}`, "");
  return lines.join("\n");
}

/** summary.md: the recommendation and the evidence table. */
export function renderTuneMarkdown(t: TuneReport): string {
  const m = escapeMarkdown;
  const ev = evidenceRows(t);
  const rec = t.recommendation;
  const row = (cells: string[]) => `| ${cells.map(m).join(" | ")} |`;
  return [
    `## ${rec ? "✅" : "❌"} drainlab tune ${m(t.scenario.name)}: \`${t.param}\``,
    "",
    `Range ${t.range.lo}..${t.range.hi}, step ${t.range.step}, ${t.repeats} repeats per passing value; ${m(t.rule)}.`,
    "",
    `**Result:** ${m(outcomeLine(t))}`,
    "",
    ...(rec
      ? [
          `**Recommendation** (${m(rec.margin_rule)}):`,
          "",
          ...rec.settings.map((s) => `- \`${s.field}\` = **${s.value}**: ${m(s.why)}`),
          "",
          `\`${rec.sets.map((s) => `--set ${s}`).join(" ")}\``,
          "",
        ]
      : []),
    "### Evidence",
    "",
    row(ev.head),
    `| ${ev.head.map(() => "---").join(" | ")} |`,
    ...ev.rows.map(row),
    "",
    `${m(t.tune_id)}, started ${m(t.started_at)}, ${t.wall_time_s} s wall time, drainlab ${m(t.drainlab_version)}; every run's report is in runs/.`,
    "",
  ].join("\n");
}

/** tune.json and summary.md (also appended to $GITHUB_STEP_SUMMARY when set). */
export function writeTune(t: TuneReport, dir: string, env: NodeJS.ProcessEnv = process.env): string[] {
  const json = join(dir, TUNE_JSON_FILE);
  const md = join(dir, TUNE_MARKDOWN_FILE);
  writeFileSync(json, `${JSON.stringify(t, null, 2)}\n`);
  const text = renderTuneMarkdown(t);
  writeFileSync(md, text);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, `${text}\n`);
  return [json, md];
}

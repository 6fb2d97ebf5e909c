import { type CheckStatus, STATUS_LABEL, statusOf } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { printableStrings } from "../util/text.ts";
import { describeDrain as describeAttachedDrain, drainsOf, evidenceLine, verdictQualifier } from "./describe.ts";
import { baselineOf, drainLatencyOf, factsOf, faultsOf, holdsText, keyMeasurement, lintOf } from "./findings.ts";
import { allowedText, lossRows, storyLines } from "./loss-classes.ts";
import { closeCodesText, sessionSummaries } from "./sessions-view.ts";
import { SHARD_COLUMNS, shardRows } from "./shards-view.ts";

const STATUS_COLOR: Record<CheckStatus, number> = { pass: 32, fail: 31, "no-evidence": 31, skipped: 90 };

import type { DrainRecord } from "../records/drain-record.ts";
import { type HeldAt, heldTotal } from "../records/figure-types.ts";

/** Events of an example story shown in the terminal; report.html has them all. */
const STORY_EVENTS = 8;

/**
 * The compact end-of-run summary: verdict, requests, latency, drains, faults, facts, lint, one line per check, loss classes.
 * Every string of the report (scenario name, check details, fault and fact text, lint messages, ...) is shown with its
 * control characters escaped, so a scenario or a report.json cannot recolour the output or forge a line such as the
 * verdict; the only escape sequences written are paint's own colours.
 */
export function renderTerminal(untrusted: Report, color = false): string {
  const report = printableStrings(untrusted);
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const ok = (b: boolean) => (b ? paint(32, "PASS") : paint(31, "FAIL"));
  const status = (st: CheckStatus) => paint(STATUS_COLOR[st], STATUS_LABEL[st]);
  const { requests: q, latency_ms: l, generator: g } = report;
  const drains = drainsOf(report);
  const d = drainLatencyOf(report);
  const rate = g.intendedRatePerS === undefined ? "" : `  sent ${g.sentRatePerS}/s of ${g.intendedRatePerS}/s`;
  const baseline = baselineOf(report);
  const evidence = evidenceLine(report);
  const lines = [
    ...(evidence ? [paint(33, evidence)] : []),
    `drainlab ${report.scenario.name}  run ${report.run_id}  ${report.wall_time_s} s`,
    `requests  sent ${q.sent}  ok ${q.ok}  failed ${q.failed}  unanswered ${q.unanswered}  client-retried ${q.client_retried ?? 0}`,
    `latency   p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  (from intended send time)`,
    ...sessionSummaries(report).map(
      (x) =>
        `${x.kind.padEnd(10)}${x.sessions} sessions  complete ${x.complete}  reconnects ${x.reconnects}  lost ${x.lost}` +
        (x.duplicates ? `  duplicates ${x.duplicates}` : "") +
        (closeCodesText(x) ? `  close codes ${closeCodesText(x)}` : "") +
        (x.unit_delay_p99_ms === null ? "" : `  unit delay p99 ${x.unit_delay_p99_ms} ms max ${x.unit_delay_max_ms} ms`),
    ),
    ...(d ? [`latency during drain p99 ${d.p99} ms  p50 ${d.p50} ms  max ${d.max} ms  (${d.count} answers due in a drain window)`] : []),
    `generator cpu ${(g.cpuShareOfOneCore * 100).toFixed(0)}% of a core  send lag p99 ${g.sendLagMs.p99} ms  max in flight ${g.maxInFlight}${rate}`,
    ...shardLines(report, paint),
    ...(baseline ? [`baseline  run ${baseline.run_id} (${baseline.file})`] : []),
    ...(drains.length === 0
      ? ["drain     none"]
      : drains.map((dr, i) => `${i === 0 ? "drain" : ""}`.padEnd(10) + describeDrain(dr, report.in_flight_at_signal?.[i]))),
    ...faultsOf(report).map(
      (f) => `fault     ${f.kind}${f.target ? ` ${f.target}` : ""} at ${(f.start_ms / 1000).toFixed(2)} s: ${keyMeasurement(f)}`,
    ),
    ...factsOf(report).map((f) => `fact: ${f.claim} -> ${f.holds === false ? paint(33, holdsText(f)) : holdsText(f)}: ${f.observed}`),
    ...(lintOf(report) ?? []).map((f) => `lint      ${paint(f.severity === "error" ? 31 : 33, f.severity)} ${f.code}: ${f.message}`),
    "",
    ...table(
      ["check", "result", "observed", "expected", "detail"],
      report.checks.map((c) => [c.name, status(statusOf(c)), String(c.observed), c.expected, c.detail]),
    ),
    ...lossLines(report, paint),
    "",
    ...(report.verdict === "error" ? [`error     ${report.error ?? "the run did not finish"}`] : []),
    `verdict   ${report.verdict === "error" ? paint(31, "ERROR") : ok(report.verdict === "pass")}${verdictQualifier(report)}   expected ${report.expectation.verdict}: ${report.expectation.met ? "met" : paint(31, "NOT met")} (${report.expectation.detail})`,
  ];
  return `${lines.join("\n")}\n`;
}

function describeDrain(d: DrainRecord, held: HeldAt | null | undefined): string {
  if (d.hooks) return describeAttachedDrain(d);
  const exit = d.exit_ms === null ? "?" : ((d.exit_ms - d.signal_ms) / 1000).toFixed(2);
  const readded = typeof d.readded_ms === "number" ? `, re-added at ${(d.readded_ms / 1000).toFixed(2)} s` : "";
  const inFlight = held ? ` (${heldTotal(held)} in flight)` : "";
  return (
    `${d.target}: ${d.removed ? `removed at gen ${d.removal_generation}, ` : "not removed, "}${d.signal} at ${(d.signal_ms / 1000).toFixed(2)} s${inFlight}, ` +
    `exit ${d.exit_code} after ${exit} s${d.killed_after_wait ? " (SIGKILLed after the stop wait)" : ""}${readded}`
  );
}

/** A sharded load's shards under the generator's line, one row each; a shard that fell behind is marked in red. */
function shardLines(report: Report, paint: (code: number, s: string) => string): string[] {
  const rows = shardRows(report).map((r) => r.cells.map((c, i) => (i === r.cells.length - 1 && !r.keptUp ? paint(31, c) : c)));
  if (rows.length === 0) return [];
  return table(SHARD_COLUMNS, rows).map((l) => " ".repeat(10) + l);
}

/** One line of counts per loss class, then each failing class's first example request, a story told once. */
function lossLines(report: Report, paint: (code: number, s: string) => string): string[] {
  const rows = lossRows(report);
  if (rows.length === 0) return [];
  const counts = rows.map((r) => (r.ok ? `${r.lossClass} ${r.count}` : paint(31, `${r.lossClass} ${r.count}`))).join("  ");
  const lines = ["", `loss      ${counts}`];
  const told = new Set<string>();
  for (const r of rows.filter((row) => !row.ok)) {
    const head = `  ${r.lossClass} ${r.count} (allowed ${allowedText(r.allowed)})`;
    const story = r.stories[0];
    if (!story) {
      lines.push(`${head}: no example recorded`);
    } else if (told.has(story.id)) {
      lines.push(`${head}: e.g. ${story.id}, told above`);
    } else {
      told.add(story.id);
      const others = story.classes.filter((c) => c !== r.lossClass);
      lines.push(`${head}: e.g. ${story.id}${others.length ? `, also ${others.join(", ")}` : ""}`);
      lines.push(...storyLines(story, STORY_EVENTS).map((l) => `      ${l}`));
    }
  }
  return lines;
}

function table(head: string[], rows: string[][]): string[] {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[\d+m/g, "").length;
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => Math.min(visible(r[i]!), i === head.length - 1 ? 200 : 40))));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, widths[i]! - visible(c))))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

import { measurementsOf } from "../records/fault-measurements.ts";
import type { Fact, FaultRecord } from "../records/fault-record.ts";
import type { GeneratorStats } from "../records/generator-stats.ts";
import type { Percentiles, Report } from "../records/report.ts";
import type { LintFinding } from "../scenario/lint.ts";
import { seconds } from "./describe.ts";

// Reports written before faults, facts, lint, the drain latency, the baseline or the
// generator's newer figures existed lack those fields: every view reads them through here.

export function faultsOf(report: Report): FaultRecord[] {
  return (report as Partial<Report>).faults ?? [];
}

export function factsOf(report: Report): Fact[] {
  return (report as Partial<Report>).facts ?? [];
}

/** null: the report predates drainlab lint (an empty list means lint found nothing). */
export function lintOf(report: Report): LintFinding[] | null {
  return (report as Partial<Report>).lint ?? null;
}

/** null: the report predates it, or no request was due inside a drain window. */
export function drainLatencyOf(report: Report): Percentiles | null {
  const l = (report as Partial<Report>).latency_during_drain_ms;
  return l && l.count > 0 ? l : null;
}

export function baselineOf(report: Report): Report["baseline"] {
  return (report as Partial<Report>).baseline ?? null;
}

export function describeBaseline(b: NonNullable<Report["baseline"]>): string {
  return `compared with run ${b.run_id} (${b.file})`;
}

export function describeDrainLatency(l: Percentiles): string {
  return `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms (${l.count} answers due inside a drain window)`;
}

export function holdsText(fact: Fact): string {
  return fact.holds === null ? "could not tell" : fact.holds ? "holds" : "does not hold";
}

export function describeLint(f: LintFinding): string {
  return `${f.severity} ${f.code}: ${f.message}`;
}

/** The one line that says what the fault did (its module wrote it), its error when a step failed, or its figures (a report before schema 2). */
export function keyMeasurement(f: FaultRecord): string {
  if (f.error) return `error: ${f.error}`;
  return f.summary ?? describeMeasurements(f);
}

/** The window's outcome the fault measured (harness/faults/impact.ts), or "" when it has none. */
export function describeImpact(f: FaultRecord): string {
  const i = measurementsOf(f).impact;
  if (!i) return "";
  return `${i.requests} requests due: failed ${i.failed}, unanswered ${i.unanswered}, cut short ${i.cut_short}, retried by nginx ${i.retried_by_nginx}, max wait ${i.max_wait_ms} ms`;
}

/** Every other measurement as `key=value`, nested values as JSON. */
export function describeMeasurements(f: FaultRecord): string {
  return Object.entries(f.measurements)
    .filter(([k]) => k !== "impact")
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

export function faultSpan(f: FaultRecord): string {
  return `${seconds(f.start_ms)} to ${f.end_ms === null ? "end of run (never ended)" : `${seconds(f.end_ms)} (${seconds(f.end_ms - f.start_ms)})`}`;
}

/** A share (0..1) as a whole percentage, as the generator's figures show it. */
export const pct = (v: number): string => `${(v * 100).toFixed(0)}%`;

/** The generator's figures newer reports add, as [measure, value]; those a report lacks are left out. */
export function generatorFigures(g: Partial<GeneratorStats>): Array<[string, string]> {
  const rows: Array<[string, string | null]> = [
    ["mode", g.mode ? `${g.mode} model` : null],
    ["generator CPU, busiest 1 s", g.cpuPeakShareOfOneCore === undefined ? null : `${pct(g.cpuPeakShareOfOneCore)} of one core`],
    [
      "event loop busy (whole / peak)",
      g.eventLoopBusyShare === undefined
        ? null
        : `${pct(g.eventLoopBusyShare)} / ${g.eventLoopBusyPeak === undefined ? "-" : pct(g.eventLoopBusyPeak)}`,
    ],
    ["rate intended / sent", g.intendedRatePerS === undefined ? null : `${g.intendedRatePerS} / ${g.sentRatePerS ?? "-"} per s`],
    ["schedule overrun", g.scheduleOverrunMs === undefined ? null : `${g.scheduleOverrunMs} ms`],
    [
      "max waiting for a connection",
      g.maxWaitingForConnection === undefined ? null : `${g.maxWaitingForConnection} (max connections ${g.maxConnections ?? "-"})`,
    ],
    ["client retries", g.clientRetries === undefined ? null : String(g.clientRetries)],
    ["scheduling priority (nice)", g.nice === undefined ? null : `${g.nice}${g.niceNote ? ` (${g.niceNote})` : ""}`],
    [
      "session autogroup (nice)",
      g.sessionNice === undefined ? null : `${g.sessionNice}${g.sessionNiceNote ? ` (${g.sessionNiceNote})` : ""}`,
    ],
  ];
  return rows.filter((r): r is [string, string] => r[1] !== null);
}

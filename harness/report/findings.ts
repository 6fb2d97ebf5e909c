import type { Fact, FaultRecord, Json } from "../records/fault-record.ts";
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

const num = (v: Json | undefined): number | null => (typeof v === "number" ? v : null);

/** The one figure that says what the fault did, by kind; its error instead when a step failed. */
export function keyMeasurement(f: FaultRecord): string {
  if (f.error) return `error: ${f.error}`;
  const m = f.measurements;
  switch (f.kind) {
    case "kill-worker": {
      const ready = num(m.ready_after_ms) === null ? "" : `, ready after ${m.ready_after_ms} ms`;
      return num(m.respawned_pid) === null
        ? `not respawned (pid ${String(m.killed_pid)} killed, workers left ${JSON.stringify(m.workers_after ?? null)})`
        : `respawned after ${m.respawn_after_ms} ms (pid ${String(m.killed_pid)} -> ${String(m.respawned_pid)})${ready}`;
    }
    case "kill-node":
      return num(m.route_around_after_ms) === null
        ? `exit ${String(m.exit_code)}, no evidence nginx met the dead node`
        : `exit ${String(m.exit_code)}, routed around after ${m.route_around_after_ms} ms`;
    case "pause-node":
      return `frozen ${String(m.frozen_ms)} ms, ${String(m.timed_out_attempts)} of ${String(m.attempts_on_frozen_node)} attempts timed out`;
    case "netem": {
      const delay = num(m.extra_latency_ms) === null ? "" : `+${m.extra_latency_ms} ms latency via ${String(m.mechanism)}`;
      const reset = num(m.sockets_reset) ? `${m.sockets_reset} sockets reset in ${String(m.reset_rounds)} rounds` : "";
      return [delay, reset].filter(Boolean).join(", ") || `no effect measured (${String(m.mechanism_why ?? m.mechanism)})`;
    }
    case "reload-storm":
      return `${String(m.reloads_sent)} of ${String(m.reloads_expected)} reloads sent, ${String(m.reloads_failed)} failed, ${String(m.sighup_reconfigurations_logged)} applied per nginx's log`;
    case "health-removal": {
      const removals = Array.isArray(m.removals) ? (m.removals as Array<Record<string, Json>>) : [];
      const undetected = Array.isArray(m.undetected) ? m.undetected : [];
      const parts = removals.map(
        (r) => `${String(r.node)} ${String(r.state)}: removed ${String(r.detection_to_removal_ms)} ms after detection`,
      );
      if (undetected.length) parts.push(`undetected: ${undetected.map((u) => (typeof u === "string" ? u : JSON.stringify(u))).join(", ")}`);
      return parts.join("; ") || "no removal";
    }
    case "mark-draining":
      return "marked draining";
  }
  // a kind this drainlab does not know (a newer report): its figures as they are
  return describeMeasurements(f);
}

/** The window's outcome the fault measured (harness/faults/impact.ts), or "" when it has none. */
export function describeImpact(f: FaultRecord): string {
  const i = f.measurements.impact;
  if (!i || typeof i !== "object" || Array.isArray(i)) return "";
  return `${String(i.requests)} requests due: failed ${String(i.failed)}, unanswered ${String(i.unanswered)}, cut short ${String(i.cut_short)}, retried by nginx ${String(i.retried_by_nginx)}, max wait ${String(i.max_wait_ms)} ms`;
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

/** The generator's figures newer reports add, as [measure, value]; those a report lacks are left out. */
export function generatorFigures(g: Partial<GeneratorStats>): Array<[string, string]> {
  const pct = (v: number) => `${(v * 100).toFixed(0)}%`;
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
  ];
  return rows.filter((r): r is [string, string] => r[1] !== null);
}

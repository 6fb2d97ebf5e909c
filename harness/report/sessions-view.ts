import { sessionFigures } from "../figures/session-figures.ts";
import type { Report } from "../records/report.ts";
import type { SessionRecord } from "../records/session-record.ts";

export interface SessionSummary {
  kind: SessionRecord["kind"];
  sessions: number;
  complete: number;
  reconnects: number;
  /** SSE, long poll: event ids skipped; WebSocket: messages whose expected answer never came. */
  lost: number;
  /** SSE, long poll: events received again on a resume; WebSocket: messages the app received twice (no-duplicate-events). */
  duplicates: number;
  /** WebSocket close codes, "code xN" each. */
  closeCodes: string;
  /** Time to first byte (or open), p50 and max, ms. */
  ttfbP50Ms: number | null;
  ttfbMaxMs: number | null;
  /** How late the chunks, events or echoes came (p99 and max over every unit of the kind), ms; null before 0.3 reports. */
  unitDelayP99Ms: number | null;
  unitDelayMaxMs: number | null;
}

/** One row per long-lived kind of the run, for the views (HTML, Markdown, terminal), from the figures the report carries. */
export function sessionSummaries(report: Report): SessionSummary[] {
  return (report.session_figures ?? sessionFigures(report.sessions ?? [])).map((f) => ({
    kind: f.kind,
    sessions: f.sessions,
    complete: f.complete,
    reconnects: f.reconnects,
    lost: f.lost,
    duplicates: f.duplicates,
    closeCodes: f.close_codes.map((c) => `${c.code} x${c.count}`).join(", "),
    ttfbP50Ms: f.first_byte_p50_ms,
    ttfbMaxMs: f.first_byte_max_ms,
    unitDelayP99Ms: f.unit_delay_p99_ms,
    unitDelayMaxMs: f.unit_delay_max_ms,
  }));
}

export const SESSION_COLUMNS = [
  "kind",
  "sessions",
  "complete",
  "reconnects",
  "lost",
  "duplicates",
  "close codes",
  "first byte p50 / max",
  "unit delay p99 / max",
];

export function sessionCells(s: SessionSummary): string[] {
  return [
    s.kind,
    String(s.sessions),
    String(s.complete),
    String(s.reconnects),
    String(s.lost),
    String(s.duplicates),
    s.closeCodes || "-",
    s.ttfbP50Ms === null ? "-" : `${s.ttfbP50Ms} / ${s.ttfbMaxMs} ms`,
    s.unitDelayP99Ms === null ? "-" : `${s.unitDelayP99Ms} / ${s.unitDelayMaxMs} ms`,
  ];
}

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

/** One row per long-lived kind of the run, for the views (HTML, Markdown, terminal). */
export function sessionSummaries(report: Report): SessionSummary[] {
  const all = report.sessions ?? [];
  const kinds = [...new Set(all.map((s) => s.kind))];
  return kinds.map((kind) => {
    const of = all.filter((s) => s.kind === kind);
    const codes = new Map<number, number>();
    for (const s of of) for (const c of s.close_codes) codes.set(c, (codes.get(c) ?? 0) + 1);
    const ttfb = of
      .filter((s) => s.first_byte_ms !== null)
      .map((s) => s.first_byte_ms! - s.intended_ms)
      .sort((a, b) => a - b);
    const delays = of.flatMap((s) => s.unit_delays_ms ?? []).sort((a, b) => a - b);
    return {
      kind,
      unitDelayP99Ms: delays.length ? Math.round(delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.99) - 1)]!) : null,
      unitDelayMaxMs: delays.length ? Math.round(delays[delays.length - 1]!) : null,
      sessions: of.length,
      complete: of.filter((s) => s.complete).length,
      reconnects: of.reduce((n, s) => n + s.reconnects, 0),
      lost: of.reduce((n, s) => n + s.lost_messages + s.gaps.reduce((m, g) => m + g.next - g.after - 1, 0), 0),
      duplicates: of.reduce((n, s) => n + (s.duplicate_units ?? 0), 0),
      closeCodes: [...codes]
        .sort(([a], [b]) => a - b)
        .map(([c, n]) => `${c} x${n}`)
        .join(", "),
      ttfbP50Ms: ttfb.length ? Math.round(ttfb[Math.floor(ttfb.length / 2)]!) : null,
      ttfbMaxMs: ttfb.length ? Math.round(ttfb[ttfb.length - 1]!) : null,
    };
  });
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

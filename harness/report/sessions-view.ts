import { sessionFigures } from "../figures/session-figures.ts";
import type { SessionFigures } from "../records/figure-types.ts";
import type { Report } from "../records/report.ts";

/** The run's figures per long-lived kind (report.json's, or computed from its sessions for a report from before 0.3's figures). */
export function sessionSummaries(report: Report): SessionFigures[] {
  return report.session_figures ?? sessionFigures(report.sessions ?? []);
}

/** WebSocket close codes as "code xN" each, "" when none. */
export const closeCodesText = (f: SessionFigures): string => f.close_codes.map((c) => `${c.code} x${c.count}`).join(", ");

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

export function sessionCells(s: SessionFigures): string[] {
  return [
    s.kind,
    String(s.sessions),
    String(s.complete),
    String(s.reconnects),
    String(s.lost),
    String(s.duplicates),
    closeCodesText(s) || "-",
    s.first_byte_p50_ms === null ? "-" : `${s.first_byte_p50_ms} / ${s.first_byte_max_ms} ms`,
    s.unit_delay_p99_ms === null ? "-" : `${s.unit_delay_p99_ms} / ${s.unit_delay_max_ms} ms`,
  ];
}

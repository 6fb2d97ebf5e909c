import type { SessionFigures } from "../records/figure-types.ts";
import type { SessionRecord } from "../records/session-record.ts";

/** One entry per long-lived kind of the run, in order of first appearance. */
export function sessionFigures(all: SessionRecord[]): SessionFigures[] {
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
      sessions: of.length,
      complete: of.filter((s) => s.complete).length,
      reconnects: of.reduce((n, s) => n + s.reconnects, 0),
      lost: of.reduce((n, s) => n + s.lost_messages + s.gaps.reduce((m, g) => m + g.next - g.after - 1, 0), 0),
      duplicates: of.reduce((n, s) => n + (s.duplicate_units ?? 0), 0),
      close_codes: [...codes].sort(([a], [b]) => a - b).map(([code, count]) => ({ code, count })),
      first_byte_p50_ms: ttfb.length ? Math.round(ttfb[Math.floor(ttfb.length / 2)]!) : null,
      first_byte_max_ms: ttfb.length ? Math.round(ttfb[ttfb.length - 1]!) : null,
      // nearest rank
      unit_delay_p99_ms: delays.length ? Math.round(delays[Math.min(delays.length - 1, Math.ceil(delays.length * 0.99) - 1)]!) : null,
      unit_delay_max_ms: delays.length ? Math.round(delays[delays.length - 1]!) : null,
    };
  });
}

import type { FaultRecord, Json } from "../records/fault-record.ts";
import { toRunMs } from "../records/timeline.ts";
import { upstreamAddr } from "../scenario/topology.ts";
import type { FaultEvidence } from "./types.ts";

/** One attempt nginx made on an upstream, on the run's clock. */
export interface Attempt {
  id: string;
  /** When nginx received the request (its log has no per-attempt start; later attempts start after this). */
  startMs: number;
  endMs: number;
  /** The upstream status of this attempt: "502", "504", "200" ... */
  status: string;
  /** The attempt failed (5xx or no status): what passive health counts. */
  failed: boolean;
  /** nginx went on to another upstream after it. */
  retried: boolean;
}

/** nginx's attempts on one node, in order of arrival, from its access log. */
export function attemptsOn({ server }: FaultEvidence, node: string): Attempt[] {
  const addresses = new Set(server.nodes.filter((n) => n.name === node).map((n) => upstreamAddr(n.address)));
  const attempts: Attempt[] = [];
  for (const row of server.nginx) {
    row.upstreamAddrs.forEach((addr, i) => {
      if (!addresses.has(addr)) return;
      const status = row.upstreamStatuses[i] ?? "-";
      attempts.push({
        id: row.id,
        startMs: toRunMs(row.endEpochMs - row.requestTimeMs, server.t0EpochMs),
        endMs: toRunMs(row.endEpochMs, server.t0EpochMs),
        status,
        failed: !/^[234]\d\d$/.test(status),
        retried: i < row.upstreamAddrs.length - 1,
      });
    });
  }
  return attempts.sort((a, b) => a.startMs - b.startMs);
}

/**
 * What the requests in flight during a fault went through, from all three
 * records: every request sent before the fault ended and not answered before
 * it started. The window is [start_ms, end_ms], or the instant start_ms.
 */
export function impactOf(record: FaultRecord, { rows, server }: FaultEvidence): Record<string, Json> {
  const from = record.start_ms;
  const to = record.end_ms ?? record.start_ms;
  const during = rows.filter((r) => r.sentMs <= to && (Number.isNaN(r.endMs) || r.endMs >= from));
  const ids = new Set(during.map((r) => r.id));
  const nginxRetried = new Set(server.nginx.filter((x) => ids.has(x.id) && x.upstreamAddrs.length > 1).map((x) => x.id));
  const app = new Map<string, { starts: number; finishes: number }>();
  for (const e of server.app) {
    if (!ids.has(e.id) || (e.event !== "start" && e.event !== "finish")) continue;
    const a = app.get(e.id) ?? { starts: 0, finishes: 0 };
    if (e.event === "start") a.starts++;
    else a.finishes++;
    app.set(e.id, a);
  }
  const failedByError: Record<string, number> = {};
  for (const r of during) if (r.error !== "none" && r.error !== "unanswered") failedByError[r.error] = (failedByError[r.error] ?? 0) + 1;
  const overheads = during.filter((r) => !Number.isNaN(r.endMs)).map((r) => r.endMs - r.intendedMs - r.serviceMs);
  return {
    window_ms: [Math.round(from), Math.round(to)],
    requests: during.length,
    failed: Object.values(failedByError).reduce((a, b) => a + b, 0),
    failed_by_error: failedByError,
    unanswered: during.filter((r) => r.error === "unanswered").length,
    retried_by_nginx: nginxRetried.size,
    cut_short: [...app.values()].filter((a) => a.starts > a.finishes).length,
    executed_twice: [...app.values()].filter((a) => a.finishes > 1).length,
    max_wait_ms: overheads.length ? Math.round(Math.max(...overheads)) : null,
  };
}

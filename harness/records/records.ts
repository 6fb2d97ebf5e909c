import type { Scenario } from "../scenario/schema.ts";
import type { DrainRecord } from "./drain-record.ts";
import type { FaultRecord } from "./fault-record.ts";
import type { GeneratorStats } from "./generator-stats.ts";
import type { LedgerRow } from "./ledger-row.ts";
import type { ServerRecords } from "./server-logs.ts";
import type { SessionRecord } from "./session-record.ts";
import type { SystemReport } from "./system-report.ts";

export type { ServerRecords };

import type { TimelineEvent } from "./timeline.ts";

/** What a later run is compared with: the figures of an earlier report.json. */
export interface Baseline {
  run_id: string;
  file: string;
  p99_during_drain_ms: number | null;
  counts: Record<string, number>;
}
/** Everything a verdict is judged on: plain data, no handles. */
export interface Records {
  /** The effective scenario the run stood on (with `system:`, the settings read from the nodes). */
  scenario: Scenario;
  /** With `system:`, the scenario as declared, before the nodes' settings were read into it; absent: the same as scenario. */
  declared?: Scenario;
  rows: LedgerRow[];
  timeline: TimelineEvent[];
  /** One record per drained node, in order (several for a rolling drain). */
  drains: DrainRecord[];
  /** The load schedule's start and end, ms since t0. */
  loadStartMs: number;
  loadEndMs: number;
  server: ServerRecords;
  /** One record per fault of the scenario's `faults:` list (harness/faults/). */
  faults?: FaultRecord[];
  /** The load generator's own figures (send lag, CPU, rate held). */
  generator?: GeneratorStats;
  /** From --baseline: an earlier run to compare with. */
  baseline?: Baseline;
  /** The long-lived sessions of the load (streams, SSE, WebSockets), one record each. */
  sessions?: SessionRecord[];
  /** A user's system: its signal path and whether each node's app ledger was active. */
  system?: SystemReport;
}

/**
 * pass; fail; no-evidence: the records the check needs are missing or its
 * subject never occurred (never counted as a pass); skipped: the scenario
 * declared it out of scope (no drain, no limit set, no baseline given).
 */
export const CHECK_STATUSES = ["pass", "fail", "no-evidence", "skipped"] as const;
export type CheckStatus = (typeof CHECK_STATUSES)[number];

export interface CheckResult {
  name: string;
  status: CheckStatus;
  /** Does not fail the run: status pass or skipped. */
  ok: boolean;
  observed: number | string;
  expected: string;
  detail: string;
  /** Set when the scenario itself put the check out of scope (checks.skip) or accepted a client-only run: every view says so beside the verdict. */
  skipped_by?: "scenario" | "client-only";
}

/** What a check returns: its status, or only ok (pass or fail) when it has no other outcome. */
export type CheckOutcome = Omit<CheckResult, "status"> & { status?: CheckStatus };

/** The status of an outcome, and ok derived from it: the one place the two are tied. */
export function settle(c: CheckOutcome): CheckResult {
  const status = c.status ?? (c.ok ? "pass" : "fail");
  return { ...c, status, ok: status === "pass" || status === "skipped" };
}

/** How each status reads in a table, terminal and Markdown alike. */
export const STATUS_LABEL: Record<CheckStatus, string> = { pass: "PASS", fail: "FAIL", "no-evidence": "NO EVIDENCE", skipped: "skipped" };

/** A check's status; reports before schema 2 carry only ok. */
export function statusOf(c: { ok: boolean; status?: CheckStatus }): CheckStatus {
  return c.status ?? (c.ok ? "pass" : "fail");
}

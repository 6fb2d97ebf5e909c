import type { DrainRecord } from "../drain/drain.ts";
import type { TimelineEvent } from "../drain/timeline.ts";
import type { LedgerRow } from "../load/ledger.ts";
import type { Scenario } from "../scenario/schema.ts";

/** Everything a verdict is judged on: plain data, no handles. */
export interface Records {
  scenario: Scenario;
  rows: LedgerRow[];
  timeline: TimelineEvent[];
  drain: DrainRecord | null;
  /** The load schedule's start and end, ms since t0. */
  loadStartMs: number;
  loadEndMs: number;
}

export interface CheckResult {
  name: string;
  ok: boolean;
  observed: number | string;
  expected: string;
  detail: string;
}

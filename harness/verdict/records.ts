import type { DrainRecord } from "../drain/drain.ts";
import type { TimelineEvent } from "../drain/timeline.ts";
import type { FaultRecord } from "../faults/types.ts";
import type { LedgerRow } from "../load/ledger.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { GeneratorStats } from "../load/generator.ts";
import type { Baseline } from "./gates.ts";
import type { AppEvent, NginxRow } from "./server-logs.ts";

/** What the servers recorded: nginx's access log and every node's app ledger, the drained node's included. */
export interface ServerRecords {
  nginx: NginxRow[];
  app: AppEvent[];
  /** Epoch ms of the run's t0, to put server timestamps on the run's clock. */
  t0EpochMs: number;
  nodes: Array<{ name: string; address: string }>;
  unreadable: number;
}

/** Everything a verdict is judged on: plain data, no handles. */
export interface Records {
  scenario: Scenario;
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
}

export interface CheckResult {
  name: string;
  ok: boolean;
  observed: number | string;
  expected: string;
  detail: string;
}

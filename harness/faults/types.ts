import type { Timeline } from "../clock/timeline.ts";
import type { HealthMonitor } from "../nodes/health-monitor.ts";
import type { StackHandle } from "../nodes/stack-handle.ts";
import type { Measured, MeasurementsOf } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import type { ServerRecords } from "../records/records.ts";
import type { Fault } from "../scenario/fault-schema.ts";
import type { Scenario } from "../scenario/schema.ts";

/** Everything a running fault may touch. */
export interface FaultContext {
  stack: StackHandle;
  scenario: Scenario;
  timeline: Timeline;
  monitor: HealthMonitor;
  signal?: AbortSignal;
}

/** The client and server records a finished run has, to measure a fault's effect after the fact. */
export interface FaultEvidence {
  scenario: Scenario;
  rows: LedgerRow[];
  server: ServerRecords;
  /** Every fault record of the run (a controller's measure looks at what the other faults did). */
  faults: FaultRecord[];
}

/**
 * One fault kind: how it runs on the timeline and what it reads from the
 * records afterwards. Its measurements are the ones its kind declares
 * (records/fault-measurements.ts), which the verdict reads typed.
 */
export interface FaultDefinition<F extends Fault = Fault> {
  kind: F["kind"];
  run: (ctx: FaultContext, fault: F) => Promise<FaultRecord>;
  /** Figures only the records can give (nginx's log, the app ledger), added to measurements. */
  measure?: (record: FaultRecord, evidence: FaultEvidence) => Measured<F["kind"]>;
  /** The one line that says what it did, from its measurements: every view shows it. */
  summarize: (measurements: MeasurementsOf<F["kind"]>) => string;
}

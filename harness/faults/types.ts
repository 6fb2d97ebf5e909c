import type { HealthMonitor } from "../drain/health-monitor.ts";
import type { Timeline } from "../drain/timeline.ts";
import type { LedgerRow } from "../load/ledger.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Stack } from "../stack/stack.ts";
import type { ServerRecords } from "../verdict/records.ts";
import type { Fault, FaultKind } from "./fault-schema.ts";

export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

/** What one fault did and what was measured, in ms since t0: plain data for checks and the report. */
export interface FaultRecord {
  kind: FaultKind;
  /** The node it hit; null for faults on nginx or on the whole stack. */
  target: string | null;
  start_ms: number;
  /** When the fault's effect ended (respawned, unpaused, routed around ...); null if it never did within the run. */
  end_ms: number | null;
  /** The fault's resolved parameters, as in the scenario. */
  params: Fault;
  /** Set when a step of the fault could not be carried out (the fault then proves nothing). */
  error: string | null;
  /** Figures taken while it ran, then from the records after the run (measureFaults). */
  measurements: Record<string, Json>;
}

/** A claim about the software under test, checked against what the run observed. */
export interface Fact {
  claim: string;
  /** Who made the claim (the seed, the design notes). */
  source: string;
  observed: string;
  /** true: the run confirms the claim; false: it contradicts it; null: the run could not tell. */
  holds: boolean | null;
  evidence: string[];
}

/** Everything a running fault may touch. */
export interface FaultContext {
  stack: Stack;
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

/** One fault kind: how it runs on the timeline and what it reads from the records afterwards. */
export interface FaultDefinition<F extends Fault = Fault> {
  kind: F["kind"];
  run: (ctx: FaultContext, fault: F) => Promise<FaultRecord>;
  /** Figures only the records can give (nginx's log, the app ledger), added to measurements. */
  measure?: (record: FaultRecord, evidence: FaultEvidence) => Record<string, Json>;
}

import type { Fault, FaultKind } from "../scenario/fault-schema.ts";

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
  /** The one line that says what the fault did, written by its own module after measuring (absent before schema 2). */
  summary?: string;
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

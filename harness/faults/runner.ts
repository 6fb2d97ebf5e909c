import { measurementsOf } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import type { Fault } from "../scenario/fault-schema.ts";
import { nodeName } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";
import { impactOf } from "./impact.ts";
import { faultDefinition } from "./registry.ts";
import type { FaultContext, FaultEvidence } from "./types.ts";

/**
 * Runs every fault of the scenario, each at its at_s on the run's timeline,
 * alongside the load and the drain. A fault step that cannot be carried out
 * ends in a record with `error` (its check then fails), not in an exception:
 * the load and the other faults go on. Only an abort (Ctrl-C) throws.
 */
export async function runFaults(ctx: FaultContext): Promise<FaultRecord[]> {
  const { scenario, timeline, signal } = ctx;
  // every fault's target is a node of the stack: the scenario schema checks it before anything starts
  return Promise.all(
    scenario.faults.map(async (fault) => {
      await sleep(fault.at_s * 1000 - timeline.now(), signal);
      try {
        return await faultDefinition(fault.kind).run(ctx, fault);
      } catch (err) {
        if (signal?.aborted) throw err;
        const message = (err as Error).message;
        timeline.add("fault-error", { kind: fault.kind, error: message });
        return failedRecord(fault, timeline.now(), message);
      }
    }),
  );
}

function failedRecord(fault: Fault, t_ms: number, error: string): FaultRecord {
  return {
    kind: fault.kind,
    target: "target" in fault ? nodeName(fault.target) : null,
    start_ms: t_ms,
    end_ms: null,
    params: fault,
    error,
    measurements: {},
  };
}

/**
 * Adds what only the finished run's records can tell (nginx's log, the app
 * ledgers, the client ledger) to each fault's measurements: the generic
 * `impact` of every fault, and each kind's own figures. Pure.
 */
export function measureFaults(faults: FaultRecord[], evidence: Omit<FaultEvidence, "faults">): FaultRecord[] {
  const all = { ...evidence, faults };
  return faults.map((record) => {
    if (record.error) return { ...record, summary: `error: ${record.error}` };
    const def = faultDefinition(record.kind);
    const measured = { ...record, measurements: { ...record.measurements, ...def.measure?.(record, all), impact: impactOf(record, all) } };
    return { ...measured, summary: def.summarize(measurementsOf(measured)) };
  });
}

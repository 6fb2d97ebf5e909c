import type { FaultRecord, Json } from "../records/fault-record.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import type { Records, ServerRecords } from "../records/records.ts";
import type { AppEvent, NginxRow } from "../records/server-logs.ts";
import type { Fault } from "../scenario/fault-schema.ts";
import { Scenario } from "../scenario/schema.ts";

/** Hand-made records for the faults' unit tests: t0 is epoch 1_000_000 ms, node-1 is 10.0.0.1, node-2 10.0.0.2. */
export const T0 = 1_000_000;
export const NODES = [
  { name: "node-1", address: "10.0.0.1" },
  { name: "node-2", address: "10.0.0.2" },
];

export function scenario(over: object = {}): Scenario {
  return Scenario.parse({ name: "t", drain: { enabled: false }, ...over });
}

export function row(seq: number, over: Partial<LedgerRow> = {}): LedgerRow {
  return {
    seq,
    id: `r-${seq}`,
    kind: 0,
    method: "GET",
    serviceMs: 100,
    intendedMs: 0,
    sentMs: 0,
    endMs: 120,
    status: 200,
    error: "none",
    node: "node-2",
    bytes: 10,
    attempts: 1,
    ...over,
  };
}

/** An nginx log row for request `id`, received at `startMs` (run clock), with attempts like [["node-1", "502"], ["node-2", "200"]]. */
export function nginx(id: string, startMs: number, endMs: number, attempts: Array<[string, string]>, status = 200): NginxRow {
  const addr = (name: string) => `${NODES.find((n) => n.name === name)!.address}:8000`;
  return {
    endEpochMs: T0 + endMs,
    id,
    method: "GET",
    status,
    upstreamAddrs: attempts.map(([n]) => addr(n)),
    upstreamStatuses: attempts.map(([, s]) => s),
    requestTimeMs: endMs - startMs,
    generation: 1,
    upstreamConnectMs: [],
    upstreamHeaderMs: [],
  };
}

export function app(id: string, node: string, pid: number, event: AppEvent["event"], atMs: number): AppEvent {
  return { epochMs: T0 + atMs, event, id, node, pid };
}

export function server(nginxRows: NginxRow[] = [], appEvents: AppEvent[] = []): ServerRecords {
  return { nginx: nginxRows, app: appEvents, t0EpochMs: T0, nodes: NODES, unreadable: 0 };
}

export function faultRecord(
  fault: Partial<Fault> & { kind: Fault["kind"] },
  over: Partial<FaultRecord> = {},
  measurements: Record<string, Json> = {},
): FaultRecord {
  const params = { at_s: 1, target: 1, ...fault } as Fault;
  return {
    kind: fault.kind,
    target: "target" in params ? `node-${params.target}` : null,
    start_ms: 1000,
    end_ms: 1000,
    params,
    error: null,
    measurements,
    ...over,
  };
}

export function records(faults: FaultRecord[] | undefined, over: Partial<Records> = {}): Records {
  return {
    scenario: scenario(),
    rows: [],
    timeline: [],
    drains: [],
    loadStartMs: 0,
    loadEndMs: 10_000,
    server: server(),
    ...(faults ? { faults } : {}),
    ...over,
  };
}

/** The checks of harness/faults read no reconciliation; an empty one stands in. */

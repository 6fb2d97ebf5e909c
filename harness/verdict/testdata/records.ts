import type { DrainRecord } from "../../records/drain-record.ts";
import type { GeneratorStats } from "../../records/generator-stats.ts";
import type { LedgerRow } from "../../records/ledger-row.ts";
import type { Records } from "../../records/records.ts";
import type { AppEvent, NginxRow } from "../../records/server-logs.ts";
import { Scenario } from "../../scenario/schema.ts";
import { judge } from "../verdict.ts";

// Hand-made records of a 4 s run at 10 req/s: node-1 is drained (removed at
// 1.5 s, SIGTERM at 2.0 s, exit at 2.5 s). Each test breaks one thing.
export const T0 = 1_800_000_000_000;
export const scenario = Scenario.parse({ name: "t", load: { warmup_s: 0 }, checks: { max_gap_ms: 500 } });
const nodes = [
  { name: "node-1", address: "10.0.0.1" },
  { name: "node-2", address: "10.0.0.2" },
];
export const drain: DrainRecord = {
  target: "node-1",
  removed: true,
  removal_generation: 2,
  start_ms: 1000,
  reload_effective_ms: 1500,
  signal_ms: 2000,
  signal: "SIGTERM",
  stop_wait_s: 3,
  exit_ms: 2500,
  exit_code: 0,
  killed_after_wait: false,
  readded_ms: null,
  marked_ms: 1100,
  draining_seen_ms: 1250,
  readd_healthy_seen_ms: null,
};
const timeline = [
  { t_ms: 1000, event: "drain-start", detail: {} },
  { t_ms: 1400, event: "removed", detail: {} },
  { t_ms: 1500, event: "reload-effective", detail: {} },
  { t_ms: 2000, event: "sigterm", detail: {} },
  { t_ms: 2500, event: "exited", detail: {} },
];

/** A generator that kept up: 10 req/s sent on time. */
export const generator: GeneratorStats = {
  mode: "open",
  sendLagMs: { p50: 0.2, p99: 1.5, max: 3 },
  cpuShareOfOneCore: 0.05,
  cpuPeakShareOfOneCore: 0.08,
  eventLoopBusyShare: 0.04,
  eventLoopBusyPeak: 0.06,
  intendedRatePerS: 10,
  sentRatePerS: 10,
  scheduleOverrunMs: 0,
  maxInFlight: 2,
  maxWaitingForConnection: 0,
  maxConnections: 64,
  clientRetries: 0,
  scheduled: 40,
  startMs: 0,
  endMs: 4000,
};

export interface Req {
  client: LedgerRow;
  nginx: NginxRow[];
  app: AppEvent[];
}

/** A request answered cleanly: node-1 before the removal, node-2 otherwise (alternating). */
export function request(seq: number): Req {
  const t = seq * 100;
  const node = t < 1400 && seq % 2 === 1 ? "node-1" : "node-2";
  const addr = node === "node-1" ? "10.0.0.1:8000" : "10.0.0.2:8000";
  const id = `r-${seq}`;
  return {
    client: {
      seq,
      id,
      kind: 0,
      method: "GET",
      serviceMs: 10,
      intendedMs: t,
      sentMs: t,
      endMs: t + 20,
      status: 200,
      error: "none",
      node,
      bytes: 10,
      attempts: 1,
    },
    nginx: [
      {
        endEpochMs: T0 + t + 19,
        id,
        method: "GET",
        status: 200,
        upstreamAddrs: [addr],
        upstreamStatuses: ["200"],
        requestTimeMs: 18,
        generation: t < 1500 ? 1 : 2,
        upstreamConnectMs: [0.3],
        upstreamHeaderMs: [15],
      },
    ],
    app: [
      { epochMs: T0 + t + 2, event: "start", id, node, pid: 7 },
      { epochMs: T0 + t + 15, event: "finish", id, node, pid: 7, status: 200 },
    ],
  };
}

export function records(reqs: Req[], over: Partial<Records> = {}): Records {
  return {
    scenario,
    rows: reqs.map((r) => r.client),
    timeline,
    drains: [drain],
    loadStartMs: 0,
    loadEndMs: 4000,
    server: { nginx: reqs.flatMap((r) => r.nginx), app: reqs.flatMap((r) => r.app), t0EpochMs: T0, nodes, unreadable: 0 },
    generator,
    ...over,
  };
}

/** r-9 on node-1 runs 300 ms, so node-1 holds it when its drain begins at 1000 ms (drain-exercised). */
export const clean = () =>
  Array.from({ length: 40 }, (_, i) => {
    const r = request(i);
    if (i === 9) {
      r.client.serviceMs = 290;
      r.client.endMs += 290;
      r.nginx[0]!.endEpochMs += 290;
      r.nginx[0]!.requestTimeMs += 290;
      r.app[1]!.epochMs += 290;
    }
    return r;
  });

/** Applies `change` to request `seq` of a clean run and judges it. */
export function judgeWith(seq: number, change: (r: Req) => void, over: Partial<Records> = {}) {
  const reqs = clean();
  change(reqs[seq]!);
  return judge(records(reqs, over));
}

export const failing = (v: ReturnType<typeof judge>) => v.checks.filter((c) => !c.ok).map((c) => c.name);

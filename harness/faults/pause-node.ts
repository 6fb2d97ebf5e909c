import type { Measured } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import { toEpochMs } from "../records/timeline.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import { nodeName } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";
import { attemptsOn } from "./impact.ts";
import type { FaultDefinition, FaultEvidence } from "./types.ts";

type PauseNode = FaultOf<"pause-node">;

/**
 * Freeze a node: `docker pause` (the cgroup freezer) for duration_s, then
 * `docker unpause`. The kernel still completes TCP handshakes into the
 * listen backlog, so nginx connects, sends, and waits proxy_read_timeout.
 */
export const pauseNode: FaultDefinition<PauseNode> = {
  kind: "pause-node",
  async run({ stack, scenario, timeline, signal }, fault) {
    const target = nodeName(fault.target);
    timeline.add("fault-pause-node", {
      target,
      duration_s: fault.duration_s,
      proxy_read_timeout_s: scenario.stack.nginx.proxy_read_timeout_s,
    });
    await stack.pause(target);
    const paused = timeline.add("paused", { target });
    try {
      await sleep(fault.duration_s * 1000, signal);
    } finally {
      // also on abort: a frozen container would outlive the run's teardown
      await stack.unpause(target);
    }
    const thawed = timeline.add("unpaused", { target });
    return {
      kind: "pause-node",
      target,
      start_ms: paused.t_ms,
      end_ms: thawed.t_ms,
      params: fault,
      error: null,
      measurements: { frozen_ms: Math.round(thawed.t_ms - paused.t_ms) },
    };
  },
  measure: measurePauseNode,
  summarize: (m) => `frozen ${m.frozen_ms} ms, ${m.timed_out_attempts} of ${m.attempts_on_frozen_node} attempts timed out`,
};

/** nginx's attempts on the frozen node, and the work it did after the thaw for clients that had given up. */
export function measurePauseNode(record: FaultRecord, evidence: FaultEvidence): Measured<"pause-node"> {
  const { server, rows, scenario } = evidence;
  const thaw = record.end_ms ?? record.start_ms;
  const attempts = attemptsOn(evidence, record.target!).filter((a) => a.startMs >= record.start_ms && a.startMs < thaw);
  const thawEpoch = toEpochMs(thaw, server.t0EpochMs);
  const finishedAfterThaw = server.app.filter((e) => e.node === record.target && e.event === "finish" && e.epochMs >= thawEpoch);
  const byId = new Map(rows.map((r) => [r.id, r]));
  // answered at the client before the node finished it: nobody was waiting for that work any more
  const late = finishedAfterThaw.filter((e) => {
    const r = byId.get(e.id);
    return r !== undefined && !Number.isNaN(r.endMs) && toEpochMs(r.endMs, server.t0EpochMs) < e.epochMs;
  });
  const due = rows.filter((r) => r.intendedMs >= record.start_ms && r.intendedMs < thaw && !Number.isNaN(r.endMs));
  const waits = due.map((r) => r.endMs - r.intendedMs - r.serviceMs);
  return {
    proxy_read_timeout_ms: scenario.stack.nginx.proxy_read_timeout_s * 1000,
    attempts_on_frozen_node: attempts.length,
    timed_out_attempts: attempts.filter((a) => a.status === "504").length,
    retried_elsewhere: attempts.filter((a) => a.retried).length,
    finished_after_thaw_for_gone_clients: late.length,
    max_wait_ms_due_during_freeze: waits.length ? Math.round(Math.max(...waits)) : null,
  };
}

import type { Measured } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import { nodeName } from "../scenario/topology.ts";
import { attemptsOn } from "./impact.ts";
import type { FaultDefinition, FaultEvidence } from "./types.ts";

type KillNode = FaultOf<"kill-node">;

/**
 * A hard crash of a whole node: SIGKILL to its PID 1, no removal from nginx.
 * Only nginx's passive health (max_fails within fail_timeout) can route
 * around it; what that cost is read from nginx's log afterwards.
 */
export const killNode: FaultDefinition<KillNode> = {
  kind: "kill-node",
  async run({ stack, timeline }, fault) {
    const target = nodeName(fault.target);
    const start = timeline.add("fault-kill-node", { target, signal: "SIGKILL" });
    const exited = stack.exited(target);
    await stack.signal(target, "SIGKILL");
    await exited;
    const exitCode = await stack.exitCode(target);
    const end = timeline.add("node-dead", { target, exit_code: exitCode });
    return {
      kind: "kill-node",
      target,
      start_ms: start.t_ms,
      end_ms: end.t_ms,
      params: fault,
      error: null,
      measurements: { exit_code: exitCode, dead_after_ms: Math.round(end.t_ms - start.t_ms) },
    };
  },
  measure: measureKillNode,
  summarize: (m) =>
    m.route_around_after_ms === null
      ? `exit ${m.exit_code}, no evidence nginx met the dead node`
      : `exit ${m.exit_code}, routed around after ${m.route_around_after_ms} ms`,
};

/**
 * nginx's attempts on the dead node from the kill on. The kill fails every
 * attempt in flight on the node at that instant; those failures are what
 * trip max_fails, so they count as evidence: when they alone tripped it, nginx
 * routed around the node at once (0 ms), the best outcome. After max_fails
 * failures nginx leaves the node alone for fail_timeout, then probes it once
 * more. route_around_after_ms is the start of the last attempt begun inside
 * that first window, 0 when none began after the kill, and null only when
 * nothing shows nginx met the dead node at all (no attempt in flight, none
 * after) or no request came after the kill to be routed anywhere.
 */
export function measureKillNode(record: FaultRecord, evidence: FaultEvidence): Measured<"kill-node"> {
  const params = record.params as KillNode;
  const { nginx } = evidence.scenario.stack;
  const killMs = record.start_ms;
  const attempts = attemptsOn(evidence, record.target!).filter((a) => a.endMs >= killMs);
  const inFlight = attempts.filter((a) => a.startMs < killMs);
  const after = attempts.filter((a) => a.startMs >= killMs);
  // with max_fails 0 nginx never marks the node failed, so fail_timeout means nothing: the window is the rest of the run
  const windowEnd = nginx.max_fails === 0 ? Number.POSITIVE_INFINITY : killMs + nginx.fail_timeout_s * 1000;
  const inWindow = after.filter((a) => a.startMs < windowEnd);
  const sentAfter = evidence.rows.filter((r) => r.sentMs >= killMs && r.sentMs < windowEnd).length;
  const last = inWindow.at(-1);
  const metDeadNode = inFlight.some((a) => a.failed) || after.length > 0;
  const failedIds = new Set(evidence.rows.filter((r) => r.error !== "none" && r.error !== "unanswered").map((r) => r.id));
  const windowAttempts = [...inFlight, ...inWindow];
  return {
    passive_health: nginx.max_fails === 0 ? "off (max_fails 0)" : `max_fails ${nginx.max_fails}, fail_timeout ${nginx.fail_timeout_s} s`,
    attempts_on_dead_node: after.length,
    attempts_in_flight_at_kill: inFlight.length,
    failed_in_flight_at_kill: inFlight.filter((a) => a.failed).length,
    attempts_in_first_fail_timeout: inWindow.length,
    requests_sent_in_first_fail_timeout: sentAfter,
    route_around_after_ms: !metDeadNode || sentAfter === 0 ? null : last ? Math.round(last.startMs - killMs) : 0,
    route_around_within_ms: params.route_around_within_ms,
    failed_until_routed_around: windowAttempts.filter((a) => failedIds.has(a.id)).length,
    answered_by_retry_elsewhere: windowAttempts.filter((a) => !failedIds.has(a.id) && a.retried).length,
    upstream_statuses_on_dead_node: countBy(attempts.map((a) => a.status)),
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

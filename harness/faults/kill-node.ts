import type { FaultOf } from "./fault-schema.ts";
import { attemptsOn } from "./impact.ts";
import type { FaultDefinition, FaultEvidence, FaultRecord, Json } from "./types.ts";

type KillNode = FaultOf<"kill-node">;

/**
 * A hard crash of a whole node: SIGKILL to its PID 1, no removal from nginx.
 * Only nginx's passive health (max_fails within fail_timeout) can route
 * around it; what that cost is read from nginx's log afterwards.
 */
export const killNode: FaultDefinition<KillNode> = {
  kind: "kill-node",
  async run({ stack, timeline }, fault) {
    const target = `node-${fault.target}`;
    const container = stack.container(target);
    const start = timeline.add("fault-kill-node", { target, signal: "SIGKILL" });
    const exited = container.wait();
    await container.kill({ signal: "SIGKILL" });
    await exited;
    const info = await container.inspect();
    const end = timeline.add("node-dead", { target, exit_code: info.State.ExitCode });
    return { kind: "kill-node", target, start_ms: start.t_ms, end_ms: end.t_ms, params: fault, error: null, measurements: { exit_code: info.State.ExitCode, dead_after_ms: Math.round(end.t_ms - start.t_ms) } };
  },
  measure: measureKillNode,
};

/**
 * nginx's attempts on the dead node after the kill: until the first failure
 * nginx keeps choosing it; after max_fails failures it routes around it for
 * fail_timeout, then probes it once more. route_around_after_ms is the start
 * of the last attempt inside that first window.
 */
export function measureKillNode(record: FaultRecord, evidence: FaultEvidence): Record<string, Json> {
  const params = record.params as KillNode;
  const { nginx } = evidence.scenario.stack;
  const attempts = attemptsOn(evidence, record.target!).filter((a) => a.startMs >= record.start_ms);
  // with max_fails 0 nginx never marks the node failed, so fail_timeout means nothing: the window is the rest of the run
  const windowEnd = nginx.max_fails === 0 ? Number.POSITIVE_INFINITY : record.start_ms + nginx.fail_timeout_s * 1000;
  const inWindow = attempts.filter((a) => a.startMs < windowEnd);
  const last = inWindow.at(-1);
  const failedIds = new Set(evidence.rows.filter((r) => r.error !== "none" && r.error !== "unanswered").map((r) => r.id));
  return {
    passive_health: nginx.max_fails === 0 ? "off (max_fails 0)" : `max_fails ${nginx.max_fails}, fail_timeout ${nginx.fail_timeout_s} s`,
    attempts_on_dead_node: attempts.length,
    attempts_in_first_fail_timeout: inWindow.length,
    // null: nginx never tried the dead node, so nothing shows that it routed around it
    route_around_after_ms: last ? Math.round(last.startMs - record.start_ms) : null,
    route_around_within_ms: params.route_around_within_ms,
    failed_until_routed_around: inWindow.filter((a) => failedIds.has(a.id)).length,
    answered_by_retry_elsewhere: inWindow.filter((a) => !failedIds.has(a.id) && a.retried).length,
    upstream_statuses_on_dead_node: countBy(attempts.map((a) => a.status)),
  };
}

function countBy(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

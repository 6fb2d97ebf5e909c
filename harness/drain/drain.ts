import type { Timeline } from "../clock/timeline.ts";
import type { HealthMonitor } from "../nodes/health-monitor.ts";
import { logLinesSince, signalAcknowledgement } from "../nodes/node-logs.ts";
import type { StackHandle } from "../nodes/stack-handle.ts";
import type { DrainRecord } from "../records/drain-record.ts";
import type { Resolved } from "../scenario/resolved.ts";
import { drainTargets } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";

/** Everything a drain may touch, as a fault has its FaultContext: the stack's operations, the resolved scenario, the timeline, the monitor. */
export interface DrainContext {
  stack: StackHandle;
  resolved: Resolved;
  timeline: Timeline;
  monitor: HealthMonitor;
  signal?: AbortSignal;
}

/** Drains every target in turn; a rolling drain restarts and re-adds each node before the next. */
export async function runDrains(ctx: DrainContext): Promise<DrainRecord[]> {
  const { scenario } = ctx.resolved;
  await sleep(scenario.drain.at_s * 1000 - ctx.timeline.now(), ctx.signal);
  const records: DrainRecord[] = [];
  for (const target of drainTargets(scenario)) {
    const record = await drainNode(ctx, target);
    if (scenario.drain.rolling) Object.assign(record, await readd(ctx, target));
    records.push(record);
  }
  return records;
}

/**
 * The operators' drain of one node, step by step, each step a timeline event:
 * 1 the node reports draining and the monitor sees it, 2 upstream rewritten
 * with the node down + nginx -s reload, 3 SIGTERM to gunicorn (PID 1),
 * 4-5 wait the stop wait (effective graceful limit + margin), then SIGKILL
 * what is left, 6 record the exit.
 */
async function drainNode({ stack, resolved, timeline, monitor, signal }: DrainContext, target: string): Promise<DrainRecord> {
  const { scenario, chain } = resolved;
  const { drain } = scenario;
  const startMs = timeline.add("drain-start", { target, remove: drain.remove, reload: drain.reload, signal: drain.signal }).t_ms;

  let removalGeneration: number | null = null;
  let effectiveMs: number | null = null;
  let markedMs: number | null = null;
  let seenMs: number | null = null;
  if (drain.remove) {
    if (drain.mark_draining) {
      // from when the flag is sent: the monitor may see it before `docker exec` returns
      markedMs = timeline.now();
      const flip = await stack.markDraining(target);
      timeline.add("mark-draining", { target, ok: flip === 0 });
    } else {
      timeline.add("mark-draining", { target, skipped: true });
    }
    // a system with no way to mark a node (system.app.mark_draining: none) has no health step to wait for
    if (scenario.system?.app.mark_draining !== "none") {
      seenMs = await monitor.waitFor(target, "draining", scenario.drain.detect_timeout_ms);
      timeline.add("monitor-detected", { target, seen: seenMs !== null, seen_at_ms: seenMs });
    }
    removalGeneration = await stack.setDown(target, true, { reload: drain.reload });
    const removed = timeline.add("removed", {
      target,
      generation: removalGeneration,
      command: drain.reload ? "nginx -s reload" : "none: the reload was skipped",
    });
    if (drain.reload) {
      await stack.waitForReload();
      effectiveMs = timeline.add("reload-effective", { generation: removalGeneration }).t_ms;
    } else {
      effectiveMs = removed.t_ms;
    }
    await sleep(drain.settle_ms, signal);
  }

  const signalMs = timeline.add(drain.signal === "SIGTERM" ? "sigterm" : "sigkill", { target, stop_wait_s: chain.stop_wait_s }).t_ms;
  const exited = stack.exited(target);
  await stack.signal(target, drain.signal);
  // the stop wait's timer is cancelled once the node exits: left running it would hold the process up to stop_wait_s
  const stopWait = new AbortController();
  const waited = sleep(chain.stop_wait_s * 1000, signal ? AbortSignal.any([signal, stopWait.signal]) : stopWait.signal).then(
    () => "waited" as const,
  );
  waited.catch(() => {});
  let result: "exited" | "waited";
  try {
    result = await Promise.race([exited.then(() => "exited" as const), waited]);
  } finally {
    stopWait.abort();
  }
  let killed = false;
  if (result === "waited") {
    killed = true;
    timeline.add("sigkill-after-wait", { target, waited_s: chain.stop_wait_s });
    await stack.signal(target, "SIGKILL").catch(() => {});
    await exited;
  }
  const exitCode = await stack.exitCode(target);
  const exitMs = timeline.add("exited", { target, exit_code: exitCode, killed_after_wait: killed }).t_ms;
  // the signal path as it happened: did the server itself say it took the SIGTERM (a shell as PID 1 passes nothing on)?
  let acknowledged: DrainRecord["signal_acknowledged"];
  if (drain.signal === "SIGTERM") {
    const since = timeline.wallAt(signalMs);
    const ack = signalAcknowledgement(await logLinesSince(stack, target, since).catch(() => []), since);
    acknowledged = ack ? { t_ms: Math.round(timeline.atEpoch(ack.epochMs)), line: ack.text.trim() } : null;
  }
  return {
    target,
    start_ms: startMs,
    removed: drain.remove,
    removal_generation: removalGeneration,
    reload_effective_ms: effectiveMs,
    signal_ms: signalMs,
    signal: drain.signal,
    stop_wait_s: chain.stop_wait_s,
    exit_ms: exitMs,
    exit_code: exitCode,
    killed_after_wait: killed,
    ...(acknowledged !== undefined ? { signal_acknowledged: acknowledged } : {}),
    readded_ms: null,
    marked_ms: markedMs,
    draining_seen_ms: seenMs,
    readd_healthy_seen_ms: null,
  };
}

/** Restart the drained node, wait until the monitor sees it healthy, put it back in the upstream and reload. */
async function readd(
  { stack, resolved, timeline, monitor, signal }: DrainContext,
  target: string,
): Promise<Pick<DrainRecord, "readded_ms" | "readd_healthy_seen_ms">> {
  const { drain } = resolved.scenario;
  await stack.restart(target);
  timeline.add("restarted", { target, address: stack.node(target).address });
  const healthyMs = await monitor.waitFor(target, "ok", drain.readd_health_timeout_ms);
  timeline.add("monitor-detected", { target, seen: healthyMs !== null, state: "ok" });
  // back in service from the moment the reload is sent: new nginx workers route to it at once
  const backMs = timeline.add("readd", { target, command: "nginx -s reload" }).t_ms;
  const generation = await stack.setDown(target, false);
  await stack.waitForReload();
  timeline.add("readded", { target, generation });
  await sleep(drain.settle_after_readd_ms, signal);
  return { readded_ms: backMs, readd_healthy_seen_ms: healthyMs };
}

import type { Scenario } from "../scenario/schema.ts";
import type { Stack } from "../stack/stack.ts";
import type { HealthMonitor } from "./health-monitor.ts";
import { sleep, type Timeline } from "./timeline.ts";
import { timeoutChain } from "./timeout-chain.ts";

/** What happened to the drained node, in ms since t0. */
export interface DrainRecord {
  target: string;
  removed: boolean;
  removal_generation: number | null;
  /** When the reload had taken effect (old nginx workers shutting down); null without removal. */
  reload_effective_ms: number | null;
  signal_ms: number;
  signal: "SIGTERM" | "SIGKILL";
  stop_wait_s: number;
  exit_ms: number | null;
  exit_code: number | null;
  /** The operator had to SIGKILL it after the stop wait. */
  killed_after_wait: boolean;
}

const MONITOR_DETECT_TIMEOUT_MS = 5_000;

/**
 * The operators' drain, step by step, each step a timeline event:
 * 1 the node reports draining and the monitor sees it, 2 upstream rewritten
 * with the node down + nginx -s reload, 3 SIGTERM to gunicorn (PID 1),
 * 4-5 wait the stop wait (effective graceful limit + margin), then SIGKILL
 * what is left, 6 record the exit.
 */
export async function runDrain(
  stack: Stack,
  scenario: Scenario,
  timeline: Timeline,
  monitor: HealthMonitor,
  signal?: AbortSignal,
): Promise<DrainRecord> {
  const { drain } = scenario;
  const target = `node-${drain.target}`;
  const container = stack.container(target);
  const chain = timeoutChain(scenario);
  await sleep(drain.at_s * 1000 - timeline.now(), signal);
  timeline.add("drain-start", { target, remove: drain.remove, signal: drain.signal });

  let removalGeneration: number | null = null;
  let reloadEffectiveMs: number | null = null;
  if (drain.remove) {
    const flip = await stack.execIn(target, ["touch", "/tmp/drainlab-draining"]);
    timeline.add("mark-draining", { target, ok: flip === 0 });
    const seen = await monitor.waitFor(target, "draining", MONITOR_DETECT_TIMEOUT_MS);
    timeline.add("monitor-detected", { target, seen });
    removalGeneration = await stack.setDown(target, true);
    timeline.add("removed", { target, generation: removalGeneration, command: "nginx -s reload" });
    await stack.waitForReload();
    reloadEffectiveMs = timeline.add("reload-effective", { generation: removalGeneration }).t_ms;
    await sleep(drain.settle_ms, signal);
  }

  const signalMs = timeline.add(drain.signal === "SIGTERM" ? "sigterm" : "sigkill", { target, stop_wait_s: chain.stop_wait_s }).t_ms;
  const exited = container.wait();
  await container.kill({ signal: drain.signal });
  const result = await Promise.race([exited.then(() => "exited" as const), sleep(chain.stop_wait_s * 1000, signal).then(() => "waited" as const)]);
  let killed = false;
  if (result === "waited") {
    killed = true;
    timeline.add("sigkill-after-wait", { target, waited_s: chain.stop_wait_s });
    await container.kill({ signal: "SIGKILL" }).catch(() => {});
    await exited;
  }
  const info = await container.inspect();
  const exitMs = timeline.add("exited", { target, exit_code: info.State.ExitCode, killed_after_wait: killed }).t_ms;
  return {
    target,
    removed: drain.remove,
    removal_generation: removalGeneration,
    reload_effective_ms: reloadEffectiveMs,
    signal_ms: signalMs,
    signal: drain.signal,
    stop_wait_s: chain.stop_wait_s,
    exit_ms: exitMs,
    exit_code: info.State.ExitCode,
    killed_after_wait: killed,
  };
}

import type { HealthState } from "../nodes/health-monitor.ts";
import type { Measured } from "../records/fault-measurements.ts";
import type { FaultRecord, Json } from "../records/fault-record.ts";
import { toEpochMs } from "../records/timeline.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import { drainTargets } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";
import type { FaultDefinition, FaultEvidence } from "./types.ts";

type HealthRemoval = FaultOf<"health-removal">;

/** The faults whose onset a health monitor should see on their node. */
const ONSET_KINDS = new Set(["mark-draining", "kill-node", "pause-node"]);

interface Removal {
  node: string;
  state: HealthState;
  detected_ms: number;
  reload_sent_ms?: number;
  effective_ms?: number;
  generation?: number;
  detection_to_removal_ms?: number;
  error?: string;
}

/**
 * The seed's step 1 made real: open-source nginx has no active health
 * checks, so a controller acts on the monitor instead. Any node the monitor
 * sees answer 503 (draining) or not answer at all (down) is marked down in
 * the upstream and nginx is reloaded, once per node. The drain's own target
 * is left to the drain.
 */
export const healthRemoval: FaultDefinition<HealthRemoval> = {
  kind: "health-removal",
  async run({ stack, scenario, timeline, monitor, signal }, fault) {
    const start = timeline.add("health-controller-start", {
      interval_ms: scenario.drain.monitor_interval_ms,
      remove_within_ms: fault.remove_within_ms,
    });
    const endAt = fault.duration_s === null ? scenario.load.duration_s * 1000 : start.t_ms + fault.duration_s * 1000;
    const leftToDrain = new Set(scenario.drain.enabled ? drainTargets(scenario) : []);
    const handled = new Set<string>();
    const removals: Removal[] = [];
    let queue = Promise.resolve();
    const act = (node: string, state: HealthState, detectedMs: number) => {
      if (state === "ok" || leftToDrain.has(node) || handled.has(node)) return;
      handled.add(node);
      // one reload at a time: each waits until the previous one took effect
      queue = queue.then(async () => {
        const removal: Removal = { node, state, detected_ms: detectedMs };
        removals.push(removal);
        try {
          removal.reload_sent_ms = timeline.add("health-removal", { target: node, state, command: "nginx -s reload" }).t_ms;
          removal.generation = await stack.setDown(node, true);
          await stack.waitForReload();
          removal.effective_ms = timeline.add("health-removal-effective", { target: node, generation: removal.generation }).t_ms;
          removal.detection_to_removal_ms = Math.round(removal.effective_ms - detectedMs);
        } catch (err) {
          removal.error = (err as Error).message;
        }
      });
    };
    const unsubscribe = monitor.onChange((c) => {
      if (timeline.now() < endAt) act(c.node, c.state, c.t_ms);
    });
    for (const n of stack.nodes) {
      const state = monitor.state(n.name);
      if (state) act(n.name, state, start.t_ms);
    }
    try {
      await sleep(endAt - timeline.now(), signal);
    } finally {
      unsubscribe();
    }
    await queue;
    const end = timeline.add("health-controller-end", { removed: removals.filter((r) => r.effective_ms !== undefined).map((r) => r.node) });
    const failed = removals.filter((r) => r.error);
    return {
      kind: "health-removal",
      target: null,
      start_ms: start.t_ms,
      end_ms: end.t_ms,
      params: fault,
      error: failed.length ? failed.map((r) => `${r.node}: ${r.error}`).join("; ") : null,
      measurements: { monitor_interval_ms: scenario.drain.monitor_interval_ms, removals: removals as unknown as Json },
    };
  },
  measure: measureHealthRemoval,
  summarize({ removals, undetected }) {
    const parts = removals.map((r) => `${r.node} ${r.state}: removed ${r.detection_to_removal_ms} ms after detection`);
    if (undetected.length) parts.push(`undetected: ${undetected.join(", ")}`);
    return parts.join("; ") || "no removal";
  },
};

/**
 * For each removal: from the fault that caused it (if the scenario has one on
 * that node) to the monitor's detection, and whether any request still
 * reached the node after the removal took effect. Faults the controller
 * should have seen but did not are listed as undetected.
 */
export function measureHealthRemoval(record: FaultRecord, { server, faults }: FaultEvidence): Measured<"health-removal"> {
  const removals = (record.measurements.removals ?? []) as unknown as Removal[];
  const onsets = faults.filter(
    (f) => ONSET_KINDS.has(f.kind) && f.target !== null && f.start_ms >= record.start_ms && f.start_ms < (record.end_ms ?? Infinity),
  );
  const measured = removals.map((r) => {
    const onset = onsets.filter((f) => f.target === r.node && f.start_ms <= r.detected_ms).at(-1);
    const effectiveEpoch = r.effective_ms === undefined ? null : toEpochMs(r.effective_ms, server.t0EpochMs);
    const reached =
      effectiveEpoch === null
        ? null
        : server.app.filter((e) => e.node === r.node && e.event === "start" && e.epochMs > effectiveEpoch).length;
    return {
      ...r,
      onset: onset ? `${onset.kind} at ${Math.round(onset.start_ms)} ms` : null,
      onset_to_detection_ms: onset ? Math.round(r.detected_ms - onset.start_ms) : null,
      reached_after_removal: reached,
    };
  });
  const undetected = onsets.filter((f) => !removals.some((r) => r.node === f.target)).map((f) => `${f.target} (${f.kind})`);
  return { removals: measured, undetected };
}

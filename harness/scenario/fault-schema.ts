import { z } from "zod";
import { boundedMs, boundedSeconds, MAX_DURATION_S } from "./http-fields.ts";

/**
 * The `faults:` list of a scenario: steps on the same timeline as the drain,
 * each at `at_s` seconds into the load, any number of them, in any mix.
 * `target` is 1-based like drain.target: 1 is node-1.
 */

const at_s = boundedSeconds();
const target = z.number().int().min(1).default(1);
const duration_s = z.number().positive().max(MAX_DURATION_S);

export const KillWorkerFault = z.strictObject({
  kind: z.literal("kill-worker"),
  at_s,
  target,
  /** Which worker, 1-based in pid order (the oldest first). */
  worker: z.number().int().min(1).default(1),
  signal: z.enum(["SIGKILL", "SIGTERM", "SIGSEGV"]).default("SIGKILL"),
  /**
   * worker-respawned: a replacement must exist within this. gunicorn's arbiter replaces a dead worker at once
   * (SIGCHLD: 11-500 ms measured). uvicorn's supervisor (0.30+) checks each worker every 0.5 s and then waits up
   * to 5 s for its pong, so a worker killed between the two is replaced only after 5.0-5.5 s (1 soak run in 23,
   * 5021 ms, under uvicorn 0.32.0). 8 s keeps 2.5 s over that worst case: a supervisor that does not respawn at
   * all still fails it.
   */
  respawn_within_s: z.number().positive().max(MAX_DURATION_S).default(8),
});

export const KillNodeFault = z.strictObject({
  kind: z.literal("kill-node"),
  at_s,
  target,
  /** passive-health-routed-around: nginx must stop sending to the dead node within this after the kill. */
  route_around_within_ms: boundedMs().default(1000),
});

export const PauseNodeFault = z.strictObject({
  kind: z.literal("pause-node"),
  at_s,
  target,
  /** docker pause (cgroup freezer) for this long, then docker unpause. */
  duration_s,
});

export const NetemFault = z.strictObject({
  kind: z.literal("netem"),
  at_s,
  target,
  duration_s,
  /** On every packet the node sends (its eth0 egress), as `tc qdisc ... netem delay D J loss L%`. */
  delay_ms: boundedMs().default(0),
  jitter_ms: boundedMs().default(0),
  loss_pct: z.number().min(0).max(100).default(0),
  /** Abort every established connection on the node's port with `ss -K` (an RST to nginx), this often; null: never. */
  reset_every_ms: z
    .number()
    .positive()
    .max(MAX_DURATION_S * 1000)
    .nullable()
    .default(null),
  /** netem: tc qdisc netem (needs sch_netem); nfqueue: iptables NFQUEUE + faultkit.py's userspace delayer; auto: netem if the kernel has it. */
  mechanism: z.enum(["auto", "netem", "nfqueue"]).default("auto"),
});

export const ReloadStormFault = z.strictObject({
  kind: z.literal("reload-storm"),
  at_s,
  duration_s,
  /** `nginx -s reload` this often, from a loop inside the nginx container. */
  every_ms: z.number().int().min(20).default(250),
});

export const MarkDrainingFault = z.strictObject({
  kind: z.literal("mark-draining"),
  at_s,
  target,
});

export const HealthRemovalFault = z.strictObject({
  kind: z.literal("health-removal"),
  /** From this moment the controller acts on what the monitor sees (drain.monitor_interval_ms is its poll interval). */
  at_s,
  /** How long it acts; null: until the load's schedule ends. */
  duration_s: duration_s.nullable().default(null),
  /** health-driven-removal: from the monitor seeing a node draining or down to the reload that removed it taking effect. */
  remove_within_ms: boundedMs().default(2000),
});

export const Fault = z.discriminatedUnion("kind", [
  KillWorkerFault,
  KillNodeFault,
  PauseNodeFault,
  NetemFault,
  ReloadStormFault,
  MarkDrainingFault,
  HealthRemovalFault,
]);
export const Faults = z.array(Fault).default([]);

export type Fault = z.output<typeof Fault>;
export type FaultKind = Fault["kind"];
export type FaultOf<K extends FaultKind> = Extract<Fault, { kind: K }>;

/** The checks the faults add to the verdict (harness/faults/checks.ts); expect.failing_checks may name them. */
export const FAULT_CHECK_NAMES = [
  "worker-respawned",
  "passive-health-routed-around",
  "freeze-bounded-by-read-timeout",
  "network-fault-took-effect",
  "reload-storm-applied",
  "health-driven-removal",
] as const;
export type FaultCheckName = (typeof FAULT_CHECK_NAMES)[number];

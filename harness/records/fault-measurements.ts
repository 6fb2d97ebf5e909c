import { z } from "zod";
import type { FaultKind } from "../scenario/fault-schema.ts";
import type { FaultRecord } from "./fault-record.ts";

/**
 * What each fault kind measures, declared once: the fault writes these keys
 * (faults/), the checks, facts and summaries read them (verdict/) through
 * `measurementsOf`, typed, never by a key spelt in a string. Reading is
 * lenient, as reports written earlier must still be judged: a figure that is
 * absent or not a number reads as null, a list as empty.
 */

const num = z.number().nullable().catch(null);
const text = z.string().nullable().catch(null);
const nums = z.array(z.number()).catch([]);
const texts = z.array(z.string()).catch([]);

/** What the requests in flight during any fault went through (faults/impact.ts), added to every kind's measurements. */
export const ImpactMeasurements = z.object({
  window_ms: nums,
  requests: num,
  failed: num,
  failed_by_error: z.record(z.string(), z.number()).catch({}),
  unanswered: num,
  retried_by_nginx: num,
  cut_short: num,
  executed_twice: num,
  max_wait_ms: num,
});

const withImpact = <T extends z.ZodRawShape>(shape: T) => z.object({ ...shape, impact: ImpactMeasurements.optional().catch(undefined) });

/** One removal the health-driven controller made, as run and as measured from the records. */
const MeasuredRemoval = z.object({
  node: z.string().catch("?"),
  state: z.string().catch("?"),
  detected_ms: num,
  reload_sent_ms: z.number().optional().catch(undefined),
  effective_ms: z.number().optional().catch(undefined),
  generation: z.number().optional().catch(undefined),
  detection_to_removal_ms: z.number().optional().catch(undefined),
  error: z.string().optional().catch(undefined),
  onset: text.optional(),
  onset_to_detection_ms: z.number().nullable().optional().catch(undefined),
  reached_after_removal: z.number().nullable().optional().catch(undefined),
});

export const FAULT_MEASUREMENTS = {
  "kill-worker": withImpact({
    runtime: text,
    killed_pid: num,
    respawned_pid: num,
    workers_before: nums,
    workers_after: z.array(z.number()).nullable().catch(null),
    gone_after_ms: num,
    respawn_after_ms: num,
    ready_after_ms: num,
    supervisor_log: texts,
    held_by_killed_worker: num,
    held_failed: num,
    held_answered_by_retry: num,
    held_failed_examples: texts,
    first_served_after_ms: num,
    /** absent: not measured; null: out of rotation for the rest of the run. */
    node_out_of_rotation_ms: z.number().nullable().optional().catch(undefined),
  }),
  "kill-node": withImpact({
    exit_code: num,
    dead_after_ms: num,
    passive_health: text,
    attempts_on_dead_node: num,
    attempts_in_flight_at_kill: num,
    failed_in_flight_at_kill: num,
    attempts_in_first_fail_timeout: num,
    requests_sent_in_first_fail_timeout: num,
    route_around_after_ms: num,
    route_around_within_ms: num,
    failed_until_routed_around: num,
    answered_by_retry_elsewhere: num,
    upstream_statuses_on_dead_node: z.record(z.string(), z.number()).catch({}),
  }),
  "pause-node": withImpact({
    frozen_ms: num,
    proxy_read_timeout_ms: num,
    attempts_on_frozen_node: num,
    timed_out_attempts: num,
    retried_elsewhere: num,
    finished_after_thaw_for_gone_clients: num,
    max_wait_ms_due_during_freeze: num,
  }),
  netem: withImpact({
    mechanism: z.enum(["netem", "nfqueue", "none"]).nullable().catch(null),
    mechanism_why: text,
    packets: num,
    dropped: num,
    delayed: num,
    max_held: num,
    stats_error: text,
    reset_rounds: num,
    sockets_reset: num,
    answers_from_target: num,
    median_wait_target_ms: num,
    median_wait_others_ms: num,
    median_wait_target_before_ms: num,
    extra_latency_ms: num,
    extra_latency_vs_before_ms: num,
  }),
  "reload-storm": withImpact({
    reloads_sent: num,
    reloads_failed: num,
    reloads_expected: num,
    mean_interval_ms: num,
    max_nginx_workers: num,
    sighup_reconfigurations_logged: num,
    nginx_answers_after: z.boolean().catch(false),
    reload_times_ms: nums,
  }),
  "mark-draining": withImpact({}),
  "health-removal": withImpact({
    monitor_interval_ms: num,
    removals: z.array(MeasuredRemoval).catch([]),
    undetected: texts,
  }),
} satisfies Record<FaultKind, z.ZodType>;

/** The measurements of a fault kind, as every reader sees them. */
export type MeasurementsOf<K extends FaultKind> = z.output<(typeof FAULT_MEASUREMENTS)[K]>;

/** What a fault writes: any of its kind's keys, each with its declared type (the compiler refuses a misspelt key). */
export type Measured<K extends FaultKind> = Partial<MeasurementsOf<K>>;

/** A fault record's measurements read through its kind's schema. */
export function measurementsOf<K extends FaultKind>(record: FaultRecord & { kind: K }): MeasurementsOf<K>;
export function measurementsOf(record: FaultRecord): MeasurementsOf<FaultKind>;
export function measurementsOf(record: FaultRecord): MeasurementsOf<FaultKind> {
  // a kind this version does not know (a report from a later one): only what every fault measures
  const schema = FAULT_MEASUREMENTS[record.kind] ?? FAULT_MEASUREMENTS["mark-draining"];
  const m = record.measurements;
  return schema.parse(typeof m === "object" && m !== null && !Array.isArray(m) ? m : {});
}

/** Narrows a record to its kind, so its measurements read with that kind's type. */
export function isFault<K extends FaultKind>(record: FaultRecord, kind: K): record is FaultRecord & { kind: K } {
  return record.kind === kind;
}

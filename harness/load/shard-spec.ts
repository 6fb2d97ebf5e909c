import { z } from "zod";
import { AttachUrl, unnamedHost } from "../scenario/attach-schema.ts";
import { issueLine, parseMapping } from "../scenario/load-scenario.ts";
import { LoadSettings, type Scenario } from "../scenario/schema.ts";
import { UsageError } from "../util/errors.ts";
import { shown } from "../util/text.ts";

/**
 * A shard spec: one shard of a load as a file, for `drainlab load-shard` to
 * run as its own process, here or on another host. The schedule is the whole
 * load's (`load`, its rate the whole rate); the shard sends requests i mod
 * count = index of it, at their intended times counted from `t0`, a
 * wall-clock instant every shard reads on its own host's clock (or, on the
 * kernel that wrote the spec, `t0_host_monotonic`: the same instant on the
 * monotonic clock that kernel's processes share).
 */

/** Spec files are a few kB; this keeps a wrong file (a log, /dev/zero) out of memory. */
export const MAX_SPEC_BYTES = 1024 * 1024;
/** A schedule whose start has passed by more than this is refused: its first requests would all leave late. */
export const MAX_START_PAST_MS = 1000;
/** A start further ahead than this is refused: a process that waits longer is more likely a wrong t0 than a plan. */
export const MAX_START_AHEAD_MS = 10 * 60 * 1000;

/** An instant as epoch ms or an ISO 8601 date-time with its offset (`2026-12-07T02:00:00Z`). */
const Instant = z.union([z.number().min(0).max(8.64e15), z.iso.datetime({ offset: true }).transform((iso) => Date.parse(iso))], {
  error: "an instant: epoch ms, or ISO 8601 with its offset (2026-12-07T02:00:00Z)",
});

export const ShardSpec = z
  .strictObject({
    /** What this file is, and its format's version. */
    drainlab_shard_spec: z.literal(1),
    /** The run's id: every request id is `<run_id>-<i>`, i its number in the whole load. */
    run_id: z.string().regex(/^[\w.-]{1,120}$/, "letters, digits, '.', '_' and '-' only (it is in every request id)"),
    /** The origin the load goes to (http(s)://host:port, no path), as attach.url. */
    url: AttachUrl,
    /** Hosts other than loopback the load may go to, as attach.hosts: the url's host must be loopback or here. */
    hosts: z.array(z.string().min(1)).default([]),
    /** The instant the ledger's times count from: epoch ms or ISO 8601 with offset. */
    t0: Instant,
    /**
     * The same t0 on the writing host's monotonic clock, with that host's boot id: a shard on the same kernel
     * counts from it, so a step of the wall clock (or a late tick of it) between the run's reading and the
     * shard's cannot set the shards' rows apart. Elsewhere (another boot id) the shard reads t0 on its wall clock.
     */
    t0_host_monotonic: z.strictObject({ boot_id: z.string().regex(/^[\w-]{1,64}$/), ms: z.number().nonnegative() }).optional(),
    /** The schedule starts this long after t0 (the same for every shard). */
    start_ms: z.number().nonnegative().max(MAX_START_AHEAD_MS).default(0),
    shard: z.strictObject({
      /** Which shard this is, 0-based; `drainlab load-shard --index` overrides it (a Kubernetes Indexed Job's JOB_COMPLETION_INDEX). */
      index: z.number().int().nonnegative().optional(),
      count: z.number().int().positive().max(1024),
    }),
    /** The whole load as a scenario's `load` (load.shards and load.shards_in are not read: the shard is above). */
    load: LoadSettings,
    /** true: the mix is drainlab's fixture's (its `?ms=`); false (default): paths sent as written, as an attach run's. */
    fixture_mix: z.boolean().default(false),
    /** Connections the shard opens before its schedule (absent: the generator's default for its share of the rate). */
    spare_connections: z.number().int().nonnegative().max(100_000).optional(),
    /** Run the generator ahead of other work on its host (a higher priority, when it may). */
    raise_priority: z.boolean().default(false),
  })
  .superRefine((s, ctx) => {
    if (s.shard.index !== undefined && s.shard.index >= s.shard.count)
      ctx.addIssue({
        code: "custom",
        path: ["shard", "index"],
        message: `a shard of ${s.shard.count} is numbered 0..${s.shard.count - 1}`,
      });
    const host = unnamedHost({ url: s.url, hosts: s.hosts });
    if (host !== null)
      ctx.addIssue({
        code: "custom",
        path: ["url"],
        message: `${host} is not loopback: name it in hosts to send load there (only to a system that is yours)`,
      });
  });
export type ShardSpec = z.output<typeof ShardSpec>;
export type ShardSpecInput = z.input<typeof ShardSpec>;

/** A spec with its shard's index settled (the file's, or --index). */
export type ResolvedShardSpec = ShardSpec & { shard: { index: number; count: number } };

/**
 * Parses and validates a spec's text (JSON or YAML); `source` names it in the error. Every problem is a
 * UsageError (exit 2) on one line: the file, the field and the value found there.
 */
export function parseShardSpec(text: string, source: string, index?: number): ResolvedShardSpec {
  const name = shown(source, 500);
  const raw = parseMapping(text, name, "a shard spec");
  const parsed = ShardSpec.safeParse(raw);
  if (!parsed.success) throw new UsageError(`${name}: invalid shard spec: ${issueLine(raw, parsed.error.issues[0]!)}`);
  const spec = parsed.data;
  const i = index ?? spec.shard.index;
  if (i === undefined)
    throw new UsageError(`${name}: shard.index is missing and no --index was given: which shard of ${spec.shard.count} is this?`);
  if (!(Number.isInteger(i) && i >= 0 && i < spec.shard.count))
    throw new UsageError(
      `--index ${i}: ${name} has shard.count ${spec.shard.count}, so the index is a whole number from 0 to ${spec.shard.count - 1}`,
    );
  return { ...spec, shard: { index: i, count: spec.shard.count } };
}

/**
 * Refuses a spec whose schedule start (t0 + start_ms) is not near enough ahead by this host's clock:
 * passed by more than MAX_START_PAST_MS (its requests would all leave late), or further ahead than
 * MAX_START_AHEAD_MS (most likely a wrong t0; the process would wait that long).
 */
export function checkStart(spec: ShardSpec, source: string, nowEpochMs = Date.now()): void {
  const start = spec.t0 + spec.start_ms;
  const delta = start - nowEpochMs;
  const at = `t0 ${new Date(spec.t0).toISOString()}${spec.start_ms ? ` + start_ms ${spec.start_ms}` : ""}`;
  const clock = `this host's clock reads ${new Date(nowEpochMs).toISOString()}`;
  const name = shown(source, 500);
  if (delta < -MAX_START_PAST_MS)
    throw new UsageError(
      `${name}: ${at}: the schedule's start is ${(-delta / 1000).toFixed(1)} s in the past (${clock}); write a spec whose t0 is ahead (drainlab shard-spec --start-in <s>)`,
    );
  if (delta > MAX_START_AHEAD_MS)
    throw new UsageError(
      `${name}: ${at}: the schedule's start is ${(delta / 60_000).toFixed(1)} min ahead (${clock}), more than the ${MAX_START_AHEAD_MS / 60_000} min a shard waits`,
    );
}

/** The spec of a load split `count` ways, as a run or `drainlab shard-spec` writes it (every shard's the same but for its index). */
export function shardSpecOf(o: {
  runId: string;
  url: string;
  hosts?: string[];
  t0EpochMs: number;
  /** The same t0 on this host's monotonic clock (toHostMonotonic), for shards on this host. */
  t0HostMonotonic?: { bootId: string; ms: number };
  startMs?: number;
  count: number;
  index?: number;
  load: Scenario["load"];
  fixtureMix: boolean;
  raisePriority?: boolean;
  spareConnections?: number;
}): ShardSpecInput {
  return {
    drainlab_shard_spec: 1,
    run_id: o.runId,
    url: o.url,
    ...(o.hosts?.length ? { hosts: o.hosts } : {}),
    // epoch ms to the µs, not ISO 8601 (whole ms): every shard on one t0 to the fraction the run has
    t0: Math.round(o.t0EpochMs * 1000) / 1000,
    ...(o.t0HostMonotonic
      ? { t0_host_monotonic: { boot_id: o.t0HostMonotonic.bootId, ms: Math.round(o.t0HostMonotonic.ms * 1000) / 1000 } }
      : {}),
    start_ms: Math.round((o.startMs ?? 0) * 1000) / 1000,
    shard: { ...(o.index === undefined ? {} : { index: o.index }), count: o.count },
    load: o.load,
    fixture_mix: o.fixtureMix,
    ...(o.spareConnections === undefined ? {} : { spare_connections: o.spareConnections }),
    raise_priority: o.raisePriority ?? false,
  };
}

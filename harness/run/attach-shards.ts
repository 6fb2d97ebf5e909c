import { mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { type AttachContext, hookEnv, runTimedHook } from "../attach/drain.ts";
import { hostMonotonicT0 } from "../clock/monotonic.ts";
import type { Timeline } from "../clock/timeline.ts";
import type { LoadResult } from "../load/load-options.ts";
import { scheduleSpanMs } from "../load/pacer.ts";
import { mergeShardFolders, waitForShardFolders } from "../load/shard-output.ts";
import { shardSpecOf } from "../load/shard-spec.ts";
import { describeHook, type HookRecord, hookOk } from "../records/drain-record.ts";
import type { Hook } from "../scenario/attach-schema.ts";
import type { Scenario } from "../scenario/schema.ts";
import { EnvironmentError } from "../util/errors.ts";
import { sleep } from "../util/sleep.ts";

const HOOK_TIMEOUT_S = 120;
/** After its grace, a shard writes its ledger folder (a few MB at most): well within this. */
const WRITE_MARGIN_MS = 2000;

/** The folder an attach run's shards elsewhere read their spec from and write their ledger folders to. */
export function elsewhereDir(scenario: Scenario, cwd: string, runId: string): string {
  return resolve(cwd, scenario.attach!.shards!.dir, runId);
}

/**
 * attach.shards: the load from `drainlab load-shard` processes elsewhere. The
 * spec goes to <dir>/<run id>/spec.json with the run's t0 (lead_s ahead: the
 * timeline was made so); `start` runs, the run waits for the schedule and
 * its grace, `collect` runs, and the shards' folders (waited for up to
 * wait_s)
 * are merged into one client ledger as threads' and processes' are. A shard
 * on this kernel counts t0 from the monotonic clock it shares with the run;
 * one on another host reads t0 on its own wall clock: the report's
 * generator.shards[].clock says which, and when each was ready by it, not how
 * far another host's clock is off ours.
 */
export async function loadFromElsewhere(o: {
  scenario: Scenario;
  timeline: Timeline;
  ctx: AttachContext;
  hooks: HookRecord[];
  log: (line: string) => void;
  signal?: AbortSignal;
}): Promise<LoadResult> {
  const { scenario, timeline, ctx, signal } = o;
  const a = scenario.attach!;
  const sh = a.shards!;
  const count = scenario.load.shards as number;
  const dir = elsewhereDir(scenario, ctx.cwd, ctx.runId);
  mkdirSync(dir, { recursive: true });
  const spec = shardSpecOf({
    runId: ctx.runId,
    url: a.url,
    hosts: a.hosts,
    t0EpochMs: timeline.t0EpochMs,
    // shards started on this host (the same kernel) count from its monotonic clock, not through the wall clock
    t0HostMonotonic: hostMonotonicT0(timeline.t0),
    count,
    load: scenario.load,
    fixtureMix: false,
    raisePriority: true,
    // as the run's own load: a connection opened ahead is served by nginx's old workers after a reload (misrouted)
    spareConnections: 0,
  });
  const specPath = join(dir, "spec.json");
  writeFileSync(specPath, `${JSON.stringify(spec, null, 2)}\n`);
  const t0Iso = new Date(timeline.t0EpochMs).toISOString();
  o.log(`shards: ${specPath}: ${count} shard(s) of the load start at ${t0Iso} (in ${(-timeline.now() / 1000).toFixed(0)} s) elsewhere`);
  timeline.add("shards-spec", { dir, count, t0: t0Iso });
  const env = { ...hookEnv(scenario, ctx), DRAINLAB_SHARDS_DIR: dir, DRAINLAB_SHARDS: String(count) };
  const hook = async (step: string, h: Hook) => {
    const logName = `raw/hooks/${step}.log`;
    const r = await runTimedHook({ step, hook: h, defaultTimeoutS: HOOK_TIMEOUT_S, logName, ctx, env, timeline, signal });
    o.hooks.push(r);
    signal?.throwIfAborted();
    if (!hookOk(r)) throw new EnvironmentError(`attach.shards: ${describeHook(r)}; see ${join(ctx.runDir, logName)}`);
    return r;
  };
  if (sh.start) {
    const r = await hook("shards-start", sh.start);
    if (r.end_ms > 0)
      o.log(
        `shards: attach.shards.start ended ${(r.end_ms / 1000).toFixed(1)} s after t0: the shards' first requests may leave late (lead_s)`,
      );
  }
  // a shard is done by the schedule's end plus its grace (stragglers are then unanswered) and the writing of its folder
  const doneMs = scheduleSpanMs(scenario.load) + scenario.load.grace_s * 1000 + WRITE_MARGIN_MS;
  if (sh.collect) {
    await sleep(doneMs - timeline.now(), signal);
    await hook("shards-collect", sh.collect);
  }
  const dirs = await waitForShardFolders(dir, count, Math.max(0, doneMs - timeline.now()) + sh.wait_s * 1000, signal);
  timeline.add("shards-merged", { dirs: dirs.length });
  return mergeShardFolders(dirs, ctx.runId);
}

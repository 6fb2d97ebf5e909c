import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { monotonicAt } from "../clock/monotonic.ts";
import type { LoadProgress } from "../records/generator-stats.ts";
import { runLoad } from "./generator.ts";
import { writeShardOutput } from "./shard-output.ts";
import type { ResolvedShardSpec } from "./shard-spec.ts";
import { shardOf } from "./shards.ts";

/** Ready this long before the start, the shard sleeps until then and lets the ticker take the last stretch (its sends on time). */
const WAKE_BEFORE_START_MS = 20;

/**
 * One shard of a load in this process, from its spec (`drainlab load-shard`):
 * runLoad with options.shard, its t0 the spec's wall-clock instant read on
 * this host's clock, its start the spec's; then its ledger and figures into
 * `outDir` (shard-output.ts). An abort ends the schedule early, as a run's
 * Ctrl-C does; what was sent is still written.
 */
export async function runShardSpec(
  spec: ResolvedShardSpec,
  outDir: string,
  o: { signal?: AbortSignal; onProgress?: (p: LoadProgress) => void } = {},
): Promise<{ sent: number; readyVsStartMs: number }> {
  mkdirSync(outDir, { recursive: true });
  // the spec's t0 on this process's monotonic clock, through this host's wall clock
  const t0 = monotonicAt(spec.t0);
  let readyVsStartMs = 0;
  const startAt = async () => {
    const wait = t0 + spec.start_ms - performance.now();
    readyVsStartMs = Math.round(-wait * 1000) / 1000;
    if (wait > WAKE_BEFORE_START_MS) await new Promise((resolve) => setTimeout(resolve, wait - WAKE_BEFORE_START_MS));
    // late or not, the schedule's intended times stay the spec's: lateness is send lag, seen in the figures
    return spec.start_ms;
  };
  const result = await runLoad({
    ...shardOf(
      { load: spec.load, ...(spec.spare_connections === undefined ? {} : { spareConnections: spec.spare_connections }) },
      spec.shard,
    ),
    url: spec.url,
    idPrefix: spec.run_id,
    t0,
    spillDir: outDir,
    raisePriority: spec.raise_priority,
    fixtureMix: spec.fixture_mix,
    startAt,
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
  });
  const sent = result.ledger.length;
  await writeShardOutput(outDir, result, {
    runId: spec.run_id,
    ...spec.shard,
    clock: { host: hostname(), start_epoch_ms: spec.t0 + spec.start_ms, ready_vs_start_ms: readyVsStartMs },
  });
  return { sent, readyVsStartMs };
}

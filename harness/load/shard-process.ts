import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { performance } from "node:perf_hooks";
import { bootId, fromHostMonotonic, monotonicAt } from "../clock/monotonic.ts";
import type { LoadProgress } from "../records/generator-stats.ts";
import { runLoad } from "./generator.ts";
import { writeShardOutput } from "./shard-output.ts";
import type { ResolvedShardSpec } from "./shard-spec.ts";
import { shardOf } from "./shards.ts";

/** Past this, a spec's monotonic t0 and this host's wall clock disagree too much for one kernel's clock (a time namespace): the wall's is taken. */
const MAX_ANCHOR_DISAGREEMENT_MS = 1000;

/**
 * The spec's t0 on this process's performance.now(). On the host that wrote the spec (the same boot id), through
 * the monotonic clock every process there shares: no wall-clock step or late Date.now() tick between the run's
 * reading and this one can set this shard's rows apart from the others' (a CI run once had two shards' rows
 * about 10 ms apart against nginx's log). Elsewhere, through this host's wall clock. `wallMinusMonotonicMs` is
 * how far the wall clock's reading of t0 lies from the monotonic one: the wall clock's own error here.
 */
export function anchorT0(spec: Pick<ResolvedShardSpec, "t0" | "t0_host_monotonic">): {
  t0: number;
  by: "host-monotonic" | "wall-clock";
  wallMinusMonotonicMs?: number;
} {
  const wall = monotonicAt(spec.t0);
  const m = spec.t0_host_monotonic;
  if (m && m.boot_id === bootId()) {
    const mono = fromHostMonotonic(m.ms);
    const wallMinusMonotonicMs = Math.round((wall - mono) * 1000) / 1000;
    if (Math.abs(wallMinusMonotonicMs) <= MAX_ANCHOR_DISAGREEMENT_MS) return { t0: mono, by: "host-monotonic", wallMinusMonotonicMs };
    return { t0: wall, by: "wall-clock", wallMinusMonotonicMs };
  }
  return { t0: wall, by: "wall-clock" };
}

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
  const anchor = anchorT0(spec);
  const { t0 } = anchor;
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
    clock: {
      host: hostname(),
      start_epoch_ms: spec.t0 + spec.start_ms,
      ready_vs_start_ms: readyVsStartMs,
      anchor: anchor.by,
      ...(anchor.wallMinusMonotonicMs === undefined ? {} : { wall_minus_monotonic_ms: anchor.wallMinusMonotonicMs }),
    },
  });
  return { sent, readyVsStartMs };
}

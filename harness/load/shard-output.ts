import { existsSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import * as hdr from "hdr-histogram-js";
import { z } from "zod";
import type { GeneratorStats, ShardClock } from "../records/generator-stats.ts";
import type { SessionRecord } from "../records/session-record.ts";
import { EnvironmentError, UsageError } from "../util/errors.ts";
import { readRegular } from "../util/safe-file.ts";
import { sleep } from "../util/sleep.ts";
import { shown } from "../util/text.ts";
import { CHUNK_ROWS, Ledger, MergedLedger, ROW_BYTES } from "./ledger.ts";
import type { LoadResult } from "./load-options.ts";
import { mergeStats, type ShardOutcome } from "./shards.ts";

/**
 * What a shard process (`drainlab load-shard`) leaves in its output folder:
 * its ledger as it spilled it (ledger.bin, the rows in the columns of
 * ledger.ts) and shard.json (which shard of which run, its generator figures,
 * its send-lag histogram, its sessions, its clock). shard.json is written
 * last: a folder that has it is complete. Folders from any host merge into
 * the one client ledger exactly as threads' ledgers do.
 */

export const SHARD_FILE = "shard.json";
export const LEDGER_FILE = "ledger.bin";
const MAX_SHARD_JSON_BYTES = 256 * 1024 * 1024;

const Stats = z.looseObject({
  mode: z.enum(["open", "closed"]),
  sendLagMs: z.looseObject({ p50: z.number(), p99: z.number(), max: z.number() }),
  cpuShareOfOneCore: z.number(),
  cpuPeakShareOfOneCore: z.number(),
  eventLoopBusyShare: z.number(),
  eventLoopBusyPeak: z.number(),
  intendedRatePerS: z.number(),
  sentRatePerS: z.number(),
  scheduleOverrunMs: z.number(),
  maxInFlight: z.number(),
  maxWaitingForConnection: z.number(),
  maxConnections: z.number(),
  clientRetries: z.number(),
  scheduled: z.number().int().nonnegative(),
  startMs: z.number(),
  endMs: z.number(),
});

const ShardFile = z.strictObject({
  drainlab_shard_output: z.literal(1),
  run_id: z.string(),
  shard: z.strictObject({ index: z.number().int().nonnegative(), count: z.number().int().positive() }),
  ledger: z.strictObject({
    methods: z.array(z.string()),
    length: z.number().int().nonnegative(),
    nodes: z.array(z.string()).max(254),
    spilled_chunks: z.number().int().nonnegative(),
  }),
  stats: Stats,
  /** The send-lag HDR histogram, compressed base64 (merged exactly). */
  lag: z.string(),
  written: z.number().int().nonnegative(),
  last_written_ms: z.number().nullable(),
  sessions: z.array(z.looseObject({ id: z.string(), intended_ms: z.number() })),
});
type ShardFile = z.output<typeof ShardFile>;

/** Writes a finished shard's result into `dir` (its ledger spilled there already: handOff); shard.json last. */
export async function writeShardOutput(
  dir: string,
  result: LoadResult,
  shard: { runId: string; index: number; count: number; clock: ShardClock },
): Promise<void> {
  const handed = await (result.ledger as Ledger).handOff();
  if (handed.path) renameSync(handed.path, join(dir, LEDGER_FILE));
  const sends = result.sends!;
  const file: ShardFile = {
    drainlab_shard_output: 1,
    run_id: shard.runId,
    shard: { index: shard.index, count: shard.count },
    ledger: { methods: handed.methods, length: handed.length, nodes: handed.nodes, spilled_chunks: handed.spilledChunks },
    stats: { ...result.stats, clock: shard.clock },
    lag: hdr.encodeIntoCompressedBase64(sends.lag),
    written: sends.written,
    last_written_ms: Number.isNaN(sends.lastWrittenMs) ? null : sends.lastWrittenMs,
    sessions: result.sessions as unknown as ShardFile["sessions"],
  };
  const tmp = join(dir, `.${SHARD_FILE}.tmp`);
  writeFileSync(tmp, `${JSON.stringify(file)}\n`);
  renameSync(tmp, join(dir, SHARD_FILE));
}

/** A shard folder read back and checked: its figures, and its ledger opened read-only (the file is kept). */
export interface ShardFolder {
  dir: string;
  file: ShardFile;
  ledger: Ledger;
}

/** Reads a shard's output folder; anything missing or inconsistent is a UsageError naming the folder, the file and the field. */
export function readShardFolder(dir: string): ShardFolder {
  const path = join(dir, SHARD_FILE);
  const name = shown(path, 500);
  let raw: unknown;
  try {
    raw = JSON.parse(readRegular(path, "shard output", MAX_SHARD_JSON_BYTES).toString("utf8"));
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${name}: not JSON (${(e as Error).message})`);
  }
  const parsed = ShardFile.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `${name}: not a drainlab shard output: field ${issue.path.map(String).join(".") || "(top level)"}: ${issue.message}`,
    );
  }
  const file = parsed.data;
  const { index, count } = file.shard;
  if (index >= count) throw new UsageError(`${name}: shard.index ${index} is not below shard.count ${count}`);
  const chunks = Math.ceil(file.ledger.length / CHUNK_ROWS);
  const ledgerPath = join(dir, LEDGER_FILE);
  if (chunks > 0) {
    let size: number;
    try {
      size = statSync(ledgerPath).size;
    } catch (e) {
      throw new UsageError(`${shown(ledgerPath, 500)}: cannot read the shard's ledger (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
    }
    const expected = chunks * CHUNK_ROWS * ROW_BYTES;
    if (size !== expected)
      throw new UsageError(
        `${shown(ledgerPath, 500)}: ${size} bytes, but shard.json says ${file.ledger.length} rows (${expected} bytes): not this shard's ledger, or cut short in the copy`,
      );
  }
  const ledger = Ledger.adopt(
    {
      idPrefix: file.run_id,
      methods: file.ledger.methods,
      ...(chunks > 0 ? { path: ledgerPath } : {}),
      length: file.ledger.length,
      nodes: file.ledger.nodes,
      idStride: count,
      idOffset: index,
      spilledChunks: file.ledger.spilled_chunks,
    },
    { keep: true },
  );
  return { dir, file, ledger };
}

/**
 * The shard folders of one load as one result, exactly as threads' are merged (shards.ts): one ledger
 * in request-id order, the lag histograms added, the figures merged, each shard's kept with its clock.
 * Refused (naming the folders): shards of different runs or counts, a shard missing or given twice.
 * The generator's CPU is the shards' summed (each its own process; the peak: their peaks added, at most).
 */
export function mergeShardFolders(dirs: string[], runId?: string): LoadResult {
  if (dirs.length === 0) throw new UsageError("no shard folders to merge");
  const folders: ShardFolder[] = [];
  try {
    // one that fails to read closes the ledgers of those read before it
    for (const dir of dirs) folders.push(readShardFolder(dir));
  } catch (e) {
    for (const f of folders) f.ledger.dispose();
    throw e;
  }
  try {
    return mergeFolders(folders, runId);
  } catch (e) {
    for (const f of folders) f.ledger.dispose();
    throw e;
  }
}

function mergeFolders(folders: ShardFolder[], runId: string | undefined): LoadResult {
  const first = folders[0]!.file;
  const where = (f: ShardFolder) => shown(f.dir, 300);
  for (const f of folders) {
    if (f.file.run_id !== (runId ?? first.run_id))
      throw new UsageError(`${where(f)}: a shard of run ${shown(f.file.run_id, 120)}, not of ${shown(runId ?? first.run_id, 120)}`);
    if (f.file.shard.count !== first.shard.count)
      throw new UsageError(`${where(f)}: a shard of ${f.file.shard.count}, but ${where(folders[0]!)} is one of ${first.shard.count}`);
  }
  const count = first.shard.count;
  const byIndex: ShardFolder[] = [];
  for (const f of folders) {
    const twin = byIndex[f.file.shard.index];
    if (twin) throw new UsageError(`${where(f)} and ${where(twin)} are both shard ${f.file.shard.index}`);
    byIndex[f.file.shard.index] = f;
  }
  const missing = Array.from({ length: count }, (_, i) => i).filter((i) => !byIndex[i]);
  if (missing.length > 0)
    throw new UsageError(
      `shard(s) ${missing.join(", ")} of ${count} missing: a merge needs every shard's folder (request i is in shard i mod ${count})`,
    );
  const parts: ShardOutcome[] = byIndex.map((f) => ({
    stats: f.file.stats as GeneratorStats,
    lag: hdr.decodeFromCompressedBase64(f.file.lag),
    written: f.file.written,
    lastWrittenMs: f.file.last_written_ms ?? Number.NaN,
  }));
  const cpu = (pick: (s: GeneratorStats) => number) => Math.round(parts.reduce((n, p) => n + pick(p.stats), 0) * 1000) / 1000;
  const stats = mergeStats(parts, {
    cpuShareOfOneCore: cpu((s) => s.cpuShareOfOneCore),
    cpuPeakShareOfOneCore: cpu((s) => s.cpuPeakShareOfOneCore),
  });
  const sessions = byIndex.flatMap((f) => f.file.sessions as unknown as SessionRecord[]).sort((a, b) => a.intended_ms - b.intended_ms);
  return { ledger: new MergedLedger(byIndex.map((f) => f.ledger)), stats, sessions };
}

const POLL_MS = 500;

/**
 * Waits until every shard-<i>/ of `dir` (0..count-1) holds its shard.json (written last: the folder is
 * complete), at most waitMs; returns their paths. Folders that never came are named in the error.
 */
export async function waitForShardFolders(dir: string, count: number, waitMs: number, signal?: AbortSignal): Promise<string[]> {
  const dirs = Array.from({ length: count }, (_, i) => join(dir, `shard-${i}`));
  const until = Date.now() + waitMs;
  for (;;) {
    const missing = dirs.filter((d) => !existsSync(join(d, SHARD_FILE)));
    if (missing.length === 0) return dirs;
    if (Date.now() >= until)
      throw new EnvironmentError(
        `${missing.length} of ${count} shard folder(s) did not come back within ${Math.round(waitMs / 1000)} s: ${missing.map((d) => shown(d, 300)).join(", ")} (no ${SHARD_FILE})`,
      );
    await sleep(Math.min(POLL_MS, until - Date.now()), signal);
  }
}

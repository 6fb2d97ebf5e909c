import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { fileURLToPath } from "node:url";
import { epochAt, hostMonotonicT0 } from "../clock/monotonic.ts";
import type { LoadProgress } from "../records/generator-stats.ts";
import type { LoadOptions, LoadResult } from "./load-options.ts";
import { scheduleSpanMs } from "./pacer.ts";
import { GENERATOR_NICE, raisePriority } from "./priority.ts";
import { mergeShardFolders } from "./shard-output.ts";
import { shardSpecOf } from "./shard-spec.ts";
import { sumProgress } from "./shards.ts";

/**
 * load.shards_in: processes. Each shard is a `drainlab load-shard` process
 * on this machine, run exactly as one on another host would be: from a
 * shard spec (written to <spillDir>/shards/spec-<i>.json and given on its
 * stdin), writing its ledger folder (<spillDir>/shards/shard-<i>/), which
 * is merged as folders from elsewhere are (shard-output.ts); a load without
 * a spill folder gets a temporary folder of its own, removed once merged.
 * The processes are started ahead (prepareShardProcesses: about a second of tsx start-up
 * each) and get their spec, with a start a moment ahead, when the load
 * begins. Nothing is left running: an abort sends each SIGTERM (it ends
 * its schedule and writes what it sent), a failure or a missed deadline
 * SIGKILL; a process whose run is gone reads EOF or loses its IPC channel
 * and exits.
 */

/** Messages a shard process sends to the run that started it over its IPC channel (cli/load-shard-command.ts). */
export type ShardProcessMessage = { type: "loaded" } | { type: "progress"; progress: LoadProgress };

const BIN = fileURLToPath(new URL("../../bin/drainlab.mjs", import.meta.url));
/** The spec's start lies this far ahead of the moment it is sent: reading and validating it, a pool and a ticker. */
const START_MARGIN_MS = 300;
/** A process not loaded by then is not going to be (tsx start-up takes 1-3 s on a busy 2-core machine). */
const LOAD_TIMEOUT_MS = 60_000;
/** After its schedule, its grace period and its client timeout, a shard has this long to write its ledger and exit. */
const WRITE_MARGIN_MS = 30_000;
/** After SIGTERM (an abort), a shard has this long to write what it sent before SIGKILL. */
const TERM_WAIT_MS = 10_000;
const STDERR_KEPT = 4096;

interface ShardProcess {
  index: number;
  dir: string;
  child: ChildProcess;
  loaded: Promise<void>;
  exited: Promise<number | null>;
  stderr: () => string;
}

/**
 * The folder a load's shard processes write in: its specs and their ledger folders. Without a spill folder,
 * a new temporary one (two runs at once must not share one): `temporary`, removed once the load is merged.
 */
function shardsDir(spillDir: string | false | undefined): { dir: string; temporary: boolean } {
  if (spillDir) return { dir: join(spillDir, "shards"), temporary: false };
  return { dir: mkdtempSync(join(tmpdir(), "drainlab-shards-")), temporary: true };
}

function startShardProcess(index: number, dir: string): ShardProcess {
  const out = join(dir, `shard-${index}`);
  const child = spawn(process.execPath, [BIN, "load-shard", "--spec", "-", "--index", String(index), "--out", out], {
    stdio: ["pipe", "ignore", "pipe", "ipc"],
    env: { ...process.env, NO_COLOR: "1" },
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString("utf8")).slice(-STDERR_KEPT);
  });
  const exited = new Promise<number | null>((resolve) => {
    child.once("exit", (code, signal) => resolve(code ?? (signal ? null : 0)));
    child.once("error", () => resolve(null));
  });
  const loaded = new Promise<void>((resolve, reject) => {
    child.on("message", (m: ShardProcessMessage) => {
      if (m.type === "loaded") resolve();
    });
    void exited.then((code) =>
      reject(new Error(`load shard ${index} exited (${code ?? "killed"}) before it was ready: ${lastLine(stderr)}`)),
    );
  });
  loaded.catch(() => {});
  // an unused one never keeps this process alive (a run that failed before its load)
  setRef(child, false);
  return { index, dir, child, loaded, exited, stderr: () => stderr };
}

function setRef(child: ChildProcess, on: boolean): void {
  for (const h of [child, child.channel, child.stdin, child.stderr] as Array<{ ref?: () => void; unref?: () => void } | null | undefined>)
    on ? h?.ref?.() : h?.unref?.();
}

function lastLine(text: string): string {
  return (
    text
      .trim()
      .split("\n")
      .filter((l) => l.trim())
      .at(-1) ?? "no message"
  );
}

/** Shard processes started ahead (prepareShardProcesses), for the spill folder they were started for. */
let warm: { spillDir: string | false | undefined; temporary: boolean; procs: ShardProcess[] } | undefined;

/** Starts a load's shard processes ahead of its t0 and waits until each has loaded (so the schedule can start right at the load). */
export async function prepareShardProcesses(count: number, spillDir: string | false | undefined): Promise<void> {
  if (warm?.procs.length !== count || warm.spillDir !== spillDir) {
    stopShardProcesses();
    const { dir, temporary } = shardsDir(spillDir);
    mkdirSync(dir, { recursive: true });
    warm = { spillDir, temporary, procs: Array.from({ length: count }, (_, i) => startShardProcess(i, dir)) };
  }
  const procs = warm.procs;
  try {
    await withTimeout(
      Promise.all(procs.map((p) => p.loaded)),
      LOAD_TIMEOUT_MS,
      `load shard processes not ready within ${LOAD_TIMEOUT_MS / 1000} s`,
    );
  } catch (e) {
    stopShardProcesses();
    throw e;
  }
}

/** Ends shard processes started ahead and never used. */
export function stopShardProcesses(): void {
  if (!warm) return;
  for (const p of warm.procs) p.child.kill("SIGKILL");
  // a killed process writes nothing more: its temporary folder goes with it
  if (warm.temporary) rmSync(warm.procs[0]!.dir, { recursive: true, force: true });
  warm = undefined;
}

/** Runs a load's `count` shards as processes, each from its spec, and merges their ledger folders into one result. */
export async function runShardProcesses(options: LoadOptions, count: number): Promise<LoadResult> {
  let started = warm?.procs.length === count && warm.spillDir === options.spillDir ? warm : undefined;
  warm = undefined;
  if (!started) {
    const { dir, temporary } = shardsDir(options.spillDir);
    mkdirSync(dir, { recursive: true });
    started = { spillDir: options.spillDir, temporary, procs: Array.from({ length: count }, (_, i) => startShardProcess(i, dir)) };
  }
  const { procs, temporary } = started;
  const dir = procs[0]!.dir;
  for (const p of procs) setRef(p.child, true);
  const progress: LoadProgress[] = [];
  for (const p of procs)
    p.child.on("message", (m: ShardProcessMessage) => {
      if (m.type !== "progress" || !options.onProgress) return;
      progress[p.index] = m.progress;
      if (p.index === 0) options.onProgress(sumProgress(progress));
    });
  const { signal } = options;
  const onAbort = () => {
    for (const p of procs) p.child.kill("SIGTERM");
    const timer = setTimeout(() => {
      for (const p of procs) p.child.kill("SIGKILL");
    }, TERM_WAIT_MS);
    timer.unref();
  };
  let deadline: NodeJS.Timeout | undefined;
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await withTimeout(
      Promise.all(procs.map((p) => p.loaded)),
      LOAD_TIMEOUT_MS,
      `load shard processes not ready within ${LOAD_TIMEOUT_MS / 1000} s`,
    );
    signal?.throwIfAborted();
    // the run's t0 as a wall-clock instant, and the schedule's start a moment ahead of now, on its clock
    const t0EpochMs = options.t0EpochMs ?? epochAt(options.t0);
    const startMs = performance.now() - options.t0 + START_MARGIN_MS;
    // and on this host's monotonic clock, which the shard processes here share (shardSpecOf's t0_host_monotonic)
    const t0HostMonotonic = hostMonotonicT0(options.t0);
    for (const p of procs) {
      // raised before it reads its spec: at the nice of a busy test runner, parsing it alone took ~0.4 s with the stack busy
      if (options.raisePriority && p.child.pid && p.child.exitCode === null && p.child.signalCode === null)
        raisePriority(GENERATOR_NICE, p.child.pid);
      const spec = shardSpecOf({
        runId: options.idPrefix,
        url: options.url,
        // the scenario named this host (or it is loopback): the spec names it as well
        hosts: [new URL(options.url).hostname],
        t0EpochMs,
        t0HostMonotonic,
        startMs,
        count,
        index: p.index,
        load: options.load,
        fixtureMix: options.fixtureMix ?? true,
        ...(options.raisePriority ? { raisePriority: true } : {}),
        ...(options.spareConnections === undefined ? {} : { spareConnections: options.spareConnections }),
      });
      const text = `${JSON.stringify(spec, null, 2)}\n`;
      writeFileSync(join(dir, `spec-${p.index}.json`), text);
      p.child.stdin!.end(text);
    }
    const limitMs =
      START_MARGIN_MS + scheduleSpanMs(options.load) + (options.load.grace_s + options.load.timeout_s) * 1000 + WRITE_MARGIN_MS;
    let late = false;
    deadline = setTimeout(() => {
      late = true;
      for (const p of procs) p.child.kill("SIGKILL");
    }, limitMs);
    const codes = await Promise.all(procs.map((p) => p.exited));
    if (late) throw new Error(`load shard processes did not finish within ${Math.round(limitMs / 1000)} s of their start; killed`);
    procs.forEach((p, i) => {
      const code = codes[i];
      // 130: ended early by the abort, its ledger written all the same
      if (code !== 0 && !(signal?.aborted && code === 130))
        throw new Error(`load shard ${p.index} (process ${p.child.pid}) exited ${code ?? "on a signal"}: ${lastLine(p.stderr())}`);
    });
    return mergeShardFolders(
      procs.map((p) => join(dir, `shard-${p.index}`)),
      options.idPrefix,
    );
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener("abort", onAbort);
    // on any failure, nothing is left running
    for (const p of procs) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill("SIGKILL");
    // the merged ledger reads the shards' ledgers through descriptors it opened: their files may go
    if (temporary) await removeWhenExited(procs, dir);
  }
}

async function withTimeout<T>(work: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([work, new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(message)), ms)))]);
  } finally {
    clearTimeout(timer);
  }
}

/** Removes a load's temporary shard folder once none of its processes can write in it any more. */
async function removeWhenExited(procs: ShardProcess[], dir: string): Promise<void> {
  await Promise.all(procs.map((p) => p.exited));
  rmSync(dir, { recursive: true, force: true });
}

import { spawn } from "node:child_process";
import { createWriteStream, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { performance } from "node:perf_hooks";
import type { HookRecord } from "../records/drain-record.ts";

/** How much of a hook's output the record keeps inline; the whole of it goes to its log file. */
const TAIL_BYTES = 2000;
/** After the timeout's SIGTERM, how long the process group gets before SIGKILL. */
const KILL_GRACE_MS = 2000;

export interface HookRun {
  step: string;
  run: string;
  timeout_s: number;
  /** The scenario file's folder: relative paths in commands mean what they mean to its author. */
  cwd: string;
  env: Record<string, string>;
  /** Where its whole output goes (stdout and stderr, in order), absolute. */
  logPath: string;
  /** The same, relative to the run folder, for the record. */
  logName: string;
  /** Record sources: stdout alone to this file (the records), stderr to logPath. */
  stdoutPath?: string;
  /** performance.now() of the run's t0. */
  t0: number;
  signal?: AbortSignal;
}

/**
 * Runs one of the user's commands with `/bin/sh -c`, in its own process group
 * so a timeout or Ctrl-C stops everything it started (SIGTERM, then SIGKILL
 * after 2 s). Never throws for the command's own failure: that is in the record.
 */
export function runHook(h: HookRun): Promise<HookRecord> {
  mkdirSync(dirname(h.logPath), { recursive: true });
  const log = createWriteStream(h.logPath);
  const out = h.stdoutPath ? createWriteStream(h.stdoutPath) : log;
  const start = performance.now();
  let tail = "";
  const keep = (chunk: Buffer) => {
    tail = (tail + chunk.toString("utf8")).slice(-TAIL_BYTES);
  };
  return new Promise((resolve) => {
    const child = spawn("/bin/sh", ["-c", h.run], {
      cwd: h.cwd,
      env: { ...process.env, ...h.env },
      detached: true,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let timedOut = false;
    let killer: NodeJS.Timeout | undefined;
    const stop = () => {
      if (child.exitCode !== null || child.pid === undefined) return;
      try {
        process.kill(-child.pid, "SIGTERM");
      } catch {}
      killer ??= setTimeout(() => {
        try {
          process.kill(-child.pid!, "SIGKILL");
        } catch {}
      }, KILL_GRACE_MS);
    };
    const timer = setTimeout(() => {
      timedOut = true;
      stop();
    }, h.timeout_s * 1000);
    const onAbort = () => stop();
    h.signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (c: Buffer) => {
      out.write(c);
      if (!h.stdoutPath) keep(c);
    });
    child.stderr.on("data", (c: Buffer) => {
      log.write(c);
      keep(c);
    });
    const finish = (code: number | null, error?: Error) => {
      clearTimeout(timer);
      if (killer) clearTimeout(killer);
      h.signal?.removeEventListener("abort", onAbort);
      if (error) keep(Buffer.from(`\n${error.message}\n`));
      const end = performance.now();
      const record: HookRecord = {
        step: h.step,
        command: h.run,
        start_ms: Math.round(start - h.t0),
        end_ms: Math.round(end - h.t0),
        exit_code: timedOut ? null : code,
        timed_out: timedOut,
        output_tail: tail.trimEnd(),
        log: h.logName,
      };
      const closed = out === log ? [log] : [out, log];
      let open = closed.length;
      for (const s of closed) s.end(() => --open === 0 && resolve(record));
    };
    child.on("error", (e) => finish(null, e));
    child.on("close", (code) => finish(code));
  });
}

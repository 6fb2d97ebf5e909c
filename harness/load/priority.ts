import { readdirSync } from "node:fs";
import { getPriority, setPriority } from "node:os";

/** The nice value a drain run's generator asks for: ahead of the stack under test, which runs at 0. */
export const GENERATOR_NICE = -10;

export interface Priority {
  /** The nice value the generator ran at. */
  nice: number;
  /** Why it is not GENERATOR_NICE, when it is not. */
  note?: string;
}

/**
 * Raises this process's scheduling priority (or process `pid`'s: a load shard's, load/shard-processes.ts),
 * every thread of it, to `nice`.
 *
 * The generator shares the machine's cores with the stack it loads. At nice 0
 * a busy nginx or gunicorn delays its wake-ups, and requests leave late
 * although the generator itself is idle: with one core held by a busy loop,
 * send lag p99 was 60-94 ms at nice 0 and 20-24 ms at nice -10 (150 req/s of
 * 2.5 s GETs). The generator uses a fifth to a third of a core at such rates,
 * so the stack loses little; the share is in the report.
 *
 * On Linux setpriority(2) sets one thread, so each thread in /proc/self/task
 * is set; threads started later inherit it. Needs root or CAP_SYS_NICE;
 * without, the process keeps its priority and the note says why.
 */
export function raisePriority(nice = GENERATOR_NICE, pid?: number): Priority {
  const current = getPriority(pid ?? 0);
  if (current <= nice) return { nice: current };
  try {
    for (const tid of threads(pid)) {
      try {
        setPriority(tid, nice);
      } catch (err) {
        // a thread that ended since the listing; any other error is the first one's too
        if (errorCode(err) !== "ESRCH") throw err;
      }
    }
    return { nice: getPriority(pid ?? 0) };
  } catch (err) {
    const code = errorCode(err);
    return { nice: getPriority(pid ?? 0), note: `raising it to ${nice} was refused (${code}): run as root or with CAP_SYS_NICE` };
  }
}

/** os.setPriority's errors carry the errno name in `info.code` (their own `code` is ERR_SYSTEM_ERROR). */
function errorCode(err: unknown): string {
  return (err as { info?: { code?: string } }).info?.code ?? String(err);
}

function threads(pid?: number): number[] {
  try {
    return readdirSync(`/proc/${pid ?? "self"}/task`).map(Number);
  } catch {
    // no /proc (not Linux): setpriority(pid) there sets the whole process
    return [pid ?? 0];
  }
}

import { readdirSync, readFileSync, writeFileSync } from "node:fs";
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

/** The session's autogroup raised for the load (raiseSessionPriority): its nice now and before, and how to put it back. */
export interface SessionPriority {
  nice: number;
  was: number;
  /** Why it is not the nice asked for, when it is not. */
  note?: string;
  /** Puts the autogroup's nice back to `was`; called once the load is over, and at exit if it never was. */
  restore(): void;
}

const AUTOGROUP = "/proc/self/autogroup";

/**
 * Raises the nice of this process's session autogroup to `nice`, for the load.
 *
 * With autogroups on (kernel.sched_autogroup_enabled, the default of Debian's
 * and Ubuntu's kernels), the scheduler first shares the CPU equally between
 * sessions and only then, inside each, by nice: a busy loop at nice 19 in
 * another session (another terminal, a CI agent's other job) takes as much
 * CPU as the whole of drainlab's session, and raisePriority alone does not
 * help. Measured on 2 cores, drain-one-node at 200 req/s with two nice-19
 * busy loops in sessions of their own: send lag p99 23-25 ms with the
 * generator at nice -10 alone, 4.7-8.1 ms with its session's autogroup at
 * -10 as well (idle: 2.4-2.9 ms).
 *
 * The autogroup belongs to the session (the shell drainlab runs in), so its
 * nice is put back when the load ends, and at exit if the process ends
 * before that; only a SIGKILL leaves it raised, until the session ends.
 * Without autogroups (or without /proc), or in the kernel's default one (a
 * process in init's session, as a job a CI machine's init starts without a
 * session of its own: that group has no nice to set), there is nothing to
 * raise: undefined.
 */
export function raiseSessionPriority(nice = GENERATOR_NICE): SessionPriority | undefined {
  // a second load of this process while one holds the raise (a test runner, a library user): it shares it
  if (held) {
    held.holders++;
    return { nice: held.nice, was: held.was, restore: once(release) };
  }
  let was: number | undefined;
  try {
    if (readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() !== "1") return undefined;
    was = autogroupNice(readFileSync(AUTOGROUP, "utf8"));
  } catch {
    return undefined;
  }
  if (was === undefined) return undefined;
  const unchanged = (note?: string): SessionPriority => ({ nice: was, was, ...(note ? { note } : {}), restore: () => {} });
  if (was <= nice) return unchanged();
  try {
    writeFileSync(AUTOGROUP, String(nice));
  } catch (err) {
    return unchanged(
      `raising its session's autogroup to ${nice} was refused (${(err as NodeJS.ErrnoException).code ?? String(err)}): run as root or with CAP_SYS_NICE`,
    );
  }
  const now = autogroupNice(readFileSync(AUTOGROUP, "utf8")) ?? nice;
  held = { nice: now, was, holders: 1 };
  process.on("exit", putBack);
  return { nice: now, was, restore: once(release) };
}

/** This process's raise of its session's autogroup, while any load holds it. */
let held: { nice: number; was: number; holders: number } | undefined;

function once(f: () => void): () => void {
  let done = false;
  return () => {
    if (done) return;
    done = true;
    f();
  };
}

/** One holder done; the last one puts the autogroup back. */
function release(): void {
  if (!held) return;
  held.holders--;
  if (held.holders === 0) putBack();
}

/**
 * The autogroup's nice back to what it was, unless something else has changed it since (then that is left
 * alone). Another drainlab in the same session that found it raised by this one did not raise it itself and
 * runs unraised from here: the autogroup is the session's, not a process's.
 */
function putBack(): void {
  if (!held) return;
  const { nice, was } = held;
  held = undefined;
  process.removeListener("exit", putBack);
  try {
    if (autogroupNice(readFileSync(AUTOGROUP, "utf8")) === nice) writeFileSync(AUTOGROUP, String(was));
  } catch {
    // the session's autogroup is gone (its last process ended): nothing to put back
  }
}

/**
 * "/autogroup-14166 nice 0" -> 0. The kernel prints nothing for a process in its default autogroup, init's
 * session's, which has no nice (the landing CI runs there): undefined.
 */
export function autogroupNice(line: string): number | undefined {
  if (line.trim() === "") return undefined;
  const m = /\bnice (-?\d+)/.exec(line);
  if (!m) throw new Error(`${AUTOGROUP}: unreadable (${JSON.stringify(line.trim())})`);
  return Number(m[1]);
}

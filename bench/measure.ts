import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

/** Clock ticks per second of /proc's times (USER_HZ: 100 on every Linux that matters here). */
const TICKS_PER_S = 100;

export interface ChildRun {
  stdout: string;
  stderr: string;
  code: number | null;
  wallMs: number;
  /** CPU the command and all its threads and children used, ms (from its parent shell's cutime+cstime). */
  cpuMs: number;
  /** Whole machine's busy CPU over the run, in cores (2 = both cores busy). */
  machineBusyCores: number;
}

/**
 * Runs a command and measures its CPU exactly: a small shell runs it and then
 * prints its own /proc/<pid>/stat, whose cutime/cstime hold the reaped command's CPU.
 */
export function runMeasured(cmd: string, args: string[], options: { cwd?: string; timeoutMs?: number } = {}): Promise<ChildRun> {
  const marker = "::drainlab-bench-stat::";
  const script = `"$@"; rc=$?; printf '\\n${marker}'; cat /proc/$$/stat; exit $rc`;
  const before = machineTicks();
  const start = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script, "sh", cmd, ...args], { cwd: options.cwd, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString()));
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString()));
    const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      const wallMs = performance.now() - start;
      const at = stdout.lastIndexOf(marker);
      const stat = at >= 0 ? stdout.slice(at + marker.length) : "";
      if (at >= 0) stdout = stdout.slice(0, at);
      // fields after the ")" that closes the command name: state is field 3, cutime 16, cstime 17
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      const cpuMs = ((Number(fields[13]) + Number(fields[14])) / TICKS_PER_S) * 1000;
      const after = machineTicks();
      const busy = after.busy - before.busy;
      const total = after.total - before.total;
      resolve({
        stdout,
        stderr,
        code,
        wallMs,
        cpuMs: Number.isFinite(cpuMs) ? cpuMs : Number.NaN,
        machineBusyCores: total > 0 ? (busy / total) * cpus().length : 0,
      });
    });
  });
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
export function machineTicks(): { busy: number; total: number } {
  const cpu = readFileSync("/proc/stat", "utf8").split("\n")[0]!.trim().split(/\s+/).slice(1).map(Number);
  const total = cpu.reduce((a, b) => a + b, 0);
  const idle = (cpu[3] ?? 0) + (cpu[4] ?? 0);
  return { busy: total - idle, total };
}

/** How many cores the rest of the machine keeps busy while the bench does nothing. */
export async function backgroundCores(ms = 1000): Promise<number> {
  const a = machineTicks();
  await new Promise((r) => setTimeout(r, ms));
  const b = machineTicks();
  return b.total > a.total ? ((b.busy - a.busy) / (b.total - a.total)) * cpus().length : 0;
}

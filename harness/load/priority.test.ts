import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { getuid } from "node:process";
import { describe, expect, it } from "vitest";
import { autogroupNice, raiseSessionPriority } from "./priority.ts";

// In a child process: raising the priority of the test worker itself would outlive the test.
function inChild(code: string): { nice: number; note?: string; threads: number[] } {
  const script = `
    import { readdirSync, readFileSync } from "node:fs";
    import { raisePriority } from "./harness/load/priority.ts";
    ${code}
    const threads = readdirSync("/proc/self/task").map((t) => Number(readFileSync("/proc/self/task/" + t + "/stat", "utf8").split(") ")[1].split(" ")[16]));
    console.log(JSON.stringify({ ...p, threads }));`;
  return JSON.parse(execFileSync(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { encoding: "utf8" }));
}

describe("raisePriority", () => {
  it.runIf(getuid?.() === 0)("sets every thread of the process, not only the calling one", () => {
    const r = inChild("const p = raisePriority(-7);");
    expect(r.nice).toBe(-7);
    expect(r.note).toBeUndefined();
    // node runs a dozen threads (libuv pool, V8 platform) started before the call
    expect(r.threads.length).toBeGreaterThan(4);
    expect(new Set(r.threads)).toEqual(new Set([-7]));
  });

  it("keeps the priority and says why when it may not raise it", () => {
    // root may always raise it: the child gives up root first
    const r = inChild(
      "const before = (await import('node:os')).getPriority(0); if (process.getuid?.() === 0) process.setuid(65534); const p = { ...raisePriority(-7), before };",
    );
    expect(r.nice).toBe((r as unknown as { before: number }).before);
    expect(r.note).toMatch(/^raising it to -7 was refused \(E[A-Z]+\): run as root or with CAP_SYS_NICE$/);
  });
});

// On by the kernel, and this process in an autogroup of its own: a job the machine's init starts without a
// session of its own (the landing CI's) is in the kernel's default one, and /proc/self/autogroup reads empty.
const autogroups =
  existsSync("/proc/self/autogroup") &&
  readFileSync("/proc/sys/kernel/sched_autogroup_enabled", "utf8").trim() === "1" &&
  autogroupNice(readFileSync("/proc/self/autogroup", "utf8")) !== undefined;
const sessionNice = (): number => autogroupNice(readFileSync("/proc/self/autogroup", "utf8")) ?? Number.NaN;

describe("raiseSessionPriority", () => {
  it("reads the autogroup's nice", () => {
    expect(autogroupNice("/autogroup-14166 nice 0\n")).toBe(0);
    expect(autogroupNice("/autogroup-7 nice -10")).toBe(-10);
    expect(autogroupNice("")).toBeUndefined();
    expect(() => autogroupNice("garbage")).toThrow(/unreadable/);
  });

  // one of this test and the next three runs on any Linux machine: which depends on where this process is
  it.runIf(!autogroups)("raises nothing, and changes nothing, for a process in no autogroup", () => {
    expect(raiseSessionPriority(-7)).toBeUndefined();
  });

  // the child shares this test's session, so its autogroup is this one's: it must be put back
  it.runIf(autogroups && getuid?.() === 0)(
    "raises the session's autogroup for the load and puts it back, also when the process just exits",
    () => {
      const before = sessionNice();
      const raised = inChild(
        "const { raiseSessionPriority } = await import('./harness/load/priority.ts'); const s = raiseSessionPriority(-7); const p = { nice: s.nice, was: s.was }; s.restore();",
      );
      expect(raised.nice).toBe(Math.min(before, -7));
      expect(sessionNice()).toBe(before);
      // never restored by the caller: the exit handler does it
      const exited = inChild(
        "const { raiseSessionPriority } = await import('./harness/load/priority.ts'); const s = raiseSessionPriority(-7); const p = { nice: s.nice };",
      );
      expect(exited.nice).toBe(Math.min(before, -7));
      expect(sessionNice()).toBe(before);
    },
  );

  it.runIf(autogroups && getuid?.() === 0)("two loads of one process share the raise: the last one done puts it back", () => {
    const before = sessionNice();
    const r = inChild(
      "const { raiseSessionPriority } = await import('./harness/load/priority.ts'); const fs = await import('node:fs'); const read = () => Number(/nice (-?\\d+)/.exec(fs.readFileSync('/proc/self/autogroup', 'utf8'))[1]); const a = raiseSessionPriority(-7); const b = raiseSessionPriority(-7); a.restore(); a.restore(); const afterA = read(); b.restore(); const p = { nice: afterA, afterB: read() };",
    ) as unknown as { nice: number; afterB: number };
    expect(r.nice).toBe(Math.min(before, -7));
    expect(r.afterB).toBe(before);
    expect(sessionNice()).toBe(before);
  });

  it.runIf(autogroups)("keeps the autogroup and says why when it may not raise it", () => {
    const before = sessionNice();
    const r = inChild(
      "const { raiseSessionPriority } = await import('./harness/load/priority.ts'); if (process.getuid?.() === 0) process.setuid(65534); const s = raiseSessionPriority(-7); const p = { nice: s.nice, note: s.note };",
    );
    if (before <= -7) expect(r.note).toBeUndefined();
    else expect(r.note).toMatch(/^raising its session's autogroup to -7 was refused \(E[A-Z]+\): run as root or with CAP_SYS_NICE$/);
    expect(sessionNice()).toBe(before);
  });
});

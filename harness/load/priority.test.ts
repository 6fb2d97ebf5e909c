import { execFileSync } from "node:child_process";
import { getuid } from "node:process";
import { describe, expect, it } from "vitest";

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

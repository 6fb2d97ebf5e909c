import { readFileSync } from "node:fs";
import { join } from "node:path";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ensureImages } from "../harness/env/images.ts";
import { Scenario } from "../harness/scenario/schema.ts";
import { startStack } from "../harness/stack/stack.ts";
import { cli, labelled, SCENARIOS_DIR, SHORT_PASS, setFlags, spawnDrainlab, TEST_REPORTS_DIR } from "./support.ts";

describe("drainlab command on the real stack", () => {
  it("run exits 0 on a pass and prints the verdict table and report path", () => {
    const r = cli(["run", join(SCENARIOS_DIR, "drain-one-node.yaml"), "--out", TEST_REPORTS_DIR, ...setFlags(SHORT_PASS)]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/no-failed-requests\s+PASS/);
    expect(r.stdout).toMatch(/verdict\s+PASS/);
    expect(r.stdout).toMatch(/report\s+\S+report\.json/);
    // on Linux the host reaches the run's bridge: load bypasses docker-proxy, which is not under test
    expect(r.stderr).toMatch(/load goes to nginx at http:\/\/[\d.]+:8080 on the run's network/);
    // the generator ran ahead of the stack it shares the cores with (CI runs as root, which may raise it)
    const report = JSON.parse(readFileSync(/report\s+(\S+report\.json)/.exec(r.stdout)![1]!, "utf8"));
    expect(report.generator.nice).toBe(process.getuid?.() === 0 ? -10 : 0);
  });

  it("Ctrl-C stops the load, removes everything it started and exits 130", async () => {
    // interrupt once the load is running (the progress line names its phase)
    const { code, stderr } = await interruptRunWhen(/\bload\b.*sent \d+/);
    expect(code, stderr).toBe(130);
    expect(stderr).toContain("everything started was removed");
    expect(await labelled()).toEqual({ containers: 0, networks: 0 });
  });

  it("Ctrl-C while the stack starts ends the run then, not after a full load", async () => {
    const { code, stderr, exitAfterMs } = await interruptRunWhen(/starting \d+ app nodes/, "SIGINT", ["load.duration_s=30"]);
    expect(code, stderr).toBe(130);
    // a run that went on to its load would exit more than 30 s (its load) after the Ctrl-C; one that stops takes
    // what is left of the stack start plus the removal (a stack start cannot be cut short): 4.1-4.4 s idle, 8.0-9.8 s
    // with two busy loops on a 2-core VM (an 8 s bound against the scenario's 10 s load did not tell them apart)
    process.stderr.write(`Ctrl-C while starting: exit ${Math.round(exitAfterMs)} ms after it\n`);
    expect(exitAfterMs).toBeLessThan(20_000);
    expect(stderr).not.toMatch(/load\b.*sent \d+/);
    expect(await labelled()).toEqual({ containers: 0, networks: 0 });
  });

  it("SIGKILL of the harness mid-load: the run's reaper removes its containers and network within 10 s", async () => {
    const { code, runId, exitAfterMs } = await interruptRunWhen(/\bload\b.*sent \d+/, "SIGKILL");
    expect(code).toBeNull();
    expect(exitAfterMs).toBeLessThan(1_000);
    expect(runId, "the run folder was named").toMatch(/^\d{8}-\d{6}-[0-9a-f]{6}$/);
    const killedAt = performance.now();
    let left = await labelled(runId);
    while ((left.containers > 0 || left.networks > 0) && performance.now() - killedAt < 30_000) {
      await new Promise((r) => setTimeout(r, 250));
      left = await labelled(runId);
    }
    const tookMs = performance.now() - killedAt;
    process.stderr.write(`reaper: run ${runId} left nothing ${tookMs} ms after the SIGKILL\n`);
    expect(left).toEqual({ containers: 0, networks: 0 });
    expect(tookMs).toBeLessThan(10_000);
  });

  it("clean removes everything drainlab labelled, also what a crashed run left", async () => {
    const docker = new Docker();
    const images = await ensureImages(docker);
    const scenario = Scenario.parse({ name: "leftover" });
    // a stack nobody stops: what a kill -9 of drainlab would leave behind
    const stack = await startStack({ scenario, runId: "leftover-test", images, docker, rawDir: join(TEST_REPORTS_DIR, "leftover-test") });
    // nginx, two nodes and the run's reaper (whose connection this process still holds)
    expect((await labelled("leftover-test")).containers).toBe(4);
    const r = cli(["clean"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/removed 4 container\(s\) and 1 network\(s\)/);
    expect(await labelled()).toEqual({ containers: 0, networks: 0 });
    await stack.stop(); // idempotent, and harmless after the sweep
  });
});

/** Runs drain-one-node as a user would and sends `signal` once stderr matches `when`. */
async function interruptRunWhen(
  when: RegExp,
  signal: NodeJS.Signals = "SIGINT",
  sets: string[] = [],
): Promise<{ code: number | null; stderr: string; exitAfterMs: number; runId: string }> {
  const run = spawnDrainlab(["run", join(SCENARIOS_DIR, "drain-one-node.yaml"), "--out", TEST_REPORTS_DIR, ...setFlags(sets)]);
  await run.until(when);
  const interruptedAt = performance.now();
  run.child.kill(signal);
  const code = await run.exit();
  const stderr = run.stderr();
  const runId = /run (\d{8}-\d{6}-[0-9a-f]{6}): starting/.exec(stderr)?.[1] ?? "";
  return { code, stderr, exitAfterMs: performance.now() - interruptedAt, runId };
}

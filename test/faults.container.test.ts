import { join } from "node:path";
import Docker from "dockerode";
import { describe, expect, it } from "vitest";
import { ensureImages } from "../harness/env/images.ts";
import { LABEL_ROLE, LABEL_RUN_ID } from "../harness/env/labels.ts";
import { netAdminTargets } from "../harness/scenario/capabilities.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import type { Scenario } from "../harness/scenario/schema.ts";
import { type Stack, startStack } from "../harness/stack/stack.ts";
import { catalog, labelled, SCENARIOS_DIR, TEST_REPORTS_DIR } from "./support.ts";

// The fault scenarios themselves run in catalog.container.test.ts, each with
// its expected outcome. Here: what the faults need from the stack, checked on
// real containers: CAP_NET_ADMIN for the netem target and nothing else, and
// the uvicorn runtime really running without gunicorn.

async function withStack<T>(scenario: Scenario, runId: string, body: (stack: Stack, docker: Docker) => Promise<T>): Promise<T> {
  const docker = new Docker();
  const images = await ensureImages(docker);
  const stack = await startStack({ scenario, runId, images, docker, rawDir: join(TEST_REPORTS_DIR, runId) });
  try {
    return await body(stack, docker);
  } finally {
    await stack.stop();
  }
}

/** Each container of a run by role (node-1, node-2, nginx, the reaper): its HostConfig.CapAdd. */
async function capabilities(docker: Docker, runId: string): Promise<Record<string, string[]>> {
  const containers = await docker.listContainers({ all: true, filters: JSON.stringify({ label: [`${LABEL_RUN_ID}=${runId}`] }) });
  const out: Record<string, string[]> = {};
  for (const c of containers) {
    const info = await docker.getContainer(c.Id).inspect();
    out[c.Labels[LABEL_ROLE]!] = info.HostConfig.CapAdd ?? [];
  }
  return out;
}

describe("faults on the real stack", () => {
  it("only the netem scenarios grant a capability, and only to their target", () => {
    const granted = catalog()
      .map((file) => [file.split("/").pop()!, netAdminTargets(loadScenario(file))] as const)
      .filter(([, targets]) => targets.length > 0);
    expect(granted).toEqual([
      ["netem-delay-loss.yaml", ["node-1"]],
      ["netem-reset.yaml", ["node-1"]],
    ]);
  });

  it("the netem scenario's target alone gets CAP_NET_ADMIN: tc and iptables work there and are refused elsewhere", async () => {
    const runId = `faults-capadd-${process.pid}`;
    await withStack(loadScenario(join(SCENARIOS_DIR, "netem-delay-loss.yaml")), runId, async (stack, docker) => {
      expect(await capabilities(docker, runId)).toEqual({ "node-1": ["NET_ADMIN"], "node-2": [], nginx: [], reaper: [] });
      const iptables = ["iptables-legacy", "-L", "OUTPUT", "-n"];
      expect((await stack.execOutput("node-1", iptables)).exitCode).toBe(0);
      const refused = await stack.execOutput("node-2", iptables);
      expect(refused.exitCode).not.toBe(0);
      expect(refused.output).toMatch(/Permission denied|not permitted/i);
    });
    expect(await labelled(runId)).toEqual({ containers: 0, networks: 0 });
  });

  it("a scenario without a network fault grants no capability, and runtime uvicorn runs uvicorn --workers as PID 1 without gunicorn", async () => {
    const runId = `faults-uvicorn-${process.pid}`;
    await withStack(loadScenario(join(SCENARIOS_DIR, "kill-worker-uvicorn.yaml")), runId, async (stack, docker) => {
      expect(await capabilities(docker, runId)).toEqual({ "node-1": [], "node-2": [], nginx: [], reaper: [] });
      const pid1 = await stack.execOutput("node-1", ["sh", "-c", "tr '\\0' ' ' < /proc/1/cmdline; echo; ps -eo args="]);
      expect(pid1.output.split("\n")[0]).toMatch(/^python3 -m uvicorn app:app .*--workers 2 .*--timeout-graceful-shutdown 5/);
      expect(pid1.output).not.toMatch(/gunicorn/);
      const workers = JSON.parse((await stack.execOutput("node-1", ["python3", "/app/faultkit.py", "workers"])).output) as {
        workers: number[];
      };
      expect(workers.workers).toHaveLength(2);
    });
    expect(await labelled(runId)).toEqual({ containers: 0, networks: 0 });
  });
});

import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../harness/env/images.ts";
import type { Report } from "../harness/records/report.ts";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import { cli, copyExample, labelled, removeExampleCopies, TEST_REPORTS_DIR } from "./support.ts";

// The user's own stack (scenario `system:`), on the examples: each is a small
// project unlike the fixture, built from its own Dockerfile, with its own
// nginx.conf and (shop) a Redis service. Each example's passing scenario must
// pass and its must-fail control fail exactly as its file says.
const EXAMPLES = join(PROJECT_ROOT, "examples");
afterAll(removeExampleCopies);

async function run(file: string, sets: string[] = []): Promise<Report> {
  const { report } = await runScenario(loadScenario(file, sets), { scenarioFile: file, outDir: TEST_REPORTS_DIR });
  expect(await labelled(report.run_id), "nothing of the run is left").toEqual({ containers: 0, networks: 0 });
  return report;
}

const check = (report: Report, name: string) => report.checks.find((c) => c.name === name)!;
const summary = (report: Report) =>
  `${report.expectation.detail}\n${report.checks.map((c) => `${c.status} ${c.name}: ${c.observed} (${c.detail})`).join("\n")}\nrun ${report.run_id}`;

describe("bring your own stack: the examples", () => {
  it("uvicorn-workers passes, run by `npx drainlab` installed from the packed package, in the example's own folder", () => {
    const dir = copyExample("uvicorn-workers");
    // the package as npm would publish it, installed into the user's project
    const pack = spawnSync("npm", ["pack", "--pack-destination", dir, "--json"], { cwd: PROJECT_ROOT, encoding: "utf8" });
    expect(pack.status, pack.stderr).toBe(0);
    const tarball = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
    expect(tarball.files.map((f) => f.path).filter((f) => /(\.test\.ts|^test\/|^bench\/|^\.ci\/|^examples\/)/.test(f))).toEqual([]);
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "user-project", private: true }));
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "-D", `./${tarball.filename}`], {
      cwd: dir,
      encoding: "utf8",
    });
    expect(install.status, install.stderr).toBe(0);
    const r = spawnSync("npx", ["drainlab", "run", "drainlab.yaml"], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true" } });
    expect(r.status, r.stderr + r.stdout).toBe(0);
    const runs = readdirSync(join(dir, "reports"));
    expect(runs).toHaveLength(1);
    const report = JSON.parse(readFileSync(join(dir, "reports", runs[0]!, "report.json"), "utf8")) as Report;
    for (const view of ["report.html", "junit.xml", "summary.md"]) expect(existsSync(join(dir, "reports", runs[0]!, view))).toBe(true);
    expect(report.system!.signal_path!.shell_pid1).toBe(false);
    // uvicorn --workers 2, read from the running node, and every worker served before the load
    expect(report.parameters.stack.runtime).toBe("uvicorn");
    expect(report.timeout_chain.uvicorn_graceful_s).toBe(5);
    expect(report.system!.nodes.map((n) => [n.workers_ready >= 2, n.ledger_active])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(check(report, "health-reported-draining").status).toBe("skipped");
  });

  it("uvicorn-workers with a shell-form CMD: SIGTERM never reaches uvicorn, and the failing check says why", async () => {
    const report = await run(join(EXAMPLES, "uvicorn-workers/drainlab-shell-cmd.yaml"));
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(report.system!.signal_path!.shell_pid1).toBe(true);
    expect(check(report, "drained-node-exited-cleanly").detail).toMatch(/PID 1 is a shell \(\/bin\/sh -c python3 -m uvicorn/);
    expect(report.drain!.killed_after_wait).toBe(true);
  });

  it("shop (package layout, preload_app, Redis, its own nginx.conf) passes, with its settings read from gunicorn and nginx", async () => {
    const report = await run(join(EXAMPLES, "shop/drainlab.yaml"));
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(report.timeout_chain).toMatchObject({ runtime: "gunicorn", gunicorn_graceful_timeout_s: 8 });
    // the upstream's own keepalive and max_fails, read back from nginx -T
    expect(report.parameters.stack.nginx).toMatchObject({ upstream_keepalive: 16, max_fails: 2, fail_timeout_s: 5 });
    expect(report.system!.overrides.join("\n")).toMatch(/upstream "?shop_backend/);
  });

  it("shop with a graceful limit shorter than its slowest endpoint fails as its file says, and the override is listed", async () => {
    const report = await run(join(EXAMPLES, "shop/drainlab-short-grace.yaml"));
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(report.timeout_chain.gunicorn_graceful_timeout_s).toBe(1);
    expect(report.system!.overrides.join("\n")).toMatch(/GUNICORN_CMD_ARGS="--graceful-timeout 1"/);
    expect(report.lint.map((f) => f.code)).toContain("graceful-limit-shorter-than-request");
  });

  it("with the app ledger off, the checks that need it say no evidence and the run does not pass", async () => {
    const report = await run(join(EXAMPLES, "uvicorn-workers/drainlab.yaml"), [
      "system.app.ledger=false",
      "load.duration_s=4",
      "drain.at_s=1.5",
    ]);
    expect(report.verdict).toBe("fail");
    for (const name of ["no-cut-short-requests", "no-executed-twice", "no-finished-but-failed"]) {
      expect(check(report, name).status, name).toBe("no-evidence");
    }
    expect(report.system!.nodes.every((n) => !n.ledger_active)).toBe(true);
  });

  it("an nginx.conf nginx refuses stops the run before any load, naming the user's file and line; nothing is left", async () => {
    const dir = copyExample("uvicorn-workers");
    const conf = readFileSync(join(dir, "nginx.conf"), "utf8").replace("proxy_set_header Host $host;", "proxy_set_heade Host $host;");
    writeFileSync(join(dir, "nginx.conf"), conf);
    const line = conf.split("\n").findIndex((l) => l.includes("proxy_set_heade ")) + 1;
    const before = await labelled();
    const r = cli(["run", join(dir, "drainlab.yaml"), "--out", TEST_REPORTS_DIR]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`nginx -t refused it: \\[emerg\\] unknown directive "proxy_set_heade".*nginx\\.conf:${line}\\)`));
    expect(r.stderr).not.toMatch(/at \w+ \(/);
    expect(await labelled()).toEqual(before);
  });
});

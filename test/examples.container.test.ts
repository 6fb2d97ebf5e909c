import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../harness/records/report.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { labelled, TEST_REPORTS_DIR } from "./support.ts";

// The user's own stack (scenario `system:`), on the examples, run as a new
// user runs them: drainlab is installed from its packed tarball into a fresh
// project folder, each example is copied in, `npx drainlab init` writes the
// starter scenario, and `npx drainlab run` drains it. Each example's passing
// scenario must pass and its must-fail control fail exactly as its file says.
const EXAMPLES = join(PROJECT_ROOT, "examples");
let project: string;

beforeAll(() => {
  project = mkdtempSync(join(tmpdir(), "drainlab-user-project-"));
  // the package as npm would publish it, installed into the user's project
  const pack = spawnSync("npm", ["pack", "--pack-destination", project, "--json"], { cwd: PROJECT_ROOT, encoding: "utf8" });
  expect(pack.status, pack.stderr).toBe(0);
  const tarball = (JSON.parse(pack.stdout) as Array<{ filename: string; files: Array<{ path: string }> }>)[0]!;
  expect(tarball.files.map((f) => f.path).filter((f) => /(\.test\.ts|^test\/|^bench\/|^\.ci\/|^examples\/)/.test(f))).toEqual([]);
  writeFileSync(join(project, "package.json"), JSON.stringify({ name: "user-project", private: true }));
  const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund", "-D", `./${tarball.filename}`], {
    cwd: project,
    encoding: "utf8",
  });
  expect(install.status, install.stderr).toBe(0);
}, 300_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

/** examples/<name> copied into the user's project, without its scenarios unless asked: what a user has before `drainlab init`. */
function userCopy(name: string, { scenarios = false } = {}): string {
  const dir = join(project, `${name}-${readdirSync(project).length}`);
  mkdirSync(dir);
  cpSync(join(EXAMPLES, name), dir, { recursive: true, filter: (src) => scenarios || !/drainlab[\w-]*\.yaml$/.test(src) });
  return dir;
}

/** `npx drainlab ...` in the user's folder, as CI runs it. */
function npx(dir: string, args: string[]): { code: number; out: string } {
  const r = spawnSync("npx", ["drainlab", ...args], { cwd: dir, encoding: "utf8", env: { ...process.env, CI: "true" }, timeout: 300_000 });
  return { code: r.status ?? -1, out: `${r.stderr}\n${r.stdout}` };
}

/** Runs a scenario in the user's folder; the one report it wrote there (under ./reports), with every view beside it. */
async function runIn(dir: string, file: string, sets: string[] = []): Promise<{ code: number; report: Report; out: string }> {
  const before = existsSync(join(dir, "reports")) ? readdirSync(join(dir, "reports")) : [];
  const r = npx(dir, ["run", file, ...sets.flatMap((s) => ["--set", s])]);
  const runs = readdirSync(join(dir, "reports")).filter((d) => !before.includes(d));
  expect(runs, r.out).toHaveLength(1);
  const runDir = join(dir, "reports", runs[0]!);
  for (const view of ["report.json", "report.html", "junit.xml", "summary.md"]) expect(existsSync(join(runDir, view)), view).toBe(true);
  const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8")) as Report;
  // kept beside the other tests' runs: the user's project is a temporary folder, and a failing run's folder must outlive it
  cpSync(runDir, join(TEST_REPORTS_DIR, "examples", runs[0]!), { recursive: true });
  expect(await labelled(report.run_id), "nothing of the run is left").toEqual({ containers: 0, networks: 0 });
  return { code: r.code, report, out: r.out };
}

const check = (report: Report, name: string) => report.checks.find((c) => c.name === name)!;
const summary = (report: Report) =>
  `${report.expectation.detail}\n${report.checks.map((c) => `${c.status} ${c.name}: ${c.observed} (${c.detail})`).join("\n")}\nrun folder: ${join(TEST_REPORTS_DIR, "examples", report.run_id)}`;

describe("bring your own stack: the examples, as a new user runs them", () => {
  it("uvicorn-workers: `drainlab init` writes a scenario that `drainlab run` drains and passes", async () => {
    const dir = userCopy("uvicorn-workers");
    const init = npx(dir, ["init"]);
    expect(init.code, init.out).toBe(0);
    expect(init.out).toMatch(/upstream\s+api/);
    const { code, report, out } = await runIn(dir, "drainlab.yaml");
    expect(code, `${out}\n${summary(report)}`).toBe(0);
    expect(report.verdict).toBe("pass");
    expect(report.system!.signal_path!.shell_pid1).toBe(false);
    // uvicorn --workers 2 --timeout-graceful-shutdown 5, read from the running node, and every worker served before the load
    expect(report.parameters.stack.runtime).toBe("uvicorn");
    expect(report.timeout_chain.uvicorn_graceful_s).toBe(5);
    expect(report.system!.nodes.map((n) => [n.workers_ready >= 2, n.ledger_active])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(check(report, "health-reported-draining").status).toBe("skipped");
    expect(report.facts?.find((f) => f.claim.startsWith("the drain's SIGTERM"))?.holds).toBe(true);
  });

  it("uvicorn-workers: its WebSocket subscriptions, ended before uvicorn's SIGTERM, pass with every socket judged", async () => {
    const dir = userCopy("uvicorn-workers", { scenarios: true });
    const { code, report } = await runIn(dir, "drainlab.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(0);
    const sockets = report.sessions!.filter((s) => s.kind === "websocket");
    expect(sockets.length).toBeGreaterThan(0);
    expect(sockets.every((s) => s.complete && s.lost_messages === 0)).toBe(true);
    for (const name of ["websockets-closed-cleanly", "no-duplicate-events"]) expect(check(report, name).status, name).toBe("pass");
  });

  it("uvicorn-workers: subscriptions open at the SIGTERM are closed with 1012 and start over on node-2 (the control fails as its file says)", async () => {
    const dir = userCopy("uvicorn-workers", { scenarios: true });
    const { code, report } = await runIn(dir, "drainlab-updates-cut.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(1);
    const sockets = report.sessions!.filter((s) => s.kind === "websocket");
    expect(sockets.some((s) => s.close_codes.includes(1012) && s.reconnects > 0 && (s.duplicate_units ?? 0) > 0)).toBe(true);
    expect(sockets.every((s) => s.lost_messages === 0)).toBe(true);
  });

  it("uvicorn-workers with a shell-form CMD: SIGTERM never reaches uvicorn, and the failing check says why", async () => {
    const dir = userCopy("uvicorn-workers", { scenarios: true });
    const { code, report } = await runIn(dir, "drainlab-shell-cmd.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(1);
    expect(report.system!.signal_path!.shell_pid1).toBe(true);
    expect(check(report, "drained-node-exited-cleanly").detail).toMatch(/PID 1 is a shell \(\/bin\/sh -c python3 -m uvicorn/);
    expect(check(report, "drained-node-exited-cleanly").detail).toContain("the server never logged taking the SIGTERM");
    expect(report.drain!.killed_after_wait).toBe(true);
    expect(report.facts?.find((f) => f.claim.startsWith("the drain's SIGTERM"))?.holds).toBe(false);
  });

  it("shop (package layout, preload_app, Redis, its own nginx.conf): init finds its parts, and its scenario passes", async () => {
    const dir = userCopy("shop");
    const init = npx(dir, ["init"]);
    expect(init.code, init.out).toBe(0);
    const written = readFileSync(join(dir, "drainlab.yaml"), "utf8");
    expect(written).toContain("config: nginx/nginx.conf");
    expect(written).toContain("upstream: shop_backend");
    expect(written).toMatch(/health_path: \/healthz/);
    // the user then fills in what init marked TODO (the Redis service, the mix): the example's own scenario
    cpSync(join(EXAMPLES, "shop", "drainlab.yaml"), join(dir, "drainlab.yaml"));
    const { code, report } = await runIn(dir, "drainlab.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(0);
    expect(report.timeout_chain).toMatchObject({ runtime: "gunicorn", gunicorn_graceful_timeout_s: 8 });
    // the upstream's own keepalive and max_fails, read back from nginx -T
    expect(report.parameters.stack.nginx).toMatchObject({ upstream_keepalive: 16, max_fails: 2, fail_timeout_s: 5 });
    expect(report.system!.overrides.join("\n")).toMatch(/upstream "?shop_backend/);
    // the NDJSON export (no end marker) and the order feed (opaque ids), drained with the rest
    const streams = report.sessions!.filter((s) => s.kind === "stream");
    const feeds = report.sessions!.filter((s) => s.kind === "sse");
    expect(streams.length > 0 && streams.every((s) => s.complete && s.units === 20)).toBe(true);
    expect(feeds.length > 0 && feeds.every((s) => s.complete && (s.duplicate_units ?? 0) === 0)).toBe(true);
    for (const name of ["no-truncated-streams", "no-lost-events", "no-duplicate-events"])
      expect(check(report, name).status, name).toBe("pass");
  });

  it("shop with a 1 s graceful limit and a feed without resume: NDJSON exports are cut and feeds replay events, as its file says", async () => {
    const dir = userCopy("shop", { scenarios: true });
    const { code, report } = await runIn(dir, "drainlab-feed-short-grace.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(1);
    const cut = report.sessions!.filter((s) => s.kind === "stream" && !s.complete);
    expect(cut.length).toBeGreaterThan(0);
    expect(cut[0]!.error).toMatch(/^cut before the end of its body/);
    expect(report.sessions!.some((s) => s.kind === "sse" && s.reconnects > 0 && (s.duplicate_units ?? 0) > 0)).toBe(true);
  });

  it("shop with a graceful limit shorter than its slowest endpoint fails as its file says, and the override is listed", async () => {
    const dir = userCopy("shop", { scenarios: true });
    const { code, report } = await runIn(dir, "drainlab-short-grace.yaml");
    expect(report.expectation.met, summary(report)).toBe(true);
    expect(code).toBe(1);
    expect(report.timeout_chain.gunicorn_graceful_timeout_s).toBe(1);
    expect(report.system!.overrides.join("\n")).toMatch(/GUNICORN_CMD_ARGS="--graceful-timeout 1"/);
    expect(report.lint.map((f) => f.code)).toContain("graceful-limit-shorter-than-request");
  });

  it("a setting changed inside the image, not in any host file, is the one the report shows", async () => {
    const dir = userCopy("shop", { scenarios: true });
    // the host's gunicorn.conf.py keeps graceful_timeout = 8; only the image's copy says 6
    expect(readFileSync(join(dir, "gunicorn.conf.py"), "utf8")).toMatch(/^graceful_timeout = 8$/m);
    appendFileSync(join(dir, "Dockerfile"), "RUN sed -i 's/^graceful_timeout = 8$/graceful_timeout = 6/' /srv/gunicorn.conf.py\n");
    const { report } = await runIn(dir, "drainlab.yaml", ["load.duration_s=4", "drain.at_s=1.5"]);
    expect(report.timeout_chain.gunicorn_graceful_timeout_s, summary(report)).toBe(6);
    expect(report.timeout_chain.effective_graceful_s).toBe(6);
  });

  it("an app ledger that cannot activate (python -I ignores PYTHONPATH): the checks that need it say no evidence, and the run does not pass", async () => {
    const dir = userCopy("uvicorn-workers", { scenarios: true });
    const command = '["python3", "-I", "-m", "uvicorn", "app:app", "--host", "0.0.0.0", "--port", "8000", "--workers", "2"]';
    const { code, report } = await runIn(dir, "drainlab.yaml", [`system.app.command=${command}`, "load.duration_s=4", "drain.at_s=1.5"]);
    expect(report.verdict, summary(report)).toBe("fail");
    expect(code).toBe(1);
    for (const name of ["no-cut-short-requests", "no-executed-twice", "no-finished-but-failed"]) {
      expect(check(report, name).status, name).toBe("no-evidence");
    }
    expect(report.system!.nodes.every((n) => !n.ledger_active)).toBe(true);
    // the client and nginx still judged what they saw
    expect(check(report, "no-failed-requests").status).toBe("pass");
  });

  it("an nginx.conf nginx refuses stops the run before any load, naming the user's file and line; nothing is left", async () => {
    const dir = userCopy("uvicorn-workers", { scenarios: true });
    const conf = readFileSync(join(dir, "nginx.conf"), "utf8").replace("proxy_set_header Host $host;", "proxy_set_heade Host $host;");
    writeFileSync(join(dir, "nginx.conf"), conf);
    const line = conf.split("\n").findIndex((l) => l.includes("proxy_set_heade ")) + 1;
    const before = await labelled();
    const r = npx(dir, ["run", "drainlab.yaml"]);
    expect(r.code, r.out).toBe(2);
    expect(r.out).toMatch(new RegExp(`nginx -t refused it: \\[emerg\\] unknown directive "proxy_set_heade".*nginx\\.conf:${line}\\)`));
    expect(r.out).not.toMatch(/\n\s+at .+:\d+:\d+\)?\n/);
    expect(await labelled()).toEqual(before);
  });
});

import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { describeOffset } from "../harness/clock/clock-offset.ts";
import { ensureEngine } from "../harness/env/engine.ts";
import { ensureImages } from "../harness/env/images.ts";
import { readClientLedger } from "../harness/records/ledger-row.ts";
import type { Report } from "../harness/records/report.ts";
import { RAW_FILES } from "../harness/records/server-logs.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { SERVER_SIDE_CHECKS } from "../harness/verdict/verdict.ts";
import { labelled, losses, TEST_REPORTS_DIR } from "./support.ts";

// Attach mode on a stack drainlab did not start: examples/attach-docker's
// up.sh starts nginx and two app nodes with plain docker commands, and the
// scenario's own commands drain node-1. The pass scenario must pass, the
// SIGTERM-first control must fail exactly as its file says, and a run given
// no server records must say no-evidence (or skipped, declared client-only).
let dir: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  const docker = await ensureEngine(() => {});
  const images = await ensureImages(docker, () => {});
  env = { ...process.env, APP_IMAGE: images.app, NGINX_IMAGE: images.nginx };
  // a copy, so the example's logs/ and derived scenarios stay out of the repository
  dir = mkdtempSync(join(tmpdir(), "drainlab-attach-"));
  cpSync(join(PROJECT_ROOT, "examples/attach-docker"), dir, { recursive: true, filter: (s) => !s.endsWith("/logs") });
}, 300_000);

afterAll(() => {
  if (!dir) return;
  spawnSync(join(dir, "down.sh"), { env, encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
});

/** The example's stack, fresh: up.sh removes the previous one first. */
function up(): void {
  const r = spawnSync(join(dir, "up.sh"), { env, encoding: "utf8", timeout: 120_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

/** `drainlab run` on a scenario of the example's folder; its report and what the terminal showed. */
async function run(file: string): Promise<{ code: number; report: Report; out: string; runDir: string; wallS: number }> {
  // kept with the other tests' runs (not in the example's temporary copy), so a failure's folder outlives the test
  const reports = join(TEST_REPORTS_DIR, "attach");
  const before = existsSync(reports) ? readdirSync(reports) : [];
  const started = performance.now();
  const r = spawnSync("node", [join(PROJECT_ROOT, "bin/drainlab.mjs"), "run", join(dir, file), "--out", reports], {
    env: { ...env, CI: "true" },
    encoding: "utf8",
    timeout: 180_000,
  });
  const out = `${r.stdout}${r.stderr}`;
  const runs = readdirSync(reports).filter((d) => !before.includes(d));
  expect(runs, out).toHaveLength(1);
  const runDir = join(reports, runs[0]!);
  const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8")) as Report;
  expect(await labelled(report.run_id), "drainlab started nothing of its own").toEqual({ containers: 0, networks: 0 });
  return { code: r.status ?? -1, report, out, runDir, wallS: (performance.now() - started) / 1000 };
}

/** The pass scenario as another file in the same folder, changed by `edit`. */
// biome-ignore lint/suspicious/noExplicitAny: a scenario's raw YAML, edited as a user would
type Raw = Record<string, any>;
function variant(name: string, edit: (s: Raw) => void): string {
  const s = parse(readFileSync(join(dir, "drainlab.yaml"), "utf8")) as Raw;
  edit(s);
  writeFileSync(join(dir, name), stringify(s));
  return name;
}

const status = (r: Report, name: string) => r.checks.find((c) => c.name === name)?.status;

/** The first line of the terminal's summary (the progress lines and the log come before it). */
function summaryFirstLine(out: string): string {
  const lines = out.split("\n");
  const title = lines.findIndex((l) => /^drainlab \S+ {2}run /.test(l));
  expect(title, out).toBeGreaterThan(0);
  return lines[title - 1]!;
}

describe("attach: examples/attach-docker", () => {
  it("the operator's drain by its own commands passes, judged on all three ledgers", async () => {
    up();
    const { code, report, out } = await run("drainlab.yaml");
    expect(report.expectation.met, `${report.expectation.detail}\n${out}`).toBe(true);
    expect(code).toBe(0);
    expect(report.verdict).toBe("pass");
    const [drain] = report.drains;
    expect(drain!.hooks!.map((h) => [h.step, h.exit_code])).toEqual([
      ["mark_draining", 0],
      ["remove", 0],
      ["reload", 0],
      ["terminate", 0],
      ["wait_exit", 0],
      ["restore", 0],
    ]);
    // docker wait's output is the node's exit code; the removal took effect at the reload step's end
    expect(drain!.exit_code).toBe(0);
    expect(drain!.reload_effective_ms).toBe(drain!.hooks![2]!.end_ms);
    expect(report.attach!.records.nginx_rows).toBe(report.requests.sent);
    expect(report.attach!.records.app_events).toBeGreaterThan(report.requests.sent);
    for (const name of ["server-records-complete", "drain-exercised", "no-misrouted-requests", "drain-commands-succeeded"])
      expect(status(report, name), name).toBe("pass");
    expect(status(report, "health-reported-draining")).toBe("skipped");
    // node identity from the module's X-Node, nginx's upstream addresses learned from the answers
    expect(report.stack.nodes.map((n) => n.name).sort()).toEqual(["node-1", "node-2"]);
    expect(report.stack.addresses!.every((a) => /:8000$/.test(a.address))).toBe(true);
  });

  it("the control, SIGTERM before the removal, fails exactly as its file says", async () => {
    up();
    const { code, report, out } = await run("drainlab-sigterm-first.yaml");
    expect(report.expectation.met, `${report.expectation.detail}\n${out}`).toBe(true);
    expect(code).toBe(1);
    const hook = report.drains[0]!.hooks!.find((h) => h.step === "reload")!;
    expect(hook.exit_code).not.toBe(0);
    expect(hook.output_tail).toMatch(/host not found in upstream/);
  });

  it("a run given no server records says no-evidence for every check that needs them, and does not pass", async () => {
    up();
    const file = variant("drainlab-no-records.yaml", (s) => {
      s.name = "attach-docker-no-records";
      delete s.attach.records;
    });
    const { code, report, out } = await run(file);
    expect(code, out).toBe(1);
    expect(report.verdict).toBe("fail");
    for (const name of SERVER_SIDE_CHECKS.filter((n) => n !== "no-lost-background-tasks" && n !== "shutdown-hooks-ran"))
      expect(status(report, name), name).toBe("no-evidence");
    // the client's side is judged all the same
    for (const name of ["no-failed-requests", "no-unanswered-requests", "no-slow-during-drain", "traffic-continued", "generator-kept-up"])
      expect(status(report, name), name).toBe("pass");
    expect(summaryFirstLine(out)).toMatch(/no nginx's log and no app ledger named/);
  });

  it("declared client-only and accepted, those checks are skipped, and every view says so in its first line", async () => {
    up();
    const file = variant("drainlab-client-only.yaml", (s) => {
      s.name = "attach-docker-client-only";
      delete s.attach.records;
      s.attach.client_only = true;
      s.checks = { ...s.checks, client_only_ok: true };
    });
    const { code, report, out, runDir } = await run(file);
    expect(report.expectation.met, `${report.expectation.detail}\n${out}`).toBe(true);
    expect(code).toBe(0);
    for (const name of SERVER_SIDE_CHECKS) expect(status(report, name), name).toBe("skipped");
    const first = /^client-only run \(attach\.client_only, accepted\)/;
    expect(summaryFirstLine(out)).toMatch(first);
    expect(readFileSync(join(runDir, "summary.md"), "utf8").split("\n")[0]).toMatch(/client-only run/);
    expect(readFileSync(join(runDir, "report.html"), "utf8")).toMatch(/<main>\s*<p class="note fail" id="evidence">client-only run/);
  });

  // attach.shards: the load from `drainlab load-shard` processes the run did not start. The start command launches
  // two here, in the background, from the spec the run wrote (as a Kubernetes Indexed Job would elsewhere); they
  // write their folders where the run reads them back. Short: 6 s of load, without the example's 3 s GETs: with
  // them node-1 exited about 3 s after the reload step (1.7-2.7 s in), as a 5 s schedule ended, and drain-exercised
  // failed whenever docker exec was slow; without them it exits about 0.5 s after its SIGTERM (2.7 s in). That 2
  // shard processes judge as 1 thread does is test/shards.container.test.ts's; here the whole schedule must arrive and pass.
  it("attach.shards: 2 load-shard processes started by its start command: every scheduled request in one client ledger, and a pass", async () => {
    const bin = JSON.stringify(join(PROJECT_ROOT, "bin/drainlab.mjs"));
    const start = [
      "for i in 0 1; do",
      `  node ${bin} load-shard --spec "$DRAINLAB_SHARDS_DIR/spec.json" --index $i --out "$DRAINLAB_SHARDS_DIR/shard-$i" > "$DRAINLAB_SHARDS_DIR/shard-$i.log" 2>&1 &`,
      "done",
    ].join("\n");
    up();
    const two = await run(
      variant("drainlab-shards.yaml", (s) => {
        s.load.duration_s = 6;
        s.load.grace_s = 5;
        s.load.mix = s.load.mix.filter((k: { path?: string }) => k.path !== "/work?ms=3000");
        s.drain.at_s = 1;
        s.load.shards = 2;
        // the two processes must be ready by t0: they booted in 3.3-3.5 s idle and 6-9.2 s with two busy loops
        // (one was ready 1.2 s after t0 with lead_s 8, and generator-kept-up failed on its late sends)
        s.attach.shards = { dir: "shards", lead_s: 20, start, wait_s: 30 };
      }),
    );
    const said = (r: Report) => r.checks.map((c) => `${c.status} ${c.name}: ${c.observed} ${c.detail}`).join("\n");
    console.log(
      `attach, 2 processes elsewhere: sent ${two.report.requests.sent} ok ${two.report.requests.ok} ${two.wallS.toFixed(1)} s; ` +
        `ready vs start ${two.report.generator.shards?.map((s) => s.clock?.ready_vs_start_ms).join(", ")} ms`,
    );
    // on a miss: the run folder, and how each server's clock was placed against the shards' (wall-clock steps, offsets and the requests that set them)
    const clock = [
      `run folder: ${two.runDir}`,
      `wall-clock steps: ${JSON.stringify(two.report.wall_clock_steps ?? [])}`,
      ...(two.report.attach?.clock_offsets ?? []).map(describeOffset),
    ].join("\n");
    expect(two.report.expectation.met, `2 processes: ${two.report.expectation.detail}\n${said(two.report)}\n${clock}`).toBe(true);
    const scheduled = two.report.generator.scheduled;
    expect(scheduled).toBe(Math.round(two.report.parameters.load.rate_per_s * 6));
    expect(two.report.requests).toMatchObject({ sent: scheduled, ok: scheduled, failed: 0, unanswered: 0 });
    expect(
      Object.values(losses(two.report)).every((n) => n === 0),
      JSON.stringify(losses(two.report)),
    ).toBe(true);
    // one ledger from both processes, every id once, in order
    const rows = readClientLedger(join(two.runDir, RAW_FILES.clientLedger)).rows;
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => `${two.report.run_id}-${i}`));
    expect(rows.every((r) => r.shard === r.seq % 2)).toBe(true);
    // the spec and the folders are under attach.shards.dir, by run id; the start command is on record
    expect(JSON.parse(readFileSync(join(dir, "shards", two.report.run_id, "spec.json"), "utf8")).shard).toEqual({ count: 2 });
    expect(two.report.attach!.record_hooks.map((h) => [h.step, h.exit_code])[0]).toEqual(["shards-start", 0]);
    expect(two.report.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(["shards-spec", "shards-merged"]));
    expect(two.report.generator.shards?.every((s) => s.clock!.ready_vs_start_ms < 0)).toBe(true);
  });
});

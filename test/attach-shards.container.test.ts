import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";
import { ensureEngine } from "../harness/env/engine.ts";
import { ensureImages, PROJECT_ROOT } from "../harness/env/images.ts";
import { readClientLedger } from "../harness/records/ledger-row.ts";
import type { Report } from "../harness/records/report.ts";
import { RAW_FILES } from "../harness/records/server-logs.ts";
import { labelled } from "./support.ts";

// attach.shards: an attach run whose load comes from `drainlab load-shard` processes it did not start. Here
// the scenario's start command launches two on this machine, in the background, from the spec the run wrote
// (as a Kubernetes Indexed Job would elsewhere); they write their folders where the run reads them back.
// The run must judge as the same attach run loading from its own thread does. Short: 5 s of load.
let dir: string;
let env: NodeJS.ProcessEnv;
const BIN = join(PROJECT_ROOT, "bin/drainlab.mjs");

beforeAll(async () => {
  const docker = await ensureEngine(() => {});
  const images = await ensureImages(docker, () => {});
  env = { ...process.env, APP_IMAGE: images.app, NGINX_IMAGE: images.nginx };
  dir = mkdtempSync(join(tmpdir(), "drainlab-attach-shards-"));
  cpSync(join(PROJECT_ROOT, "examples/attach-docker"), dir, { recursive: true, filter: (s) => !s.endsWith("/logs") });
}, 300_000);

afterAll(() => {
  if (!dir) return;
  spawnSync(join(dir, "down.sh"), { env, encoding: "utf8" });
  rmSync(dir, { recursive: true, force: true });
});

function up(): void {
  const r = spawnSync(join(dir, "up.sh"), { env, encoding: "utf8", timeout: 120_000 });
  expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
}

// biome-ignore lint/suspicious/noExplicitAny: a scenario's raw YAML, edited as a user would
type Raw = Record<string, any>;
function variant(name: string, edit: (s: Raw) => void): string {
  const s = parse(readFileSync(join(dir, "drainlab.yaml"), "utf8")) as Raw;
  s.load.duration_s = 5;
  s.load.grace_s = 5;
  s.drain.at_s = 1;
  edit(s);
  writeFileSync(join(dir, name), stringify(s));
  return name;
}

async function run(file: string): Promise<{ code: number; report: Report; out: string; runDir: string; wallS: number }> {
  const reports = join(dir, "reports");
  const before = existsSync(reports) ? readdirSync(reports) : [];
  const started = performance.now();
  const r = spawnSync("node", [BIN, "run", join(dir, file), "--out", reports], {
    env: { ...env, CI: "true" },
    encoding: "utf8",
    timeout: 180_000,
  });
  const wallS = (performance.now() - started) / 1000;
  const out = `${r.stdout}${r.stderr}`;
  const runs = readdirSync(reports).filter((d) => !before.includes(d));
  expect(runs, out).toHaveLength(1);
  const runDir = join(reports, runs[0]!);
  const report = JSON.parse(readFileSync(join(runDir, "report.json"), "utf8")) as Report;
  expect(await labelled(report.run_id)).toEqual({ containers: 0, networks: 0 });
  return { code: r.status ?? -1, report, out, runDir, wallS };
}

const counts = (r: Report) => ({
  verdict: r.verdict,
  checks: r.checks.map((c) => [c.name, c.status]),
  sent: r.requests.sent,
  ok: r.requests.ok,
  failed: r.requests.failed,
  unanswered: r.requests.unanswered,
  loss: r.reconciliation.counts,
});

describe("attach.shards: the load from shard processes the run did not start", () => {
  it("2 load-shard processes started by attach.shards.start judge as the run's own thread does, merged into one client ledger", async () => {
    up();
    const one = await run(variant("one.yaml", () => {}));
    up();
    const start = [
      "for i in 0 1; do",
      `  node ${JSON.stringify(BIN)} load-shard --spec "$DRAINLAB_SHARDS_DIR/spec.json" --index $i --out "$DRAINLAB_SHARDS_DIR/shard-$i" > "$DRAINLAB_SHARDS_DIR/shard-$i.log" 2>&1 &`,
      "done",
    ].join("\n");
    const two = await run(
      variant("two.yaml", (s) => {
        s.load.shards = 2;
        s.attach.shards = { dir: "shards", lead_s: 8, start, wait_s: 30 };
      }),
    );
    console.log(
      `attach, 1 thread: sent ${one.report.requests.sent} ok ${one.report.requests.ok} ${one.wallS.toFixed(1)} s; ` +
        `2 processes elsewhere: sent ${two.report.requests.sent} ok ${two.report.requests.ok} ${two.wallS.toFixed(1)} s; ` +
        `ready vs start ${two.report.generator.shards?.map((s) => s.clock?.ready_vs_start_ms).join(", ")} ms`,
    );
    expect(one.report.expectation.met, `${one.report.expectation.detail}\n${one.out}`).toBe(true);
    expect(two.report.expectation.met, `${two.report.expectation.detail}\n${two.out}`).toBe(true);
    expect(counts(two.report)).toEqual(counts(one.report));
    // one ledger from both processes, every id once, in order
    const rows = readClientLedger(join(two.runDir, RAW_FILES.clientLedger)).rows;
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => `${two.report.run_id}-${i}`));
    expect(rows.every((r) => r.shard === r.seq % 2)).toBe(true);
    // the spec and the folders are under attach.shards.dir, by run id; the start command is on record
    const shardsDir = join(dir, "shards", two.report.run_id);
    expect(JSON.parse(readFileSync(join(shardsDir, "spec.json"), "utf8")).shard).toEqual({ count: 2 });
    expect(two.report.attach!.record_hooks.map((h) => [h.step, h.exit_code])[0]).toEqual(["shards-start", 0]);
    expect(two.report.timeline.map((e) => e.event)).toEqual(expect.arrayContaining(["shards-spec", "shards-merged"]));
    expect(two.report.generator.shards?.every((s) => s.clock!.ready_vs_start_ms < 0)).toBe(true);
  });
});

import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readClientLedger } from "../harness/records/ledger-row.ts";
import { RAW_FILES } from "../harness/records/server-logs.ts";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario } from "../harness/scenario/load-scenario.ts";
import { labelled, SCENARIOS_DIR, TEST_REPORTS_DIR } from "./support.ts";

// load.shards: 2 splits the schedule over two worker threads; the merged
// ledger must be judged exactly as one thread's. Short: 5 s of load.
describe("load in shards on the real stack", () => {
  it("drain-one-node with load.shards 2 gets the verdict of 1 shard, with rows from both shards in the one client ledger", async () => {
    const file = join(SCENARIOS_DIR, "drain-one-node.yaml");
    // node-1 exits up to about 3.5 s after drain.at_s (the scenario says so): requests must be due until then
    const short = ["load.duration_s=5", "drain.at_s=0.5"];
    const run = async (shards: number) => {
      const { report, runDir } = await runScenario(loadScenario(file, [...short, `load.shards=${shards}`]), {
        scenarioFile: file,
        outDir: TEST_REPORTS_DIR,
      });
      const summary = report.checks.map((c) => `${c.status} ${c.name}: ${c.observed}`).join("\n");
      expect(await labelled(report.run_id)).toEqual({ containers: 0, networks: 0 });
      return { report, runDir, summary };
    };
    const one = await run(1);
    const two = await run(2);
    expect(one.report.expectation.met, `1 shard: ${one.report.expectation.detail}\n${one.summary}`).toBe(true);
    expect(two.report.verdict, `2 shards:\n${two.summary}`).toBe(one.report.verdict);
    expect(two.report.expectation.met, `2 shards: ${two.report.expectation.detail}\n${two.summary}`).toBe(true);
    expect(two.report.checks.map((c) => [c.name, c.status])).toEqual(one.report.checks.map((c) => [c.name, c.status]));

    // one ledger: every scheduled request once, in id order, from both shards
    const rows = readClientLedger(join(two.runDir, RAW_FILES.clientLedger)).rows;
    expect(rows.length).toBe(two.report.requests.sent);
    expect(rows.length).toBe(one.report.requests.sent);
    expect(rows.map((r) => r.seq)).toEqual(rows.map((_, i) => i));
    expect(rows.map((r) => r.id)).toEqual(rows.map((_, i) => `${two.report.run_id}-${i}`));
    const shards = two.report.generator.shards!;
    expect(shards.map((s) => [s.shard, s.scheduled])).toEqual([
      [0, Math.ceil(rows.length / 2)],
      [1, Math.floor(rows.length / 2)],
    ]);
    // each row names the shard that sent it, and both shards' requests were answered
    expect(rows.every((r) => r.shard === r.seq % 2)).toBe(true);
    expect(rows.filter((r) => r.shard === 1 && r.error === "none").length).toBeGreaterThan(0);
    expect(rows.filter((r) => r.shard === 0 && r.error === "none").length).toBeGreaterThan(0);
    // 1 shard: rows as before, no shard field
    const oneRows = readClientLedger(join(one.runDir, RAW_FILES.clientLedger)).rows;
    expect(oneRows.some((r) => "shard" in r)).toBe(false);
  });
});

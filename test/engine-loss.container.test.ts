import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ensureEngine } from "../harness/env/engine.ts";
import { readClientLedger } from "../harness/records/ledger-row.ts";
import type { Report } from "../harness/records/report.ts";
import { cli, labelled, SCENARIOS_DIR, spawnDrainlab, TEST_REPORTS_DIR } from "./support.ts";

// The Docker engine dies during the load (SIGKILL to dockerd, as a crash or an
// OOM kill would): drainlab must exit 3 with one plain sentence, and still
// write a partial report.json (verdict error) holding every record gathered.
describe("engine lost mid-run", () => {
  afterAll(async () => {
    // the engine is drainlab's to start on this machine (CI starts none): bring it back for the tests after this one
    await ensureEngine();
    cli(["clean"]);
    expect(await labelled()).toEqual({ containers: 0, networks: 0 });
  });

  it("exits 3 naming the engine, and writes a partial report with the client ledger", async () => {
    const run = spawnDrainlab(["run", join(SCENARIOS_DIR, "drain-one-node.yaml"), "--out", TEST_REPORTS_DIR]);
    // a second into the load (the progress line names its phase), the engine goes
    await run.until(/\bload\b.*sent \d+/);
    await new Promise((r) => setTimeout(r, 1000));
    expect(spawnSync("pkill", ["-9", "-x", "dockerd"]).status, "dockerd was running").toBe(0);
    const code = await run.exit();
    const stderr = run.stderr();

    expect(code, stderr).toBe(3);
    expect(stderr).toMatch(
      /drainlab: the Docker engine stopped answering [\d.]+ s into the load; .* requests gathered so far are in .*report\.json \(verdict error\)/,
    );
    expect(stderr, "no stack trace").not.toMatch(/^\s+at /m);
    const path = /are in (\S+report\.json)/.exec(stderr)![1]!;
    const report = JSON.parse(readFileSync(path, "utf8")) as Report;
    expect(report.verdict).toBe("error");
    expect(report.error).toMatch(/Docker engine stopped answering/);
    expect(report.requests.sent).toBeGreaterThan(100);
    const ledger = readClientLedger(join(path, "..", report.files.client_ledger!));
    expect(ledger.rows).toHaveLength(report.requests.sent);
    // the views draw it
    expect(readFileSync(join(path, "..", "summary.md"), "utf8")).toContain("ERROR");
    expect(readFileSync(join(path, "..", "junit.xml"), "utf8")).toContain('name="run-completed"');
  });
});

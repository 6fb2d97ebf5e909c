import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../../bin/drainlab.mjs", import.meta.url).pathname;

function drainlab(...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenarioFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "drainlab-cmd-")), "s.yaml");
  writeFileSync(path, text);
  return path;
}

const LONG_GET = "name: long\nload:\n  mix: [{ method: GET, ms: 3000 }]\n";

// Each spawns the command (about a second of tsx start-up), hence the longer timeout.
// None of these reach Docker: lint never starts anything, and matrix and tune reject bad input first.
describe("drainlab lint", { timeout: 30_000 }, () => {
  it("exits 0 on a consistent chain and prints the chain", () => {
    const r = drainlab("lint", scenarioFile("name: ok\n"));
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/chain\s+effective graceful limit 30 s, limited by gunicorn graceful_timeout/);
    expect(r.stdout).toContain("0 error(s), 0 warning(s)");
  });

  it("exits 0 with warnings only", () => {
    const r = drainlab("lint", scenarioFile(LONG_GET), "--set", "stack.gunicorn.graceful_timeout_s=1");
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/warning\s+graceful-limit-shorter-than-request/);
  });

  it("exits 1 on a lint error, naming the field and its value", () => {
    const r = drainlab("lint", scenarioFile(LONG_GET), "--set", "stack.nginx.proxy_read_timeout_s=2");
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ERROR\s+read-timeout-shorter-than-request: stack\.nginx\.proxy_read_timeout_s 2 s/);
    expect(r.stdout).toContain("1 error(s)");
  });

  it("prints JSON findings with --json", () => {
    const r = drainlab("lint", scenarioFile(LONG_GET), "--set", "drain.stop_wait_s=1", "--json");
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)[0]).toMatchObject({
      severity: "error",
      code: "stop-wait-shorter-than-graceful-limit",
      fields: ["drain.stop_wait_s", "stack.uvicorn.timeout_graceful_shutdown_s", "stack.gunicorn.graceful_timeout_s"],
    });
  });

  it("exits 2 on a bad scenario, without a stack trace", () => {
    const r = drainlab("lint", scenarioFile("name: x\nload: { rate_per_s: fast }\n"));
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("load.rate_per_s");
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describe("drainlab matrix and tune, bad input", { timeout: 30_000 }, () => {
  // the planning itself is unit-tested in matrix.test.ts and tune.test.ts; these check the command's exit codes
  it("matrix exits 2 on a cell that does not validate, naming it, and explains its exit rule in --help", () => {
    const r = drainlab("matrix", scenarioFile("name: x\n"), "--grid", "drain.target=1,0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/matrix cell 2 \(drain\.target=0\)/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
    expect(drainlab("matrix", "--help").stdout).toMatch(/exit 0 when every cell passed; 1 when any cell's verdict is fail/);
  });

  it("tune exits 2 on a missing option and on a range that lint rules out", () => {
    const file = scenarioFile(LONG_GET);
    expect(drainlab("tune", file, "--range", "1..5").code).toBe(2);
    const hopeless = drainlab(
      "tune",
      file,
      "--param",
      "stack.uvicorn.timeout_graceful_shutdown_s",
      "--range",
      "1..5",
      "--set",
      "load.timeout_s=2",
    );
    expect(hopeless.code).toBe(2);
    expect(hopeless.stderr).toContain("client-timeout-shorter-than-request");
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../bin/drainlab.mjs", import.meta.url).pathname;

function drainlab(...args: string[]) {
  return drainlabWith({}, ...args);
}

function drainlabWith(env: NodeJS.ProcessEnv, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "true", ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function scenarioFile(text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), "drainlab-cli-")), "bad.yaml");
  writeFileSync(path, text);
  return path;
}

// These never reach Docker: a bad scenario is rejected before anything starts.
describe("drainlab command, bad input", () => {
  it("exits 2 naming file, field and value of a malformed scenario", () => {
    const file = scenarioFile("name: bad\nload:\n  rate_per_s: fast\n");
    const r = drainlab("run", file);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain(file);
    expect(r.stderr).toContain("load.rate_per_s");
    expect(r.stderr).toContain('"fast"');
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it("exits 2 on a bad --set", () => {
    const r = drainlab("run", scenarioFile("name: ok\n"), "--set", "drain.target=0");
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/drain\.target.*value: 0/);
  });

  it("exits 2 on a missing scenario file and on an unknown command", () => {
    expect(drainlab("run", "/nonexistent.yaml").code).toBe(2);
    expect(drainlab("frobnicate").code).toBe(2);
  });

  it("exits 3 with instructions when no engine answers and it may not start one", () => {
    const r = drainlabWith({ DOCKER_HOST: "unix:///nonexistent/docker.sock" }, "run", scenarioFile("name: ok\n"));
    expect(r.code).toBe(3);
    expect(r.stderr).toMatch(/no Docker engine answers at DOCKER_HOST=unix:\/\/\/nonexistent\/docker\.sock/);
    expect(r.stderr).toMatch(/Start one/);
  });

  it("exits 2 on a --out where no run folder can be made, and on a report.json that is incomplete", () => {
    const file = scenarioFile("name: ok\n");
    const out = drainlab("run", file, "--out", `${file}/under-a-file`);
    expect(out.code).toBe(2);
    expect(out.stderr).toMatch(/--out .*under-a-file: cannot create the run folder .* \(ENOTDIR\)/);
    const partial = join(mkdtempSync(join(tmpdir(), "drainlab-cli-")), "report.json");
    writeFileSync(partial, JSON.stringify({ schema_version: 1, checks: [], verdict: "pass" }));
    const r = drainlab("report", partial);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/not a drainlab report\.json: field run_id: Invalid input: expected string, received undefined/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("prints a JSON Schema for editors", () => {
    const r = drainlab("schema");
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).properties.load).toBeDefined();
  });
});

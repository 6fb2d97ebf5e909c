import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../../bin/drainlab.mjs", import.meta.url).pathname;
const SCENARIO = new URL("../../scenarios/drain-one-node.yaml", import.meta.url).pathname;
// what a run needs and a command that starts nothing must not load: the Docker client, the containers' library,
// the HTTP client the load is sent with, the closed-model peak
const HEAVY = ["dockerode", "testcontainers", "undici", "autocannon"];

/** The packages under node_modules the command loaded by its exit (CommonJS modules, which all of HEAVY are). */
function packagesLoaded(args: string[]): { code: number | null; stderr: string; packages: Set<string> } {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-imports-"));
  const out = join(dir, "loaded.json");
  const hook = join(dir, "hook.cjs");
  writeFileSync(
    hook,
    `process.on("exit", () => require("node:fs").writeFileSync(${JSON.stringify(out)}, JSON.stringify(Object.keys(require("node:module")._cache))));\n`,
  );
  const r = spawnSync(process.execPath, ["--require", hook, BIN, ...args], { encoding: "utf8", env: { ...process.env, CI: "true" } });
  const files = JSON.parse(readFileSync(out, "utf8")) as string[];
  const packages = new Set(files.flatMap((f) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f)?.[1] ?? []));
  return { code: r.status, stderr: r.stderr, packages };
}

// Each command imports what it runs when it runs: one that starts nothing (lint in an editor or a pre-commit hook,
// --help, schema) does not pay for loading the Docker client and the load generator.
describe("commands that start nothing load nothing they do not use", { timeout: 30_000 }, () => {
  for (const args of [["lint", SCENARIO], ["schema"], ["--help"]]) {
    it(`drainlab ${args[0]}`, () => {
      const r = packagesLoaded(args);
      expect(r.code, r.stderr).toBe(0);
      expect(
        HEAVY.filter((p) => r.packages.has(p)),
        [...r.packages].join(", "),
      ).toEqual([]);
    });
  }

  it("the control: a matrix loads the runs' Docker client before it reads its grid (the probe sees what a command uses)", () => {
    const r = packagesLoaded(["matrix", SCENARIO, "--grid", "no-equals-sign", "--out", mkdtempSync(join(tmpdir(), "drainlab-imports-"))]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.packages.has("dockerode"), [...r.packages].join(", ")).toBe(true);
  });
});

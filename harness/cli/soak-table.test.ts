import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readSoakFiles, renderSoakTable } from "./soak-table.ts";

const outcome = (scenario: string, met: boolean, round = 1) => ({
  scenario,
  round,
  met,
  verdict: met ? "pass" : "fail",
  failing: met ? [] : ["generator-kept-up"],
  detail: met ? "passed as expected" : "expected pass, got fail (failed: generator-kept-up)",
  run_id: `run-${scenario}-${round}`,
});

function folder(files: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), "soak-table-"));
  for (const [name, json] of Object.entries(files)) writeFileSync(join(dir, name), typeof json === "string" ? json : JSON.stringify(json));
  return dir;
}

describe("soak-table", () => {
  it("adds soaks up per scenario, idle and with one core held, and lists each mismatch", () => {
    const dir = folder({
      "soak-1.json": {
        rounds: 2,
        cpu_hog: false,
        commit: "aaaaaaa1",
        outcomes: [outcome("a", true), outcome("a", true, 2), outcome("b", true)],
      },
      "soak-2.json": { rounds: 1, cpu_hog: true, commit: "bbbbbbb2", outcomes: [outcome("a", false), outcome("b", true)] },
      "other.json": "not read: not a soak-*.json",
    });
    const text = renderSoakTable(readSoakFiles([dir]));
    expect(text).toContain("2 soak(s), 2 scenario(s), commit(s) aaaaaaa, bbbbbbb");
    expect(text).toMatch(/^a\s+0\/2 \(< 78%\)\s+1\/1 \(< 100%\)$/m);
    expect(text).toMatch(/^b\s+0\/1 \(< 95%\)\s+0\/1 \(< 95%\)$/m);
    expect(text).toMatch(/^all\s+0\/3 \(< 63%\)\s+1\/2/m);
    expect(text).toContain("1 mismatch(es):\n  a (soak-2.json round 1, hog, run-a-1): expected pass, got fail (failed: generator-kept-up)");
  });

  it("a table of idle soaks alone (no run with one core held), and a file named twice counted once", () => {
    const dir = folder({ "soak-1.json": { rounds: 1, cpu_hog: false, outcomes: [outcome("a", true)] } });
    const text = renderSoakTable(readSoakFiles([dir, join(dir, "soak-1.json")]));
    expect(text).toMatch(/^a\s+0\/1 \(< 95%\)\s+-$/m);
    expect(text).toMatch(/^all\s+0\/1 \(< 95%\)\s+-$/m);
  });

  it("names the path and what is wrong with it", () => {
    expect(() => readSoakFiles(["/no/such/soak"])).toThrow("/no/such/soak: no such file or folder");
    const empty = folder({});
    expect(() => readSoakFiles([empty])).toThrow(`${empty}: holds no soak-*.json file`);
    const broken = folder({ "soak-1.json": "{", "soak-2.json": { rounds: 1, cpu_hog: "yes", outcomes: [] } });
    expect(() => readSoakFiles([join(broken, "soak-1.json")])).toThrow(/soak-1\.json: not a soak result \(not JSON\)/);
    expect(() => readSoakFiles([join(broken, "soak-2.json")])).toThrow(/soak-2\.json: not a soak result \(cpu_hog: /);
    expect(() => readSoakFiles(["/dev/zero"])).toThrow(/\/dev\/zero is a device/);
  });
});

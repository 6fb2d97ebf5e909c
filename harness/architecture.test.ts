import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./env/images.ts";

const DEPCRUISE = join(PROJECT_ROOT, "node_modules/.bin/depcruise");
const CONFIG = join(PROJECT_ROOT, ".dependency-cruiser.cjs");

function cruise(cwd: string): { code: number; out: string } {
  const r = spawnSync(DEPCRUISE, ["harness", "--config", CONFIG, "--output-type", "err"], { cwd, encoding: "utf8", timeout: 60_000 });
  return { code: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

/** A tree shaped like harness/ with the given files, for the rules' must-fail controls. */
function tree(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-arch-"));
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: { module: "NodeNext", moduleResolution: "NodeNext", allowImportingTsExtensions: true, noEmit: true },
    }),
  );
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

// each case runs dependency-cruiser over the tree (3-4 s idle); a busy machine must not time it out
describe("architecture rules (.dependency-cruiser.cjs)", { timeout: 120_000 }, () => {
  it("hold on drainlab's own tree", () => {
    const r = cruise(PROJECT_ROOT);
    expect(r.out).toContain("no dependency violations found");
    expect(r.code).toBe(0);
  });

  it("fail on a verdict that imports a stage, even for a type only", () => {
    const r = cruise(
      tree({
        "harness/stack/stack.ts": "export interface Stack { url: string }\n",
        "harness/verdict/checks.ts": 'import type { Stack } from "../stack/stack.ts";\nexport const url = (s: Stack) => s.url;\n',
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("verdict-reads-records-only");
  });

  it("fail on records that reach up the pipeline, and on a cycle", () => {
    const r = cruise(
      tree({
        "harness/records/report.ts": 'import type { Row } from "../load/ledger.ts";\nexport type Report = { rows: Row[] };\n',
        "harness/load/ledger.ts": 'import type { Report } from "../records/report.ts";\nexport type Row = { id: string; r?: Report };\n',
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("records-are-plain-data");
    expect(r.out).toContain("no-cycles");
  });

  it("fail on a doctor that imports a stage other than the nginx parser", () => {
    const r = cruise(
      tree({
        "harness/stack/stack.ts": "export interface Stack { url: string }\n",
        "harness/stack/nginx-parse.ts": "export const parseNginx = (t: string) => t;\n",
        "harness/doctor/doctor.ts":
          'import type { Stack } from "../stack/stack.ts";\nimport { parseNginx } from "../stack/nginx-parse.ts";\nexport const url = (s: Stack) => parseNginx(s.url);\n',
      }),
    );
    expect(r.code).not.toBe(0);
    expect(r.out).toContain("doctor-reads-records-only");
    expect(r.out).not.toContain("nginx-parse.ts");
  });
});

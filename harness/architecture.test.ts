import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "./util/project-root.ts";

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

const RULES: string[] = createRequire(import.meta.url)(CONFIG).forbidden.map((r: { name: string }) => r.name);

const exportsA = "export const a = 1;\n";
const importsA = (from: string) => `import { a } from "${from}";\nexport const b = a;\n`;

/** One must-fail control per rule (beyond the three below): a tree that breaks that rule, and the rule it must name. */
const CONTROLS: Array<{ rule: string; files: Record<string, string> }> = [
  {
    rule: "util-imports-nothing",
    files: { "harness/util/text.ts": importsA("../records/report.ts"), "harness/records/report.ts": exportsA },
  },
  {
    rule: "scenario-at-the-bottom",
    files: { "harness/scenario/lint.ts": importsA("../records/report.ts"), "harness/records/report.ts": exportsA },
  },
  {
    rule: "figures-stand-on-records",
    files: { "harness/figures/figures.ts": importsA("../verdict/checks.ts"), "harness/verdict/checks.ts": exportsA },
  },
  {
    rule: "clock-stands-on-records",
    files: { "harness/clock/timeline.ts": importsA("../nodes/health-monitor.ts"), "harness/nodes/health-monitor.ts": exportsA },
  },
  {
    rule: "env-below-the-stages",
    files: { "harness/env/engine.ts": importsA("../stack/stack.ts"), "harness/stack/stack.ts": exportsA },
  },
  {
    rule: "nodes-below-the-stages",
    files: { "harness/nodes/probe.ts": importsA("../drain/drain.ts"), "harness/drain/drain.ts": exportsA },
  },
  {
    rule: "stages-are-siblings",
    files: { "harness/stack/system.ts": importsA("../load/mix.ts"), "harness/load/mix.ts": exportsA },
  },
  {
    rule: "only-stack-touches-containers",
    files: { "harness/drain/kill.ts": 'import type Docker from "dockerode";\nexport const kill = (c: Docker.Container) => c.kill();\n' },
  },
  {
    rule: "stages-never-judge",
    files: { "harness/load/ledger.ts": importsA("../verdict/checks.ts"), "harness/verdict/checks.ts": exportsA },
  },
  {
    rule: "report-reads-records-only",
    files: { "harness/report/html.ts": importsA("../stack/stack.ts"), "harness/stack/stack.ts": exportsA },
  },
  {
    rule: "nothing-imports-the-top",
    files: { "harness/other/helper.ts": importsA("../run/run.ts"), "harness/run/run.ts": exportsA },
  },
];

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

  // one tree holding every control (one cruise, not eleven: 3-4 s each), each control's own import named in its rule's line
  it("fail on a tree that breaks each rule, naming the import that breaks it", () => {
    const files: Record<string, string> = {};
    for (const [path, text] of CONTROLS.flatMap((c) => Object.entries(c.files))) {
      // two controls may share a file only with the same text
      expect(files[path] ?? text, path).toBe(text);
      files[path] = text;
    }
    const r = cruise(tree(files));
    expect(r.code).not.toBe(0);
    for (const { rule, files: own } of CONTROLS) {
      const [from, text] = Object.entries(own)[0]!;
      const to = /from "([^"]+)"/.exec(text)![1]!;
      const target = to.startsWith(".") ? join(dirname(from), to) : to;
      expect(r.out, rule).toContain(`${rule}: ${from} → ${target}`);
    }
  });

  it("allow a stage its own files and what nodes/ shares, but never another stage", () => {
    const r = cruise(
      tree({
        "harness/nodes/stack-handle.ts": "export interface StackHandle { url: string }\n",
        "harness/drain/steps.ts": exportsA,
        "harness/drain/drain.ts":
          'import type { StackHandle } from "../nodes/stack-handle.ts";\nimport { a } from "./steps.ts";\nexport const f = (s: StackHandle) => s.url + a;\n',
        "harness/faults/runner.ts": 'import { f } from "../drain/drain.ts";\nexport const g = f;\n',
      }),
    );
    expect(r.out).toContain("stages-are-siblings: harness/faults/runner.ts → harness/drain/drain.ts");
    expect(r.out).not.toContain("harness/drain/steps.ts");
    expect(r.out).not.toContain("harness/nodes/stack-handle.ts");
  });

  it("have a must-fail control for every rule of .dependency-cruiser.cjs", () => {
    const controlled = new Set([
      ...CONTROLS.map((c) => c.rule),
      "no-cycles",
      "records-are-plain-data",
      "verdict-reads-records-only",
      "doctor-reads-records-only",
    ]);
    expect(RULES.filter((r) => !controlled.has(r))).toEqual([]);
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

import { execFileSync } from "node:child_process";
import { lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { initScenario } from "../cli/init-command.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";

const RUNS = 200;
const MAX_MS_PER_INIT = 3000;

/** Source texts init reads: plausible ones, near-nginx, deep nesting, binary. */
const text = fc.oneof(
  fc.constantFrom(
    'FROM python:3.13\nEXPOSE 9000\nCMD ["gunicorn", "-c", "gunicorn.conf.py", "app:app"]\n',
    "upstream api { server app:8000; }\nserver { listen 80; location / { proxy_pass http://api; } }\n",
    "bind = '0.0.0.0:8001'\n",
    '@app.get("/health")\ndef h(): ...\n@app.get("/items")\ndef i(): ...\n',
    `${"a {\n".repeat(5000)}${"}\n".repeat(5000)}`,
    "upstream { ;;; }}}",
    "",
  ),
  fc.string({ maxLength: 200, unit: "binary" }),
  fc
    .array(fc.constantFrom("upstream ", "a", " { ", "}", ";", "server ", "proxy_pass http://a;", "\n", "#", '"', "\\"), { maxLength: 40 })
    .map((p) => p.join("")),
);

/** What a file init looks at is: missing, text, a FIFO, a folder, a symlink to a device or out of the folder. */
const entry = fc.oneof(
  { weight: 5, arbitrary: text.map((t) => ({ kind: "text" as const, text: t })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { kind: "missing" as const },
      { kind: "fifo" as const },
      { kind: "folder" as const },
      { kind: "zero" as const },
      { kind: "outside" as const },
    ),
  },
);

const FILES = ["Dockerfile", "nginx.conf", "gunicorn.conf.py", "app.py", "drainlab.yaml"];
const folderSpec = fc.record({ files: fc.tuple(...FILES.map(() => entry)), force: fc.boolean() });

const root = mkdtempSync(join(tmpdir(), "drainlab-prop-init-"));
const OUTSIDE = join(root, "outside.txt");
let n = 0;

function make(files: Array<{ kind: string; text?: string }>): string {
  const dir = join(root, `f-${n++}`);
  mkdirSync(dir);
  FILES.forEach((name, i) => {
    const path = join(dir, name);
    mkdirSync(dirname(path), { recursive: true });
    const f = files[i]!;
    if (f.kind === "text") writeFileSync(path, f.text!);
    else if (f.kind === "fifo") execFileSync("mkfifo", [path]);
    else if (f.kind === "folder") mkdirSync(path);
    else if (f.kind === "zero") symlinkSync("/dev/zero", path);
    else if (f.kind === "outside") symlinkSync(OUTSIDE, path);
  });
  return dir;
}

/** init writes a drainlab.yaml that loads as far as its paths (or names what to fill in), or refuses with a UsageError. */
function outcome(dir: string, force: boolean): "written" | "usage" {
  writeFileSync(OUTSIDE, "keep me\n");
  const started = performance.now();
  try {
    const { file } = initScenario(dir, { force });
    expect(lstatSync(file).isFile()).toBe(true);
    try {
      loadScenario(file);
    } catch (e) {
      // a scenario of TODOs names the path to fill in; its text always validates (init checks it)
      if (!(e instanceof UsageError)) throw e;
      expect(e.message).toMatch(/drainlab\.yaml: system\.[\w.]+: /);
    }
    return "written";
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    expect(e.message).toMatch(
      /drainlab\.yaml (exists; --force overwrites it|is (a FIFO \(named pipe\)|a folder|a device), not a regular file)/,
    );
    return "usage";
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_INIT);
    // never written through a symlink
    expect(readFileSync(OUTSIDE, "utf8")).toBe("keep me\n");
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("drainlab init, property: a scenario written or a UsageError, never a hang, a crash or a file outside written", () => {
  it("generated folders: sources of any text, FIFOs, folders and devices in their place, a drainlab.yaml of any kind", {
    timeout: 120_000,
  }, () => {
    const seen = { written: 0, usage: 0 };
    fc.assert(
      fc.property(folderSpec, ({ files, force }) => {
        seen[outcome(make(files), force)]++;
      }),
      { numRuns: RUNS },
    );
    expect(seen.written).toBeGreaterThan(0);
    expect(seen.usage).toBeGreaterThan(0);
  });
});

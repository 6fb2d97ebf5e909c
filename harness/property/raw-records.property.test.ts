import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WallClock } from "../clock/wall-clock.ts";
import { readClientLedger } from "../records/ledger-row.ts";
import { RAW_FILES, readServerRecords } from "../records/server-logs.ts";
import { UsageError } from "../util/errors.ts";
import { MAX_LINE_BYTES } from "../util/safe-file.ts";

const RUNS = 200;
/** One read of a generated raw folder; the slowest seen is well under this. */
const MAX_MS_PER_READ = 3000;

const NODES = [
  { name: "node-1", address: "172.18.0.3" },
  { name: "..", address: "" },
];

/** A raw record line: a plausible row, garbage, binary, a line past the limit now and then. */
const line = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.constantFrom(
      '{"id":"r-1","seq":1,"t":1}',
      '{"t":1,"event":"start","id":"r-1","node":"node-1","pid":1}',
      "{}",
      "[]",
      "null",
    ),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? "null") },
  { weight: 2, arbitrary: fc.string({ maxLength: 80, unit: "binary" }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom("x".repeat(MAX_LINE_BYTES + 1), `{"id":"${"y".repeat(MAX_LINE_BYTES)}"}`, "\r", "\u0000".repeat(100)),
  },
);

/** What each raw file is: missing, lines, a FIFO, a folder, a symlink to a device. */
const rawFile = fc.oneof(
  { weight: 6, arbitrary: fc.array(line, { maxLength: 20 }).map((lines) => ({ kind: "lines" as const, text: lines.join("\n") })) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      { kind: "missing" as const },
      { kind: "fifo" as const },
      { kind: "folder" as const },
      { kind: "zero" as const },
    ),
  },
);

const FILES = [
  RAW_FILES.clientLedger,
  RAW_FILES.nginxAccessLog,
  RAW_FILES.appLedger("node-1"),
  RAW_FILES.appLedger(".."),
  RAW_FILES.containerLog("node-1"),
];
const rawFolder = fc.tuple(...FILES.map(() => rawFile));

const root = mkdtempSync(join(tmpdir(), "drainlab-prop-raw-"));
let n = 0;

function make(files: Array<{ kind: string; text?: string }>): string {
  const dir = join(root, `run-${n++}`);
  FILES.forEach((rel, i) => {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    const f = files[i]!;
    if (f.kind === "lines") writeFileSync(path, f.text!);
    else if (f.kind === "fifo") execFileSync("mkfifo", [path]);
    else if (f.kind === "folder") mkdirSync(path);
    else if (f.kind === "zero") symlinkSync("/dev/zero", path);
  });
  return dir;
}

/** What judge reads of a run folder: its records, or a UsageError naming the file; never a hang, a crash or a read of a device. */
function outcome(dir: string): "records" | "usage" {
  const started = performance.now();
  try {
    const ledger = readClientLedger(join(dir, RAW_FILES.clientLedger));
    const server = readServerRecords(dir, NODES, new WallClock(0));
    expect(ledger.unreadable).toBeGreaterThanOrEqual(0);
    expect(Array.isArray(server.app)).toBe(true);
    return "records";
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    expect(e.message).toMatch(
      /^(client ledger|nginx access log|app ledger|container log): .* is (a FIFO \(named pipe\)|a folder|a device), not a regular file$/,
    );
    return "usage";
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_READ);
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("judge's raw folder, property: records or a UsageError naming the file, in bounded time", () => {
  it("generated raw folders: lines of any kind, lines past the limit, FIFOs, folders and devices in a record's place", {
    timeout: 120_000,
  }, () => {
    const seen = { records: 0, usage: 0 };
    fc.assert(
      fc.property(rawFolder, (files) => {
        seen[outcome(make(files))]++;
      }),
      { numRuns: RUNS },
    );
    expect(seen.records).toBeGreaterThan(0);
    expect(seen.usage).toBeGreaterThan(0);
  });

  it("a line past the limit is one unreadable line; the lines around it are read", () => {
    const dir = make([
      { kind: "lines", text: ['{"id":"r-1","seq":1}', "z".repeat(MAX_LINE_BYTES + 10), '{"id":"r-2","seq":2}'].join("\n") },
      { kind: "missing" },
      { kind: "missing" },
      { kind: "missing" },
      { kind: "missing" },
    ]);
    const ledger = readClientLedger(join(dir, RAW_FILES.clientLedger));
    expect(ledger.rows.map((r) => r.id)).toEqual(["r-1", "r-2"]);
    expect(ledger.unreadable).toBe(1);
  });
});

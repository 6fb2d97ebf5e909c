import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { ensureWritableDir } from "./out-dir.ts";

describe("ensureWritableDir", () => {
  it("makes the folder and its missing parents, leaving no probe behind", () => {
    const base = mkdtempSync(join(tmpdir(), "drainlab-out-"));
    const dir = ensureWritableDir("--out", join(base, "a", "b", "c"));
    expect(dir).toBe(join(base, "a", "b", "c"));
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdirSync(dir)).toEqual([]);
    expect(ensureWritableDir("--out", dir)).toBe(dir);
  });

  it("fails fast under /proc, where Node's recursive mkdir retries forever", () => {
    const started = performance.now();
    expect(() => ensureWritableDir("--out", "/proc/drainlab-nope/x")).toThrow(
      /^--out \/proc\/drainlab-nope\/x: cannot create folders in \/proc\/drainlab-nope\/x \(ENOENT\): mkdir \/proc\/drainlab-nope failed$/,
    );
    expect(() => ensureWritableDir("--out", "/proc", "the run folder")).toThrow(/cannot create the run folder in \/proc \(ENOENT\)/);
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("names a file on the way, and an empty name", () => {
    const file = join(mkdtempSync(join(tmpdir(), "drainlab-out-")), "f");
    writeFileSync(file, "x");
    expect(() => ensureWritableDir("--out", file)).toThrow(UsageError);
    expect(() => ensureWritableDir("--out", join(file, "x", "y"))).toThrow(
      new RegExp(`cannot create folders in ${file}/x/y \\(ENOTDIR\\): ${file} is a file, not a folder$`),
    );
    expect(existsSync(join(file, "x"))).toBe(false);
    expect(() => ensureWritableDir("--out", "")).toThrow(/^--out : expected a folder, got an empty name$/);
  });

  it("escapes control characters of the value in its message", () => {
    expect(() => ensureWritableDir("--out", "/proc/\x1b[2J")).toThrow(/^--out \/proc\/\\x1b\[2J: /);
  });
});

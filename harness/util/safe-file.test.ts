import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { eachLine, openRegular, pathProblem, readHead, readRegular } from "./safe-file.ts";

const dir = mkdtempSync(join(tmpdir(), "drainlab-safe-file-"));
const file = (name: string, content: string | Buffer) => {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
};
const fifo = join(dir, "pipe");
execFileSync("mkfifo", [fifo]);

describe("safe-file: nothing a user names can hang open() or fill memory", () => {
  it("pathProblem says what the path is instead, and the limit, without opening it", () => {
    expect(pathProblem(file("ok", "x"), "file", 10)).toBeNull();
    expect(pathProblem(fifo, "file")).toBe(`${fifo} is a FIFO (named pipe), not a regular file`);
    expect(pathProblem("/dev/null", "file")).toBe("/dev/null is a device, not a regular file");
    expect(pathProblem(dir, "file")).toBe(`${dir} is a folder, not a regular file`);
    expect(pathProblem(dir, "folder")).toBeNull();
    expect(pathProblem(fifo, "folder")).toBe(`${fifo} is a FIFO (named pipe), not a folder`);
    expect(pathProblem(join(dir, "none"), "file")).toBe(`no file ${join(dir, "none")}`);
    expect(pathProblem(file("big", "x".repeat(3000)), "file", 2048)).toBe(`${join(dir, "big")} is 3 kB, larger than the 2 kB limit`);
  });

  it("openRegular returns at once on a FIFO (O_NONBLOCK) and refuses it; readRegular refuses a file past its limit", () => {
    const started = performance.now();
    expect(() => openRegular(fifo, "--baseline")).toThrow(new UsageError(`--baseline: ${fifo} is a FIFO (named pipe), not a regular file`));
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => readRegular("/dev/zero", "x", 1024)).toThrow(/\/dev\/zero is a device/);
    expect(() => readRegular(join(dir, "none"), "body_file", 1024)).toThrow("body_file: cannot read");
    expect(readRegular(file("small", "hello"), "x", 5).toString()).toBe("hello");
    expect(() => readRegular(file("six", "hello!"), "x", 5)).toThrow(/larger than the 5 bytes limit/);
    expect(readHead(file("head", "abcdef"), "x", 3).toString()).toBe("abc");
  });

  it("eachLine reads in chunks; a line past the limit is one too-long line, the lines around it are kept", () => {
    const long = "y".repeat(200_000);
    const p = file("lines", `a\n${long}\nb\n\nc é\n${long}`);
    const lines: string[] = [];
    let tooLong = 0;
    eachLine(
      p,
      "raw",
      (l) => lines.push(l),
      () => tooLong++,
      100_000,
    );
    expect(lines).toEqual(["a", "b", "c é"]);
    expect(tooLong).toBe(2);
    const all: string[] = [];
    eachLine(p, "raw", (l) => all.push(l), undefined, 1_000_000);
    expect(all.map((l) => l.length)).toEqual([1, 200_000, 1, 3, 200_000]);
    expect(() => eachLine(fifo, "raw record", () => {})).toThrow(/raw record: .* is a FIFO/);
  });
});

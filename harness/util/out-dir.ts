import { mkdirSync, mkdtempSync, rmdirSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "./errors.ts";
import { shown } from "./text.ts";

function codeOf(err: unknown): string {
  return (err as NodeJS.ErrnoException).code ?? String(err);
}

/**
 * Makes `dir` (given by `flag`, e.g. --out) and any missing parents, then
 * proves a folder can be made in it by making and removing one. Returns the
 * absolute path. Every failure is a UsageError naming the flag, the value
 * and the errno, raised before anything starts.
 *
 * Why not mkdirSync(..., { recursive: true }): under /proc, mkdir answers
 * ENOENT even once the parent exists, and Node's recursive mkdir then retries
 * forever at full CPU (`--out /proc/x` hung the command). Parents are made
 * one at a time here, and a failure is final. access(W_OK) alone would not do
 * either: root passes it for /proc and for read-only mounts.
 */
export function ensureWritableDir(flag: string, dir: string, what = "folders"): string {
  const name = `${flag} ${shown(dir)}`;
  if (dir.trim() === "") throw new UsageError(`${name}: expected a folder, got an empty name`);
  const abs = resolve(dir);
  const fail = (code: string, why = ""): never => {
    throw new UsageError(`${name}: cannot create ${what} in ${shown(abs)} (${code})${why}`);
  };
  const missing: string[] = [];
  let existing = abs;
  for (;;) {
    let isDir: boolean;
    try {
      isDir = statSync(existing).isDirectory();
    } catch (err) {
      const code = codeOf(err);
      // ENOTDIR: a file on the way up, found and named on the next turn
      if (code !== "ENOENT" && code !== "ENOTDIR") fail(code, `: cannot look at ${shown(existing)}`);
      const parent = dirname(existing);
      if (parent === existing) fail(code);
      missing.unshift(existing);
      existing = parent;
      continue;
    }
    if (!isDir) fail("ENOTDIR", `: ${shown(existing)} is a file, not a folder`);
    break;
  }
  for (const path of missing) {
    try {
      mkdirSync(path);
    } catch (err) {
      const code = codeOf(err);
      // made meanwhile by someone else: fine when it is a folder
      if (code !== "EEXIST" || !statSync(path).isDirectory()) fail(code, `: mkdir ${shown(path)} failed`);
    }
  }
  try {
    rmdirSync(mkdtempSync(join(abs, ".drainlab-probe-")));
  } catch (err) {
    fail(codeOf(err), ": a folder made there for a test could not be made or removed");
  }
  return abs;
}

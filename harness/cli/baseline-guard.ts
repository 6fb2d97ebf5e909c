import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { readBaseline } from "../records/baseline.ts";
import { UsageError } from "../util/errors.ts";
import { shown } from "../util/text.ts";

/** A report.json of a run of a million requests is a few MB; readReport refuses more than this too. */
const MAX_BASELINE_BYTES = 256 * 1024 * 1024;

/**
 * Checks a --baseline file before anything starts, so that what
 * records/baseline.ts does not guard (a report.json that holds null, a
 * device, a folder) is a usage error naming the flag, not a stack trace
 * after the stack is up.
 */
export function checkBaseline(file: string): void {
  const name = `--baseline ${shown(file)}`;
  if (file === "") throw new UsageError(`${name}: no file given`);
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new UsageError(`${name}: cannot read a report.json (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  let text: string;
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile()) throw new UsageError(`${name}: not a file, so not a report.json`);
    if (stat.size > MAX_BASELINE_BYTES)
      throw new UsageError(`${name}: larger than ${MAX_BASELINE_BYTES / 1024 / 1024} MB, not a report.json`);
    const buffer = Buffer.alloc(stat.size);
    let length = 0;
    while (length < buffer.length) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    text = buffer.toString("utf8", 0, length);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${name}: cannot read a report.json (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  } finally {
    closeSync(fd);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${name}: not JSON (${shown((e as Error).message)})`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) {
    const got = value === null ? "null" : Array.isArray(value) ? "a list" : `a ${typeof value}`;
    throw new UsageError(`${name}: not a drainlab report.json (it holds ${got}, not an object)`);
  }
  try {
    readBaseline(file);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new UsageError(`${name}: not a drainlab report.json (${shown(e instanceof Error ? e.message : String(e))})`);
  }
}

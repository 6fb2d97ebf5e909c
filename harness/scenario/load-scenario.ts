import { closeSync, constants, fstatSync, openSync, readSync } from "node:fs";
import type { z } from "zod";
import { UsageError } from "../util/errors.ts";
import { kindOf as fileKind } from "../util/safe-file.ts";
import { printable, shown, showValue } from "../util/text.ts";
import { parseYaml, YamlTextError } from "../util/yaml.ts";
import { Scenario } from "./schema.ts";
import { resolveScenarioPaths } from "./system-paths.ts";

/** No scenario comes near this (the catalog's largest is 2 kB); the cap keeps /dev/zero or a log file from filling memory. */
export const MAX_SCENARIO_BYTES = 256 * 1024;

/** Path segments --set refuses: writing them would reach Object.prototype, not a scenario field. */
const RESERVED_SEGMENTS = new Set(["__proto__", "constructor", "prototype"]);

/** Reads, overrides (`--set a.b=v`) and validates a scenario file. Throws UsageError naming file, field and value. */
export function loadScenario(file: string, sets: string[] = []): Scenario {
  if (file === "") throw new UsageError("no scenario file given (an empty file name)");
  const name = shown(file, 500);
  const text = readScenarioText(file, name);
  const raw = parseMapping(text, name, "a scenario");
  for (const assignment of sets) applySet(raw, assignment);
  return resolveScenarioPaths(validateScenario(raw, file), file);
}

/** YAML (or JSON) text that must hold a mapping; anything else is a UsageError naming `name` and what it is (`what`: "a scenario"). */
export function parseMapping(text: string, name: string, what: string): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (e) {
    if (e instanceof YamlTextError) throw new UsageError(`${name}: ${e.message}`);
    throw e;
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new UsageError(`${name}: ${what} must be a YAML mapping (got ${kindOf(raw)})`);
  return raw as Record<string, unknown>;
}

/** The file's text, at most MAX_SCENARIO_BYTES read (a device or a huge file is refused, not slurped). */
function readScenarioText(file: string, name: string): string {
  let fd: number;
  try {
    // non-blocking: open() of a FIFO with no writer would block past Ctrl-C
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw new UsageError(`${name}: cannot read scenario (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new UsageError(`${name}: cannot read scenario (EISDIR: a folder, not a file)`);
    if (!st.isFile()) throw new UsageError(`${name}: cannot read scenario (${fileKind(st)}, not a regular file)`);
    const buffer = Buffer.alloc(MAX_SCENARIO_BYTES + 1);
    let length = 0;
    for (;;) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
      if (length > MAX_SCENARIO_BYTES)
        throw new UsageError(`${name}: larger than ${MAX_SCENARIO_BYTES / 1024} kB, not a scenario (the largest in scenarios/ is 2 kB)`);
    }
    return buffer.toString("utf8", 0, length);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw new UsageError(`${name}: cannot read scenario (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  } finally {
    closeSync(fd);
  }
}

function kindOf(value: unknown): string {
  if (value === null) return "an empty file";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "string") return `a string, ${showValue(value, 60)}`;
  if (typeof value === "number") return `a number, ${showValue(value)}`;
  if (typeof value === "boolean") return `${value}`;
  return typeof value;
}

export function validateScenario(raw: unknown, file = "<scenario>"): Scenario {
  const result = Scenario.safeParse(raw);
  if (!result.success) throw new UsageError(formatIssues(shown(file, 500), raw, result.error.issues));
  return result.data;
}

function formatIssues(file: string, raw: unknown, issues: z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, 10).map((issue) => `  ${issueLine(raw, issue)}`);
  const more = issues.length > 10 ? [`  ... and ${issues.length - 10} more`] : [];
  return `${file}: invalid scenario\n${[...lines, ...more].join("\n")}`;
}

/** One zod issue on one line: the field, what is wrong, and the value found there (`missing` when absent). */
export function issueLine(raw: unknown, issue: z.core.$ZodIssue): string {
  const field = shown(issue.path.map(String).join("."), 120) || "(top level)";
  const value = valueAt(raw, issue.path);
  const seen = value === undefined ? "missing" : showValue(value);
  const removed =
    issue.code === "unrecognized_keys" ? issue.keys.map((k) => REMOVED_FIELDS[`${issue.path.join(".")}.${k}`]).find(Boolean) : undefined;
  const hint = removed
    ? removed
    : issue.code === "unrecognized_keys"
      ? `unknown field(s) ${shown(issue.keys.join(", "), 200)}`
      : printable(issue.message).replace(/received NaN|received Infinity/, (m) => `${m} (not a finite number)`);
  return `${field}: ${hint} (value: ${seen})`;
}

/** Fields an earlier drainlab took, with what replaces them. */
const REMOVED_FIELDS: Record<string, string> = {
  "expect.may_fail":
    "expect.may_fail is gone: name the checks a control must fail in failing_checks (each must have status fail) and those it must pass in passing_checks; any other check is reported, never asserted",
};

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node: unknown = raw;
  for (const key of path) {
    if (node === null || typeof node !== "object" || !Object.hasOwn(node, key)) return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** The first number in `value` (a scalar, or inside a list or mapping) that is NaN or infinite. */
function nonFinite(value: unknown): number | undefined {
  const stack: unknown[] = [value];
  while (stack.length > 0) {
    const v = stack.pop();
    if (typeof v === "number" && !Number.isFinite(v)) return v;
    if (v !== null && typeof v === "object") for (const item of Array.isArray(v) ? v : Object.values(v)) stack.push(item);
  }
  return undefined;
}

/**
 * `a.b.c=value`: value parsed as YAML, so numbers, booleans, null and lists keep their type.
 * A value that is not valid YAML, a path through `__proto__` and the like, an index past
 * the end of a list (one past appends) and NaN or infinity are refused, naming the --set.
 */
export function applySet(target: Record<string, unknown>, assignment: string): void {
  const what = `--set ${shown(assignment)}`;
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UsageError(`${what}: expected key=value, e.g. --set load.rate_per_s=200`);
  const path = assignment.slice(0, eq).split(".");
  for (const key of path) {
    if (key === "") throw new UsageError(`${what}: empty segment in field path`);
    if (RESERVED_SEGMENTS.has(key)) throw new UsageError(`${what}: "${key}" is not a scenario field (a reserved name)`);
  }
  let value: unknown;
  try {
    value = parseYaml(assignment.slice(eq + 1));
  } catch (e) {
    if (e instanceof YamlTextError) throw new UsageError(`${what}: the value is ${e.message}`);
    throw e;
  }
  const bad = nonFinite(value);
  if (bad !== undefined) throw new UsageError(`${what}: ${bad} is not a finite number; give a number such as 200`);
  const field = (i: number) => shown(path.slice(0, i).join("."), 120);
  let node: Record<string | number, unknown> = target;
  let created = false;
  for (const [i, key] of path.entries()) {
    let index: string | number = key;
    if (Array.isArray(node)) {
      if (!/^\d+$/.test(key)) throw new UsageError(`${what}: ${field(i)} is a list; "${shown(key, 40)}" is not an index (0, 1, ...)`);
      index = Number(key);
      if (index > node.length) {
        const n = node.length;
        const why = created
          ? `${field(i)} is not in the file, so its list starts at index 0`
          : `${field(i)} has ${n} ${n === 1 ? "entry" : "entries"}`;
        throw new UsageError(`${what}: ${why} (index 0..${n})`);
      }
    }
    if (i === path.length - 1) {
      node[index] = value;
      return;
    }
    const next = Object.hasOwn(node, index) ? node[index] : undefined;
    created = next === undefined || next === null;
    // a missing node followed by an index starts a list, so the index is checked against it
    if (created) node[index] = /^\d+$/.test(path[i + 1]!) ? [] : {};
    else if (typeof next !== "object") {
      throw new UsageError(`${what}: ${field(i + 1)} is ${showValue(next, 60)}, not a mapping`);
    }
    node = node[index] as Record<string | number, unknown>;
  }
}

import { readFileSync } from "node:fs";
import { parseDocument } from "yaml";
import type { z } from "zod";
import { UsageError } from "../util/errors.ts";
import { Scenario } from "./schema.ts";

/** Reads, overrides (`--set a.b=v`) and validates a scenario file. Throws UsageError naming file, field and value. */
export function loadScenario(file: string, sets: string[] = []): Scenario {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new UsageError(`${file}: cannot read scenario (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    const where = e.linePos ? `line ${e.linePos[0].line}, column ${e.linePos[0].col}` : "";
    throw new UsageError(`${file}: not valid YAML at ${where}: ${e.code}`);
  }
  const raw: unknown = doc.toJS();
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
    throw new UsageError(`${file}: a scenario must be a YAML mapping (got ${raw === null ? "an empty file" : typeof raw})`);
  }
  for (const assignment of sets) applySet(raw as Record<string, unknown>, assignment);
  return validateScenario(raw, file);
}

export function validateScenario(raw: unknown, file = "<scenario>"): Scenario {
  const result = Scenario.safeParse(raw);
  if (!result.success) throw new UsageError(formatIssues(file, raw, result.error.issues));
  return result.data;
}

function formatIssues(file: string, raw: unknown, issues: z.core.$ZodIssue[]): string {
  const lines = issues.slice(0, 10).map((issue) => {
    const field = issue.path.map(String).join(".") || "(top level)";
    const value = valueAt(raw, issue.path);
    const shown = value === undefined ? "missing" : JSON.stringify(value);
    const hint = issue.code === "unrecognized_keys" ? `unknown field(s) ${issue.keys.join(", ")}` : issue.message;
    return `  ${field}: ${hint} (value: ${shown})`;
  });
  return `${file}: invalid scenario\n${lines.join("\n")}`;
}

function valueAt(raw: unknown, path: PropertyKey[]): unknown {
  let node: unknown = raw;
  for (const key of path) {
    if (node === null || typeof node !== "object") return undefined;
    node = (node as Record<PropertyKey, unknown>)[key];
  }
  return node;
}

/** `a.b.c=value`: value parsed as YAML, so numbers, booleans, null and lists keep their type. */
export function applySet(target: Record<string, unknown>, assignment: string): void {
  const eq = assignment.indexOf("=");
  if (eq <= 0) throw new UsageError(`--set ${assignment}: expected key=value, e.g. --set load.rate_per_s=200`);
  const path = assignment.slice(0, eq).split(".");
  const valueText = assignment.slice(eq + 1);
  let value: unknown;
  try {
    value = parseDocument(valueText).toJS();
  } catch {
    value = valueText;
  }
  let node: Record<string, unknown> = target;
  for (const [i, key] of path.entries()) {
    if (key === "") throw new UsageError(`--set ${assignment}: empty segment in field path`);
    const last = i === path.length - 1;
    if (Array.isArray(node) && !/^\d+$/.test(key)) {
      throw new UsageError(`--set ${assignment}: ${path.slice(0, i).join(".")} is a list; "${key}" is not an index (0, 1, ...)`);
    }
    const index = Array.isArray(node) ? Number(key) : key;
    if (last) {
      (node as Record<string | number, unknown>)[index] = value;
    } else {
      const next = (node as Record<string | number, unknown>)[index];
      if (next === undefined || next === null) (node as Record<string | number, unknown>)[index] = {};
      else if (typeof next !== "object") {
        throw new UsageError(`--set ${assignment}: ${path.slice(0, i + 1).join(".")} is ${JSON.stringify(next)}, not a mapping`);
      }
      node = (node as Record<string | number, Record<string, unknown>>)[index]!;
    }
  }
}

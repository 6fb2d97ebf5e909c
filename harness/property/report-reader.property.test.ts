import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { parseReport } from "../records/report-reader.ts";
import { storedReport } from "../report/testdata/stored-report.ts";
import { UsageError } from "../util/errors.ts";
import { jsonish } from "./testdata/hostile.ts";

const RUNS = 200;
const MAX_MS_PER_PARSE = 1000;

/** Validated and upgraded, or a UsageError naming the source; never another exception, in bounded time. */
function outcome(value: unknown): "report" | "usage" {
  const started = performance.now();
  try {
    const report = parseReport(value, "generated.json");
    expect(typeof report.run_id).toBe("string");
    expect(Array.isArray(report.checks)).toBe(true);
    return "report";
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    expect(e.message).toMatch(/^generated\.json: not a drainlab report\.json: field /);
    return "usage";
  } finally {
    expect(performance.now() - started).toBeLessThan(MAX_MS_PER_PARSE);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  }
}

/** Every path of a valid report, down to `depth`: where a generated value is put or a field removed. */
function pathsOf(value: unknown, depth = 4, prefix: string[] = []): string[][] {
  if (depth === 0 || value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([k, v]) => [[...prefix, k], ...pathsOf(v, depth - 1, [...prefix, k])]);
}

const VALID = storedReport();
const PATHS = pathsOf(VALID);

function mutated(path: string[], replacement: unknown, remove: boolean): unknown {
  const copy = structuredClone(VALID) as unknown as Record<string, unknown>;
  let node: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) node = node[key] as Record<string, unknown>;
  const last = path[path.length - 1]!;
  if (remove) delete node[last];
  else Object.defineProperty(node, last, { value: replacement, enumerable: true, writable: true, configurable: true });
  return copy;
}

describe("parseReport, property: a validated report or a UsageError, never another exception", () => {
  it("the stored report is valid, so the mutations below start from a report", () => {
    expect(outcome(VALID)).toBe("report");
    expect(PATHS.length).toBeGreaterThan(20);
  });

  it("any JSON-like value", { timeout: 60_000 }, () => {
    fc.assert(
      fc.property(jsonish, (value) => {
        outcome(value);
      }),
      { numRuns: RUNS },
    );
  });

  it("a valid report with one field replaced by a hostile value or removed", { timeout: 60_000 }, () => {
    const seen = { report: 0, usage: 0 };
    fc.assert(
      fc.property(fc.constantFrom(...PATHS), jsonish, fc.boolean(), (path, value, remove) => {
        seen[outcome(mutated(path, value, remove))]++;
      }),
      { numRuns: RUNS },
    );
    expect(seen.report).toBeGreaterThan(0);
    expect(seen.usage).toBeGreaterThan(0);
  });

  it("a report.json text with a prototype key, read back through JSON.parse", () => {
    const text = JSON.stringify(VALID).replace('"run_id"', '"__proto__":{"polluted":1},"run_id"');
    expect(outcome(JSON.parse(text))).toBe("report");
  });
});

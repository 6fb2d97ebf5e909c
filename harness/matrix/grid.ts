import { UsageError } from "../util/errors.ts";
import { shown, showValue } from "../util/text.ts";
import { parseYaml, YamlTextError } from "../util/yaml.ts";

/** One dimension of a matrix: a dotted scenario field and the values it takes. */
export interface GridAxis {
  key: string;
  values: GridValue[];
}

export type GridValue = number | string | boolean | null;

/** One combination of axis values: what the cell's run gets as --set overrides. */
export interface GridCell {
  index: number;
  values: Record<string, GridValue>;
  /** `key=value` overrides, values written as YAML (JSON is YAML) so types survive loadScenario's parse. */
  sets: string[];
  /** `key=value key=value`, for tables and test names. */
  label: string;
}

const PATH = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
/** Path segments that would reach Object.prototype, not a scenario field (--set refuses them too). */
const RESERVED = new Set(["__proto__", "constructor", "prototype"]);

/** Cells a matrix may have unless --max-cells says more: each is a fresh stack and a full run (minutes). */
export const DEFAULT_MAX_CELLS = 100;

/** `--grid key=v1,v2,...`: each value parsed as YAML, as --set does, so 1 is a number and null is null. */
export function parseGridOption(option: string): GridAxis {
  const eq = option.indexOf("=");
  const key = eq > 0 ? option.slice(0, eq) : "";
  if (!PATH.test(key))
    throw new UsageError(
      `--grid ${shown(option)}: expected key=v1,v2,... with a dotted field path, e.g. --grid stack.uvicorn.timeout_graceful_shutdown_s=1,5`,
    );
  const reserved = key.split(".").find((segment) => RESERVED.has(segment));
  if (reserved) throw new UsageError(`--grid ${shown(option)}: "${reserved}" is not a scenario field (a reserved name)`);
  const texts = option
    .slice(eq + 1)
    .split(",")
    .map((v) => v.trim());
  if (texts.some((t) => t === ""))
    throw new UsageError(`--grid ${shown(option)}: empty value; separate values with commas, e.g. ${key}=1,5`);
  return { key, values: texts.map((t) => parseValue(t, option)) };
}

function parseValue(text: string, option: string): GridValue {
  let value: unknown;
  try {
    value = parseYaml(text);
  } catch (e) {
    if (e instanceof YamlTextError) throw new UsageError(`--grid ${shown(option)}: value ${showValue(text)} is ${e.message}`);
    throw e;
  }
  if (typeof value === "number" && !Number.isFinite(value))
    throw new UsageError(`--grid ${shown(option)}: value ${showValue(text)} is ${value}, not a finite number`);
  if (value === null || ["number", "string", "boolean"].includes(typeof value)) return value as GridValue;
  throw new UsageError(`--grid ${shown(option)}: value ${showValue(text)} is not a scalar (number, string, true/false or null)`);
}

/** A scenario's `grid:` mapping (field path -> list of values) as axes. */
export function axesFromMapping(grid: Record<string, GridValue[]> | undefined): GridAxis[] {
  return Object.entries(grid ?? {}).map(([key, values]) => ({ key, values }));
}

/** The scenario file's axes first, then the command line's; a --grid on the same key replaces the file's. */
export function mergeAxes(fromFile: GridAxis[], fromCli: GridAxis[]): GridAxis[] {
  const seen = new Set<string>();
  for (const axis of fromCli) {
    if (seen.has(axis.key)) throw new UsageError(`--grid ${axis.key} is given twice; list every value in one --grid ${axis.key}=v1,v2`);
    seen.add(axis.key);
  }
  return [...fromFile.filter((a) => !seen.has(a.key)), ...fromCli];
}

/** How many cells the axes make (the product of their lengths), without making them. */
export function cellCount(axes: GridAxis[]): number {
  return axes.length === 0 ? 0 : axes.reduce((n, axis) => n * axis.values.length, 1);
}

/** Every combination, first axis slowest (row-major, as the heatmap draws it). */
export function gridCells(axes: GridAxis[]): GridCell[] {
  let combos: Array<Record<string, GridValue>> = [{}];
  for (const axis of axes) combos = combos.flatMap((c) => axis.values.map((v) => ({ ...c, [axis.key]: v })));
  if (axes.length === 0) return [];
  return combos.map((values, index) => ({
    index,
    values,
    sets: Object.entries(values).map(([k, v]) => `${k}=${JSON.stringify(v)}`),
    label: Object.entries(values)
      .map(([k, v]) => `${k}=${formatValue(v)}`)
      .join(" "),
  }));
}

export function formatValue(v: GridValue): string {
  return v === null ? "null" : String(v);
}

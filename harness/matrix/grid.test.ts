import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.ts";
import { axesFromMapping, cellCount, gridCells, mergeAxes, parseGridOption } from "./grid.ts";

describe("matrix grid", () => {
  it("parses --grid values as YAML scalars", () => {
    expect(parseGridOption("stack.uvicorn.timeout_graceful_shutdown_s=1,null,2.5")).toEqual({
      key: "stack.uvicorn.timeout_graceful_shutdown_s",
      values: [1, null, 2.5],
    });
    expect(parseGridOption("stack.nginx.proxy_next_upstream=off, error timeout").values).toEqual(["off", "error timeout"]);
    expect(parseGridOption("drain.remove=true,false").values).toEqual([true, false]);
  });

  it("rejects malformed axes", () => {
    expect(() => parseGridOption("nokey")).toThrow(UsageError);
    expect(() => parseGridOption("a.b=1,,2")).toThrow(/empty value/);
    expect(() => parseGridOption("a.b=[1]")).toThrow(/not a scalar/);
    expect(() => mergeAxes([], [parseGridOption("a=1"), parseGridOption("a=2")])).toThrow(/given twice/);
  });

  it("makes every combination, first axis slowest, with typed --set overrides", () => {
    const cells = gridCells([parseGridOption("a=1,2"), parseGridOption("b=x,null")]);
    expect(cells.map((c) => c.label)).toEqual(["a=1 b=x", "a=1 b=null", "a=2 b=x", "a=2 b=null"]);
    expect(cells[1]!.sets).toEqual(["a=1", "b=null"]);
    expect(cells[0]!.sets).toEqual(["a=1", 'b="x"']);
  });

  it("lets --grid replace the file's axis of the same key and keeps the others", () => {
    const file = axesFromMapping({ a: [1, 2], b: [3] });
    expect(mergeAxes(file, [parseGridOption("b=4,5")])).toEqual([
      { key: "a", values: [1, 2] },
      { key: "b", values: [4, 5] },
    ]);
    expect(gridCells([])).toEqual([]);
  });

  it("refuses values that are not valid YAML, non-finite numbers and prototype paths, naming the --grid", () => {
    expect(() => parseGridOption("name=*nope")).toThrow(/^--grid name=\*nope: value "\*nope" is not valid YAML: Unresolved alias/);
    expect(() => parseGridOption("name=a,!foo b")).toThrow(/value "!foo b" is not valid YAML at column 1: TAG_RESOLVE_FAILED/);
    expect(() => parseGridOption("load.rate_per_s=1,.nan")).toThrow(/value "\.nan" is NaN, not a finite number/);
    expect(() => parseGridOption("__proto__.polluted=1")).toThrow(/"__proto__" is not a scenario field/);
    expect(() => parseGridOption("a.constructor=1")).toThrow(/"constructor" is not a scenario field/);
    expect(() => parseGridOption(`a=${"[".repeat(10_000)}`)).toThrow(/nested 65 deep/);
  });

  it("counts cells without making them", () => {
    expect(cellCount([])).toBe(0);
    expect(cellCount([parseGridOption("a=1,2,3"), parseGridOption("b=1,2")])).toBe(6);
  });
});

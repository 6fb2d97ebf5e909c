import { describe, expect, it } from "vitest";
import { MAX_YAML_DEPTH, parseYaml, YamlTextError } from "./yaml.ts";

describe("parseYaml", () => {
  it("parses one document into plain values", () => {
    expect(parseYaml("a: 1\nb: [x, null, true]\n")).toEqual({ a: 1, b: ["x", null, true] });
    expect(parseYaml("")).toBeNull();
    expect(parseYaml("a: &x 1\nb: *x\n")).toEqual({ a: 1, b: 1 });
    expect(Number.isNaN(parseYaml(".nan"))).toBe(true);
  });

  it("names line and column of a syntax error and of a warning", () => {
    expect(() => parseYaml('"open')).toThrow(/^not valid YAML at column 6: MISSING_CHAR \(Missing closing "quote\)$/);
    expect(() => parseYaml("a: 1\nb: !nope x\n")).toThrow(/^not valid YAML at line 2, column 4: TAG_RESOLVE_FAILED/);
    expect(() => parseYaml("%FOO bar\n---\na\n")).toThrow(/BAD_DIRECTIVE/);
    expect(() => parseYaml("a: 1\n---\nb: 2\n")).toThrow(/more than one document/);
  });

  it("refuses alias bombs, unresolved aliases and alias cycles", () => {
    const bomb = [
      "a: &a [1,1,1,1,1,1,1,1,1]",
      ..."bcdefghi".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`)}]`),
    ];
    expect(() => parseYaml(bomb.join("\n"))).toThrow(/alias bomb/);
    expect(() => parseYaml("*nope")).toThrow(/Unresolved alias .*: nope/);
    expect(() => parseYaml("&a [*a]")).toThrow(/a cycle/);
  });

  it("refuses nesting past MAX_YAML_DEPTH from the token tree, fast, flow or block", () => {
    expect(parseYaml(`${"[".repeat(MAX_YAML_DEPTH)}${"]".repeat(MAX_YAML_DEPTH)}`)).toBeInstanceOf(Array);
    const started = performance.now();
    expect(() => parseYaml(`${"[".repeat(20_000)}${"]".repeat(20_000)}`)).toThrow(/nested 65 deep/);
    expect(() => parseYaml(`${"{a: ".repeat(20_000)}1${"}".repeat(20_000)}`)).toThrow(/nested 65 deep/);
    expect(() => parseYaml(Array.from({ length: 100 }, (_, i) => `${" ".repeat(i)}k:`).join("\n"))).toThrow(/nested 65 deep/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("checks duplicate keys itself, in linear time (yaml's own check is quadratic)", () => {
    expect(() => parseYaml("a: 1\nb: 2\na: 3\n")).toThrow(/line 3, column 1: DUPLICATE_KEY \(Map keys must be unique \(a\)\)/);
    const keys = Array.from({ length: 20_000 }, (_, i) => `k${i}: ${i}`).join("\n");
    const started = performance.now();
    expect(Object.keys(parseYaml(keys) as object)).toHaveLength(20_000);
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it("throws only YamlTextError", () => {
    for (const text of ["[", "]", "{a", "? ? ?", "- - -\n  - x\n - y", "\t- a", "a: b: c", "&a", "!!binary x", "<<: *a"]) {
      try {
        parseYaml(text);
      } catch (e) {
        expect(e).toBeInstanceOf(YamlTextError);
      }
    }
  });
});

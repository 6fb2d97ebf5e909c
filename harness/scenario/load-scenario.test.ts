import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.ts";
import { applySet, loadScenario, MAX_SCENARIO_BYTES } from "./load-scenario.ts";
import { scenarioJsonSchema } from "./schema.ts";

function file(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-scenario-"));
  const path = join(dir, "s.yaml");
  writeFileSync(path, text);
  return path;
}

describe("loadScenario", () => {
  it("fills every default", () => {
    const s = loadScenario(file("name: x\n"));
    expect(s.stack.nodes).toBe(2);
    expect(s.stack.nginx.proxy_next_upstream).toBe("error timeout");
    expect(s.stack.uvicorn.timeout_graceful_shutdown_s).toBeNull();
    expect(s.drain.remove).toBe(true);
  });

  it("names file, field and value of a bad field", () => {
    const path = file("name: x\nload:\n  rate_per_s: -5\n");
    expect(() => loadScenario(path)).toThrow(UsageError);
    expect(() => loadScenario(path)).toThrow(/s\.yaml.*\n.*load\.rate_per_s.*value: -5/s);
  });

  it("names unknown fields", () => {
    expect(() => loadScenario(file("name: x\ndrain:\n  targt: 2\n"))).toThrow(/drain: unknown field\(s\) targt/);
  });

  it("reports YAML syntax errors with a position", () => {
    expect(() => loadScenario(file("name: [x\n"))).toThrow(/not valid YAML at line/);
  });

  it("applies --set overrides with YAML types", () => {
    const s = loadScenario(file("name: x\n"), ["load.rate_per_s=250", "drain.remove=false", "stack.uvicorn.timeout_graceful_shutdown_s=3"]);
    expect(s.load.rate_per_s).toBe(250);
    expect(s.drain.remove).toBe(false);
    expect(s.stack.uvicorn.timeout_graceful_shutdown_s).toBe(3);
  });

  it("rejects a --set without =", () => {
    expect(() => applySet({}, "load.rate_per_s")).toThrow(/expected key=value/);
  });

  it("rejects a --set into a list that is not an index", () => {
    const withMix = file("name: x\nload:\n  mix:\n    - { method: GET, ms: 5 }\n");
    expect(() => loadScenario(withMix, ["load.mix.x=1"])).toThrow(/load\.mix is a list; "x" is not an index/);
    expect(loadScenario(withMix, ["load.mix.0.ms=7"]).load.mix[0]!.ms).toBe(7);
  });

  it("names a target beyond the stack's nodes, and checks fields across the scenario", () => {
    expect(() => loadScenario(file("name: x\ndrain: { target: 3 }\n"))).toThrow(
      /drain\.target: no node-3: the stack has 2 nodes.*value: 3/,
    );
    expect(() => loadScenario(file("name: x\nfaults:\n  - { kind: kill-node, at_s: 1, target: 5 }\n"))).toThrow(
      /faults\.0\.target: no node-5/,
    );
    expect(() => loadScenario(file("name: x\nstack: { runtime: uvicorn, uvicorn: { timeout_graceful_shutdown_s: 1.5 } }\n"))).toThrow(
      /whole seconds/,
    );
    expect(loadScenario(file("name: x\nstack: { nodes: 3 }\ndrain: { target: 3 }\n")).drain.target).toBe(3);
  });

  it("ends the load after the drain only where it can: the load in this process (with no drain, it is not read)", () => {
    expect(loadScenario(file("name: x\nload: { after_drain_s: 2 }\n")).load.after_drain_s).toBe(2);
    expect(loadScenario(file("name: x\nload: { after_drain_s: 2 }\ndrain: { enabled: false }\n")).load.after_drain_s).toBe(2);
    expect(() => loadScenario(file("name: x\nload: { after_drain_s: 2, shards: 2, shards_in: processes }\n"))).toThrow(
      /load\.after_drain_s.*shard processes are not told/s,
    );
  });

  it("takes only nginx's own proxy_next_upstream tokens, since the value is written into nginx.conf", () => {
    expect(loadScenario(file("name: x\nstack: { nginx: { proxy_next_upstream: off } }\n")).stack.nginx.proxy_next_upstream).toBe("off");
    expect(
      loadScenario(file("name: x\nstack: { nginx: { proxy_next_upstream: error timeout http_502 non_idempotent } }\n")).stack.nginx
        .proxy_next_upstream,
    ).toBe("error timeout http_502 non_idempotent");
    expect(() => loadScenario(file('name: x\nstack: { nginx: { proxy_next_upstream: "error; mirror http://example.com" } }\n'))).toThrow(
      /stack\.nginx\.proxy_next_upstream: "off", or one or more of error, timeout/,
    );
  });

  it("reports a missing file", () => {
    expect(() => loadScenario("/nonexistent/s.yaml")).toThrow(/cannot read scenario \(ENOENT\)/);
  });
});

const BOMB = [
  "name: bomb",
  "a: &a [1,1,1,1,1,1,1,1,1]",
  ..."bcdefghi".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`),
  "",
].join("\n");

describe("loadScenario on hostile files", () => {
  it("refuses an alias bomb and an unresolved alias, naming the file", () => {
    const bomb = file(BOMB);
    expect(() => loadScenario(bomb)).toThrow(UsageError);
    expect(() => loadScenario(bomb)).toThrow(/s\.yaml: not valid YAML: aliases expand too far \(an alias bomb/);
    expect(() => loadScenario(file("name: *nope\n"))).toThrow(/s\.yaml: not valid YAML: Unresolved alias .*: nope/);
    expect(() => loadScenario(file("name: x\na: &a [*a]\n"))).toThrow(/a cycle/);
  });

  it("refuses what yaml only warns about, and collections nested past any scenario, before they recurse", () => {
    expect(() => loadScenario(file("name: !foo bar\n"))).toThrow(/line 1, column 7: TAG_RESOLVE_FAILED \(Unresolved tag: !foo\)/);
    const deep = `name: x\na: ${"[".repeat(20_000)}${"]".repeat(20_000)}\n`;
    expect(() => loadScenario(file(deep))).toThrow(/s\.yaml: not valid YAML: collections nested 65 deep \(at most 64\)/);
    expect(() => loadScenario(file("name: x\nname: y\n"))).toThrow(/line 2, column 1: DUPLICATE_KEY/);
  });

  it("says a list at the top is a list, and that an empty argument is no file", () => {
    expect(() => loadScenario(file("- a\n- b\n"))).toThrow(/s\.yaml: a scenario must be a YAML mapping \(got a list\)/);
    expect(() => loadScenario(file("just words\n"))).toThrow(/\(got a string, "just words"\)/);
    expect(() => loadScenario(file(""))).toThrow(/\(got an empty file\)/);
    expect(() => loadScenario("")).toThrow(/^no scenario file given/);
  });

  it("reads at most MAX_SCENARIO_BYTES, so a device or a huge file is refused, not slurped", () => {
    expect(() => loadScenario("/dev/zero")).toThrow("/dev/zero: cannot read scenario (a device, not a regular file)");
    expect(() => loadScenario(file(`name: x\n# ${"x".repeat(MAX_SCENARIO_BYTES)}\n`))).toThrow(/larger than 256 kB/);
    expect(() => loadScenario(tmpdir())).toThrow(/cannot read scenario \(EISDIR/);
  });

  it("opens the scenario without blocking: a FIFO is refused at once, not waited on past Ctrl-C", () => {
    const fifo = join(mkdtempSync(join(tmpdir(), "drainlab-fifo-")), "s.yaml");
    execFileSync("mkfifo", [fifo]);
    const started = performance.now();
    expect(() => loadScenario(fifo)).toThrow(`${fifo}: cannot read scenario (a FIFO (named pipe), not a regular file)`);
    expect(performance.now() - started).toBeLessThan(1000);
  });

  it("shows NaN and infinity in a file as themselves, not as JSON's null", () => {
    expect(() => loadScenario(file("name: x\nload: { rate_per_s: .nan }\n"))).toThrow(/load\.rate_per_s: .*received NaN.*\(value: NaN\)/);
    expect(() => loadScenario(file("name: x\nload: { rate_per_s: -.inf }\n"))).toThrow(/\(value: -Infinity\)/);
  });

  it("escapes control characters of the file's fields and keys in its message", () => {
    const e = (() => {
      try {
        loadScenario(file('name: x\n"evil\\e[31m\\nverdict   PASS": 1\n'));
      } catch (err) {
        return err as Error;
      }
    })();
    expect(e?.message).toContain("unknown field(s) evil\\x1b[31m\\nverdict   PASS");
    expect(e?.message).not.toMatch(/[\x1b]/);
  });

  it("keeps a __proto__ key in a file a plain (unknown) key, never the prototype", () => {
    expect(() => loadScenario(file("name: x\n__proto__: { polluted: 1 }\n"))).toThrow(/unknown field\(s\) __proto__/);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe("--set on hostile input", () => {
  const withMix = () => file("name: x\nload:\n  mix: [{ method: GET, ms: 5 }, { method: POST, ms: 6 }]\n");

  it("takes an index up to the list's length (appends one) and names --set, list and range past it", () => {
    expect(loadScenario(withMix(), ["load.mix.2.method=GET", "load.mix.2.ms=7"]).load.mix.map((m) => m.ms)).toEqual([5, 6, 7]);
    expect(() => loadScenario(withMix(), ["load.mix.99.ms=2"])).toThrow(
      /^--set load\.mix\.99\.ms=2: load\.mix has 2 entries \(index 0\.\.2\)$/,
    );
    const started = performance.now();
    expect(() => loadScenario(withMix(), ["load.mix.100000000.ms=2"])).toThrow(/load\.mix has 2 entries/);
    expect(() => loadScenario(withMix(), ["load.mix.99999999999999999999999.ms=2"])).toThrow(/load\.mix has 2 entries/);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(() => loadScenario(file("name: x\n"), ["load.mix.5.ms=2"])).toThrow(
      /--set load\.mix\.5\.ms=2: load\.mix is not in the file, so its list starts at index 0 \(index 0\.\.0\)/,
    );
  });

  it("refuses a value that would not be valid YAML in a file, naming the --set", () => {
    const ok = file("name: x\n");
    expect(() => loadScenario(ok, ['name="unclosed'])).toThrow(
      /^--set name="unclosed: the value is not valid YAML at column 10: MISSING_CHAR/,
    );
    expect(() => loadScenario(ok, ["name=*nope"])).toThrow(/^--set name=\*nope: the value is not valid YAML: Unresolved alias/);
    expect(() => loadScenario(ok, ["name=!foo bar"])).toThrow(
      /^--set name=!foo bar: the value is not valid YAML at column 1: TAG_RESOLVE_FAILED/,
    );
    expect(() => loadScenario(ok, ["name=a\n---\nb"])).toThrow(
      /^--set name=a\\n---\\nb: the value is not valid YAML: more than one document/,
    );
  });

  it("refuses __proto__, constructor and prototype segments, and pollutes nothing", () => {
    for (const set of ["__proto__.polluted=1", "constructor.prototype.polluted=1", "load.__proto__.polluted=1", "a.prototype=1"]) {
      expect(() => loadScenario(file("name: x\n"), [set])).toThrow(/is not a scenario field \(a reserved name\)/);
      expect(() => applySet({}, set)).toThrow(UsageError);
    }
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect((Object.prototype as Record<string, unknown>).polluted).toBeUndefined();
  });

  it("refuses NaN and infinity, anywhere in the value", () => {
    expect(() => loadScenario(file("name: x\n"), ["load.rate_per_s=.nan"])).toThrow(
      /^--set load\.rate_per_s=\.nan: NaN is not a finite number; give a number such as 200$/,
    );
    expect(() => applySet({}, "load.rate_per_s=-.inf")).toThrow(/-Infinity is not a finite number/);
    expect(() => applySet({}, "load.mix=[{ms: .NaN}]")).toThrow(/NaN is not a finite number/);
  });

  it("names a path through a scalar, and reads only the target's own fields", () => {
    expect(() => applySet({ name: "x" }, "name.first=1")).toThrow(/--set name\.first=1: name is "x", not a mapping/);
    const target: Record<string, unknown> = {};
    applySet(target, "toString.x=1");
    expect(target).toEqual({ toString: { x: 1 } });
  });

  it("escapes control characters of the --set in its message, and clips a long one", () => {
    expect(() => applySet({}, "a..b=\x1b[2J")).toThrow(/^--set a\.\.b=\\x1b\[2J: empty segment/);
    const long = `name=${"[".repeat(5000)}`;
    expect(() => applySet({}, long)).toThrow(/\.\.\. \(5005 characters\): the value is not valid YAML: collections nested 65 deep/);
  });
});

describe("scenarios/scenario.schema.json", () => {
  it("is the schema drainlab validates with (regenerate: drainlab schema > scenarios/scenario.schema.json)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../scenarios/scenario.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});

import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.ts";
import { applySet, loadScenario } from "./load-scenario.ts";
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

describe("scenarios/scenario.schema.json", () => {
  it("is the schema drainlab validates with (regenerate: drainlab schema > scenarios/scenario.schema.json)", () => {
    const committed = JSON.parse(readFileSync(new URL("../../scenarios/scenario.schema.json", import.meta.url), "utf8"));
    expect(committed).toEqual(JSON.parse(JSON.stringify(scenarioJsonSchema())));
  });
});

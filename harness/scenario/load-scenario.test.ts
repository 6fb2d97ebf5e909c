import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../errors.ts";
import { applySet, loadScenario } from "./load-scenario.ts";

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

  it("reports a missing file", () => {
    expect(() => loadScenario("/nonexistent/s.yaml")).toThrow(/cannot read scenario \(ENOENT\)/);
  });
});

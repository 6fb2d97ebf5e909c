import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { EnvironmentError } from "../util/errors.ts";
import { runAttached } from "./attach-run.ts";

const scenario = () =>
  Scenario.parse({
    name: "t",
    load: { rate_per_s: 10, duration_s: 1, mix: [{ method: "GET", path: "/", expected_ms: 1 }] },
    drain: { at_s: 0.5 },
    attach: { url: "http://127.0.0.1:1", drain: { node: "node-1", removal: "none", steps: [{ step: "terminate", run: "true" }] } },
  });
const options = (signal?: AbortSignal) => {
  const runDir = mkdtempSync(join(tmpdir(), "drainlab-attach-run-"));
  return { runId: "r", runDir, log: () => {}, signal };
};

describe("an attach run, as tasks on the run's own runner", () => {
  it("stops at its first task when nothing answers at attach.url: no load is sent", async () => {
    await expect(runAttached(scenario(), options())).rejects.toThrow(EnvironmentError);
    await expect(runAttached(scenario(), options())).rejects.toThrow(/nothing answers there/);
  });

  it("ends with the abort's reason when it is aborted before it starts, as a run does", async () => {
    const abort = new AbortController();
    abort.abort(new Error("Ctrl-C"));
    await expect(runAttached(scenario(), options(abort.signal))).rejects.toThrow("Ctrl-C");
  });
});

import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { Multiplexer } from "./multiplexer.ts";
import type { Reporter, RunProgress } from "./reporter.ts";
import { storedReport } from "./testdata/stored-report.ts";
import { writeViews } from "./write-views.ts";

const progress: RunProgress = { phase: "load", elapsedMs: 100, sent: 20, ok: 19, failed: 1, inFlight: 3 };
const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("Multiplexer", () => {
  it("calls every reporter's hooks, skips missing ones, and logs a failing reporter without stopping the others", async () => {
    const calls: string[] = [];
    const log: string[] = [];
    const broken: Reporter = {
      name: "broken",
      onBegin: () => {
        throw new Error("begin broke");
      },
      onProgress: () => {
        throw new Error("progress broke");
      },
      onEnd: async () => {
        throw new Error("end broke");
      },
    };
    const good: Reporter = {
      name: "good",
      onBegin: (info) => void calls.push(`begin ${info.runId} ${info.scenario}`),
      onProgress: (p) => void calls.push(`progress ${p.sent}`),
      onEnd: (_report, dir) => (calls.push(`end ${dir}`), [join(dir, "x.txt")]),
    };
    const mux = new Multiplexer([broken, { name: "empty" }, good], (line) => log.push(line));
    await mux.onBegin({ runId: "r1", scenario: "s" });
    mux.onProgress(progress);
    const written = await mux.onEnd(storedReport(), "/tmp/run");
    expect(calls).toEqual(["begin r1 s", "progress 20", "end /tmp/run"]);
    expect(written).toEqual(["/tmp/run/x.txt"]);
    expect(log).toEqual([
      "drainlab: reporter broken failed in onBegin: begin broke",
      "drainlab: reporter broken failed in onProgress: progress broke",
      "drainlab: reporter broken failed in onEnd: end broke",
    ]);
  });

  it("survives a log sink that throws", async () => {
    const mux = new Multiplexer([{ name: "bad", onEnd: () => Promise.reject(new Error("no")) }], () => {
      throw new Error("log broke");
    });
    await expect(mux.onEnd(storedReport(), "/tmp/run")).resolves.toEqual([]);
  });
});

describe("writeViews", () => {
  it("writes report.html, junit.xml and summary.md next to the report and returns their paths", async () => {
    const dir = mkdtempSync(join(tmpdir(), "drainlab-views-"));
    dirs.push(dir);
    const log: string[] = [];
    const written = await writeViews(storedReport(), dir, (line) => log.push(line));
    expect(written).toEqual(["report.html", "junit.xml", "summary.md"].map((f) => join(dir, f)));
    for (const f of written) expect(existsSync(f)).toBe(true);
    expect(log).toEqual([]);
  });

  it("still writes the other views when one cannot be written", async () => {
    const log: string[] = [];
    const written = await writeViews(storedReport(), join(tmpdir(), "drainlab-no-such-dir", "run"), (line) => log.push(line));
    expect(written).toEqual([]);
    expect(log).toHaveLength(3);
    expect(log[0]).toMatch(/^drainlab: reporter html failed in onEnd: ENOENT/);
  });
});

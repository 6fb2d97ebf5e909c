import { describe, expect, it } from "vitest";
import { LiveProgress } from "./progress.ts";
import type { RunProgress } from "./reporter.ts";

function sink(isTTY = false) {
  const out: string[] = [];
  return { out, stream: { isTTY, write: (s: string) => out.push(s) } };
}

const at = (elapsedMs: number, sent: number, phase = "load"): RunProgress => ({
  phase,
  elapsedMs,
  sent,
  ok: sent - 1,
  failed: 1,
  inFlight: 4,
});

describe("LiveProgress", () => {
  it("redraws one line with \\r on a terminal, and clears it when done", () => {
    const { out, stream } = sink(true);
    const p = new LiveProgress({ stream, env: {} });
    p.update(at(250, 50));
    p.update(at(500, 100));
    p.done();
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\rload\s+0\.3 s\s+200\/s {2}sent 50 {2}ok 49 {2}failed 1 {2}in flight 4\x1b\[K$/);
    expect(out[2]).toBe("\r\x1b[K");
  });

  it("writes plain lines every 2 s and at each phase change in CI, even on a TTY", () => {
    const { out, stream } = sink(true);
    const p = new LiveProgress({ stream, env: { CI: "true" } });
    for (let ms = 250; ms <= 5000; ms += 250) p.update(at(ms, ms / 5, ms >= 3000 ? "load, drained" : "load"));
    p.done();
    expect(out.map((l) => l.split(/\s{2,}/)[0])).toEqual(["load", "load", "load, drained", "load, drained"]);
    expect(out.every((l) => l.endsWith("\n") && !l.includes("\r"))).toBe(true);
    expect(out[1]).toContain("2.3 s");
  });

  it("reports the rate over the last second, not the whole run", () => {
    const { out, stream } = sink(true);
    const p = new LiveProgress({ stream, env: {} });
    for (let ms = 250; ms <= 4000; ms += 250) p.update(at(ms, ms <= 2000 ? ms / 5 : 400 + (ms - 2000) / 10));
    expect(out.at(-1)).toMatch(/\s100\/s/);
  });

  it("is a reporter: onProgress draws, onEnd clears", () => {
    const { out, stream } = sink(true);
    const p = new LiveProgress({ stream, env: {} });
    p.onProgress(at(250, 50));
    p.onEnd();
    expect(out.at(-1)).toBe("\r\x1b[K");
  });
});

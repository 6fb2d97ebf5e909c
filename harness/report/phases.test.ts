import { describe, expect, it } from "vitest";
import type { TimelineEvent } from "../records/timeline.ts";
import { drainPhases, runEndMs } from "./phases.ts";
import { storedReport } from "./testdata/stored-report.ts";

const ev = (t_ms: number, event: string, target?: string): TimelineEvent => ({ t_ms, event, detail: target ? { target } : {} });

describe("drainPhases", () => {
  it("finds removal, reload and the SIGTERM wait on a real run's timeline", () => {
    const r = storedReport();
    expect(drainPhases(r.timeline, runEndMs(r)).map((p) => [p.name, p.from_ms, p.to_ms, p.open])).toEqual([
      ["removal", 3078.057, 3488.806, false],
      ["reload", 3488.806, 3676.43, false],
      ["sigterm-wait", 4176.507, 4623.817, false],
    ]);
  });

  it("ends the wait at the SIGKILL after it, and shades the kill up to the exit", () => {
    const phases = drainPhases([ev(100, "sigterm"), ev(7100, "sigkill-after-wait"), ev(7150, "exited")], 9000);
    expect(phases.map((p) => [p.name, p.from_ms, p.to_ms, p.to_event])).toEqual([
      ["sigterm-wait", 100, 7100, "sigkill-after-wait"],
      ["sigkill-after-wait", 7100, 7150, "exited"],
    ]);
  });

  it("runs a phase whose end never came to the end of the run", () => {
    expect(drainPhases([ev(100, "sigkill")], 5000)).toMatchObject([
      { name: "sigkill", from_ms: 100, to_ms: 5000, open: true, to_event: "end of run" },
    ]);
  });

  it("finds one set of phases per node in a rolling drain, and no reload phase where the reload was skipped", () => {
    const node = (n: string, t: number, reload: boolean): TimelineEvent[] => [
      ev(t, "drain-start", n),
      ev(t + 10, "mark-draining", n),
      ev(t + 20, "removed", n),
      ...(reload ? [ev(t + 30, "reload-effective")] : []),
      ev(t + 40, "sigterm", n),
      ev(t + 50, "exited", n),
      ev(t + 60, "restarted", n),
      ev(t + 70, "readded", n),
    ];
    const phases = drainPhases([...node("node-1", 1000, false), ...node("node-2", 2000, true)], 9000);
    expect(phases.map((p) => `${p.target} ${p.name} ${p.from_ms}-${p.to_ms}`)).toEqual([
      "node-1 removal 1010-1020",
      "node-1 sigterm-wait 1040-1050",
      "node-1 readd 1060-1070",
      "node-2 removal 2010-2020",
      "node-2 reload 2020-2030",
      "node-2 sigterm-wait 2040-2050",
      "node-2 readd 2060-2070",
    ]);
  });

  it("has no phases without a drain", () => {
    expect(drainPhases([ev(0, "load-start"), ev(10_000, "load-end")], 10_000)).toEqual([]);
  });
});

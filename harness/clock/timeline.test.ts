import { describe, expect, it } from "vitest";
import { toEpochMs, toRunMs } from "../records/timeline.ts";
import { Timeline } from "./timeline.ts";

describe("Timeline.addAt", () => {
  it("puts an event measured elsewhere in its place on the timeline", () => {
    const timeline = new Timeline(0);
    timeline.events.push({ t_ms: 100, event: "a", detail: {} }, { t_ms: 300, event: "c", detail: {} });
    timeline.addAt(200.0004, "b", { pid: 9 });
    timeline.addAt(400, "d");
    expect(timeline.events.map((e) => [e.t_ms, e.event])).toEqual([
      [100, "a"],
      [200, "b"],
      [300, "c"],
      [400, "d"],
    ]);
  });
});

describe("toRunMs / toEpochMs", () => {
  it("put an epoch time on the run's clock and back", () => {
    expect(toRunMs(1_800_000_001_234.5, 1_800_000_000_000)).toBe(1234.5);
    expect(toEpochMs(1234.5, 1_800_000_000_000)).toBe(1_800_000_001_234.5);
  });
});

import { describe, expect, it } from "vitest";
import { Timeline } from "../records/timeline.ts";
import { addAt } from "./clock.ts";
import { parseTimestamped } from "./node-logs.ts";

describe("addAt", () => {
  it("puts an event measured elsewhere in its place on the timeline", () => {
    const timeline = new Timeline(0);
    timeline.events.push({ t_ms: 100, event: "a", detail: {} }, { t_ms: 300, event: "c", detail: {} });
    addAt(timeline, 200.0004, "b", { pid: 9 });
    addAt(timeline, 400, "d");
    expect(timeline.events.map((e) => [e.t_ms, e.event])).toEqual([
      [100, "a"],
      [200, "b"],
      [300, "c"],
      [400, "d"],
    ]);
  });
});

describe("parseTimestamped", () => {
  it("reads docker's nanosecond timestamps as epoch ms and keeps the text", () => {
    const lines = parseTimestamped(
      "2026-11-25T03:27:59.123456789Z [1] [ERROR] Worker (pid:7) was sent SIGKILL!\nnot a log line\n2026-11-25T03:28:00Z INFO:     Child process [62] died\n",
    );
    expect(lines).toEqual([
      { epochMs: Date.parse("2026-11-25T03:27:59Z") + 123.456789, text: "[1] [ERROR] Worker (pid:7) was sent SIGKILL!" },
      { epochMs: Date.parse("2026-11-25T03:28:00Z"), text: "INFO:     Child process [62] died" },
    ]);
  });
});

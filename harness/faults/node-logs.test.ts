import { describe, expect, it } from "vitest";
import { parseTimestamped } from "./node-logs.ts";

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

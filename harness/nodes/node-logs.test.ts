import { describe, expect, it } from "vitest";
import { parseTimestamped } from "../records/container-log.ts";
import { signalAcknowledgement } from "./node-logs.ts";

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

describe("signalAcknowledgement", () => {
  it("finds the first line after the signal where gunicorn or uvicorn says it took the SIGTERM", () => {
    const lines = parseTimestamped(
      [
        "2026-11-25T03:27:58.000Z INFO:     Shutting down",
        "2026-11-25T03:28:00.100Z [7] [INFO] Handling signal: term",
        "2026-11-25T03:28:00.200Z INFO:     Shutting down",
      ].join("\n"),
    );
    const since = Date.parse("2026-11-25T03:28:00Z");
    expect(signalAcknowledgement(lines, since)?.text).toBe("[7] [INFO] Handling signal: term");
    expect(signalAcknowledgement(parseTimestamped("2026-11-25T03:28:01Z INFO:     Received SIGTERM, exiting."), since)?.text).toContain(
      "Received SIGTERM",
    );
    expect(signalAcknowledgement(lines.slice(0, 1), since)).toBeNull();
  });
});

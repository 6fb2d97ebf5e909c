import { describe, expect, it, vi } from "vitest";
import { clip, logLine, printable, printableStrings, showValue } from "./text.ts";

describe("printable", () => {
  it("writes C0, DEL, C1, line separators and bidi overrides as visible escapes", () => {
    expect(printable("a\x1b[31mred\x1b[0m")).toBe("a\\x1b[31mred\\x1b[0m");
    expect(printable("a\nverdict   PASS\r")).toBe("a\\nverdict   PASS\\r");
    expect(printable("tab\there\x00\x07\x7f\x9b")).toBe("tab\\there\\x00\\x07\\x7f\\x9b");
    expect(printable("\u2028\u202eevil")).toBe("\\u2028\\u202eevil");
    expect(printable("plain: é, ü, 漢字, emoji 🙂")).toBe("plain: é, ü, 漢字, emoji 🙂");
  });

  it("keeps newlines when asked (multi-line messages), escaping the rest", () => {
    expect(printable("line 1\n\x1b[2Kline 2", { keepNewlines: true })).toBe("line 1\n\\x1b[2Kline 2");
  });
});

describe("showValue", () => {
  it("is JSON but with NaN and infinities as themselves", () => {
    expect(showValue(Number.NaN)).toBe("NaN");
    expect(showValue([1, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY])).toBe("[1,Infinity,-Infinity]");
    expect(showValue({ a: "x\x1b", b: null, c: true })).toBe('{"a":"x\\u001b","b":null,"c":true}');
    expect(showValue(undefined)).toBe("undefined");
  });

  it("cuts long, deep and self-referencing values", () => {
    expect(showValue("x".repeat(1000), 20)).toBe(`"${"x".repeat(19)}...`);
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(showValue(deep, 50)).toBe(`${"[".repeat(50)}...`);
    const cycle: unknown[] = [];
    cycle.push(cycle);
    expect(showValue(cycle, 30)).toMatch(/^\[+\.\.\.$/);
  });
});

describe("printableStrings", () => {
  it("escapes every string and key of a copy, leaving the original as it was", () => {
    const report = { scenario: { name: "a\nverdict   PASS" }, checks: [{ detail: "\x1b[2J" }], n: 3, "k\x1b": true };
    expect(printableStrings(report)).toEqual({
      scenario: { name: "a\\nverdict   PASS" },
      checks: [{ detail: "\\x1b[2J" }],
      n: 3,
      "k\\x1b": true,
    });
    expect(report.scenario.name).toBe("a\nverdict   PASS");
  });

  it("keeps a __proto__ key a key, and stops at its depth limit (a cycle ends there)", () => {
    const parsed = JSON.parse('{"__proto__": {"polluted": 1}}');
    const clean = printableStrings(parsed) as Record<string, unknown>;
    expect(Object.keys(clean)).toEqual(["__proto__"]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const cycle: Record<string, unknown> = {};
    cycle.self = cycle;
    expect(() => printableStrings(cycle, 5)).not.toThrow();
  });
});

describe("clip", () => {
  it("says how long a cut text was", () => {
    expect(clip("abc", 5)).toBe("abc");
    expect(clip("abcdefgh", 3)).toBe("abc... (8 characters)");
  });
});

describe("logLine: the one gate for log lines to stderr", () => {
  it("escapes what a terminal would obey, keeps drainlab's own line breaks", () => {
    const written: string[] = [];
    const spy = vi.spyOn(process.stderr, "write").mockImplementation((s) => (written.push(String(s)), true));
    try {
      logLine("attach: n\x1b[2J1 \u202e\x9b\nnext");
    } finally {
      spy.mockRestore();
    }
    expect(written).toEqual(["attach: n\\x1b[2J1 \\u202e\\x9b\nnext\n"]);
  });
});

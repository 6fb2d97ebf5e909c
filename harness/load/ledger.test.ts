import { describe, expect, it } from "vitest";
import { classifyError, classifyStatus } from "./error-class.ts";
import { Ledger } from "./ledger.ts";

describe("Ledger", () => {
  it("round-trips rows and grows past its initial capacity", () => {
    const ledger = new Ledger("run1", ["GET", "POST"]);
    for (let i = 0; i < 5000; i++) ledger.begin(i % 2, 10, i, i + 0.5);
    ledger.finish(4999, 6000, 201, "none", "node-2", 42);
    ledger.finish(1, 100, 502, "http-5xx", null, 0);
    expect(ledger.length).toBe(5000);
    expect(ledger.row(4999)).toMatchObject({ id: "run1-4999", method: "POST", intendedMs: 4999, sentMs: 4999.5, endMs: 6000, status: 201, error: "none", node: "node-2", bytes: 42 });
    expect(ledger.row(1)).toMatchObject({ status: 502, error: "http-5xx", node: null });
    expect(ledger.isOpen(0)).toBe(true);
    expect(ledger.row(0).endMs).toBeNaN();
    expect(ledger.seqOf("run1-4999")).toBe(4999);
    expect(ledger.seqOf("run1-5000")).toBeUndefined();
    expect(ledger.seqOf("other-1")).toBeUndefined();
  });
});

describe("error classes", () => {
  it("maps undici codes, also when wrapped in a cause", () => {
    expect(classifyError(Object.assign(new Error("x"), { code: "ECONNREFUSED" }))).toBe("refused");
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_SOCKET" }))).toBe("reset");
    expect(classifyError(Object.assign(new Error("x"), { code: "UND_ERR_HEADERS_TIMEOUT" }))).toBe("timeout");
    expect(classifyError(new Error("fetch failed", { cause: Object.assign(new Error("y"), { code: "ECONNRESET" }) }))).toBe("reset");
    expect(classifyError(new Error("?"))).toBe("other");
    expect(classifyStatus(502)).toBe("http-5xx");
    expect(classifyStatus(404)).toBe("http-4xx");
    expect(classifyStatus(201)).toBe("none");
  });
});

import { existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { classifyError, classifyStatus } from "../records/error-class.ts";
import { CHUNK_ROWS, Ledger, MergedLedger } from "./ledger.ts";

const dirs: string[] = [];
function spillDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-ledger-test-"));
  dirs.push(dir);
  return dir;
}
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("Ledger", () => {
  it("round-trips rows and grows past its initial capacity", () => {
    const ledger = new Ledger("run1", ["GET", "POST"]);
    for (let i = 0; i < 5000; i++) ledger.begin(i % 2, 10, i, i + 0.5);
    ledger.finish(4999, 6000, 201, "none", "node-2", 42);
    ledger.finish(1, 100, 502, "http-5xx", null, 0);
    expect(ledger.length).toBe(5000);
    expect(ledger.row(4999)).toMatchObject({
      id: "run1-4999",
      method: "POST",
      intendedMs: 4999,
      sentMs: 4999.5,
      endMs: 6000,
      status: 201,
      error: "none",
      node: "node-2",
      bytes: 42,
    });
    expect(ledger.row(1)).toMatchObject({ status: 502, error: "http-5xx", node: null });
    expect(ledger.isOpen(0)).toBe(true);
    expect(ledger.row(0).endMs).toBeNaN();
    expect(ledger.seqOf("run1-4999")).toBe(4999);
    expect(ledger.seqOf("run1-5000")).toBeUndefined();
    expect(ledger.seqOf("other-1")).toBeUndefined();
  });

  it("spills chunks whose requests have all finished and reads them back in order", async () => {
    const dir = spillDir();
    const ledger = new Ledger("r", ["GET"], { spillDir: dir });
    const n = CHUNK_ROWS * 3 + 10;
    for (let i = 0; i < n; i++) {
      const seq = ledger.begin(0, 5, i, i + 0.25);
      ledger.sent(seq, i + 0.5);
      // one request of the second chunk stays in flight
      if (seq !== CHUNK_ROWS + 7) ledger.finish(seq, i + 2, 200, "none", `node-${1 + (i % 2)}`, 3);
    }
    expect(ledger.spilledChunks).toBe(2);
    expect(ledger.residentRows).toBe(2 * CHUNK_ROWS);
    expect(ledger.attemptsOf(CHUNK_ROWS + 7)).toBe(1);
    ledger.retried(CHUNK_ROWS + 7);
    ledger.finish(CHUNK_ROWS + 7, 99_999, 0, "reset", null, 0);
    expect(ledger.spilledChunks).toBe(3);
    await ledger.flush();
    const rows = [...ledger.rows()];
    expect(rows).toHaveLength(n);
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: n }, (_, i) => i));
    expect(rows[5]).toMatchObject({ id: "r-5", intendedMs: 5, sentMs: 5.5, endMs: 7, status: 200, node: "node-2", bytes: 3, attempts: 1 });
    expect(ledger.row(CHUNK_ROWS + 7)).toMatchObject({ error: "reset", attempts: 2, endMs: 99_999 });
    expect(rows[n - 1]!.node).toBe("node-2");
    expect(() => ledger.finish(3, 1, 200, "none", null, 0)).toThrow(/already on disk/);
    expect(readdirSync(dir)).toHaveLength(1);
    ledger.dispose();
    ledger.dispose();
    expect(readdirSync(dir)).toHaveLength(0);
  });

  it("keeps everything in memory when told not to spill", () => {
    const dir = spillDir();
    const ledger = new Ledger("r", ["GET"], { spillDir: false });
    for (let i = 0; i < CHUNK_ROWS * 2; i++) ledger.finish(ledger.begin(0, 1, i, i), i + 1, 200, "none", null, 0);
    expect(ledger.spilledChunks).toBe(0);
    expect(ledger.residentRows).toBe(2 * CHUNK_ROWS);
    expect(existsSync(dir) && readdirSync(dir)).toHaveLength(0);
  });

  it("finishes the rows still open when a run abandons them", () => {
    const ledger = new Ledger("r", ["GET"], { spillDir: false });
    for (let i = 0; i < 10; i++) ledger.begin(0, 1, i, i);
    ledger.finish(3, 10, 200, "none", null, 0);
    expect(ledger.finishOpen(50, "unanswered")).toBe(9);
    expect(ledger.isLiveOpen(0)).toBe(false);
    expect(ledger.row(0)).toMatchObject({ error: "unanswered", endMs: 50 });
    expect(ledger.row(3)).toMatchObject({ error: "none", endMs: 10 });
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

describe("shard ledgers", () => {
  it("hand off to another thread's ledger through the spill file and merge in request-id order", async () => {
    const dir = spillDir();
    // 3 shards of a load of 2 * CHUNK_ROWS + 5 requests: request i in shard i mod 3, row i / 3
    const total = 2 * CHUNK_ROWS + 5;
    const shards = [0, 1, 2].map((k) => new Ledger("run", ["GET", "POST"], { spillDir: dir, idStride: 3, idOffset: k }));
    for (let i = 0; i < total; i++) {
      const l = shards[i % 3]!;
      const seq = l.begin(i % 2, 1, i, i + 0.5);
      expect(l.idOf(seq)).toBe(`run-${i}`);
      expect(l.seqOf(`run-${i}`)).toBe(seq);
      l.finish(seq, i + 2, 200, "none", `node-${(i % 3) + 1}`, i);
    }
    expect(shards[1]!.seqOf("run-3")).toBeUndefined();
    const handed = await Promise.all(shards.map((l) => l.handOff()));
    expect(handed.map((h) => h.length)).toEqual([Math.ceil(total / 3), Math.ceil((total - 1) / 3), Math.ceil((total - 2) / 3)]);
    const merged = new MergedLedger(handed.map((h) => Ledger.adopt(h)));
    expect(merged.length).toBe(total);
    expect(merged.residentRows).toBe(0);
    let i = 0;
    for (const r of merged.rows()) {
      expect(r).toMatchObject({
        seq: i,
        id: `run-${i}`,
        method: i % 2 ? "POST" : "GET",
        intendedMs: i,
        endMs: i + 2,
        node: `node-${(i % 3) + 1}`,
        bytes: i,
      });
      i++;
    }
    expect(i).toBe(total);
    merged.dispose();
    expect(readdirSync(dir)).toEqual([]);
  });

  it("hands off an empty ledger", async () => {
    const h = await new Ledger("run", ["GET"], { spillDir: spillDir() }).handOff();
    expect(h).toMatchObject({ length: 0 });
    expect([...new MergedLedger([Ledger.adopt(h)]).rows()]).toEqual([]);
  });
});

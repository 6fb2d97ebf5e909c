import { once } from "node:events";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { afterEach, describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { runClosedLoad } from "./closed.ts";
import { type LoadProgress, prepareLoad, runLoad, sentRate } from "./generator.ts";

let server: Server | undefined;
afterEach(() => {
  server?.closeAllConnections();
  server?.close();
  server = undefined;
});

/** A local server: answers with x-node after `ms`, cuts the first try of ids in `cut`, and with `hang` never answers. */
async function serve(cut: Set<string> = new Set(), { hang = false } = {}): Promise<string> {
  server = createServer((req, res) => {
    req.resume();
    const id = String(req.headers["x-request-id"]);
    if (cut.delete(id)) return req.socket.destroy();
    if (hang) return;
    res.setHeader("x-node", "node-7");
    setTimeout(() => res.end("hello"), Number(new URL(req.url!, "http://x").searchParams.get("ms") ?? 0));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

function load(over: Record<string, unknown>): Scenario["load"] {
  return Scenario.parse({
    name: "t",
    drain: { enabled: false },
    load: { rate_per_s: 200, duration_s: 0.5, grace_s: 1, mix: [{ method: "GET", ms: 2 }], ...over },
  }).load;
}

describe("runLoad (open model)", () => {
  it("sends on schedule and records every request, its node and when it was written", async () => {
    const url = await serve(new Set(["t-3"]));
    const t0 = performance.now();
    const { ledger, stats } = await runLoad({
      url,
      load: load({
        mix: [
          { method: "GET", ms: 2 },
          { method: "POST", ms: 1 },
        ],
      }),
      idPrefix: "t",
      t0,
      spillDir: false,
    });
    const rows = [...ledger.rows()];
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => r.error === "none" && r.status === 200 && r.node === "node-7" && r.bytes === 5)).toBe(true);
    expect(rows.every((r) => r.sentMs >= r.intendedMs && r.endMs > r.sentMs)).toBe(true);
    // the cut request was re-sent once with the same id
    expect(rows[3]).toMatchObject({ attempts: 2, error: "none" });
    expect(stats).toMatchObject({ mode: "open", scheduled: 100, clientRetries: 1, intendedRatePerS: 200, maxConnections: 1024 });
    expect(stats.sentRatePerS).toBeGreaterThan(190);
    expect(stats.sentRatePerS).toBeLessThan(210);
    expect(stats.sendLagMs.p50).toBeLessThan(20);
    expect(stats.eventLoopBusyShare).toBeGreaterThan(0);
    expect(stats.eventLoopBusyShare).toBeLessThan(1);
    ledger.dispose();
  });

  it("re-sends a request cut on a reused connection on a fresh one, as a reload that closes every idle connection demands", async () => {
    // like nginx's old worker after a reload: every request of these ids that arrives on a reused connection is cut
    const cutOnReused = new Set(["r-40", "r-41", "r-42"]);
    const seen = new Map<string, boolean[]>();
    server = createServer((req, res) => {
      req.resume();
      const id = String(req.headers["x-request-id"]);
      const socket = req.socket as typeof req.socket & { served?: number };
      const reused = (socket.served = (socket.served ?? 0) + 1) > 1;
      seen.set(id, [...(seen.get(id) ?? []), reused]);
      if (cutOnReused.has(id) && reused) return socket.destroy();
      res.setHeader("x-node", "node-7");
      setTimeout(() => res.end("hello"), 2);
    });
    server.listen(0, "127.0.0.1");
    await once(server, "listening");
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const { ledger, stats } = await runLoad({
      url,
      load: load({}),
      idPrefix: "r",
      t0: performance.now(),
      spillDir: false,
      spareConnections: 0,
    });
    const rows = [...ledger.rows()];
    const cut = [...cutOnReused].filter((id) => seen.get(id)?.[0] === true);
    expect(cut.length, "some of the ids first went out on a reused connection").toBeGreaterThan(0);
    for (const id of cut) {
      expect(seen.get(id), `${id}: cut on a reused connection, then re-sent on a new one`).toEqual([true, false]);
      expect(rows.find((r) => r.id === id)).toMatchObject({ attempts: 2, error: "none", status: 200 });
    }
    expect(stats.clientRetries).toBe(cut.length);
    ledger.dispose();
  });

  it("records requests still open after the grace period as unanswered", async () => {
    const url = await serve(new Set(), { hang: true });
    const { ledger, stats } = await runLoad({ url, load: load({ grace_s: 0.2 }), idPrefix: "h", t0: performance.now(), spillDir: false });
    const rows = [...ledger.rows()];
    expect(rows).toHaveLength(100);
    expect(rows.every((r) => r.error === "unanswered" && r.status === 0)).toBe(true);
    expect(stats.endMs - stats.startMs).toBeLessThan(2000);
  });
});

describe("runLoad with an earlier end (load.after_drain_s)", () => {
  /** An end `afterMs` after the first request was sent (as run.ts's comes after the drain), however late the schedule started. */
  function endAfterFirstSend(afterMs: number) {
    let endOnce!: (ms: number) => void;
    const endAt = new Promise<number>((resolve) => (endOnce = resolve));
    return { endAt, onProgress: (p: LoadProgress) => p.sent > 0 && endOnce(p.elapsedMs + afterMs) };
  }
  /** runLoad against a local server, told to end `afterMs` after its first send. */
  const loadEndingAfter = async (over: Record<string, unknown>, afterMs: number) =>
    runLoad({ url: await serve(), load: load(over), idPrefix: "t", t0: performance.now(), spillDir: false, ...endAfterFirstSend(afterMs) });

  it("sends nothing due at or after the end, and says where the schedule was cut", async () => {
    const { ledger, stats } = await loadEndingAfter({ duration_s: 5 }, 300);
    const rows = [...ledger.rows()];
    // 1,000 were due in 5 s; about 110 before the end (the first progress, 250 ms in, plus 300 ms)
    expect(stats.scheduled).toBeLessThan(500);
    expect(rows).toHaveLength(stats.scheduled);
    expect(stats.scheduleEndMs).toBeGreaterThan(stats.startMs);
    expect(rows.every((r) => r.intendedMs < stats.scheduleEndMs!)).toBe(true);
    expect(rows.every((r) => r.error === "none")).toBe(true);
  });

  it("an end after the schedule's own end changes nothing", async () => {
    const { stats } = await loadEndingAfter({}, 3000);
    expect(stats.scheduled).toBe(100);
    expect(stats.scheduleEndMs).toBeUndefined();
  });

  it("an end in an on/off load's idle phase ends it then, not at the next burst", async () => {
    const { stats } = await loadEndingAfter({ duration_s: 30, on_off: { on_s: 0.2, off_s: 20 } }, 300);
    expect(stats.scheduled).toBe(40);
    // the next burst was due 20.2 s in
    expect(stats.endMs).toBeLessThan(10_000);
  });

  it("in 2 shard threads: one end for both, one merged schedule cut there", async () => {
    const { ledger, stats } = await loadEndingAfter({ duration_s: 10, shards: 2 }, 300);
    const rows = [...ledger.rows()];
    // 2,000 were due in 10 s; a few hundred before the end
    expect(stats.scheduled).toBeGreaterThan(0);
    expect(stats.scheduled).toBeLessThan(1500);
    expect(rows).toHaveLength(stats.scheduled);
    expect(rows.filter((r) => r.intendedMs >= stats.scheduleEndMs!)).toEqual([]);
    expect(stats.shards?.map((s) => s.scheduleEndMs)).toEqual([stats.scheduleEndMs, stats.scheduleEndMs]);
  });
});

describe("runClosedLoad", () => {
  it("keeps the given number of requests in flight and ledgers each", async () => {
    const url = await serve();
    const { ledger, stats } = await runClosedLoad({
      url,
      connections: 4,
      durationS: 0.3,
      idPrefix: "c",
      t0: performance.now(),
      spillDir: false,
    });
    expect(ledger.length).toBeGreaterThan(20);
    expect([...ledger.rows()].every((r) => r.error === "none")).toBe(true);
    expect(stats).toMatchObject({ mode: "closed", maxInFlight: 4, maxConnections: 4 });
  });
});

describe("load in shards (worker threads)", () => {
  it("splits the open schedule over 2 threads and merges one ledger with the ids, kinds and intended times of 1 thread", async () => {
    const cut = new Set(["s-5"]);
    const url = await serve(cut);
    const mix = [
      { method: "GET", ms: { min: 1, max: 5 } },
      { method: "POST", ms: 1 },
    ];
    const one = await runLoad({ url, load: load({ mix }), idPrefix: "s", t0: performance.now(), spillDir: false });
    const oneRows = [...one.ledger.rows()];
    cut.add("s-5");
    const t0 = performance.now();
    const two = await runLoad({ url, load: load({ mix, shards: 2 }), idPrefix: "s", t0 });
    const rows = [...two.ledger.rows()];
    two.ledger.dispose();
    expect(rows).toHaveLength(100);
    expect(rows.map((r) => r.id)).toEqual(oneRows.map((r) => r.id));
    expect(rows.map((r) => [r.kind, r.serviceMs])).toEqual(oneRows.map((r) => [r.kind, r.serviceMs]));
    // the same schedule, from each run's own start
    const start = (rs: typeof rows) => rs[0]!.intendedMs;
    expect(rows.map((r) => r.intendedMs - start(rows))).toEqual(oneRows.map((r) => r.intendedMs - start(oneRows)));
    expect(rows.every((r) => r.error === "none" && r.node === "node-7")).toBe(true);
    // the cut request was re-sent by its shard (shard 1: 5 mod 2)
    expect(rows[5]).toMatchObject({ id: "s-5", seq: 5, attempts: 2 });
    // times are on the main thread's t0, as in one thread
    expect(rows[0]!.intendedMs).toBeGreaterThan(0);
    expect(rows[0]!.intendedMs).toBeLessThan(performance.now() - t0);
    const { stats } = two;
    expect(stats.shards?.map((s) => [s.shard, s.scheduled, s.intendedRatePerS])).toEqual([
      [0, 50, 100],
      [1, 50, 100],
    ]);
    expect(stats).toMatchObject({ mode: "open", scheduled: 100, intendedRatePerS: 200, clientRetries: 1, maxConnections: 1024 });
    // the whole's rate: every first attempt of both shards, until the last one was written (a busy machine may write it late)
    const lastWrittenMs = Math.max(...rows.map((r) => r.sentMs));
    expect(stats.sentRatePerS).toBe(sentRate({ written: 100, lastWrittenMs }, stats.startMs, 5));
    expect(stats.sentRatePerS).toBeGreaterThan(150);
  });

  it("splits the closed model's connections over 2 threads", async () => {
    const url = await serve();
    const { ledger, stats } = await runClosedLoad({ url, connections: 4, durationS: 0.3, idPrefix: "c", t0: performance.now(), shards: 2 });
    const rows = [...ledger.rows()];
    ledger.dispose();
    expect(rows.length).toBeGreaterThan(20);
    expect(rows.every((r) => r.error === "none")).toBe(true);
    // ids by shard: even from shard 0, odd from shard 1, each id once
    expect(new Set(rows.map((r) => r.id)).size).toBe(rows.length);
    expect(rows.some((r) => r.seq % 2 === 1)).toBe(true);
    expect(stats).toMatchObject({ mode: "closed", maxInFlight: 4, maxConnections: 4 });
    expect(stats.shards?.map((s) => s.maxConnections)).toEqual([2, 2]);
  });
});

describe("load in shards, aborted", () => {
  it("an abort ends every shard's schedule; what was in flight is unanswered and the ledger is still merged", async () => {
    const url = await serve(new Set(), { hang: true });
    const sharded = load({ shards: 2, duration_s: 5 });
    // the threads up first (as a run does), so the abort comes after the schedule started
    await prepareLoad(sharded);
    const abort = new AbortController();
    setTimeout(() => abort.abort(), 300);
    const t0 = performance.now();
    const { ledger, stats } = await runLoad({ url, load: sharded, idPrefix: "a", t0, signal: abort.signal });
    const rows = [...ledger.rows()];
    ledger.dispose();
    expect(performance.now() - t0).toBeLessThan(4000);
    expect(rows.length).toBeGreaterThan(0);
    expect(rows.length).toBeLessThan(1000);
    expect(rows.every((r) => r.error === "unanswered")).toBe(true);
    // in id order, each once (one shard may have sent a request more than the other when the abort came)
    expect(rows.every((r, i) => i === 0 || r.seq > rows[i - 1]!.seq)).toBe(true);
    expect(stats.shards).toHaveLength(2);
  });

  it("an abort before the shards started ends the load at once, with nothing sent", async () => {
    const url = await serve(new Set(), { hang: true });
    const abort = new AbortController();
    abort.abort();
    const { ledger } = await runLoad({
      url,
      load: load({ shards: 2, duration_s: 5 }),
      idPrefix: "b",
      t0: performance.now(),
      signal: abort.signal,
    });
    expect(ledger.length).toBe(0);
    ledger.dispose();
  });
});

describe("load in shards (processes)", () => {
  it("without a spill folder, each load's shard processes write in a temporary folder of their own, removed once merged", async () => {
    const url = await serve();
    const tmp = mkdtempSync(join(tmpdir(), "drainlab-gen-test-"));
    const was = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    try {
      const sharded = load({ shards: 2, shards_in: "processes", rate_per_s: 100, duration_s: 0.3 });
      // two loads at once: a fixed folder would be shared (one's spec and ledger over the other's)
      const [a, b] = await Promise.all(
        ["p", "q"].map((idPrefix) => runLoad({ url, load: sharded, idPrefix, t0: performance.now() + 1500, spillDir: false })),
      );
      for (const [r, prefix] of [
        [a!, "p"],
        [b!, "q"],
      ] as const) {
        const rows = [...r.ledger.rows()];
        expect(rows).toHaveLength(30);
        expect(rows.every((row) => row.id.startsWith(`${prefix}-`) && row.status === 200)).toBe(true);
        // read after the folder went: the merged ledger holds its shards' files open
        r.ledger.dispose();
      }
      // (the shard processes' tsx leaves its cache there: not drainlab's)
      expect(readdirSync(tmp).filter((f) => f.startsWith("drainlab-"))).toEqual([]);
    } finally {
      if (was === undefined) delete process.env.TMPDIR;
      else process.env.TMPDIR = was;
      rmSync(tmp, { recursive: true, force: true });
    }
  }, 60_000);
});

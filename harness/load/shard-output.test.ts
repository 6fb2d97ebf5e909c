import { once } from "node:events";
import { cpSync, mkdtempSync, readdirSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bootId, epochAt, readMonotonicAt, toHostMonotonic } from "../clock/monotonic.ts";
import { UsageError } from "../util/errors.ts";
import { LEDGER_FILE, mergeShardFolders, SHARD_FILE } from "./shard-output.ts";
import { anchorT0, runShardSpec } from "./shard-process.ts";
import { parseShardSpec } from "./shard-spec.ts";

let server: Server;
let url: string;
beforeAll(async () => {
  server = createServer((req, res) => {
    req.resume();
    res.setHeader("x-node", "node-1");
    res.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const dir = mkdtempSync(join(tmpdir(), "drainlab-shard-output-"));

/** Runs `count` shards of one small load side by side in this process, as `drainlab load-shard` runs each; returns their folders. */
async function shards(name: string, count: number, runId = "r"): Promise<string[]> {
  const t0 = Date.now() + 100;
  const spec = JSON.stringify({
    drainlab_shard_spec: 1,
    run_id: runId,
    url,
    t0,
    shard: { count },
    load: { rate_per_s: 400, duration_s: 0.5, grace_s: 1, mix: [{ path: "/a" }, { method: "POST", path: "/b" }] },
  });
  const dirs = Array.from({ length: count }, (_, i) => join(dir, `${name}-${i}`));
  await Promise.all(dirs.map((out, i) => runShardSpec(parseShardSpec(spec, "spec.json", i), out)));
  return dirs;
}

describe("shard process ledgers merged", () => {
  it("two shard folders merge into the one ledger one process writes: the same ids in order, each row's shard, counts and lag added", async () => {
    const [one] = await shards("one", 1);
    const two = await shards("two", 2);
    const whole = mergeShardFolders([one!]);
    const merged = mergeShardFolders([...two].reverse(), "r");
    const a = [...whole.ledger.rows()];
    const b = [...merged.ledger.rows()];
    expect(a).toHaveLength(200);
    expect(b.map((r) => [r.id, r.seq, r.method])).toEqual(a.map((r) => [r.id, r.seq, r.method]));
    expect(b.every((r) => r.shard === r.seq % 2 && r.status === 200 && r.node === "node-1")).toBe(true);
    expect(a.some((r) => "shard" in r)).toBe(false);
    // intended times are the whole schedule's, whichever process sent them
    expect(b.map((r) => Math.round(r.intendedMs))).toEqual(a.map((r) => Math.round(r.intendedMs)));
    expect(merged.stats.scheduled).toBe(200);
    expect(merged.stats.shards?.map((s) => [s.shard, s.scheduled, typeof s.clock?.host])).toEqual([
      [0, 100, "string"],
      [1, 100, "string"],
    ]);
    // each read its start on its own clock (here: ahead of it, unless this machine is very busy)
    expect(merged.stats.shards?.every((s) => Number.isFinite(s.clock!.ready_vs_start_ms) && s.clock!.start_epoch_ms > 0)).toBe(true);
    // the folders are records: reading them leaves them in place
    merged.ledger.dispose();
    expect(mergeShardFolders(two).ledger.length).toBe(200);
  });

  it("refuses, naming the folders: a shard missing or given twice, another run's, a ledger cut short, a shard.json that is not one", async () => {
    const two = await shards("bad", 2);
    const other = await shards("other", 2, "r2");
    const refused = (dirs: string[], runId?: string) => {
      try {
        mergeShardFolders(dirs, runId);
      } catch (e) {
        expect(e).toBeInstanceOf(UsageError);
        return (e as Error).message;
      }
      throw new Error("not refused");
    };
    expect(refused([two[0]!])).toBe("shard(s) 1 of 2 missing: a merge needs every shard's folder (request i is in shard i mod 2)");
    expect(refused([two[0]!, two[0]!])).toMatch(/bad-0 and .*bad-0 are both shard 0$/);
    expect(refused([two[0]!, other[1]!])).toMatch(/other-1: a shard of run r2, not of r$/);
    expect(refused(two, "r9")).toMatch(/bad-0: a shard of run r, not of r9$/);
    const cut = join(dir, "cut-1");
    cpSync(two[1]!, cut, { recursive: true });
    truncateSync(join(cut, LEDGER_FILE), 1000);
    expect(refused([two[0]!, cut])).toMatch(/cut-1\/ledger\.bin: 1000 bytes, but shard\.json says 100 rows .*cut short in the copy$/);
    const forged = join(dir, "forged-1");
    cpSync(two[1]!, forged, { recursive: true });
    const file = JSON.parse(readFileSync(join(forged, SHARD_FILE), "utf8"));
    writeFileSync(join(forged, SHARD_FILE), JSON.stringify({ ...file, ledger: { ...file.ledger, length: "many" } }));
    expect(refused([two[0]!, forged])).toMatch(/forged-1\/shard\.json: not a drainlab shard output: field ledger\.length: /);
    expect(refused([join(dir, "nowhere")])).toMatch(/nowhere\/shard\.json/);
    // a refused merge leaves no file open: neither the ledgers read before the bad folder nor after
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    for (let i = 0; i < 20; i++) {
      refused([two[0]!, join(dir, "nowhere")]);
      refused([two[0]!, two[0]!]);
    }
    expect(open()).toBe(before);
  });
});

describe("a wall-clock instant on this process's monotonic clock", () => {
  it("is read at Date.now()'s tick: readings agree to well under a ms (one Date.now() is only good to a whole ms)", () => {
    const now = performance.now();
    const at = Date.now() + 5000;
    const reads = Array.from({ length: 5 }, () => readMonotonicAt(at).at);
    expect(Math.max(...reads) - Math.min(...reads)).toBeLessThan(0.25);
    // Date.now() read after `now`, within its ms (or later, when this test was preempted between the two)
    expect(reads[0]! - now).toBeGreaterThan(4999);
  });

  it("and back: a monotonic reading's wall-clock instant", () => {
    const t0 = performance.now() - 1234.5678;
    const rough = Date.now() - (performance.now() - t0);
    const epoch = epochAt(t0);
    expect(Math.abs(readMonotonicAt(epoch).at - t0)).toBeLessThan(0.25);
    // Date.now() is good to a whole ms, and this test may be preempted between its readings
    expect(Math.abs(epoch - rough)).toBeLessThan(50);
  });
});

describe("a shard's t0 (anchorT0)", () => {
  const t0 = performance.now() + 3000;
  const wallT0 = epochAt(t0);

  it("on the run's kernel (its boot id), from the shared monotonic clock, whatever the wall clock's instant says", () => {
    const boot = bootId();
    expect(boot, "this machine has a boot id").toBeTruthy();
    // a wall-clock instant 10 ms off (the wall clock stepped between the run's reading and the shard's)
    const a = anchorT0({ t0: wallT0 + 10, t0_host_monotonic: { boot_id: boot!, ms: toHostMonotonic(t0) } });
    expect(a.by).toBe("host-monotonic");
    expect(Math.abs(a.t0 - t0)).toBeLessThan(0.05);
    expect(a.wallMinusMonotonicMs).toBeGreaterThan(9.5);
    expect(a.wallMinusMonotonicMs).toBeLessThan(10.5);
  });

  it("elsewhere (another boot id, or none given), through the wall clock; and so where the two disagree past a second", () => {
    const elsewhere = anchorT0({ t0: wallT0 + 10, t0_host_monotonic: { boot_id: "another-kernel", ms: toHostMonotonic(t0) } });
    expect(elsewhere.by).toBe("wall-clock");
    expect(Math.abs(elsewhere.t0 - (t0 + 10))).toBeLessThan(0.25);
    expect(anchorT0({ t0: wallT0 }).by).toBe("wall-clock");
    const namespaced = anchorT0({ t0: wallT0, t0_host_monotonic: { boot_id: bootId()!, ms: toHostMonotonic(t0) + 5000 } });
    expect(namespaced).toMatchObject({ by: "wall-clock" });
    expect(Math.abs(namespaced.t0 - t0)).toBeLessThan(0.25);
  });
});

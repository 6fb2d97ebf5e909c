/**
 * One load shard in a worker thread (started by shards.ts through
 * shard-thread.mjs): once its modules are loaded it says so, then runs
 * runLoad or runClosedLoad with options.shard when told, starts at the time
 * the main thread gives, and hands its ledger back as a spill file.
 */
import { performance } from "node:perf_hooks";
import { parentPort } from "node:worker_threads";
import * as hdr from "hdr-histogram-js";
import { runClosedLoad } from "./closed.ts";
import { prepareLoad, runLoad } from "./generator.ts";
import type { Ledger } from "./ledger.ts";
import type { ClosedLoadOptions, LoadOptions, LoadResult } from "./load-options.ts";
import type { ShardData, ShardMessage } from "./shards.ts";

const port = parentPort!;
const post = (m: ShardMessage) => port.postMessage(m);
const abort = new AbortController();
let go!: (startMs: number) => void;
const started = new Promise<number>((resolve) => (go = resolve));
let t0 = 0;

let end!: (atMs: number) => void;
const endAt = new Promise<number>((resolve) => (end = resolve));

port.on(
  "message",
  (m: { type: "run"; data: ShardData } | { type: "go"; startMs: number } | { type: "end"; atMs: number } | { type: "abort" }) => {
    if (m.type === "run") void run(m.data);
    else if (m.type === "go") go(m.startMs);
    else if (m.type === "end") end(m.atMs);
    else {
      abort.abort();
      go(performance.now() - t0);
    }
  },
);

async function run(data: ShardData): Promise<void> {
  // the run's t0 in this thread's performance.now() terms
  t0 = data.t0Hr - (Number(process.hrtime.bigint()) / 1e6 - performance.now());
  const startAt = () => {
    post({ type: "ready" });
    return started;
  };
  try {
    let result: LoadResult;
    if (data.model === "open") {
      result = await runLoad({
        ...(data.options as LoadOptions),
        t0,
        signal: abort.signal,
        startAt,
        endAt,
        onProgress: (progress) => post({ type: "progress", progress }),
      });
    } else {
      result = await runClosedLoad({ ...(data.options as ClosedLoadOptions), t0, startAt });
    }
    const ledger = await (result.ledger as Ledger).handOff();
    const sends = result.sends!;
    post({
      type: "done",
      stats: result.stats,
      sessions: result.sessions,
      ledger,
      lag: hdr.encodeIntoCompressedBase64(sends.lag),
      written: sends.written,
      lastWrittenMs: sends.lastWrittenMs,
    });
  } catch (err) {
    const e = err as Error;
    post({ type: "error", message: e.message ?? String(err), ...(e.stack ? { stack: e.stack } : {}) });
  }
  // the port's listener would keep this thread alive
  port.close();
}

try {
  await prepareLoad();
  post({ type: "loaded" });
} catch (err) {
  post({ type: "error", message: (err as Error).message ?? String(err) });
}

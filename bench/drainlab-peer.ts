/**
 * One drainlab measurement in a process of its own (so its CPU, heap and
 * event loop are its own), printing one JSON line. Run by bench/run.ts:
 *   closed <url> <connections> <seconds> [shards]   closed-model peak, full ledger (shards: worker threads, default 1)
 *   open <url> <rate> <seconds> [shards]            open-model fidelity, the scenario defaults otherwise, at a drain run's priority
 *   ledger <rows> <spill|memory>           ledger memory (run with --expose-gc)
 *   ticker <rate> <seconds>                the wake-up floor: the pacer's ticker alone, no network
 *   undici <url> <connections> <seconds>   the floor under the closed-model peak: undici's pool as drainlab
 *                                          configures it, one shared no-op handler, no ledger, no clock read
 *   net <url> <connections> <seconds>      the floor under any Node client: node:net sockets writing one fixed GET
 *                                          and counting answers by their blank line (only for the bench target,
 *                                          whose answers have no body), no HTTP library
 */
import { connect } from "node:net";
import { tmpdir } from "node:os";
import { performance } from "node:perf_hooks";
import { runClosedLoad } from "../harness/load/closed.ts";
import { loadPool, runLoad } from "../harness/load/generator.ts";
import { lagHistogram, lagMs } from "../harness/load/lag.ts";
import { Ledger } from "../harness/load/ledger.ts";
import { Ticker } from "../harness/load/ticker.ts";
import type { GeneratorStats } from "../harness/records/generator-stats.ts";
import { Scenario } from "../harness/scenario/schema.ts";
import { generatorCheck } from "../harness/verdict/generator-check.ts";
import { BlankLines } from "./peers.ts";

const [mode, ...args] = process.argv.slice(2);

function out(result: object): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The generator's own CPU per request over its schedule, microseconds. */
function cpuUsPerRequest(stats: GeneratorStats, requests: number): number {
  return (stats.cpuShareOfOneCore * (stats.endMs - stats.startMs) * 1000) / Math.max(1, requests);
}

if (mode === "closed") {
  const [url, connections, seconds, shards] = args;
  const { ledger, stats } = await runClosedLoad({
    url: url!,
    connections: Number(connections),
    durationS: Number(seconds),
    idPrefix: "bench",
    t0: performance.now(),
    shards: Number(shards ?? 1),
  });
  let answered = 0;
  for (const r of ledger.rows()) if (r.error === "none") answered++;
  ledger.dispose();
  out({ requests: ledger.length, answered, stats, cpuUsPerRequest: cpuUsPerRequest(stats, ledger.length) });
} else if (mode === "undici") {
  const [url, connections, seconds] = args;
  const pool = loadPool(url!, { max_connections: Number(connections), timeout_s: 30 });
  let answered = 0;
  let failed = 0;
  let running = true;
  let open = 0;
  let idle: () => void = () => {};
  const next = () => {
    open++;
    pool.dispatch({ path: "/", method: "GET" }, handler);
  };
  const finished = () => {
    open--;
    if (running) next();
    else if (open === 0) idle();
  };
  const handler = {
    onConnect() {},
    onHeaders: () => true,
    onData: () => true,
    onComplete() {
      answered++;
      finished();
    },
    onError() {
      failed++;
      finished();
    },
  };
  const start = performance.now();
  for (let i = 0; i < Number(connections); i++) next();
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  running = false;
  const elapsedMs = performance.now() - start;
  await new Promise<void>((resolve) => {
    idle = resolve;
    if (open === 0) resolve();
  });
  await pool.close();
  out({ requests: answered + failed, answered, failed, reqPerS: ((answered + failed) / elapsedMs) * 1000 });
} else if (mode === "net") {
  const [url, connections, seconds] = args;
  const { hostname, port } = new URL(url!);
  const request = Buffer.from(`GET / HTTP/1.1\r\nHost: ${hostname}:${port}\r\n\r\n`, "latin1");
  let answered = 0;
  let failed = 0;
  let running = true;
  const sockets = Array.from({ length: Number(connections) }, () => {
    const socket = connect({ host: hostname, port: Number(port), noDelay: true });
    const answers = new BlankLines();
    socket.on("connect", () => socket.write(request));
    socket.on("data", (chunk: Buffer) => {
      for (let n = answers.count(chunk); n > 0; n--) {
        answered++;
        if (running) socket.write(request);
      }
    });
    socket.on("error", () => failed++);
    return socket;
  });
  const start = performance.now();
  await new Promise((resolve) => setTimeout(resolve, Number(seconds) * 1000));
  running = false;
  const elapsedMs = performance.now() - start;
  for (const s of sockets) s.destroy();
  out({ requests: answered, answered, failed, reqPerS: (answered / elapsedMs) * 1000 });
} else if (mode === "open") {
  const [url, rate, seconds, shards] = args;
  const scenario = Scenario.parse({
    name: "bench-open",
    load: {
      shards: shards === "auto" ? "auto" : Number(shards ?? 1),
      rate_per_s: Number(rate),
      duration_s: Number(seconds),
      warmup_s: 0,
      grace_s: 2,
      mix: [{ method: "GET", ms: 0, body_bytes: 0 }],
    },
    // the load alone: no drain
    drain: { enabled: false },
  });
  // as in a drain run (harness/run.ts): the generator ahead of the target it shares the cores with
  const { ledger, stats } = await runLoad({
    url: url!,
    load: scenario.load,
    idPrefix: "bench",
    t0: performance.now(),
    raisePriority: true,
  });
  let answered = 0;
  for (const r of ledger.rows()) if (r.error === "none") answered++;
  ledger.dispose();
  out({ requests: ledger.length, answered, stats, check: generatorCheck(stats, scenario) });
} else if (mode === "ledger") {
  const rows = Number(args[0]);
  const spill = args[1] === "spill";
  // 1000 requests in flight at any time, as at 10k req/s with 100 ms answers
  const inFlight = 1000;
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error("run with --expose-gc");
  const memory = () => {
    const m = process.memoryUsage();
    return m.heapUsed + m.arrayBuffers;
  };
  gc();
  const base = memory();
  let peak = 0;
  const start = performance.now();
  const ledger = new Ledger("bench", ["GET", "POST"], { spillDir: spill ? tmpdir() : false });
  for (let i = 0; i < rows; i++) {
    ledger.begin(i & 1, 10, i, i + 0.1);
    if (i >= inFlight) ledger.finish(i - inFlight, i + 5, 200, "none", "node-1", 42);
    if ((i & 4095) === 0) {
      peak = Math.max(peak, memory() - base);
      // a real load turns the event loop all the time; the spill writes complete there
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
  for (let i = Math.max(0, rows - inFlight); i < rows; i++) ledger.finish(i, i + 5, 200, "none", "node-2", 42);
  const msTotal = performance.now() - start;
  await ledger.flush();
  peak = Math.max(peak, memory() - base);
  gc();
  const retained = memory() - base;
  // everything was written and can be read back
  let readBack = 0;
  for (const r of ledger.rows()) if (r.status === 200 && r.bytes === 42) readBack++;
  out({
    rows,
    spill,
    peakBytes: peak,
    retainedBytes: retained,
    residentRows: ledger.residentRows,
    spilledChunks: ledger.spilledChunks,
    readBack,
    msTotal,
  });
  ledger.dispose();
} else if (mode === "ticker") {
  const rate = Number(args[0]);
  const total = Math.floor(rate * Number(args[1]));
  const intervalMs = 1000 / rate;
  const lag = lagHistogram();
  let next = 0;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  let startMs = 0;
  const ticker = await Ticker.start(() => {
    const now = performance.now();
    for (; next < total && startMs + next * intervalMs <= now; next++)
      lag.recordValue(Math.round((now - startMs - next * intervalMs) * 1000));
    if (next < total) ticker.at(startMs + next * intervalMs);
    else done();
  });
  startMs = performance.now() + 20;
  ticker.at(startMs);
  await finished;
  await ticker.stop();
  out({ rate, ticks: total, lagMs: lagMs(lag) });
} else {
  throw new Error(`unknown mode ${mode}`);
}

import { once } from "node:events";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { performance } from "node:perf_hooks";
import { Pool } from "undici";
import { lagHistogram } from "./lag.ts";
import { Ledger } from "./ledger.ts";
import { RequestMix, seededRandom } from "./mix.ts";
import { retryPool, Sender } from "./sender.ts";

const WARM_UP_REQUESTS = 400;
const WARM_UP_CONNECTIONS = 8;
let warmed: Promise<void> | undefined;

/**
 * Runs the sender's code path once against a throwaway server inside this
 * process (127.0.0.1, ephemeral port), before the first schedule starts.
 * Otherwise the first requests of a run pay for undici compiling its
 * llhttp WebAssembly and for V8 compiling the sender, which at 5k req/s is
 * 100+ ms of send lag that belongs to no server.
 */
export function warmUp(): Promise<void> {
  warmed ??= run();
  return warmed;
}

async function run(): Promise<void> {
  const server = createServer((req, res) => {
    req.resume();
    res.setHeader("x-node", "warm-up");
    res.end("ok");
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const pool = new Pool(url, { connections: WARM_UP_CONNECTIONS, pipelining: 1 });
  const kinds = [
    { weight: 1, method: "GET" as const, ms: 0, body_bytes: 0 },
    { weight: 1, method: "POST" as const, ms: 0, body_bytes: 64 },
  ];
  const mix = new RequestMix(kinds, seededRandom(1));
  const ledger = new Ledger("warm-up", ["GET", "POST"], { spillDir: false });
  const t0 = performance.now();
  let left = WARM_UP_REQUESTS;
  let done!: () => void;
  const finished = new Promise<void>((resolve) => (done = resolve));
  const sendOne = () => {
    const req = mix.next();
    const now = performance.now() - t0;
    sender.send(ledger.begin(req.kind, req.serviceMs, now, now), req);
  };
  const sender: Sender = new Sender({
    pool,
    // retries are off here; the pool opens no connection unless one is needed
    retryPool: retryPool(url, 5_000),
    ledger,
    t0,
    retryOnReset: "off",
    lag: lagHistogram(),
    onFinished: () => {
      if (--left >= WARM_UP_CONNECTIONS) sendOne();
      else if (sender.inFlight === 0) done();
    },
  });
  try {
    for (let i = 0; i < WARM_UP_CONNECTIONS; i++) sendOne();
    await finished;
  } finally {
    await sender.destroyPools();
    server.closeAllConnections();
    server.close();
  }
}

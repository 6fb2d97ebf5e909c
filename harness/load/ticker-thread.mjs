// The ticker's thread (see ticker.ts). Plain JavaScript so it loads the same under tsx, vitest and plain node.
// It sleeps in Atomics.wait, which takes fractional milliseconds, until the time the main thread asked for,
// then posts one wake-up; it posts no second one until the main thread has handled the first.

import { parentPort, workerData } from "node:worker_threads";

const { gen, due, GEN, PENDING, DUE } = workerData;
const words = new Int32Array(gen);
const times = new Float64Array(due);
// the process's monotonic clock, the same in every thread (ticker.ts converts the main thread's times to it)
const now = () => Number(process.hrtime.bigint()) / 1e6;
const MAX_SLEEP_MS = 1000;

for (;;) {
  const g = Atomics.load(words, GEN);
  const at = times[DUE];
  if (at < 0) break;
  const wait = at - now();
  if (wait > 0) {
    Atomics.wait(words, GEN, g, Math.min(wait, MAX_SLEEP_MS));
    continue;
  }
  if (Atomics.compareExchange(words, PENDING, 0, 1) === 0) parentPort.postMessage(0);
  // until the main thread sets the next time (it bumps GEN)
  Atomics.wait(words, GEN, g, MAX_SLEEP_MS);
}

import { once } from "node:events";
import { performance } from "node:perf_hooks";
import { Worker } from "node:worker_threads";

const GEN = 0;
const PENDING = 1;
const DUE = 0;

/**
 * Wakes the event loop at a time given in fractions of a millisecond.
 * setTimeout rounds to whole milliseconds, so at 5k req/s a pacer built on
 * it sends in bursts up to 1 ms late; busy-polling with setImmediate would
 * hide real saturation behind a loop that is always 100% busy. A small
 * thread sleeps in Atomics.wait instead and posts one message when the time
 * comes, which wakes the loop within tens of microseconds.
 */
export class Ticker {
  private readonly worker: Worker;
  private readonly words = new Int32Array(new SharedArrayBuffer(8));
  private readonly times = new Float64Array(new SharedArrayBuffer(8));
  private stopped = false;
  /**
   * The thread sleeps on the process's monotonic clock (process.hrtime, the same in every thread): each
   * thread's performance.now() counts from its own performance.timeOrigin, so two threads would disagree by
   * any jump of the wall clock between their starts. hrtime minus this thread's performance.now(): a constant.
   */
  private readonly hrOffset = Number(process.hrtime.bigint()) / 1e6 - performance.now();

  /** A ticker whose thread is up and running (starting one takes tens of ms: not something to do on the clock). */
  static async start(onTick: () => void): Promise<Ticker> {
    const ticker = new Ticker(onTick);
    await once(ticker.worker, "online");
    return ticker;
  }

  /** `onTick` runs on the main thread; call at() from it (or any time) to set the next wake-up. */
  private constructor(private readonly onTick: () => void) {
    this.times[DUE] = Number.POSITIVE_INFINITY;
    this.worker = new Worker(new URL("./ticker-thread.mjs", import.meta.url), {
      workerData: { gen: this.words.buffer, due: this.times.buffer, GEN, PENDING, DUE },
      // plain JavaScript: no need for the TypeScript loader (tsx) the main thread may run under
      execArgv: [],
    });
    this.worker.on("message", () => {
      Atomics.store(this.words, PENDING, 0);
      if (!this.stopped) this.onTick();
    });
  }

  /** Wake at `ms` (this thread's performance.now() terms); Infinity: not until told. */
  at(ms: number): void {
    this.times[DUE] = ms + this.hrOffset;
    Atomics.add(this.words, GEN, 1);
    Atomics.notify(this.words, GEN);
  }

  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.at(-1);
    await this.worker.terminate();
  }
}

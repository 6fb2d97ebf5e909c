import { performance } from "node:perf_hooks";
import type { Histogram } from "hdr-histogram-js";
import { type Dispatcher, Pool } from "undici";
import { classifyError, ERROR_CLASSES, type ErrorClass } from "../records/error-class.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { Ledger } from "./ledger.ts";
import type { PlannedRequest } from "./mix.ts";

const NONE = ERROR_CLASSES.indexOf("none");
const HTTP_4XX = ERROR_CLASSES.indexOf("http-4xx");
const HTTP_5XX = ERROR_CLASSES.indexOf("http-5xx");
const UNANSWERED = ERROR_CLASSES.indexOf("unanswered");
const OTHER = ERROR_CLASSES.indexOf("other");
/** "x-node" in bytes: the response header naming the node that answered. */
const X_NODE = Buffer.from("x-node");

export interface SenderOptions {
  pool: Pool;
  /**
   * Where retries go, each on a connection of its own that is closed after it
   * (undici's reset: true). The connection that was reset was one nginx's
   * reload closed, and so may be every other idle one in `pool`; a retry on
   * one of those fails the same way (seen: two resets 4 ms apart).
   */
  retryPool: Pool;
  ledger: Ledger;
  /** performance.now() of the run's t0. */
  t0: number;
  retryOnReset: Scenario["load"]["retry_on_reset"];
  /** Send lag (written minus intended), in microseconds. */
  lag: Histogram;
  /** Called after each request has its final ledger row. */
  onFinished?: () => void;
}

/** A pool for SenderOptions.retryPool: connections opened on demand, none before a retry needs one. */
export function retryPool(url: string, timeoutMs: number): Pool {
  return new Pool(url, { pipelining: 1, headersTimeout: timeoutMs, bodyTimeout: timeoutMs, connectTimeout: timeoutMs });
}

/**
 * Sends ledgered requests through undici's dispatcher API: no promise, stream
 * or header object per request, only one small handler. A request's sent time
 * is when undici writes it to a connection, not when it was handed over, so
 * waiting for a free connection shows up as send lag.
 */
export class Sender {
  ok = 0;
  failed = 0;
  /** Handed to the pool and not yet finished. */
  inFlight = 0;
  maxInFlight = 0;
  /** Handed to the pool and not yet written to a connection. */
  waiting = 0;
  maxWaiting = 0;
  clientRetries = 0;
  /** First attempts written to a connection so far, and when the latest one was (ms since t0). */
  written = 0;
  lastWrittenMs = Number.NaN;
  /** Set before destroying the pool: requests still open are then unanswered, not failed. */
  abandoned = false;

  constructor(readonly options: SenderOptions) {}

  send(seq: number, req: PlannedRequest): void {
    this.inFlight++;
    this.waiting++;
    if (this.inFlight > this.maxInFlight) this.maxInFlight = this.inFlight;
    if (this.waiting > this.maxWaiting) this.maxWaiting = this.waiting;
    new Exchange(this, seq, req).dispatch();
  }

  /** @internal */
  onWritten(ex: Exchange): void {
    const now = performance.now() - this.options.t0;
    this.waiting--;
    this.options.ledger.sent(ex.seq, now);
    this.countSend(ex.intendedMs, now);
  }

  /** A send that left at `nowMs` for `intendedMs`: in the rate (written) and the send lag. Sessions count theirs here too. */
  countSend(intendedMs: number, nowMs: number): void {
    this.written++;
    this.lastWrittenMs = nowMs;
    const lagUs = (nowMs - intendedMs) * 1000;
    this.options.lag.recordValue(lagUs > 0 ? Math.round(lagUs) : 0);
  }

  /** After the pool was destroyed: whatever is still open was never answered. */
  abandonRest(): void {
    this.abandoned = true;
    this.options.ledger.finishOpen(performance.now() - this.options.t0, "unanswered");
    this.inFlight = 0;
    this.waiting = 0;
  }

  /** @internal */
  done(ex: Exchange, status: number, errorIndex: number, nodeIndex: number, bytes: number): void {
    // a late callback for a request abandonRest() already recorded
    if (this.abandoned && !this.options.ledger.isLiveOpen(ex.seq)) return;
    if (!ex.wasWritten) this.waiting--;
    this.inFlight--;
    if (errorIndex === NONE) this.ok++;
    else if (errorIndex !== UNANSWERED) this.failed++;
    this.options.ledger.finishAt(ex.seq, performance.now() - this.options.t0, status, errorIndex, nodeIndex, bytes);
    this.options.onFinished?.();
  }

  /** Ends every connection at once (both pools). */
  async destroyPools(): Promise<void> {
    const { pool, retryPool } = this.options;
    await Promise.all([pool.destroy().catch(() => {}), retryPool.destroy().catch(() => {})]);
  }

  /** @internal */
  mayRetry(ex: Exchange, error: ErrorClass): boolean {
    const policy = this.options.retryOnReset;
    // a connection closed before any response byte: retry once, as HTTP clients do (RFC 9112 9.3.1)
    return (
      error === "reset" &&
      !ex.responded &&
      !this.abandoned &&
      (policy === "all" || (policy === "idempotent" && ex.req.idempotent)) &&
      this.options.ledger.attemptsOf(ex.seq) === 1
    );
  }
}

/** One request's trip through undici (legacy handler hooks: raw header buffers, nothing parsed that is not read). */
class Exchange implements Dispatcher.DispatchHandler {
  readonly intendedMs: number;
  wasWritten = false;
  responded = false;
  private status = 0;
  private nodeIndex = 0;
  private bytes = 0;

  constructor(
    private readonly sender: Sender,
    readonly seq: number,
    readonly req: PlannedRequest,
  ) {
    this.intendedMs = sender.options.ledger.intendedOf(seq);
  }

  dispatch(retry = false): void {
    const { ledger, pool, retryPool } = this.sender.options;
    const id = ledger.idOf(this.seq);
    const { req } = this;
    (retry ? retryPool : pool).dispatch(
      {
        path: req.path,
        method: req.method,
        headers: ["x-request-id", id, ...req.headers],
        body: req.body,
        reset: retry,
      },
      this,
    );
  }

  onConnect(): void {
    if (this.wasWritten) return;
    this.wasWritten = true;
    this.sender.onWritten(this);
  }

  onHeaders(statusCode: number, headers: Buffer[]): boolean {
    if (statusCode < 200) return true;
    this.responded = true;
    this.status = statusCode;
    for (let i = 0; i < headers.length; i += 2) {
      const name = headers[i]!;
      if (name.length === X_NODE.length && name.toString("latin1").toLowerCase() === "x-node") {
        this.nodeIndex = this.sender.options.ledger.nodeIndex(headers[i + 1]!.toString("latin1"));
      }
    }
    return true;
  }

  onData(chunk: Buffer): boolean {
    this.bytes += chunk.length;
    return true;
  }

  onComplete(): void {
    const s = this.status;
    const ok = this.req.okStatus ? this.req.okStatus.has(s) : s < 400;
    this.sender.done(this, s, ok ? NONE : s >= 500 ? HTTP_5XX : s >= 400 ? HTTP_4XX : OTHER, this.nodeIndex, this.bytes);
  }

  onError(err: Error): void {
    const { sender } = this;
    if (sender.abandoned) return sender.done(this, 0, UNANSWERED, 0, 0);
    const error = classifyError(err);
    if (sender.mayRetry(this, error)) {
      sender.options.ledger.retried(this.seq);
      sender.clientRetries++;
      this.bytes = 0;
      return this.dispatch(true);
    }
    sender.done(this, 0, ERROR_CLASSES.indexOf(error), 0, 0);
  }
}

import type { Reporter, RunProgress } from "./reporter.ts";

export interface LiveProgressOptions {
  /** Default process.stderr. */
  stream?: { write(text: string): unknown; isTTY?: boolean };
  /** One redrawn line (`\r`); default: the stream is a TTY and CI is unset. */
  live?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Without a TTY, one plain line this often (and at each phase change). */
  plainIntervalMs?: number;
}

const RATE_WINDOW_MS = 1000;
const PLAIN_INTERVAL_MS = 2000;

/**
 * The CLI's running status: phase, elapsed, send rate, ok, failed. Redraws one
 * line on a terminal; writes a plain line every 2 s in CI logs and pipes.
 */
export class LiveProgress implements Reporter {
  readonly name = "progress";
  private readonly stream: NonNullable<LiveProgressOptions["stream"]>;
  private readonly live: boolean;
  private readonly plainIntervalMs: number;
  private readonly window: Array<{ elapsedMs: number; sent: number }> = [];
  private lastPlainMs = -Infinity;
  private lastPhase: string | undefined;
  private drawn = false;

  constructor(options: LiveProgressOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    const env = options.env ?? process.env;
    this.live = options.live ?? (Boolean(this.stream.isTTY) && !env.CI);
    this.plainIntervalMs = options.plainIntervalMs ?? PLAIN_INTERVAL_MS;
  }

  update(p: RunProgress): void {
    const line = this.format(p);
    if (this.live) {
      this.stream.write(`\r${line}\x1b[K`);
      this.drawn = true;
    } else if (p.phase !== this.lastPhase || p.elapsedMs - this.lastPlainMs >= this.plainIntervalMs) {
      this.lastPlainMs = p.elapsedMs;
      this.stream.write(`${line}\n`);
    }
    this.lastPhase = p.phase;
  }

  /** Clears the live line so the next output starts on a clean one. */
  done(): void {
    if (this.live && this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }

  onProgress(p: RunProgress): void {
    this.update(p);
  }

  onEnd(): void {
    this.done();
  }

  /** Requests sent per second over the last second (the whole run until a second has passed). */
  private sendRate(p: Pick<RunProgress, "elapsedMs" | "sent">): number {
    this.window.push({ elapsedMs: p.elapsedMs, sent: p.sent });
    while (this.window.length > 2 && p.elapsedMs - this.window[1]!.elapsedMs >= RATE_WINDOW_MS) this.window.shift();
    const first = this.window[0]!;
    const spanMs = p.elapsedMs - first.elapsedMs;
    if (spanMs >= RATE_WINDOW_MS / 2) return ((p.sent - first.sent) * 1000) / spanMs;
    return p.elapsedMs > 0 ? (p.sent * 1000) / p.elapsedMs : 0;
  }

  private format(p: RunProgress): string {
    const rate = this.sendRate(p);
    return [
      p.phase.padEnd(14),
      `${(p.elapsedMs / 1000).toFixed(1).padStart(6)} s`,
      `${rate.toFixed(0).padStart(5)}/s`,
      `sent ${p.sent}`,
      `ok ${p.ok}`,
      `failed ${p.failed}`,
      `in flight ${p.inFlight}`,
    ].join("  ");
  }
}

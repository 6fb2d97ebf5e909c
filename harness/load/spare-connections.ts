import { connect, type Socket } from "node:net";
import { buildConnector } from "undici";

/**
 * Connections opened before a schedule starts and handed to undici's pool
 * first. Opening one costs about 0.3 ms of the generator's time (connect,
 * undici's client and parser), so at thousands of requests per second a
 * cold pool falls behind while it grows, and every request that waits for a
 * connection is sent late. Idle connections cost the server nothing it logs.
 */
export class SpareConnections {
  private readonly spare: Socket[] = [];

  private constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  /** Opens `count` connections to `url`; those that fail are left out (the pool then connects as usual). */
  static async open(url: string, count: number, timeoutMs: number): Promise<SpareConnections> {
    const { hostname, port } = new URL(url);
    const spares = new SpareConnections(hostname, Number(port || 80));
    await Promise.all(Array.from({ length: count }, () => spares.openOne(timeoutMs)));
    return spares;
  }

  /** undici's `connect` option: a spare connection while any is left open, else a new one. */
  connector(options: buildConnector.BuildOptions): buildConnector.connector {
    const fresh = buildConnector(options);
    return (opts, callback) => {
      for (let s = this.spare.pop(); s; s = this.spare.pop()) {
        // never synchronously: undici's client is still inside its connect() when the callback runs
        if (!s.destroyed && s.readyState === "open") return queueMicrotask(() => callback(null, s));
      }
      return fresh(opts, callback);
    };
  }

  get count(): number {
    return this.spare.length;
  }

  /** Closes the connections nobody took. */
  close(): void {
    for (const s of this.spare.splice(0)) s.destroy();
  }

  private async openOne(timeoutMs: number): Promise<void> {
    const s = connect({ host: this.host, port: this.port, noDelay: true, keepAlive: true, keepAliveInitialDelay: 60_000 });
    // errors after the hand-over are undici's to see; until then a failed spare is only dropped
    s.on("error", () => s.destroy());
    const timer = setTimeout(() => s.destroy(), timeoutMs);
    // refused or timed out: no spare, and the pool will connect by itself
    const connected = await new Promise<boolean>((resolve) => {
      s.once("connect", () => resolve(true));
      s.once("close", () => resolve(false));
    });
    clearTimeout(timer);
    if (connected) this.spare.push(s);
  }
}

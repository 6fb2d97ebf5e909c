import type Dockerode from "dockerode";
import { type BoundPorts, IntervalRetry, type WaitStrategy } from "testcontainers";
import { request } from "undici";

/** How often readiness is polled. */
export const READY_POLL_INTERVAL_MS = 50;
/** Each poll may take this long: a node importing FastAPI on two busy cores can be slow to answer its first request. */
export const READY_REQUEST_TIMEOUT_MS = 2_000;
export const STARTUP_TIMEOUT_MS = 60_000;

/**
 * Resolves when GET `url` answers 200. Testcontainers' own Wait.forHttp polls
 * once a second (its interval is its read timeout), which cost a run up to a
 * second per stage; this polls every 50 ms and still gives each request 2 s.
 * A container that exits meanwhile ends the wait at once, with its exit code.
 */
export async function waitForHttp(container: Dockerode.Container, url: string, timeoutMs = STARTUP_TIMEOUT_MS): Promise<void> {
  const outcome = await new IntervalRetry<"ready" | "exited" | "not yet", never>(READY_POLL_INTERVAL_MS).retryUntil(
    () => poll(container, url),
    (r) => r !== "not yet",
    () => {
      throw new Error(`${new URL(url).pathname} did not answer 200 within ${timeoutMs} ms`);
    },
    timeoutMs,
  );
  if (outcome === "exited") {
    const { State } = await container.inspect();
    throw new Error(`the container exited with code ${State.ExitCode} before ${new URL(url).pathname} answered`);
  }
}

async function poll(container: Dockerode.Container, url: string): Promise<"ready" | "exited" | "not yet"> {
  try {
    const res = await request(url, { signal: AbortSignal.timeout(READY_REQUEST_TIMEOUT_MS), headers: { connection: "close" } });
    await res.body.dump();
    if (res.statusCode === 200) return "ready";
  } catch {
    // refused or reset while the server starts
  }
  const { State } = await container.inspect();
  return State.Running ? "not yet" : "exited";
}

abstract class Strategy implements WaitStrategy {
  protected startupTimeoutMs = STARTUP_TIMEOUT_MS;
  private timeoutSet = false;

  abstract waitUntilReady(container: Dockerode.Container, boundPorts: BoundPorts): Promise<void>;

  withStartupTimeout(startupTimeoutMs: number): this {
    this.startupTimeoutMs = startupTimeoutMs;
    this.timeoutSet = true;
    return this;
  }

  isStartupTimeoutSet(): boolean {
    return this.timeoutSet;
  }

  getStartupTimeout(): number {
    return this.startupTimeoutMs;
  }
}

/** Testcontainers' wait strategy for waitForHttp on a published port (at 127.0.0.1). */
export class HttpReady extends Strategy {
  constructor(
    private readonly path: string,
    private readonly port: number,
  ) {
    super();
  }

  waitUntilReady(container: Dockerode.Container, boundPorts: BoundPorts): Promise<void> {
    return waitForHttp(container, `http://127.0.0.1:${boundPorts.getBinding(this.port)}${this.path}`, this.startupTimeoutMs);
  }
}

/** Ready once started: for containers whose readiness the caller awaits itself, in parallel with other work. */
export class StartedOnly extends Strategy {
  async waitUntilReady(): Promise<void> {}
}

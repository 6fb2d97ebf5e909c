import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import { engineLost } from "../env/engine.ts";
import { EnvironmentError } from "../util/errors.ts";

/** Rejects with the signal's reason when it aborts, whether or not `work` ever settles. */
export function abortable<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener("abort", onAbort));
  });
}

const ENGINE_WATCH_INTERVAL_MS = 1_000;

/** Pings the engine while the load runs; when it stops answering, aborts the run (the load ends, the drain's wait too). */
export function watchEngine(docker: Docker, abort: AbortController): { stop(): void; readonly lostAtMs: number | null } {
  let stopped = false;
  const state = {
    lostAtMs: null as number | null,
    stop: () => {
      stopped = true;
    },
  };
  void (async () => {
    while (!stopped && !abort.signal.aborted) {
      await new Promise((r) => setTimeout(r, ENGINE_WATCH_INTERVAL_MS).unref());
      if (stopped || abort.signal.aborted) return;
      if (await engineLost(docker)) {
        state.lostAtMs = performance.now();
        abort.abort(new EnvironmentError("the Docker engine stopped answering"));
        return;
      }
    }
  })();
  return state;
}

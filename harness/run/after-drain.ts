import { performance } from "node:perf_hooks";
import type { Scenario } from "../scenario/schema.ts";

/**
 * load.after_drain_s: the load's schedule ends that long after the drain is done
 * (every node's exit, its re-add in a rolling drain, and every fault's end), or
 * at load.duration_s if that comes first. A drain takes as long as the machine
 * makes it (a restart on a busy machine, a slow exit); a fixed load can end
 * before it and prove nothing, while this one ends a known tail after it.
 * `endAt` goes to runLoad; `drained()` is called once the drain (and the faults) have returned.
 */
export function afterDrain(load: Scenario["load"], t0: number): { endAt?: Promise<number>; drained: () => void } {
  const tailS = load.after_drain_s;
  if (tailS === null) return { drained: () => {} };
  let resolve!: (ms: number) => void;
  const endAt = new Promise<number>((r) => (resolve = r));
  return { endAt, drained: () => resolve(performance.now() - t0 + tailS * 1000) };
}

/** The timeline's load-start detail: the schedule as declared. */
export function loadStartDetail(load: Scenario["load"]): { rate_per_s: number; duration_s: number; after_drain_s?: number } {
  return {
    rate_per_s: load.rate_per_s,
    duration_s: load.duration_s,
    ...(load.after_drain_s !== null ? { after_drain_s: load.after_drain_s } : {}),
  };
}

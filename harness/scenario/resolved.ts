import type { Scenario } from "./schema.ts";
import { type TimeoutChain, timeoutChain } from "./timeout-chain.ts";
import { nodeName } from "./topology.ts";

/**
 * The scenario resolved once, before the load: what the user declared, what
 * the run really stands on (with `system:`, the settings read from the
 * nodes), the timeout chain of that, and the nodes. Built once per run and
 * never changed; stages, verdict and views read it instead of recomputing.
 */
export interface Resolved {
  /** The scenario as written, defaults filled in. */
  readonly declared: Scenario;
  /** The effective scenario: `declared` with the settings read from a user's nodes in place (the same object without `system:`). */
  readonly scenario: Scenario;
  /** The timeout chain of the effective scenario: the one every user of the graceful limit reads. */
  readonly chain: TimeoutChain;
  /** node-1 .. node-N. */
  readonly nodes: readonly string[];
}

export function resolveScenario(declared: Scenario, effective: Scenario = declared): Resolved {
  return Object.freeze({
    declared,
    scenario: effective,
    chain: Object.freeze(timeoutChain(effective)),
    nodes: Object.freeze(Array.from({ length: effective.stack.nodes }, (_, i) => nodeName(i + 1))),
  });
}

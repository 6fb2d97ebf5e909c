/**
 * The stack's topology, named once: what the nodes are called, the port the
 * app listens on inside each, and the flag that makes a node report draining.
 */

/** The port the app listens on inside every node; nginx's $upstream_addr carries it. */
export const APP_PORT = 8000;

/** The file whose presence makes the fixture's /health answer 503 "draining" (fixtures/app/app.py). */
export const DRAIN_FLAG_PATH = "/tmp/drainlab-draining";

/** node-1 ... node-N, 1-based as in the scenario (drain.target, faults[].target). */
export function nodeName(index: number): string {
  return `node-${index}`;
}

/** How nginx's access log names an attempt on a node at `address`; an address with its port (attach) as it is. */
export function upstreamAddr(address: string): string {
  return /^[^:]+:\d+$|^\[.*\]:\d+$/.test(address) ? address : `${address}:${APP_PORT}`;
}

/** The targets of a scenario's drain, in order: one node, or every node in turn (rolling). */
export function drainTargets(scenario: { drain: { target: number; rolling: boolean }; stack: { nodes: number } }): string[] {
  const { drain, stack } = scenario;
  if (!drain.rolling) return [nodeName(drain.target)];
  return Array.from({ length: stack.nodes }, (_, i) => nodeName(((drain.target - 1 + i) % stack.nodes) + 1));
}

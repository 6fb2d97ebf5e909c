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

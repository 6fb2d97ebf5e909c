import type { Timeline } from "./timeline.ts";

export type HealthState = "ok" | "draining" | "down";

/** One change of a node's state, as the monitor saw it (t_ms on the run's timeline). */
export interface HealthChange {
  node: string;
  state: HealthState;
  previous: HealthState | null;
  t_ms: number;
}

export interface MonitoredNode {
  name: string;
  directUrl: string;
}

/**
 * The operators' health monitor: polls every node's /health directly (not
 * through nginx) and puts each change of state on the timeline. Open-source
 * nginx has only passive checks, so the harness plays this part.
 */
export class HealthMonitor {
  private readonly states = new Map<string, HealthState>();
  private readonly waiters: Array<{ node: string; state: HealthState; resolve: () => void }> = [];
  private timer: NodeJS.Timeout | undefined;
  private polling = false;
  private readonly listeners = new Set<(change: HealthChange) => void>();

  constructor(
    private readonly nodes: MonitoredNode[],
    private readonly timeline: Timeline,
    private readonly intervalMs: number,
  ) {}

  start(): this {
    this.timer = setInterval(() => void this.poll(), this.intervalMs);
    void this.poll();
    return this;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  /** Calls `listener` on every change of a node's state (the health-driven removal reacts to these); returns an unsubscribe. */
  onChange(listener: (change: HealthChange) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(node: string): HealthState | undefined {
    return this.states.get(node);
  }

  /** Resolves when the monitor has seen `node` in `state` (true), or after timeoutMs (false). */
  waitFor(node: string, state: HealthState, timeoutMs: number): Promise<boolean> {
    if (this.states.get(node) === state) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.waiters.push({ node, state, resolve: () => (clearTimeout(timer), resolve(true)) });
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all(this.nodes.map(async (n) => this.observe(n.name, await probe(n.directUrl, this.intervalMs))));
    } finally {
      this.polling = false;
    }
  }

  private observe(node: string, state: HealthState): void {
    if (this.states.get(node) === state) return;
    const previous = this.states.get(node);
    this.states.set(node, state);
    const { t_ms } = this.timeline.add("health", { node, state, previous: previous ?? null });
    for (const listener of this.listeners) listener({ node, state, previous: previous ?? null, t_ms });
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.node === node && w.state === state) {
        this.waiters.splice(i, 1);
        w.resolve();
      }
    }
  }
}

async function probe(directUrl: string, timeoutMs: number): Promise<HealthState> {
  try {
    const res = await fetch(`${directUrl}/health`, { signal: AbortSignal.timeout(Math.max(timeoutMs, 200)) });
    await res.arrayBuffer();
    return res.status === 200 ? "ok" : "draining";
  } catch {
    return "down";
  }
}

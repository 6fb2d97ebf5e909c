import type { Timeline } from "../clock/timeline.ts";

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
  /** The node's health path: /health for the fixture, system.app.health_path for a user's app. */
  healthPath: string;
}

/**
 * The operators' health monitor: polls every node's /health directly (not
 * through nginx) and puts each change of state on the timeline. Open-source
 * nginx has only passive checks, so the harness plays this part.
 */
export class HealthMonitor {
  private readonly states = new Map<string, { state: HealthState; t_ms: number }>();
  private readonly waiters: Array<{ node: string; state: HealthState; resolve: (t_ms: number) => void }> = [];
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
    return this.states.get(node)?.state;
  }

  /** Resolves with when the monitor first saw `node` in `state` (ms on the timeline; earlier, if it is in it already), or with null after timeoutMs. */
  waitFor(node: string, state: HealthState, timeoutMs: number): Promise<number | null> {
    const now = this.states.get(node);
    if (now?.state === state) return Promise.resolve(now.t_ms);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(null), timeoutMs);
      this.waiters.push({ node, state, resolve: (t_ms) => (clearTimeout(timer), resolve(t_ms)) });
    });
  }

  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      await Promise.all(this.nodes.map(async (n) => this.observe(n.name, await probe(`${n.directUrl}${n.healthPath}`, this.intervalMs))));
    } finally {
      this.polling = false;
    }
  }

  private observe(node: string, state: HealthState): void {
    const previous = this.states.get(node)?.state;
    if (previous === state) return;
    const { t_ms } = this.timeline.add("health", { node, state, previous: previous ?? null });
    this.states.set(node, { state, t_ms });
    for (const listener of this.listeners) listener({ node, state, previous: previous ?? null, t_ms });
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      const w = this.waiters[i]!;
      if (w.node === node && w.state === state) {
        this.waiters.splice(i, 1);
        w.resolve(t_ms);
      }
    }
  }
}

async function probe(url: string, timeoutMs: number): Promise<HealthState> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(Math.max(timeoutMs, 200)) });
    await res.arrayBuffer();
    return res.status === 200 ? "ok" : "draining";
  } catch {
    return "down";
  }
}

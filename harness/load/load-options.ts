import type { Histogram } from "hdr-histogram-js";
import type { GeneratorStats, LoadProgress } from "../records/generator-stats.ts";
import type { RequestKind, Scenario } from "../scenario/schema.ts";
import type { ClientLedger } from "./ledger.ts";
import type { SessionRecord } from "./sessions.ts";

/** What runLoad (open model) and runClosedLoad take and give, shared with the shards' orchestrator (shards.ts). */
export interface LoadOptions {
  url: string;
  load: Scenario["load"];
  idPrefix: string;
  /** performance.now() of the run's t0; ledger times are relative to it. */
  t0: number;
  /**
   * t0 as a wall-clock instant, the one the run converts server timestamps with (its timeline's): shard
   * processes get it in their spec. Default: read here, to a few µs (clock/monotonic.ts).
   */
  t0EpochMs?: number;
  onProgress?: (p: LoadProgress) => void;
  /** Aborts the schedule early (Ctrl-C); in-flight requests are then recorded as unanswered. */
  signal?: AbortSignal;
  /** Where the ledger spills finished rows during the load (default: the OS temp folder); false keeps all in memory. */
  spillDir?: string | false;
  /** Connections to open before the schedule starts (default: spareConnectionCount(load)). */
  spareConnections?: number;
  /** Run the generator ahead of the stack it shares the cores with (load/priority.ts); stats.nice says how it ran. */
  raisePriority?: boolean;
  /** false: the mix is a user's system's (paths sent as written, no `?ms=`). Default true: drainlab's fixture. */
  fixtureMix?: boolean;
  /** This call runs one shard of a sharded load (shards.ts): requests i mod count = index of the schedule. */
  shard?: ShardOf;
  /** Called once the generator is ready; resolves to the schedule's start (ms since t0), the same for every shard. */
  startAt?: () => Promise<number>;
  /**
   * Resolves to an earlier end of the schedule, ms since t0 (load.after_drain_s: the drain's end plus its tail):
   * nothing due at or after it is sent. The schedule never runs past load.duration_s.
   */
  endAt?: Promise<number>;
}

export interface ClosedLoadOptions {
  url: string;
  /** Requests in flight at all times, one per connection. */
  connections: number;
  durationS: number;
  idPrefix: string;
  /** performance.now() of the run's t0. */
  t0: number;
  mix?: RequestKind[];
  timeoutS?: number;
  retryOnReset?: Scenario["load"]["retry_on_reset"];
  spillDir?: string | false;
  /** Worker threads to split the connections over (shards.ts); default 1: this thread. */
  shards?: number;
  shard?: ShardOf;
  startAt?: () => Promise<number>;
}

export interface ShardOf {
  index: number;
  count: number;
}

export interface LoadResult {
  ledger: ClientLedger;
  stats: GeneratorStats;
  /** The long-lived kinds of the mix (streams, SSE, WebSockets), one record each. */
  sessions: SessionRecord[];
  /** What a shard's figures are merged from (shards.ts): its send-lag histogram, first attempts written and the last one's time. */
  sends?: { lag: Histogram; written: number; lastWrittenMs: number };
}

/** First attempts written per second; one interval is added so a held schedule of n requests reads as its rate. */
export function sentRate(sender: { written: number; lastWrittenMs: number }, startMs: number, intervalMs: number): number {
  if (sender.written === 0) return 0;
  const spanMs = sender.lastWrittenMs - startMs + intervalMs;
  return spanMs > 0 ? Math.round((sender.written / spanMs) * 1000 * 10) / 10 : 0;
}

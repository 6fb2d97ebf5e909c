/** The load generator's own figures: a saturated client must never pass for a slow server. */
export interface GeneratorStats {
  mode: "open" | "closed";
  /** How late requests were written to a connection relative to their intended time, ms. */
  sendLagMs: { p50: number; p99: number; max: number };
  /** CPU the generator process used, as a share of one core over the schedule's wall time. */
  cpuShareOfOneCore: number;
  /** The same over its busiest 1 s window. */
  cpuPeakShareOfOneCore: number;
  /** Share of the schedule's wall time the generator's event loop was busy; near 1 it could not have sent more. */
  eventLoopBusyShare: number;
  eventLoopBusyPeak: number;
  /** The schedule's rate (open model); for the closed model, the rate it reached. */
  intendedRatePerS: number;
  /** First attempts written per second, from the schedule's start until the last one was written. */
  sentRatePerS: number;
  /** How much later than intended the last scheduled request was written, ms (0 when the schedule held). */
  scheduleOverrunMs: number;
  maxInFlight: number;
  /** Most requests at once that waited for a free connection (the max_connections cap was reached). */
  maxWaitingForConnection: number;
  maxConnections: number;
  /** Requests the client re-sent after a reused connection closed before any response. */
  clientRetries: number;
  scheduled: number;
  /** The schedule started at this ms (relative to t0) and ended at this ms. */
  startMs: number;
  endMs: number;
  /** The schedule's end, ms since t0, when it was cut short of load.duration_s (load.after_drain_s); absent: duration_s. */
  scheduleEndMs?: number;
  /** The generator's nice value, when LoadOptions.raisePriority asked to raise it (a drain run does). */
  nice?: number;
  /** Why the nice value is not the one asked for. */
  niceNote?: string;
  /** With autogroups on: the nice of the generator's session autogroup during the load (nice orders threads only within a session). */
  sessionNice?: number;
  /** Why the session's nice is not the one asked for. */
  sessionNiceNote?: string;
  /** A shard run as its own process (`drainlab load-shard`): its host and its start read on that host's clock. */
  clock?: ShardClock;
  /** A shard's figures: its index (load.shards; request i went to shard i mod N). Its CPU is the whole process's (Node has no per-thread figure before 23.9). */
  shard?: number;
  /**
   * A sharded load (load.shards > 1): each shard's own figures. The figures above are then the whole's: the
   * lag from the shards' histograms merged, counts summed (maxInFlight: the shards' peaks added), the busiest
   * shard's event loop, the CPU of every thread.
   */
  shards?: GeneratorStats[];
}

/** What the load reports while it runs, for progress lines. */
export interface LoadProgress {
  elapsedMs: number;
  sent: number;
  ok: number;
  failed: number;
  inFlight: number;
}

/**
 * A shard process's start, read on its own host's wall clock against the spec's schedule start (t0 +
 * start_ms). That is all a shard can know of time: its clock's offset from the clocks of other hosts (the
 * run's, the other shards', the servers') is invisible to it. Shards on one host share one clock; across
 * hosts each one's rows sit on the run's timeline off by that host's clock error (NTP: typically a few ms).
 */
export interface ShardClock {
  host: string;
  /** The schedule's start (t0 + start_ms), epoch ms. */
  start_epoch_ms: number;
  /** The host's clock when the shard was ready to send, minus the start: negative = ready that long ahead; positive = it was late, and its first requests' send lag shows it. */
  ready_vs_start_ms: number;
  /** How the shard placed t0: on the run's host's monotonic clock (the same kernel), or through its wall clock (absent before 0.5: the wall clock). */
  anchor?: "host-monotonic" | "wall-clock";
  /** On the run's host: the wall clock's reading of t0 minus the monotonic one, ms (the wall clock's error since the run read it). */
  wall_minus_monotonic_ms?: number;
}

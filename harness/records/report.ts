import type { LintFinding } from "../scenario/lint.ts";
import type { Scenario } from "../scenario/schema.ts";
import type { TimeoutChain } from "../scenario/timeout-chain.ts";
import type { ClockStep } from "./clock-types.ts";
import type { DrainRecord, HookRecord } from "./drain-record.ts";
import type { Fact, FaultRecord } from "./fault-record.ts";
import type { HeldAt, Percentiles, Reconciliation, SeriesBucket, SessionFigures } from "./figure-types.ts";
import type { GeneratorStats } from "./generator-stats.ts";
import type { CheckResult } from "./records.ts";
import type { ClockOffset } from "./server-logs.ts";
import type { SessionRecord } from "./session-record.ts";
import type { SystemReport } from "./system-report.ts";
import type { TimelineEvent } from "./timeline.ts";

/** How the harness reaches nginx: its address on the run's own network, or its port published on 127.0.0.1. */
export interface LoadEntry {
  url: string;
  /** attach: the URL the scenario names (attach.url), on a system drainlab did not start. */
  path: "run-network" | "published-port" | "attach";
  published_url: string;
}

/** 2: checks carry a status (pass, fail, no-evidence, skipped), t0_epoch_ms, verdict "error". Version 1 reports are read through upgradeReport. */
export const REPORT_SCHEMA_VERSION = 2;

/**
 * The canonical output of a run: every other view (terminal, HTML, JUnit,
 * Markdown) is drawn from this alone. Later versions add fields, never break these.
 */
export interface Report {
  schema_version: number;
  drainlab_version: string;
  run_id: string;
  started_at: string;
  wall_time_s: number;
  /** error: the run could not finish (the Docker engine was lost); the report holds what was gathered. */
  verdict: "pass" | "fail" | "error";
  /** Why the verdict is error. */
  error?: string;
  /** What the scenario says should happen, and whether it did. */
  expectation: { verdict: "pass" | "fail"; failing_checks: string[]; passing_checks?: string[]; met: boolean; detail: string };
  scenario: { name: string; file: string | null; description: string };
  /** The fully resolved scenario, defaults included: with `system:`, the effective settings read from the nodes. */
  parameters: Scenario;
  /** With `system:`, the scenario as declared (before the nodes' settings were read into it); absent: the same as parameters. */
  declared_parameters?: Scenario;
  timeout_chain: TimeoutChain;
  /** Inconsistencies in the timeout chain, found before any container started (drainlab lint). */
  lint: LintFinding[];
  /** The long-lived sessions of the load (streams, SSE, WebSockets): what the client saw of each. */
  sessions?: SessionRecord[];
  /** The sessions' figures per kind, computed once from them (absent in reports written before it: the views compute them from `sessions`). */
  session_figures?: SessionFigures[];
  /** A user's system (scenario `system:`): what drainlab read from it and every change it made to it. */
  system?: SystemReport;
  /** attach: the system drainlab did not start, what its commands did and what the records stand on. */
  attach?: AttachReport;
  stack: {
    images: { base: string; app: string; nginx: string };
    nodes: Array<{ name: string; address: string }>;
    versions: Record<string, string>;
    /** Where the load went: nginx on the run's network, or its published port (absent in reports before 0.2). */
    load_entry?: LoadEntry;
    /** Every address each node had during the run (a restarted node gets a new one), to read nginx's $upstream_addr again; absent before schema 2. */
    addresses?: Array<{ name: string; address: string }>;
  };
  /** client_retried: re-sent once by the client after a connection closed before any response (see load.retry_on_reset). */
  requests: { sent: number; ok: number; failed: number; unanswered: number; client_retried: number };
  /** From the intended send time (no coordinated omission); requests after warm-up that got any answer. */
  latency_ms: Percentiles;
  /** The same for the requests due inside a drain window (drain start .. node exit). */
  latency_during_drain_ms: Percentiles;
  /** The earlier run this one was compared with (--baseline), if any. */
  baseline: { run_id: string; file: string } | null;
  generator: GeneratorStats;
  /** Epoch ms of the run's t0, to put the raw server records on the run's clock again (drainlab judge); absent before schema 2. */
  t0_epoch_ms?: number;
  /** Each jump of the wall clock against the run's clock, so the raw server records are read across it again; absent: none seen. */
  wall_clock_steps?: ClockStep[];
  timeline: TimelineEvent[];
  /** The first (often only) drained node; `drains` has every one of a rolling drain. */
  drain: DrainRecord | null;
  drains: DrainRecord[];
  /** Per drain (same order), what its node held at its signal by the app ledger; null: unknown. Absent before 0.4. */
  in_flight_at_signal?: Array<HeldAt | null>;
  checks: CheckResult[];
  /** What each fault of the scenario did and what was measured (harness/faults/). */
  faults?: FaultRecord[];
  /** Claims about the software under test, checked against this run (e.g. who respawns crashed workers). */
  facts?: Fact[];
  /** Client ledger x nginx log x app ledgers by request id: counts per loss class and node, example stories. */
  reconciliation: Reconciliation;
  series: { bucket_ms: number; buckets: SeriesBucket[] };
  /** Raw records next to the report, relative to its folder. */
  files: Record<string, string>;
}

/** What an attach run stood on: its URL, the records it had and the commands that fetched them. */
export interface AttachReport {
  url: string;
  client_only: boolean;
  /** Which server records the scenario named, and how many of this run's lines each had. */
  records: { nginx_log: string | null; nginx_rows: number; app_ledger: string[]; app_events: number };
  /** The commands that fetched the records, as they ran (the drain's own are in drains[].hooks). */
  record_hooks: HookRecord[];
  notes: string[];
  /** Each server's clock offset against this machine's, bounded by the records, and the shift made (absent before 0.4). */
  clock_offsets?: ClockOffset[];
}

export type { Percentiles, SeriesBucket };

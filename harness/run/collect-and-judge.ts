import type { DrainRecord } from "../records/drain-record.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import type { GeneratorStats } from "../records/generator-stats.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import type { Baseline, Records, ServerRecords } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import type { SessionRecord } from "../records/session-record.ts";
import type { SystemReport } from "../records/system-report.ts";
import type { TimelineEvent } from "../records/timeline.ts";
import type { Scenario } from "../scenario/schema.ts";
import { judge } from "../verdict/verdict.ts";
import { buildReport, type RunMeta } from "./build-report.ts";

/** What a finished run's report is made from, however the run went: live, attached, or read back by drainlab judge. */
export interface RunSources {
  /** The effective scenario (with `system:`, the settings read from the nodes). */
  scenario: Scenario;
  /** With `system:`, the scenario as declared. */
  declared?: Scenario;
  rows: LedgerRow[];
  timeline: TimelineEvent[];
  drains: DrainRecord[];
  /** The load generator's figures; its schedule's start and end bound the run. */
  generator: GeneratorStats;
  server: ServerRecords;
  faults: FaultRecord[];
  sessions?: SessionRecord[];
  baseline?: Baseline;
  system?: SystemReport;
}

/**
 * The one path from a run's records to its report: a run, an attach run and
 * drainlab judge all come through here, so the same records give the same
 * checks, figures and report whichever of them produced it.
 */
export function collectAndJudge(sources: RunSources, meta: RunMeta): Report {
  const { declared, sessions, baseline, system, ...rest } = sources;
  const records: Records = {
    ...rest,
    loadStartMs: sources.generator.startMs,
    loadEndMs: sources.generator.endMs,
    ...(declared ? { declared } : {}),
    ...(sessions ? { sessions } : {}),
    ...(baseline ? { baseline } : {}),
    ...(system ? { system } : {}),
  };
  return buildReport(records, judge(records), meta);
}

import type { WallClock } from "../clock/wall-clock.ts";
import { sessionFigures } from "../figures/session-figures.ts";
import type { Records } from "../records/records.ts";
import { REPORT_SCHEMA_VERSION, type Report } from "../records/report.ts";
import { lintResolved } from "../scenario/lint.ts";
import { resolveScenario } from "../scenario/resolved.ts";
import { VERSION } from "../util/version.ts";
import { expectationOf } from "../verdict/expectation.ts";
import { clockFactsOf, clockOffsetFactsOf, drainFactsOf, factsOf, recycleFactsOf } from "../verdict/facts.ts";
import { wsAppDuplicates } from "../verdict/session-checks.ts";
import type { Judgement } from "../verdict/verdict.ts";

/** What a report says about the run beyond its records: identity, stack, files. */
export interface RunMeta {
  runId: string;
  startedAt: string;
  wallTimeS: number;
  scenarioFile: string | null;
  stack: Report["stack"];
  baseline: Report["baseline"];
  files: Record<string, string>;
  /** The wall clock at the run's t0 and its jumps since: server timestamps are put on the run's clock with it. */
  clock: WallClock;
  /** Set when the run could not finish (engine lost): the verdict is then "error". */
  error?: string;
  system?: Report["system"];
  attach?: Report["attach"];
}

/** Pure: a run's records, its judgement and its identity into the canonical report.json. */
export function buildReport(records: Records, judgement: Judgement, meta: RunMeta): Report {
  const { scenario } = records;
  const { figures } = judgement;
  // the run's scenario resolved once, as the run itself resolved it: the chain the facts state is the one lint and report.json show
  const resolved = resolveScenario(records.declared ?? scenario, scenario);
  const facts = [
    ...factsOf(records.faults ?? [], meta.stack.versions),
    ...drainFactsOf(records, meta.stack.versions, resolved.chain),
    ...recycleFactsOf(records, figures, meta.stack.versions),
    ...clockFactsOf(meta.clock, figures.reconciliation.indeterminate_time?.count ?? 0),
    ...clockOffsetFactsOf(records.server.clock_offsets ?? [], scenario.drain.settle_ms),
  ];
  const verdict = meta.error ? "error" : judgement.verdict;
  return {
    schema_version: REPORT_SCHEMA_VERSION,
    drainlab_version: VERSION,
    run_id: meta.runId,
    started_at: meta.startedAt,
    wall_time_s: meta.wallTimeS,
    verdict,
    ...(meta.error ? { error: meta.error } : {}),
    expectation: expectationOf(scenario, { verdict, checks: judgement.checks }),
    scenario: { name: scenario.name, file: meta.scenarioFile, description: scenario.description },
    parameters: scenario,
    ...(records.declared ? { declared_parameters: records.declared } : {}),
    timeout_chain: { ...resolved.chain },
    lint: lintResolved(resolved),
    ...(meta.system ? { system: meta.system } : {}),
    ...(meta.attach ? { attach: meta.attach } : {}),
    ...sessionsOf(records),
    stack: meta.stack,
    requests: figures.requests,
    latency_ms: figures.latency_ms,
    latency_during_drain_ms: figures.latency_during_drain_ms,
    baseline: meta.baseline,
    generator: records.generator!,
    t0_epoch_ms: meta.clock.t0EpochMs,
    ...(meta.clock.steps.length > 0 ? { wall_clock_steps: [...meta.clock.steps] } : {}),
    timeline: records.timeline,
    drain: records.drains[0] ?? null,
    drains: records.drains,
    in_flight_at_signal: figures.in_flight_at_signal,
    checks: judgement.checks,
    ...(records.faults && records.faults.length > 0 ? { faults: records.faults } : {}),
    ...(facts.length > 0 ? { facts } : {}),
    reconciliation: figures.reconciliation,
    series: figures.series,
    files: meta.files,
  };
}

/**
 * The sessions with each WebSocket's duplicates (messages its app received twice, from the app's ledger, as
 * no-duplicate-events counts them), so the sessions table, terminal line and JUnit properties show them as
 * they show a feed's.
 */
/** The sessions as the report carries them (WebSocket duplicates in), with their figures per kind computed once from those. */
function sessionsOf(records: Records): Pick<Report, "sessions" | "session_figures"> {
  if (!records.sessions || records.sessions.length === 0) return {};
  const sessions = withSocketDuplicates(records);
  return { sessions, session_figures: sessionFigures(sessions) };
}

export function withSocketDuplicates(records: Records): NonNullable<Records["sessions"]> {
  const sessions = records.sessions ?? [];
  if (!sessions.some((s) => s.kind === "websocket")) return sessions;
  const dup = wsAppDuplicates(records.server.sessions?.app ?? []);
  return sessions.map((s) => (s.kind === "websocket" ? { ...s, duplicate_units: dup.get(s.id) ?? 0 } : s));
}

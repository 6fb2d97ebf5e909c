import type { Records } from "../records/records.ts";
import { REPORT_SCHEMA_VERSION, type Report } from "../records/report.ts";
import type { WallClock } from "../records/wall-clock.ts";
import { lintScenario } from "../scenario/lint.ts";
import type { Scenario } from "../scenario/schema.ts";
import { timeoutChain } from "../scenario/timeout-chain.ts";
import { VERSION } from "../util/version.ts";
import { clockFactsOf, drainFactsOf, factsOf, recycleFactsOf } from "../verdict/facts.ts";
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
  const facts = [
    ...factsOf(records.faults ?? [], meta.stack.versions),
    ...drainFactsOf(records, meta.stack.versions),
    ...recycleFactsOf(records, figures, meta.stack.versions),
    ...clockFactsOf(meta.clock.steps),
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
    timeout_chain: timeoutChain(scenario),
    lint: lintScenario(scenario),
    ...(meta.system ? { system: meta.system } : {}),
    ...(meta.attach ? { attach: meta.attach } : {}),
    ...(records.sessions && records.sessions.length > 0 ? { sessions: records.sessions } : {}),
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
    checks: judgement.checks,
    ...(records.faults && records.faults.length > 0 ? { faults: records.faults } : {}),
    ...(facts.length > 0 ? { facts } : {}),
    reconciliation: figures.reconciliation,
    series: figures.series,
    files: meta.files,
  };
}

/**
 * Did the run do what the scenario file says it should: its verdict, and
 * exactly the named checks failing (a check listed in expect.may_fail may go
 * either way). A control that also fails on a check nobody expected does not
 * meet its expectation: that is how a new false failure gets noticed.
 */
export function expectationOf(
  scenario: Scenario,
  verdict: { verdict: Report["verdict"]; checks: Array<{ name: string; ok: boolean }> },
): Report["expectation"] {
  const { verdict: want, failing_checks: mustFail, may_fail: mayFail } = scenario.expect;
  const failed = verdict.checks.filter((c) => !c.ok).map((c) => c.name);
  const missing = mustFail.filter((name) => !failed.includes(name));
  const unexpected = failed.filter((name) => !(mustFail as string[]).includes(name) && !mayFail.some((m) => m.check === name));
  const verdictOk =
    verdict.verdict === want || (want === "pass" && verdict.verdict === "fail" && unexpected.length === 0 && mustFail.length === 0);
  const met = verdictOk && missing.length === 0 && unexpected.length === 0;
  const tolerated = failed.filter((name) => mayFail.some((m) => m.check === name));
  const also = tolerated.length ? ` (${tolerated.join(", ")} failed too, allowed by expect.may_fail)` : "";
  const detail = met
    ? want === "pass" && failed.length === 0
      ? "passed as expected"
      : want === "fail" && mustFail.length === 0
        ? `failed as expected, on ${tolerated.join(", ")} (each allowed by expect.may_fail)`
        : `${want === "pass" ? "passed" : `failed as expected on ${mustFail.join(", ")}`}${also}`
    : verdict.verdict !== want && !verdictOk
      ? `expected ${want}, got ${verdict.verdict}${failed.length ? ` (failed: ${failed.join(", ")})` : ""}`
      : `${[
          ...(missing.length ? [`expected ${missing.join(", ")} to fail`] : []),
          ...(unexpected.length ? [`${unexpected.join(", ")} failed unexpectedly`] : []),
        ].join("; ")}; failed: ${failed.join(", ") || "none"}`;
  return { verdict: want, failing_checks: mustFail, met, detail };
}

import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { applyClockOffsets, estimateClockOffsets } from "../clock/clock-offset.ts";
import { WallClock } from "../clock/wall-clock.ts";
import { readBaseline } from "../records/baseline.ts";
import { readClientLedger } from "../records/ledger-row.ts";
import type { Report } from "../records/report.ts";
import { readReport } from "../records/report-reader.ts";
import { RAW_FILES, readServerRecords } from "../records/server-logs.ts";
import { jsonReporter, REPORT_FILE } from "../report/json.ts";
import { Multiplexer } from "../report/multiplexer.ts";
import { fileReporters } from "../report/write-views.ts";
import { applySet, validateScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";
import { ensureWritableDir } from "../util/out-dir.ts";
import { collectAndJudge, type RunSources } from "./collect-and-judge.ts";

export interface RejudgeOptions {
  /** `--set checks.*=...`: only the checks section may change; the run itself happened as it did. */
  sets?: string[];
  baselineFile?: string;
  /** Where the new report.json and views go; default <run-dir>/judged/. */
  outDir?: string;
  log?: (line: string) => void;
}

/**
 * drainlab judge: the checks run again on a finished run's raw records (the
 * client ledger, nginx's log, the app ledgers) and the drain, fault and
 * generator records of its report.json; a new report.json and views are
 * written beside them. The stored figures are recomputed, never copied.
 */
export async function rejudge(runDir: string, options: RejudgeOptions = {}): Promise<{ report: Report; dir: string }> {
  const dir = resolve(runDir);
  const old = readReport(join(dir, "report.json"));
  if (old.t0_epoch_ms === undefined)
    throw new UsageError(
      `${join(dir, "report.json")}: written before drainlab kept t0_epoch_ms (schema 1); its raw records cannot be put on the run's clock again`,
    );
  for (const set of options.sets ?? []) {
    if (!set.startsWith("checks.")) throw new UsageError(`--set ${set}: judge changes only checks.* (the run itself happened as it did)`);
  }
  const raw = structuredClone(old.parameters) as unknown as Record<string, unknown>;
  // reports before expect.passing_checks carried may_fail: what it tolerated is now simply not asserted
  const expect = raw.expect as Record<string, unknown> | undefined;
  if (expect && "may_fail" in expect) delete expect.may_fail;
  for (const set of options.sets ?? []) applySet(raw, set);
  const scenario = validateScenario(raw, `${join(dir, "report.json")} parameters`);

  const ledgerPath = join(dir, old.files?.client_ledger ?? RAW_FILES.clientLedger);
  if (!existsSync(ledgerPath)) throw new UsageError(`${ledgerPath}: the run's client ledger is missing; nothing to judge`);
  const ledger = readClientLedger(ledgerPath);
  const nodes = old.stack.addresses ?? old.stack.nodes;
  const clock = new WallClock(old.t0_epoch_ms, old.wall_clock_steps ?? []);
  const server = readServerRecords(dir, nodes, clock);
  server.unreadable += ledger.unreadable;
  // an attached system's clocks: bounded and shifted again from the same records, as the run did
  const offsets = old.attach ? applyClockOffsets(server, estimateClockOffsets(ledger.rows, server)) : null;
  const drains = old.drains ?? (old.drain ? [old.drain] : []);
  const baseline = options.baselineFile ? readBaseline(options.baselineFile) : undefined;
  const sources: RunSources = {
    scenario,
    ...(old.declared_parameters ? { declared: old.declared_parameters } : {}),
    rows: ledger.rows,
    timeline: old.timeline,
    drains,
    server,
    faults: old.faults ?? [],
    generator: old.generator,
    sessions: old.sessions,
    system: old.system,
    baseline,
  };
  const outDir = resolve(options.outDir ?? join(dir, "judged"));
  const report = collectAndJudge(sources, {
    runId: old.run_id,
    startedAt: old.started_at,
    wallTimeS: old.wall_time_s,
    scenarioFile: old.scenario.file,
    stack: old.stack,
    baseline: baseline ? { run_id: baseline.run_id, file: baseline.file } : null,
    // the raw records stay where the run wrote them
    files: Object.fromEntries(Object.entries(old.files ?? {}).map(([k, v]) => [k, join(dir, v)])),
    clock,
    system: old.system,
    attach: old.attach && offsets ? { ...old.attach, clock_offsets: offsets } : old.attach,
  });
  ensureWritableDir("--out", outDir, "the judged report");
  const written = await new Multiplexer([jsonReporter(), ...fileReporters()], options.log).onEnd(report, outDir);
  if (!written.includes(join(outDir, REPORT_FILE))) throw new UsageError(`--out ${outDir}: cannot write ${REPORT_FILE} there (see above)`);
  return { report, dir: outDir };
}

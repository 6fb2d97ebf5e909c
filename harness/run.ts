import { randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { performance } from "node:perf_hooks";
import { once } from "node:events";
import { runDrains, type DrainRecord } from "./drain/drain.ts";
import { HealthMonitor } from "./drain/health-monitor.ts";
import { Timeline } from "./drain/timeline.ts";
import { timeoutChain } from "./drain/timeout-chain.ts";
import { ensureEngine } from "./env/engine.ts";
import { ensureImages } from "./env/images.ts";
import { factsOf } from "./faults/facts.ts";
import { measureFaults, runFaults } from "./faults/runner.ts";
import type { FaultRecord } from "./faults/types.ts";
import { prepareLoad, runLoad, type LoadProgress } from "./load/generator.ts";
import type { Ledger } from "./load/ledger.ts";
import { REPORT_SCHEMA_VERSION, type Report } from "./report/report.ts";
import { latencyPercentiles, series } from "./report/summarize.ts";
import { writeViews } from "./report/write-views.ts";
import type { Scenario } from "./scenario/schema.ts";
import { type Stack, startStack } from "./stack/stack.ts";
import type { ServerRecords } from "./verdict/records.ts";
import { readAppLedger, readNginxLog } from "./verdict/server-logs.ts";
import { sweep } from "./stack/sweep.ts";
import { lintScenario } from "./scenario/lint.ts";
import { readBaseline } from "./verdict/baseline.ts";
import { judge } from "./verdict/checks.ts";
import { latencyDuringDrain } from "./verdict/gates.ts";
import { VERSION } from "./version.ts";
import { UsageError } from "./errors.ts";

export interface RunOptions {
  scenarioFile?: string;
  /** Parent folder of the run folder; default reports/. */
  outDir?: string;
  log?: (line: string) => void;
  onProgress?: (p: LoadProgress & { phase: string }) => void;
  signal?: AbortSignal;
  /** An earlier report.json to compare with (gate: no-regression-vs-baseline). */
  baselineFile?: string;
}

export interface RunResult {
  report: Report;
  runDir: string;
}

const SERIES_BUCKET_MS = 100;

export function newRunId(): string {
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*/, "").replace("T", "-");
  return `${stamp}-${randomBytes(3).toString("hex")}`;
}

/**
 * One run: stack up, load in parallel with the drain, records, verdict, report.
 * Teardown always runs, also on error and on abort.
 */
export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<RunResult> {
  const log = options.log ?? (() => {});
  const runId = newRunId();
  const runDir = resolve(options.outDir ?? "reports", runId);
  const rawDir = join(runDir, "raw");
  try {
    mkdirSync(rawDir, { recursive: true });
  } catch (err) {
    throw new UsageError(`--out ${options.outDir ?? "reports"}: cannot create the run folder ${runDir} (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
  const baseline = options.baselineFile ? readBaseline(options.baselineFile) : undefined;
  const startedAt = new Date();
  const wallStart = performance.now();

  // Ctrl-C during set-up or stack start ends the run as soon as that step returns, not after a full load
  const docker = await ensureEngine(log);
  options.signal?.throwIfAborted();
  const images = await ensureImages(docker, log);
  options.signal?.throwIfAborted();
  await sweep(docker, { onlyOrphans: true });
  const stack = await startStack({ scenario, runId, images, docker, rawDir, log });
  const abort = new AbortController();
  const onOuterAbort = () => abort.abort(options.signal?.reason);
  options.signal?.addEventListener("abort", onOuterAbort, { once: true });
  if (options.signal?.aborted) onOuterAbort();

  let ledger: Ledger;
  let drains: DrainRecord[] = [];
  let faultRecords: FaultRecord[] = [];
  let timeline: Timeline;
  let generator: Awaited<ReturnType<typeof runLoad>>["stats"];
  let versions: Record<string, string> = {};
  try {
    abort.signal.throwIfAborted();
    versions = await stack.versions();
    await prepareLoad();
    const t0 = performance.now();
    timeline = new Timeline(t0);
    const monitor = new HealthMonitor(stack.nodes, timeline, scenario.drain.monitor_interval_ms).start();
    try {
      timeline.add("load-start", { rate_per_s: scenario.load.rate_per_s, duration_s: scenario.load.duration_s });
      let phase = "load";
      const loadDone = runLoad({
        url: stack.url,
        load: scenario.load,
        idPrefix: runId,
        t0,
        spillDir: rawDir,
        // no connections opened ahead: nginx's old workers keep a connection that never carried a
        // request through a reload and serve its first request with the old upstream (misrouted)
        spareConnections: 0,
        // the stack shares the cores: ahead of it, the generator's sends leave on time
        raisePriority: true,
        signal: abort.signal,
        onProgress: (p) => options.onProgress?.({ ...p, phase }),
      });
      const drainDone = scenario.drain.enabled
        ? runDrains(stack, scenario, timeline, monitor, abort.signal).then((d) => ((phase = "load, drained"), d))
        : Promise.resolve([]);
      // a failing drain step must not leave the load running unseen, nor the reverse
      drainDone.catch(() => abort.abort(new Error("drain failed")));
      // faults run on the same timeline as the drain; a fault that cannot be carried out is a record, an abort is not
      const faultsDone = runFaults(stack, scenario, timeline, monitor, abort.signal);
      faultsDone.catch(() => abort.abort(new Error("faults failed")));
      const all = Promise.all([loadDone, drainDone, faultsDone]);
      // when a drain or fault step fails, the load still ends (aborted); its ledger's spill file goes with it
      all.catch(() => loadDone.then((l) => l.ledger.dispose(), () => {}));
      const [load, drained, faulted] = await all;
      ledger = load.ledger;
      generator = load.stats;
      drains = drained;
      faultRecords = faulted;
      timeline.add("load-end", { sent: ledger.length });
    } finally {
      monitor.stop();
    }
  } finally {
    options.signal?.removeEventListener("abort", onOuterAbort);
    await stack.stop();
  }
  if (options.signal?.aborted) {
    ledger!.dispose();
    throw options.signal.reason;
  }

  const rows = [...ledger.rows()];
  const files = { client_ledger: "raw/client-ledger.jsonl", nginx_access_log: "raw/nginx/access.jsonl" } as Record<string, string>;
  for (const node of stack.nodes) files[`app_ledger_${node.name}`] = `raw/${node.name}/app-ledger.jsonl`;
  await writeLedger(join(runDir, files.client_ledger!), rows);
  ledger.dispose();

  const server = collectServerRecords(stack, performance.timeOrigin + timeline.t0);
  const faults = measureFaults(faultRecords, { scenario, rows, server });
  const records = { scenario, rows, timeline: timeline.events, drains, loadStartMs: generator.startMs, loadEndMs: generator.endMs, server, baseline, faults, generator };
  const verdict = judge(records);
  const warm = generator.startMs + scenario.load.warmup_s * 1000;
  const report: Report = {
    schema_version: REPORT_SCHEMA_VERSION,
    drainlab_version: VERSION,
    run_id: runId,
    started_at: startedAt.toISOString(),
    wall_time_s: 0,
    verdict: verdict.verdict,
    expectation: expectationOf(scenario, verdict),
    scenario: { name: scenario.name, file: options.scenarioFile ?? null, description: scenario.description },
    parameters: scenario,
    timeout_chain: timeoutChain(scenario),
    lint: lintScenario(scenario),
    stack: { images, nodes: stack.nodes.map((n) => ({ name: n.name, address: n.address })), versions, load_entry: stack.entry },
    requests: {
      sent: rows.length,
      ok: rows.filter((r) => r.error === "none").length,
      failed: rows.filter((r) => r.error !== "none" && r.error !== "unanswered").length,
      unanswered: rows.filter((r) => r.error === "unanswered").length,
      client_retried: rows.filter((r) => r.attempts > 1).length,
    },
    latency_ms: latencyPercentiles(rows.filter((r) => r.intendedMs >= warm)),
    latency_during_drain_ms: latencyDuringDrain({ rows, drains, loadEndMs: generator.endMs }),
    baseline: baseline ? { run_id: baseline.run_id, file: baseline.file } : null,
    generator,
    timeline: timeline.events,
    drain: drains[0] ?? null,
    drains,
    checks: verdict.checks,
    ...(faults.length > 0 ? { faults, facts: factsOf(faults, versions) } : {}),
    reconciliation: verdict.reconciliation,
    series: { bucket_ms: SERIES_BUCKET_MS, buckets: series(rows, SERIES_BUCKET_MS) },
    files,
  };
  report.wall_time_s = Math.round((performance.now() - wallStart) / 10) / 100;
  writeFileSync(join(runDir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  await writeViews(report, runDir, log);
  return { report, runDir };
}

/** Did the run do what the scenario file says it should (pass, or fail on the named checks)? */
export function expectationOf(scenario: Scenario, verdict: { verdict: "pass" | "fail"; checks: Array<{ name: string; ok: boolean }> }): Report["expectation"] {
  const { verdict: want, failing_checks: mustFail } = scenario.expect;
  const failed = verdict.checks.filter((c) => !c.ok).map((c) => c.name);
  const missing = mustFail.filter((name) => !failed.includes(name));
  const met = verdict.verdict === want && missing.length === 0;
  const detail =
    verdict.verdict !== want
      ? `expected ${want}, got ${verdict.verdict}${failed.length ? ` (failed: ${failed.join(", ")})` : ""}`
      : missing.length > 0
        ? `expected ${missing.join(", ")} to fail; failed: ${failed.join(", ") || "none"}`
        : want === "pass"
          ? "passed as expected"
          : `failed as expected on ${failed.join(", ")}`;
  return { verdict: want, failing_checks: mustFail, met, detail };
}

/** nginx's access log and every node's app ledger (bind-mounted, so the drained node's survives its exit). */
function collectServerRecords(stack: Stack, t0EpochMs: number): ServerRecords {
  const nginx = readNginxLog(join(stack.nginxLogDir, "access.jsonl"));
  const apps = stack.nodes.map((n) => readAppLedger(join(n.logDir, "app-ledger.jsonl")));
  return {
    nginx: nginx.rows,
    app: apps.flatMap((a) => a.rows),
    t0EpochMs,
    nodes: stack.addresses(),
    unreadable: nginx.unreadable + apps.reduce((sum, a) => sum + a.unreadable, 0),
  };
}

async function writeLedger(path: string, rows: Iterable<object>): Promise<void> {
  const out = createWriteStream(path);
  for (const row of rows) {
    if (!out.write(`${JSON.stringify(row)}\n`)) await once(out, "drain");
  }
  out.end();
  await once(out, "finish");
}

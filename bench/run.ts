/**
 * `npm run bench`: drainlab's load generator against wrk and autocannon on the
 * same target in the same run, open-model fidelity, ledger cost and time to
 * verdict, printed as a table of targets with measured values and ratios.
 * Not part of `npm test`: it needs the machine to itself for a few minutes.
 * Exit code 0 when it ran (missed targets are in the table), 3 when it could not.
 */
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { ensureEngine } from "../harness/env/engine.ts";
import { ensureImages } from "../harness/env/images.ts";
import { newRunId } from "../harness/run/run.ts";
import { sweep } from "../harness/stack/sweep.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { compare, machineNote, readResult, renderComparison } from "./compare.ts";
import { backgroundCores } from "./measure.ts";
import { autocannonPeak, drainlabPeak, drainlabPeer, ensureWrk, netPeak, type PeakResult, undiciPeak, wrkPeak } from "./peers.ts";
import { markdownTable, printTable, type Row, replaceBenchTable } from "./table.ts";
import { startTarget } from "./target.ts";
import { generatorCannotKeepUp, timeAppImport, timeDrainRun, timeStackStart } from "./verdict-time.ts";

const CONNECTIONS = 50;
const PEAK_SECONDS = 4;
// 3: on a VM with noisy neighbours one round in six was 20-40% off (wrk 47k against 62k the run before, net above wrk)
const PEAK_ROUNDS = 3;
const OPEN_RATES = [1000, 5000, 10_000, 20_000];
const OPEN_SECONDS = 3;
const OPEN_ROUNDS = 2;
const LEDGER_ROWS = 1_000_000;
/** 1 shard vs this many (load.shards; auto is 1 on a 2-core machine, so the count is explicit). */
const SHARDS = 2;

const log = (line: string) => process.stderr.write(`${line}\n`);
const fmt = (x: number, digits = 0) => x.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

const BASELINE = join(PROJECT_ROOT, "bench", "baseline.json");
const README = join(PROJECT_ROOT, "README.md");

/** `--compare <file>`: print each figure beside that earlier result; `--accept`: this run becomes bench/baseline.json and the README's table. */
function parseArgs(argv: string[]): { compareTo: string | null; accept: boolean } {
  let compareTo: string | null = null;
  let accept = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--compare") {
      compareTo = argv[++i] ?? "";
      if (!compareTo) throw new Error("bench: --compare needs a result file (e.g. bench/baseline.json)");
    } else if (a === "--accept") accept = true;
    else throw new Error(`bench: unknown argument ${JSON.stringify(a)} (known: --compare <file>, --accept)`);
  }
  if (compareTo) readResult(compareTo); // a bad file is refused before minutes of measuring
  return { compareTo, accept };
}

async function main(): Promise<number> {
  let args: ReturnType<typeof parseArgs>;
  try {
    args = parseArgs(process.argv.slice(2));
  } catch (err) {
    log((err as Error).message);
    return 2;
  }
  const started = new Date();
  const docker = await ensureEngine(log);
  const images = await ensureImages(docker, log);
  await sweep(docker, { onlyOrphans: true });
  const wrk = ensureWrk(log);
  const cpu = machineCpu();
  const background = await backgroundCores();
  const results: Record<string, unknown> = {
    started_at: started.toISOString(),
    node: process.version,
    cores: cpus().length,
    cpu,
    background_cores: background,
  };
  const rows: Row[] = [];
  log(
    `drainlab bench  ${started.toISOString()}  node ${process.version}  ${cpus().length} cores (${cpu})  other load before start: ${fmt(background, 2)} cores busy`,
  );
  if (!wrk.ok) log(`wrk: SKIPPED, ${wrk.why}`);

  const target = await startTarget(docker, images, `bench-${newRunId()}`);
  const onSignal = () => void target.stop().finally(() => process.exit(130));
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    log(
      `target: nginx "return 200" (1 worker) at ${target.url} (${target.path === "run-network" ? "on its own network: no docker-proxy in the path, as in drainlab runs" : "published port"})`,
    );

    // 1. closed-model peak, peers interleaved so a burst of other load hits all of them alike; best round of each
    log(`\n1. closed-model peak: ${CONNECTIONS} connections, ${PEAK_SECONDS} s a run, best of ${PEAK_ROUNDS}`);
    const peers: Array<[string, () => Promise<PeakResult>]> = [
      ...(wrk.ok ? [["wrk", () => wrkPeak(target.url, CONNECTIONS, PEAK_SECONDS)] as [string, () => Promise<PeakResult>]] : []),
      ["autocannon", () => autocannonPeak(target.url, CONNECTIONS, PEAK_SECONDS)],
      ["net", () => netPeak(target.url, CONNECTIONS, PEAK_SECONDS)],
      ["undici", () => undiciPeak(target.url, CONNECTIONS, PEAK_SECONDS)],
      ["drainlab", () => drainlabPeak(target.url, CONNECTIONS, PEAK_SECONDS)],
      [`drainlab, ${SHARDS} shards`, () => drainlabPeak(target.url, CONNECTIONS, PEAK_SECONDS, SHARDS)],
    ];
    const best = new Map<string, PeakResult>();
    for (let round = 1; round <= PEAK_ROUNDS; round++) {
      for (const [name, measure] of peers) {
        const r = await measure();
        log(
          `   ${name.padEnd(10)} ${fmt(r.reqPerS).padStart(7)} req/s   ${fmt(r.cpuUsPerRequest, 1).padStart(5)} µs CPU/request   machine ${fmt(r.machineBusyCores, 2)} cores busy   (round ${round})`,
        );
        if (!best.has(name) || r.reqPerS > best.get(name)!.reqPerS) best.set(name, r);
      }
    }
    results.peak = Object.fromEntries(best);
    const dl = best.get("drainlab")!;
    const ac = best.get("autocannon")!;
    const ledgerNote = `full ledger: ${fmt(dl.requests)} rows`;
    rows.push({
      id: "1a",
      target: "closed-model peak vs autocannon",
      measured: `${fmt(dl.reqPerS)} vs ${fmt(ac.reqPerS)} req/s`,
      goal: ">= 1.0x",
      ratio: `${fmt(dl.reqPerS / ac.reqPerS, 2)}x autocannon`,
      met: dl.reqPerS >= ac.reqPerS,
      note: ledgerNote,
    });
    const wr = best.get("wrk");
    if (wr) {
      rows.push({
        id: "1b",
        target: "closed-model peak vs wrk",
        measured: `${fmt(dl.reqPerS)} vs ${fmt(wr.reqPerS)} req/s`,
        goal: ">= 1.0x",
        ratio: `${fmt(dl.reqPerS / wr.reqPerS, 2)}x wrk`,
        met: dl.reqPerS >= wr.reqPerS,
        note: "wrk: two C threads",
      });
      rows.push({
        id: "1c",
        target: "CPU per request vs wrk",
        measured: `${fmt(dl.cpuUsPerRequest, 1)} vs ${fmt(wr.cpuUsPerRequest, 1)} µs`,
        goal: "<= 1.5x",
        ratio: `${fmt(dl.cpuUsPerRequest / wr.cpuUsPerRequest, 2)}x wrk`,
        met: dl.cpuUsPerRequest <= 1.5 * wr.cpuUsPerRequest,
        note: `autocannon ${fmt(ac.cpuUsPerRequest, 1)} µs`,
      });
    }
    if (!wr) {
      rows.push({
        id: "1b",
        target: "closed-model peak vs wrk",
        measured: "skipped",
        goal: ">= 1.0x",
        ratio: "-",
        met: null,
        note: wrk.ok ? "" : wrk.why,
      });
    }
    const un = best.get("undici")!;
    rows.push({
      id: "1e",
      target: "closed-model peak vs undici alone",
      measured: `${fmt(dl.reqPerS)} vs ${fmt(un.reqPerS)} req/s; CPU ${fmt(dl.cpuUsPerRequest, 1)} vs ${fmt(un.cpuUsPerRequest, 1)} µs`,
      goal: "reported",
      ratio: `${fmt(dl.reqPerS / un.reqPerS, 2)}x undici, CPU ${fmt(dl.cpuUsPerRequest / un.cpuUsPerRequest, 2)}x`,
      met: null,
      note: `the HTTP library under the generator, as drainlab configures it, with no ledger: ${wr ? `${fmt(un.reqPerS / wr.reqPerS, 2)}x wrk's peak, ${fmt(un.cpuUsPerRequest / wr.cpuUsPerRequest, 2)}x its CPU` : "no wrk to compare"}`,
    });
    const net = best.get("net")!;
    rows.push({
      id: "1g",
      target: "node:net alone (no HTTP library) vs wrk",
      measured: `${fmt(net.reqPerS)} req/s; CPU ${fmt(net.cpuUsPerRequest, 1)} µs`,
      goal: "reported",
      ratio: wr ? `${fmt(net.reqPerS / wr.reqPerS, 2)}x wrk, CPU ${fmt(net.cpuUsPerRequest / wr.cpuUsPerRequest, 2)}x` : "-",
      met: null,
      note: "one Node thread writing a fixed GET per answer: the runtime's floor under any Node generator",
    });
    const sharded = best.get(`drainlab, ${SHARDS} shards`)!;
    rows.push({
      id: "1d",
      target: `closed-model peak, ${SHARDS} shards`,
      measured: `${fmt(sharded.reqPerS)} vs ${fmt(dl.reqPerS)} req/s (1 shard)`,
      goal: "reported",
      ratio: `${fmt(sharded.reqPerS / dl.reqPerS, 2)}x 1 shard${wr ? `, ${fmt(sharded.reqPerS / wr.reqPerS, 2)}x wrk` : ""}`,
      met: null,
      note: `CPU ${fmt(sharded.cpuUsPerRequest, 1)} vs ${fmt(dl.cpuUsPerRequest, 1)} µs/request; ${CONNECTIONS} connections split over ${SHARDS} worker threads`,
    });

    // 2. open-model fidelity
    log(
      `\n2. open-model fidelity: ${OPEN_SECONDS} s per rate, scenario defaults (max_connections 1024), best of ${OPEN_ROUNDS} by p99 lag`,
    );
    const floor = await tickerFloor(5000);
    log(
      `   floor: the ticker alone (no network) at 5,000/s wakes late by p50 ${fmt(floor.p50, 3)}  p99 ${fmt(floor.p99, 3)}  max ${fmt(floor.max, 3)} ms on this machine now`,
    );
    const open: Record<string, unknown> = { ticker_floor_ms: floor };
    let heldUnder2ms = 0;
    for (const rate of OPEN_RATES) {
      let chosen: OpenResult | undefined;
      let held = 0;
      const roundsP99: number[] = [];
      for (let round = 1; round <= OPEN_ROUNDS; round++) {
        const r = await openRun(target.url, rate);
        if (r.check.ok) held++;
        roundsP99.push(r.stats.sendLagMs.p99);
        log(
          `   ${fmt(rate).padStart(6)}/s  sent ${fmt(r.stats.sentRatePerS).padStart(6)}/s  lag p50 ${fmt(r.stats.sendLagMs.p50, 3)}  p99 ${fmt(r.stats.sendLagMs.p99, 3)}  max ${fmt(r.stats.sendLagMs.max, 3)} ms  loop ${fmt(r.stats.eventLoopBusyShare * 100)}% busy  CPU ${fmt(r.stats.cpuShareOfOneCore * 100)}%  nice ${r.stats.nice ?? "-"}  ${r.check.ok ? "kept up" : "SATURATED"}`,
        );
        if (!chosen || r.stats.sendLagMs.p99 < chosen.stats.sendLagMs.p99) chosen = r;
      }
      // every round's p99 beside the best: a later comparison tells a change from this run's own spread
      open[rate] = { ...chosen, rounds_p99_ms: roundsP99 };
      const s = chosen!.stats;
      const plain = chosen!.check.ok
        ? `the rate held: ${fmt(s.sentRatePerS)} of ${fmt(rate)} req/s sent${held < OPEN_ROUNDS ? ` (but the generator was saturated in ${OPEN_ROUNDS - held} of ${OPEN_ROUNDS} rounds: this machine holds ${fmt(rate)} req/s only some of the time)` : ""}`
        : `this machine cannot hold ${fmt(rate)} req/s with this generator: ${chosen!.check.detail.replace(/^.*not trustworthy: /, "")}`;
      log(`   -> ${plain}`);
      rows.push({
        id: `2-${rate / 1000}k`,
        target: `open model at ${fmt(rate)} req/s: send lag p99`,
        measured: `${fmt(s.sendLagMs.p99, 3)} ms (p50 ${fmt(s.sendLagMs.p50, 3)}, max ${fmt(s.sendLagMs.max, 1)})`,
        goal: rate === 10_000 ? "< 2 ms" : "reported",
        ratio: rate === 10_000 ? `${fmt(s.sendLagMs.p99 / 2, 2)} of limit` : "-",
        met: rate === 10_000 ? chosen!.check.ok && s.sendLagMs.p99 < 2 : null,
        note: `kept up in ${held} of ${OPEN_ROUNDS} rounds${held === 0 ? ": NOT held, and the run says so (generator-kept-up fails)" : ""}${rate === 5000 ? `; wake-up floor alone: p99 ${fmt(floor.p99, 3)} ms` : ""}`,
      });
      if (chosen!.check.ok && s.sendLagMs.p99 < 2) heldUnder2ms = rate;
    }
    results.open = open;
    // 1 shard vs SHARDS at 10k req/s (the 1-shard rounds are those above)
    const shardedOpen: OpenResult[] = [];
    for (let round = 1; round <= OPEN_ROUNDS; round++) {
      const r = await openRun(target.url, 10_000, SHARDS);
      shardedOpen.push(r);
      log(
        `   ${fmt(10_000).padStart(6)}/s  ${SHARDS} shards  sent ${fmt(r.stats.sentRatePerS).padStart(6)}/s  lag p50 ${fmt(r.stats.sendLagMs.p50, 3)}  p99 ${fmt(r.stats.sendLagMs.p99, 3)}  max ${fmt(r.stats.sendLagMs.max, 3)} ms  busiest loop ${fmt(r.stats.eventLoopBusyShare * 100)}%  CPU ${fmt(r.stats.cpuShareOfOneCore * 100)}%  ${r.check.ok ? "kept up" : "SATURATED"}`,
      );
    }
    const bestSharded = shardedOpen.reduce((a, b) => (b.stats.sendLagMs.p99 < a.stats.sendLagMs.p99 ? b : a));
    results.open_sharded = { shards: SHARDS, "10000": bestSharded };
    const one10k = (open[10_000] as OpenResult).stats.sendLagMs.p99;
    const heldSharded = shardedOpen.filter((r) => r.check.ok).length;
    rows.push({
      id: "2-10k-shards",
      target: `open model at 10,000 req/s, ${SHARDS} shards: send lag p99`,
      measured: `${fmt(bestSharded.stats.sendLagMs.p99, 3)} vs ${fmt(one10k, 3)} ms (1 shard)`,
      goal: "< 2 ms",
      ratio: `${fmt(bestSharded.stats.sendLagMs.p99 / 2, 2)} of limit`,
      met: bestSharded.check.ok && bestSharded.stats.sendLagMs.p99 < 2,
      note: `kept up in ${heldSharded} of ${OPEN_ROUNDS} rounds`,
    });
    rows.push({
      id: "2-max",
      target: "largest rate held with send lag p99 < 2 ms",
      measured: heldUnder2ms ? `${fmt(heldUnder2ms)} req/s` : "none",
      goal: "reported",
      ratio: "-",
      met: null,
      note: `of ${OPEN_RATES.map((r) => fmt(r)).join(", ")} req/s`,
    });

    // 3. ledger cost
    log(`\n3. ledger cost: ${fmt(LEDGER_ROWS)} requests, 1000 in flight at a time`);
    const memory = await ledgerRun("memory");
    const spill = await ledgerRun("spill");
    results.ledger = { memory, spill };
    const perRow = memory.retainedBytes / LEDGER_ROWS;
    log(
      `   in memory only: ${fmt(memory.retainedBytes / 1e6, 1)} MB for ${fmt(LEDGER_ROWS)} rows = ${fmt(perRow, 1)} B/request; ${fmt(memory.msTotal)} ms`,
    );
    log(
      `   spilling to disk: peak ${fmt(spill.peakBytes / 1e6, 1)} MB, ${fmt(spill.residentRows)} rows resident at the end, ${spill.spilledChunks} chunks written, ${fmt(spill.readBack)} rows read back`,
    );
    rows.push({
      id: "3a",
      target: "ledger memory per recorded request",
      measured: `${fmt(perRow, 1)} B`,
      goal: "<= 64 B",
      ratio: `${fmt(perRow / 64, 2)} of limit`,
      met: perRow <= 64,
      note: "columnar chunks, no per-row objects",
    });
    rows.push({
      id: "3b",
      target: "ledger peak heap, 1M requests",
      measured: `${fmt(spill.peakBytes / 1e6, 1)} MB spilling (${fmt(memory.peakBytes / 1e6, 1)} MB if all kept)`,
      goal: "bounded (streams to disk)",
      ratio: `${fmt(spill.peakBytes / memory.peakBytes, 2)} of in-memory`,
      met: spill.readBack === LEDGER_ROWS && spill.peakBytes < memory.peakBytes / 4,
      note: `finished chunks of 8192 rows go to a spill file`,
    });
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
    await target.stop();
  }

  // 4. time to verdict (the target container is gone: the stack gets the machine)
  log("\n4. time to verdict");
  // Ctrl-C from here on: remove whatever this process started (its stacks carry its pid)
  const onSignal4 = () => void sweep(docker, { ownerPid: process.pid }).finally(() => process.exit(130));
  process.once("SIGINT", onSignal4);
  process.once("SIGTERM", onSignal4);
  const importMs = await timeAppImport(docker, images);
  log(`   peer: one container of the app image importing FastAPI, uvicorn and gunicorn, create to exit: ${fmt(importMs)} ms`);
  const start = await timeStackStart(docker, images);
  log(
    `   warm stack start: network ${fmt(start.containersAtMs)} ms, app nodes healthy and nginx answering +${fmt(start.startMs - start.containersAtMs)} ms, first answer +${fmt(start.firstAnswerMs - start.startMs)} ms = ${fmt(start.firstAnswerMs)} ms`,
  );
  rows.push({
    id: "4a",
    target: "warm stack start to first answer",
    measured: `${fmt(start.firstAnswerMs / 1000, 2)} s`,
    goal: "<= 1.5 s",
    ratio: `${fmt(start.firstAnswerMs / 1500, 2)} of limit`,
    met: start.firstAnswerMs <= 1500,
    note: `drain-one-node stack: 2 nodes + nginx; ${fmt(start.firstAnswerMs / importMs, 2)}x one container's import of the app's libraries (${fmt(importMs)} ms)`,
  });
  const run = await timeDrainRun();
  for (const p of run.phases) log(`   ${p.phase.padEnd(40)} ${fmt(p.ms).padStart(6)} ms`);
  log(
    `   drain-one-node: ${fmt(run.wallMs / 1000, 2)} s wall for ${run.loadS} s of load + ${run.stopWaitS} s stop wait; verdict ${run.verdict}`,
  );
  rows.push({
    id: "4b",
    target: "drain-one-node wall / (load + stop wait)",
    measured: `${fmt(run.wallMs / 1000, 2)} s / ${run.loadS + run.stopWaitS} s = ${fmt(run.ratio, 2)}`,
    goal: "<= 1.10",
    ratio: `${fmt(run.ratio / 1.1, 2)} of limit`,
    met: run.ratio <= 1.1,
    note: `verdict ${run.verdict}`,
  });

  // 5. the generator's own CPU in the run's report, and a saturated run flagged
  const g = run.generator;
  log(
    `   report.generator: CPU ${fmt(g.cpuShareOfOneCore * 100)}% of a core (peak ${fmt(g.cpuPeakShareOfOneCore * 100)}%), loop ${fmt(g.eventLoopBusyShare * 100)}% busy, lag p99 ${g.sendLagMs.p99} ms -> ${run.check.name} ${run.check.ok ? "PASS" : "FAIL"}`,
  );
  const control = await timeDrainRun(generatorCannotKeepUp);
  log(`   must-fail control generator-cannot-keep-up: ${control.check.ok ? "PASS (wrong!)" : "FAIL as it must"}: ${control.check.detail}`);
  results.verdict_time = { start: { ...start, appImportMs: importMs }, run, control };
  rows.push({
    id: "5",
    target: "generator CPU in every report; saturated run flagged",
    measured: `cpu ${fmt(g.cpuShareOfOneCore * 100)}%, loop ${fmt(g.eventLoopBusyShare * 100)}% busy; control: ${control.check.ok ? "passed" : "flagged"}`,
    goal: "reported + flagged",
    ratio: "-",
    met: typeof g.cpuShareOfOneCore === "number" && typeof g.eventLoopBusyShare === "number" && run.check.ok && !control.check.ok,
    note: `control observed ${control.check.observed}`,
  });

  process.off("SIGINT", onSignal4);
  process.off("SIGTERM", onSignal4);
  printTable(rows);
  const dir = join(PROJECT_ROOT, "reports", "bench");
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${newRunId()}.json`);
  writeFileSync(file, `${JSON.stringify({ ...results, targets: rows }, null, 2)}\n`);
  log(`\nresults: ${file}`);
  if (args.compareTo) {
    const [now, before] = [readResult(file), readResult(args.compareTo)];
    process.stdout.write(`\n${machineNote(now, before, args.compareTo)}${renderComparison(compare(now, before), args.compareTo)}\n`);
  }
  if (args.accept) {
    copyFileSync(file, BASELINE);
    writeFileSync(README, replaceBenchTable(readFileSync(README, "utf8"), markdownTable(rows, results)));
    log(`accepted: ${BASELINE} and the README's bench table are this run`);
  }
  // a missed target is a finding, printed above; the exit code says only whether the bench ran
  return 0;
}

interface OpenResult {
  requests: number;
  answered: number;
  stats: import("../harness/records/generator-stats.ts").GeneratorStats;
  check: import("../harness/records/records.ts").CheckResult;
}

/** The processor, as the bench names the machine: its model and clock. */
function machineCpu(): string {
  const c = cpus()[0];
  // a VM may report its clock as 0
  return c ? `${c.model.trim()}${c.speed > 0 ? `, ${c.speed} MHz` : ""}` : "unknown";
}

async function openRun(url: string, rate: number, shards = 1): Promise<OpenResult> {
  const r = await drainlabPeer(["open", url, String(rate), String(OPEN_SECONDS), String(shards)], OPEN_SECONDS);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as OpenResult;
}

async function tickerFloor(rate: number): Promise<{ p50: number; p99: number; max: number }> {
  const r = await drainlabPeer(["ticker", String(rate), "2"], 2);
  return (JSON.parse(r.stdout.trim().split("\n").pop()!) as { lagMs: { p50: number; p99: number; max: number } }).lagMs;
}

interface LedgerResult {
  peakBytes: number;
  retainedBytes: number;
  residentRows: number;
  spilledChunks: number;
  readBack: number;
  msTotal: number;
}

async function ledgerRun(how: "memory" | "spill"): Promise<LedgerResult> {
  const r = await drainlabPeer(["ledger", String(LEDGER_ROWS), how], 30, ["--expose-gc"]);
  return JSON.parse(r.stdout.trim().split("\n").pop()!) as LedgerResult;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(`bench failed: ${(err as Error).stack ?? String(err)}`);
    process.exit(3);
  },
);

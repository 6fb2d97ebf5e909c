import { type ClockOffset, describeOffset, offsetWidth } from "../clock/clock-offset.ts";
import type { WallClock } from "../clock/wall-clock.ts";
import type { RunFigures } from "../figures/figures.ts";
import { type DrainRecord, SIGNAL_ACK_TEXT } from "../records/drain-record.ts";
import { isFault, type MeasurementsOf, measurementsOf } from "../records/fault-measurements.ts";
import type { Fact, FaultRecord } from "../records/fault-record.ts";
import type { Records } from "../records/records.ts";
import { type AppEvent, sessionOf } from "../records/server-logs.ts";
import { toEpochMs } from "../records/timeline.ts";
import type { TimeoutChain } from "../scenario/timeout-chain.ts";
import { recycleLimit, recycleSetting, recyclingAsked } from "./load-shape-checks.ts";

const SEED_CLAIM = "Only gunicorn respawns crashed workers; uvicorn --workers does not";

/**
 * Claims about the software under test, as the run measured them: the
 * seed's claim that only gunicorn respawns a crashed worker is checked on
 * whatever runtime the scenario ran, with the supervisor's own log lines and
 * the pids as evidence. A kill-worker fault on each runtime settles it.
 */
export function factsOf(faults: FaultRecord[], versions: Record<string, string>): Fact[] {
  return faults
    .filter((f): f is FaultRecord & { kind: "kill-worker" } => isFault(f, "kill-worker") && !f.error)
    .map((f) => {
      const m = measurementsOf(f);
      const runtime = String(m.runtime);
      const version =
        runtime === "uvicorn"
          ? `uvicorn ${versions.uvicorn ?? "?"} --workers`
          : `gunicorn ${versions.gunicorn ?? "?"} (UvicornWorker, uvicorn ${versions.uvicorn ?? "?"})`;
      const respawned = m.respawned_pid !== null;
      const after = m.respawn_after_ms;
      const ready = m.ready_after_ms === null ? "" : `, its app ready after ${m.ready_after_ms} ms`;
      const observed = respawned
        ? `${version} respawned the ${(f.params as { signal: string }).signal}ed worker (pid ${m.killed_pid} -> ${m.respawned_pid}) after ${after} ms${ready}`
        : `${version} did not start a replacement for worker pid ${m.killed_pid}; workers left: ${JSON.stringify(m.workers_after)}`;
      // the claim holds for gunicorn when it respawns, for uvicorn when it does not
      const holds = runtime === "uvicorn" ? !respawned : respawned;
      return { claim: SEED_CLAIM, source: "seed", observed, holds, evidence: evidenceOf(f, m) };
    });
}

function evidenceOf(f: FaultRecord, m: MeasurementsOf<"kill-worker">): string[] {
  return [
    `${f.target}: workers before ${JSON.stringify(m.workers_before)}, after ${JSON.stringify(m.workers_after)} (faultkit.py, /proc every 5 ms)`,
    ...m.supervisor_log.map((line) => `log: ${line}`),
  ];
}

/**
 * What the drain itself showed about the servers under test, measured in this
 * run and stated with their versions: the close code uvicorn sends open
 * WebSockets when it shuts down, whether the app's lifespan shutdown ran on
 * the drained node after its signal, and whether the background tasks it held
 * finished. A claim the run had no subject for is left out, never guessed.
 */
export function drainFactsOf(r: Records, versions: Record<string, string>, chain: TimeoutChain): Fact[] {
  const facts: Fact[] = [];
  // an attached system's servers are its own: drainlab knows neither their kind nor their versions
  const server = r.scenario.attach
    ? `the attached system (${r.scenario.attach.url}; servers and versions not read)`
    : `${r.scenario.stack.runtime === "uvicorn" ? "uvicorn --workers" : `gunicorn ${versions.gunicorn ?? "?"} (UvicornWorker)`}, uvicorn ${versions.uvicorn ?? "?"}`;
  for (const d of r.drains) {
    if (d.signal_acknowledged !== undefined) facts.push(signalPathFact(r, d));
    const signal = toEpochMs(d.signal_ms, r.server.t0EpochMs);
    const on = (e: AppEvent) => e.node === d.target && e.epochMs >= signal;
    // the server's closes: not "unknown" (the app stopped without seeing it), nor a socket the client closed itself
    // after the signal (its session done)
    const closes = (r.server.sessions?.app ?? []).filter(
      (e) => e.event === "ws-close" && on(e) && e.code !== "unknown" && !closedByClient(r, e.id),
    );
    if (closes.length > 0) {
      const codes = [...new Set(closes.map((e) => String(e.code)))];
      facts.push({
        claim: "uvicorn closes open WebSockets with 1012 (service restart) when it shuts down",
        source: "uvicorn PR 1816; issue 1344",
        observed: `${server}, ${d.signal}: the app saw its ${closes.length} socket(s) on ${d.target} closed with ${codes.join(", ")}`,
        holds: d.signal === "SIGTERM" ? codes.every((c) => c === "1012") : null,
        evidence: closes.slice(0, 5).map((e) => `${e.id} pid ${e.pid}: ws-close ${String(e.code)}`),
      });
    }
    const workers = new Set(
      r.server.app.filter((e) => e.event === "lifespan-startup" && e.node === d.target && e.epochMs < signal).map((e) => e.pid),
    );
    if (workers.size > 0 && d.signal === "SIGTERM") {
      const ran = new Set(r.server.app.filter((e) => e.event === "lifespan-shutdown" && on(e)).map((e) => e.pid));
      const missing = [...workers].filter((p) => !ran.has(p));
      facts.push({
        claim: `lifespan shutdown runs in every worker on ${r.scenario.attach ? "the drain's" : r.scenario.stack.runtime === "uvicorn" ? "uvicorn's" : "gunicorn's"} SIGTERM`,
        source: "uvicorn issue 1169, PR 1824",
        observed: `${server}: ${workers.size - missing.length} of ${workers.size} workers of ${d.target} ran it${missing.length ? ` (not pid ${missing.join(", ")}: killed first)` : ""}`,
        holds: missing.length === 0,
        evidence: [`exit ${d.exit_code} ${d.killed_after_wait ? "after SIGKILL" : "by itself"}, stop wait ${d.stop_wait_s} s`],
      });
    }
    const tasks = r.server.app.filter((e) => e.event === "task-start" && e.node === d.target);
    const finished = new Set(r.server.app.filter((e) => e.event === "task-finish" && e.node === d.target).map((e) => e.id));
    const heldAtSignal = tasks.filter(
      (e) => e.epochMs < signal && !r.server.app.some((f) => f.event === "task-finish" && f.id === e.id && f.epochMs < signal),
    );
    if (heldAtSignal.length > 0 && d.signal === "SIGTERM") {
      const lost = heldAtSignal.filter((e) => !finished.has(e.id));
      facts.push({
        claim: "background tasks still running at SIGTERM finish within a graceful stop",
        source: "starlette issue 1438",
        observed: `${server}, graceful limit ${gracefulText(chain)}: ${heldAtSignal.length - lost.length} of ${heldAtSignal.length} finished`,
        holds: lost.length === 0,
        evidence: lost.slice(0, 5).map((e) => `${e.id} pid ${e.pid}: started, never finished`),
      });
    }
  }
  return facts;
}

/** The effective graceful limit of the run's timeout chain (the smaller of uvicorn's and gunicorn's), and which one binds. */
export function gracefulText(chain: TimeoutChain): string {
  return `${chain.effective_graceful_s} s (${chain.limited_by})`;
}

/** Whether the drain's SIGTERM reached the server, as the node showed it: PID 1 read from the running node, and the server's own log line. */
function signalPathFact(r: Records, d: DrainRecord): Fact {
  const path = r.system?.signal_path ?? null;
  const ack = d.signal_acknowledged ?? null;
  const end = d.killed_after_wait ? `SIGKILLed after the ${d.stop_wait_s} s stop wait` : `exited by itself with code ${d.exit_code}`;
  return {
    claim: "the drain's SIGTERM reaches the server (PID 1 is the server, or passes the signal on)",
    source: "docker stop; a shell-form CMD makes /bin/sh PID 1",
    observed: ack
      ? `${d.target}: the server logged "${ack.line}" ${Math.round(ack.t_ms - d.signal_ms)} ms after the SIGTERM, then ${end}`
      : `${d.target}: ${SIGNAL_ACK_TEXT}; ${end}`,
    // a server that logs nothing proves nothing, unless PID 1 is a shell and the node had to be killed
    holds: ack ? true : path?.shell_pid1 && d.killed_after_wait ? false : null,
    evidence: path ? [`PID 1: ${path.pid1 || "unknown"} (${path.note})`] : [],
  };
}

/**
 * Whether worker recycling cost requests, in a run where nothing else could have (no drain, no
 * fault): the recycles from the nodes' logs, and every loss class the reconciliation found.
 */
export function recycleFactsOf(r: Records, figures: RunFigures, versions: Record<string, string>): Fact[] {
  const recycles = r.server.recycles ?? [];
  const limit = recycleLimit(r.scenario.stack);
  // a limit the user's config has and the scenario does not exercise: said, not judged
  if (limit !== null && !recyclingAsked(r.scenario)) {
    const counted = r.server.recycles !== null && r.server.recycles !== undefined;
    return [
      {
        claim: `the user's ${recycleSetting(r.scenario.stack)} (worker recycling) is reached by this load`,
        source: "the server's effective config, and each node's log",
        observed: !counted
          ? "the nodes' logs were not saved"
          : recycles.length === 0
            ? `not reached by this load: 0 recycles in ${figures.requests.sent} requests`
            : `${recycles.length} recycle(s) in ${figures.requests.sent} requests`,
        holds: counted ? recycles.length > 0 : null,
        evidence: recycles.slice(0, 5).map((e) => `${e.node}: ${e.line}`),
      },
    ];
  }
  if (limit === null || recycles.length === 0 || r.scenario.drain.enabled || (r.faults ?? []).length > 0) return [];
  const uvicorn = r.scenario.stack.runtime === "uvicorn";
  const server = uvicorn
    ? `uvicorn ${versions.uvicorn ?? "?"} --workers --limit-max-requests ${limit}`
    : `gunicorn ${versions.gunicorn ?? "?"} ${recycleSetting(r.scenario.stack)}, UvicornWorker`;
  const lost = Object.entries(figures.reconciliation.counts).filter(([c, n]) => n > 0 && c !== "slow-during-drain");
  return [
    {
      claim: "worker recycling (max_requests) loses no request",
      source: "gunicorn issues 3038 and 3199; uvicorn PR 3124",
      observed: `${server}: ${recycles.length} recycle(s) in ${figures.requests.sent} requests; ${lost.length === 0 ? "no loss of any class" : lost.map(([c, n]) => `${c} ${n}`).join(", ")}`,
      holds: lost.length === 0,
      evidence: recycles.slice(0, 5).map((e) => `${e.node}: ${e.line}`),
    },
  ];
}

/**
 * The wall clock's jumps against the run's clock (clock/wall-clock.ts), if
 * any: server timestamps are read by the time order of the samples, and the
 * report says so. A backward jump makes the clock read a stretch of epochs
 * twice: a stamp in it has no single reading, and the fact says how many
 * requests that left unjudged (`indeterminate`, from the reconciliation).
 */
export function clockFactsOf(clock: WallClock, indeterminate = 0): Fact[] {
  const { steps } = clock;
  if (steps.length === 0) return [];
  const jumps = steps.map((s) => `${s.step_ms > 0 ? "+" : ""}${s.step_ms} ms at ${(s.at_ms / 1000).toFixed(2)} s`);
  const ambiguous = clock.ambiguous();
  const read =
    ambiguous.length === 0
      ? "each server timestamp was read with the offset in force when it was taken (by the time order of the samples)"
      : `each server timestamp was read by the time order of the samples; a backward jump makes the clock read the same epochs twice, so a stamp in ${ambiguous
          .map((a) => `epochs ${a.fromEpochMs} to ${a.toEpochMs}`)
          .join(
            ", ",
          )} stands for two moments and is indeterminate for checks that compare times (${indeterminate} request(s) could not be placed before or after a removal)`;
  return [
    {
      claim: "The machine's wall clock keeps time with the run's monotonic clock",
      source: "drainlab (server timestamps are on the wall clock, the run's clock is monotonic)",
      observed: `the wall clock jumped ${jumps.join(", ")}; ${read}`,
      holds: false,
      evidence: steps.map(
        (s) =>
          `at ${s.at_ms} ms: wall clock minus run clock ${s.offset_ms} ms${s.step_ms < 0 ? " (backward: an ambiguous stretch)" : `, for server timestamps from epoch ${s.from_epoch_ms} ms`}`,
      ),
    },
  ];
}

/**
 * attach: each server's clock against this machine's, bounded by the records
 * (clock/clock-offset.ts). Said when a clock was shifted, when its bounds
 * cross, or when they are too wide to place a request against a removal.
 */
export function clockOffsetFactsOf(offsets: readonly ClockOffset[], settleMs: number): Fact[] {
  const notable = offsets.filter((o) => o.shift_ms !== 0 || o.inconsistent || offsetWidth(o) > settleMs);
  if (notable.length === 0) return [];
  return [
    {
      claim: "The attached system's clocks keep this machine's time",
      source: "drainlab (an attached system's stamps are compared with the client's and the drain's times)",
      observed: notable.map(describeOffset).join("; "),
      holds: false,
      evidence: offsets.map(
        (o) =>
          `${o.source}: offset in [${o.lower_ms ?? "-inf"}, ${o.upper_ms ?? "+inf"}] ms from ${o.requests} request(s), shifted ${-o.shift_ms} ms`,
      ),
    },
  ];
}

/** Whether the client closed this WebSocket connection itself (`<session>` is connection 0, `<session>.r<n>` connection n). */
function closedByClient(r: Records, id: string): boolean {
  const session = sessionOf(id);
  if (session === null) return false;
  const record = r.sessions?.find((s) => s.id === session);
  const n = id === session ? 0 : Number(id.slice(id.lastIndexOf(".r") + 2));
  return record?.client_closed?.includes(n) ?? false;
}

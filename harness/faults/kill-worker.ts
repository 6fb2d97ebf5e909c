import { constants } from "node:os";
import { logLinesSince } from "../nodes/node-logs.ts";
import type { LogLine } from "../records/container-log.ts";
import { type Measured, measurementsOf } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import { toEpochMs } from "../records/timeline.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import { nodeName } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";
import { attemptsOn } from "./impact.ts";
import type { FaultDefinition, FaultEvidence } from "./types.ts";

type KillWorker = FaultOf<"kill-worker">;

/** What faultkit.py kill-worker prints. */
interface KillResult {
  error?: string;
  killed_pid: number;
  killed_epoch_ms: number;
  gone_epoch_ms: number | null;
  respawned_pid: number | null;
  respawn_epoch_ms: number | null;
  workers_before: number[];
  workers_after: number[];
}

/** How long after the respawn the replacement's "Application startup complete" may take to show in the log. */
const READY_LOG_WAIT_MS = 5_000;
/** The kill helper polls this long past respawn_within_s, so a late respawn is still measured, not missed. */
const POLL_SLACK_S = 5;

/**
 * kill -9 one worker of a node mid-traffic. faultkit.py kills it and polls
 * /proc every 5 ms for the replacement the supervisor (gunicorn's master or
 * uvicorn's --workers supervisor) starts; the container's log says when the
 * replacement's application was ready, and what the supervisor said.
 */
export const killWorker: FaultDefinition<KillWorker> = {
  kind: "kill-worker",
  async run({ stack, scenario, timeline, signal }, fault) {
    const target = nodeName(fault.target);
    const runtime = scenario.stack.runtime;
    const start = timeline.add("fault-kill-worker", { target, worker: fault.worker, signal: fault.signal, runtime });
    const signo = constants.signals[fault.signal];
    const timeoutS = fault.respawn_within_s + POLL_SLACK_S;
    const out = await stack.execOutput(target, [
      "python3",
      "/app/faultkit.py",
      "kill-worker",
      "--index",
      String(fault.worker),
      "--signal",
      String(signo),
      "--timeout-s",
      String(timeoutS),
    ]);
    const record: FaultRecord = {
      kind: "kill-worker",
      target,
      start_ms: start.t_ms,
      end_ms: null,
      params: fault,
      error: null,
      measurements: { runtime },
    };
    let result: KillResult;
    try {
      result = JSON.parse(out.output.trim().split("\n").pop() ?? "") as KillResult;
    } catch {
      return { ...record, error: `faultkit kill-worker printed no result (exit ${out.exitCode}): ${out.output.trim().slice(0, 300)}` };
    }
    if (result.error) return { ...record, error: result.error, measurements: { runtime, workers_before: result.workers_before ?? [] } };

    const killedMs = timeline.atEpoch(result.killed_epoch_ms);
    timeline.addAt(killedMs, "worker-killed", { target, pid: result.killed_pid, signal: fault.signal });
    const respawnMs = result.respawn_epoch_ms === null ? null : timeline.atEpoch(result.respawn_epoch_ms);
    if (respawnMs !== null)
      timeline.addAt(respawnMs, "worker-respawned", { target, pid: result.respawned_pid, after_ms: Math.round(respawnMs - killedMs) });
    else timeline.add("worker-not-respawned", { target, pid: result.killed_pid, waited_s: timeoutS });

    // the supervisor's own account, and when the replacement's app was ready
    let lines: LogLine[] = [];
    let ready: LogLine | undefined;
    const deadline = performance.now() + READY_LOG_WAIT_MS;
    while (result.respawned_pid !== null && performance.now() < deadline && !signal?.aborted) {
      lines = await logLinesSince(stack, target, result.killed_epoch_ms - 1000);
      ready = readyLine(lines, result.respawned_pid);
      if (ready) break;
      await sleep(100, signal);
    }
    if (result.respawned_pid === null) lines = await logLinesSince(stack, target, result.killed_epoch_ms - 1000);
    const readyMs = ready ? timeline.atEpoch(ready.epochMs) : null;
    if (readyMs !== null) timeline.addAt(readyMs, "worker-ready", { target, pid: result.respawned_pid });
    const evidence = lines.filter(
      (l) =>
        mentions(l.text, result.killed_pid) ||
        (result.respawned_pid !== null && mentions(l.text, result.respawned_pid)) ||
        /died|SIGKILL|Booting|startup complete/i.test(l.text),
    );
    return {
      ...record,
      start_ms: killedMs,
      end_ms: readyMs ?? respawnMs,
      measurements: {
        runtime,
        killed_pid: result.killed_pid,
        respawned_pid: result.respawned_pid,
        workers_before: result.workers_before,
        workers_after: result.workers_after,
        gone_after_ms: result.gone_epoch_ms === null ? null : Math.round(result.gone_epoch_ms - result.killed_epoch_ms),
        respawn_after_ms: respawnMs === null ? null : Math.round(respawnMs - killedMs),
        ready_after_ms: readyMs === null ? null : Math.round(readyMs - killedMs),
        supervisor_log: evidence.slice(0, 12).map((l) => l.text.trim()),
      },
    };
  },
  measure: measureKillWorker,
  summarize(m) {
    const ready = m.ready_after_ms === null ? "" : `, ready after ${m.ready_after_ms} ms`;
    return m.respawned_pid === null
      ? `not respawned (pid ${m.killed_pid} killed, workers left ${JSON.stringify(m.workers_after)})`
      : `respawned after ${m.respawn_after_ms} ms (pid ${m.killed_pid} -> ${m.respawned_pid})${ready}`;
  },
};

/** The requests the killed worker held, from the app ledger, and what became of them at the client. */
export function measureKillWorker(record: FaultRecord, evidence: FaultEvidence): Measured<"kill-worker"> {
  const { rows, server } = evidence;
  const { killed_pid: pid, respawned_pid: fresh } = measurementsOf(record as FaultRecord & { kind: "kill-worker" });
  if (pid === null || record.target === null) return {};
  const onVictim = server.app.filter((e) => e.node === record.target && e.pid === pid);
  const finished = new Set(onVictim.filter((e) => e.event === "finish").map((e) => e.id));
  const held = [...new Set(onVictim.filter((e) => e.event === "start" && !finished.has(e.id)).map((e) => e.id))];
  const byId = new Map(rows.map((r) => [r.id, r]));
  const outcomes = held.map((id) => byId.get(id)).filter((r) => r !== undefined);
  const firstServed =
    fresh !== null ? server.app.find((e) => e.node === record.target && e.pid === fresh && e.event === "start") : undefined;
  const killedEpoch = toEpochMs(record.start_ms, server.t0EpochMs);
  const benched = passiveHealthBench(evidence, record.target, record.start_ms);
  return {
    held_by_killed_worker: held.length,
    held_failed: outcomes.filter((r) => r.error !== "none").length,
    held_answered_by_retry: outcomes.filter((r) => r.error === "none").length,
    held_failed_examples: outcomes
      .filter((r) => r.error !== "none")
      .slice(0, 3)
      .map((r) => `${r.id} ${r.method} ${r.status || r.error}`),
    first_served_after_ms: firstServed ? Math.round(firstServed.epochMs - killedEpoch) : null,
    ...benched,
  };
}

/**
 * The killed worker's cut requests are failures to nginx's passive health,
 * which then takes the whole node out of the rotation for fail_timeout: from
 * the first request with a failed attempt there to the next attempt on the
 * node (null: not chosen again before the run ended). nginx logs no
 * per-attempt end, so the failure's time is its request's end: a lower bound.
 */
export function passiveHealthBench(evidence: FaultEvidence, node: string, killMs: number): Measured<"kill-worker"> {
  const attempts = attemptsOn(evidence, node);
  const failure = attempts.filter((a) => a.failed && a.endMs >= killMs).sort((a, b) => a.endMs - b.endMs)[0];
  if (!failure) return { node_out_of_rotation_ms: 0 };
  const next = attempts.find((a) => a.startMs > failure.endMs);
  return { node_out_of_rotation_ms: next ? Math.round(next.startMs - failure.endMs) : null };
}

function mentions(text: string, pid: number): boolean {
  return new RegExp(`\\b${pid}\\b`).test(text);
}

/** gunicorn: "[pid] [INFO] Application startup complete."; uvicorn --workers: "Started server process [pid]" then an unattributed "Application startup complete." */
function readyLine(lines: LogLine[], pid: number): LogLine | undefined {
  const started = lines.findIndex((l) => l.text.includes(`Started server process [${pid}]`));
  if (started < 0) return undefined;
  return lines
    .slice(started)
    .find((l) => l.text.includes("Application startup complete") && (!/\[\d+\] \[INFO\]/.test(l.text) || mentions(l.text, pid)));
}

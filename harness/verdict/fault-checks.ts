import { isFault, type MeasurementsOf, measurementsOf } from "../records/fault-measurements.ts";
import type { FaultRecord } from "../records/fault-record.ts";
import type { CheckOutcome, CheckStatus, Records } from "../records/records.ts";
import type { FaultCheckName, FaultKind, FaultOf } from "../scenario/fault-schema.ts";

type FaultJudgement = { ok: boolean; observed: string; detail: string; status?: CheckStatus };

/** A fault kind's check: it applies to a run that has a record of that fault, and only then is it part of the verdict. */
export interface FaultCheck {
  name: FaultCheckName;
  kind: FaultKind;
  applies: (records: Records) => boolean;
  run: (records: Records) => CheckOutcome;
}

/**
 * A check over the records of one fault kind: fails on any record whose fault
 * could not be carried out, and otherwise asks `judge` about each record, with
 * its measurements read through the kind's schema.
 */
function faultCheck<K extends FaultKind>(
  name: FaultCheckName,
  kind: K,
  expected: string,
  judge: (f: FaultRecord, m: MeasurementsOf<K>, params: FaultOf<K>) => FaultJudgement,
): FaultCheck {
  const mineOf = (faults: FaultRecord[] = []) => faults.filter((f): f is FaultRecord & { kind: K } => isFault(f, kind));
  return {
    name,
    kind,
    applies: ({ faults }) => mineOf(faults).length > 0,
    run: ({ faults }) => {
      const mine = mineOf(faults);
      if (mine.length === 0)
        return { name, status: "no-evidence", ok: false, observed: "-", expected, detail: `no ${kind} fault in this run` };
      const results: FaultJudgement[] = mine.map((f) =>
        f.error
          ? { ok: false, observed: "not applied", detail: `${f.target ?? kind}: the fault could not be carried out: ${f.error}` }
          : judge(f, measurementsOf(f), f.params as FaultOf<K>),
      );
      const worst = results.find((r) => !r.ok) ?? results[0]!;
      const status = results.some((r) => !r.ok && r.status !== "no-evidence")
        ? "fail"
        : results.some((r) => r.status === "no-evidence")
          ? "no-evidence"
          : "pass";
      return { name, status, ok: status === "pass", observed: worst.observed, expected, detail: results.map((r) => r.detail).join("; ") };
    },
  };
}

/** kill-worker: the supervisor started a replacement within respawn_within_s. */
export const workerRespawned = faultCheck("worker-respawned", "kill-worker", "a new worker within respawn_within_s", (f, m, p) => {
  const limitMs = p.respawn_within_s * 1000;
  const after = m.respawn_after_ms;
  const ok = after !== null && after <= limitMs;
  const ready = m.ready_after_ms;
  const held = m.held_by_killed_worker;
  const fate =
    held === null
      ? ""
      : `; it held ${held} request(s): ${m.held_failed ?? 0} failed, ${m.held_answered_by_retry ?? 0} answered by nginx's retry elsewhere`;
  const bench =
    m.node_out_of_rotation_ms === undefined
      ? ""
      : `; nginx's passive health then kept ${f.target} out of rotation ${m.node_out_of_rotation_ms === null ? "for the rest of the run" : `for ${m.node_out_of_rotation_ms} ms`}`;
  const what =
    after === null
      ? `no replacement within ${limitMs / 1000 + 5} s`
      : `replaced by pid ${m.respawned_pid} after ${after} ms${ready === null ? "" : `, app ready after ${ready} ms`}`;
  return {
    ok,
    observed: after === null ? "not respawned" : `${after} ms`,
    detail: `${f.target} (${m.runtime}): worker pid ${m.killed_pid} ${p.signal}ed, ${what}${fate}${bench}`,
  };
});

/** kill-node: nginx's passive health stopped sending to the dead node within route_around_within_ms of the kill. */
export const passiveHealthRoutedAround = faultCheck(
  "passive-health-routed-around",
  "kill-node",
  "nginx stops choosing the dead node within route_around_within_ms",
  (f, m, p) => {
    const limit = p.route_around_within_ms;
    const after = m.route_around_after_ms;
    const inWindow = m.attempts_in_first_fail_timeout ?? 0;
    if (after === null) {
      const why =
        m.requests_sent_in_first_fail_timeout === 0
          ? "no request was sent after the kill"
          : "no attempt was in flight on it at the kill and nginx never tried it afterwards";
      return {
        status: "no-evidence" as const,
        ok: false,
        observed: "no evidence",
        detail: `${f.target} SIGKILLed, but ${why}: no evidence that passive health routed around it`,
      };
    }
    const inFlight = m.failed_in_flight_at_kill ?? 0;
    return {
      ok: after <= limit,
      observed: `${after} ms`,
      detail: `${f.target} SIGKILLed: the kill failed ${inFlight} attempt(s) in flight on it; nginx (${m.passive_health}) then tried it ${inWindow} time(s) in the first fail_timeout${inWindow ? `, the last ${after} ms after the kill` : ", routing around it at once"} (limit ${limit} ms); ${m.failed_until_routed_around ?? 0} of those requests failed, ${m.answered_by_retry_elsewhere ?? 0} were answered by a retry elsewhere; ${m.attempts_on_dead_node ?? 0} attempts on it after the kill in all`,
    };
  },
);

/** pause-node: nobody waited on the frozen node longer than proxy_read_timeout (or the freeze) plus a second. */
export const freezeBoundedByReadTimeout = faultCheck(
  "freeze-bounded-by-read-timeout",
  "pause-node",
  "wait <= min(proxy_read_timeout, freeze) + 1000 ms",
  (f, m) => {
    const limit = Math.min(m.proxy_read_timeout_ms ?? Infinity, m.frozen_ms ?? Infinity) + 1000;
    const wait = m.max_wait_ms_due_during_freeze;
    return {
      // no request due during the freeze: nothing was bounded, so nothing is shown
      ...(wait === null ? { status: "no-evidence" as const } : {}),
      ok: wait !== null && wait <= limit,
      observed: wait === null ? "no requests" : `${wait} ms`,
      detail: `${f.target} frozen ${m.frozen_ms} ms: ${m.attempts_on_frozen_node ?? 0} attempt(s) sent to it, ${m.timed_out_attempts ?? 0} timed out (504), ${m.retried_elsewhere ?? 0} re-sent elsewhere; after the thaw it finished ${m.finished_after_thaw_for_gone_clients ?? 0} request(s) whose client had its answer already; longest wait ${wait ?? "-"} ms (limit ${limit} ms)`,
    };
  },
);

/** netem: the fault demonstrably happened: packets went through it, answers were slower by half the delay, resets killed connections. */
export const networkFaultTookEffect = faultCheck(
  "network-fault-took-effect",
  "netem",
  "packets impaired, latency or resets observed",
  (f, m, p) => {
    const problems: string[] = [];
    const packets = m.packets;
    const vsOthers = m.extra_latency_ms;
    const vsBefore = m.extra_latency_vs_before_ms;
    // the larger of the two baselines: with the fault on every node the others are slowed too, and its own
    // earlier answers still show the delay
    const extra = vsOthers === null ? vsBefore : vsBefore === null ? vsOthers : Math.max(vsOthers, vsBefore);
    if (m.mechanism !== "none" && !packets) problems.push("no packet went through the impairment");
    if (p.delay_ms > 0 && (extra === null || extra < p.delay_ms / 2))
      problems.push(
        extra === null
          ? `no answer of ${f.target} to compare (none in the fault window, or none before it and none from another node)`
          : `answers were only ${extra} ms slower (delay ${p.delay_ms} ms)`,
      );
    if (p.loss_pct > 0 && !m.dropped) problems.push("no packet was dropped");
    if (p.reset_every_ms !== null && !m.sockets_reset) problems.push("no connection was reset");
    const i = m.impact;
    return {
      ok: problems.length === 0,
      observed: problems.length ? "not observed" : extra !== null && p.delay_ms > 0 ? `+${extra} ms` : `${m.sockets_reset ?? 0} resets`,
      detail: `${f.target} via ${m.mechanism}: ${packets ?? 0} packets, ${m.dropped ?? 0} dropped, answers ${vsOthers ?? "?"} ms slower than the other nodes' and ${vsBefore ?? "?"} ms slower than its own before the fault, ${m.sockets_reset ?? 0} connections reset; during it ${i?.failed ?? 0} failed, ${i?.retried_by_nginx ?? 0} retried by nginx${problems.length ? `; ${problems.join("; ")}` : ""}`,
    };
  },
);

/** reload-storm: every reload was accepted and nginx still answers afterwards. */
export const reloadStormApplied = faultCheck(
  "reload-storm-applied",
  "reload-storm",
  "every reload accepted, nginx answering after",
  (_f, m, p) => {
    const sent = m.reloads_sent ?? 0;
    const failed = m.reloads_failed ?? 0;
    // `nginx -s reload` exiting 0 only sends SIGHUP; the master logging a reconfiguration for each is the proof it took them
    const takenUp = m.sighup_reconfigurations_logged;
    const ok = sent > 1 && failed === 0 && takenUp !== null && takenUp >= sent && m.nginx_answers_after === true;
    return {
      ok,
      observed: `${sent - failed}/${sent}`,
      detail: `${sent} reloads (${m.reloads_expected ?? "?"} asked) every ${m.mean_interval_ms ?? "?"} ms (asked ${p.every_ms} ms; a reload and its wait take longer here), ${failed} failed, ${takenUp ?? "?"} taken up by nginx's master, up to ${m.max_nginx_workers ?? "?"} worker processes at once; nginx ${m.nginx_answers_after ? "answered" : "did NOT answer"} after`,
    };
  },
);

/** health-removal: every node seen draining or down was out of nginx's upstream within remove_within_ms, and got no request after. */
export const healthDrivenRemoval = faultCheck(
  "health-driven-removal",
  "health-removal",
  "removed within remove_within_ms, no request after",
  (_f, m, p) => {
    const limit = p.remove_within_ms;
    const { removals, undetected } = m;
    const bad = removals.filter(
      (r) => r.detection_to_removal_ms === undefined || r.detection_to_removal_ms > limit || (r.reached_after_removal ?? 0) > 0,
    );
    const worst = Math.max(0, ...removals.map((r) => r.detection_to_removal_ms ?? Infinity));
    const parts = removals.map(
      (r) =>
        `${r.node} seen ${r.state}${r.onset_to_detection_ms == null ? "" : ` ${r.onset_to_detection_ms} ms after its fault`}, removed ${r.detection_to_removal_ms ?? "never"} ms after detection, ${r.reached_after_removal ?? "?"} request(s) reached it after`,
    );
    if (undetected.length) parts.push(`never detected: ${undetected.join(", ")}`);
    return {
      ok: bad.length === 0 && undetected.length === 0,
      observed: removals.length ? `${worst} ms` : "no removal",
      detail: parts.length ? parts.join("; ") : "no node went draining or down while the controller ran",
    };
  },
);

/** The checks the faults add, in FAULT_CHECK_NAMES order; each is part of the verdict only where it applies. */
export const FAULT_CHECKS: FaultCheck[] = [
  workerRespawned,
  passiveHealthRoutedAround,
  freezeBoundedByReadTimeout,
  networkFaultTookEffect,
  reloadStormApplied,
  healthDrivenRemoval,
];

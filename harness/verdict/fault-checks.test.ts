import { describe, expect, it } from "vitest";
import { faultRecord, records, scenario } from "../faults/test-records.ts";
import { FAULT_CHECK_NAMES } from "../scenario/fault-schema.ts";
import {
  FAULT_CHECKS,
  freezeBoundedByReadTimeout,
  healthDrivenRemoval,
  networkFaultTookEffect,
  passiveHealthRoutedAround,
  reloadStormApplied,
  workerRespawned,
} from "./fault-checks.ts";
import { judge } from "./verdict.ts";

const run = (check: typeof workerRespawned, faults: Parameters<typeof records>[0]) => check.run(records(faults));

describe("fault checks", () => {
  it("every check applies only to a run with its fault, and never passes without one", () => {
    for (const check of FAULT_CHECKS) {
      expect(check.applies(records(undefined))).toBe(false);
      expect(check.applies(records([faultRecord({ kind: "mark-draining" })]))).toBe(false);
      expect(check.run(records([]))).toMatchObject({ ok: false, status: "no-evidence" });
    }
    expect(workerRespawned.applies(records([faultRecord({ kind: "kill-worker" })]))).toBe(true);
  });

  it("are part of the verdict only where they apply, or where the scenario puts them out of scope", () => {
    const names = (r: ReturnType<typeof records>) => judge(r).checks.map((c) => c.name);
    expect(names(records([]))).not.toContain("worker-respawned");
    expect(names(records([faultRecord({ kind: "kill-worker" })]))).toContain("worker-respawned");
    const skip = scenario({ checks: { skip: [{ check: "worker-respawned", reason: "not this run" }] } });
    expect(judge(records([], { scenario: skip })).checks.find((c) => c.name === "worker-respawned")?.status).toBe("skipped");
  });

  it("names one check per name in FAULT_CHECK_NAMES, in that order", () => {
    expect(FAULT_CHECKS.map((c) => c.name)).toEqual([...FAULT_CHECK_NAMES]);
  });

  it("fails a fault that could not be carried out, whatever it would have measured", () => {
    const r = run(networkFaultTookEffect, [
      faultRecord({ kind: "netem", duration_s: 1 }, { error: "tc qdisc add ... netem failed: unknown qdisc" }),
    ]);
    expect(r).toMatchObject({ ok: false, observed: "not applied" });
    expect(r.detail).toContain("unknown qdisc");
  });

  describe("worker-respawned", () => {
    const killed = (respawn: number | null) =>
      faultRecord(
        { kind: "kill-worker", respawn_within_s: 5, signal: "SIGKILL" },
        {},
        {
          runtime: "uvicorn",
          killed_pid: 9,
          respawned_pid: respawn === null ? null : 19,
          respawn_after_ms: respawn,
          ready_after_ms: 900,
          held_by_killed_worker: 4,
          held_failed: 1,
          held_answered_by_retry: 3,
        },
      );

    it("passes when a replacement appeared within respawn_within_s, and tells the fate of what the worker held", () => {
      const r = run(workerRespawned, [killed(203)]);
      expect(r).toMatchObject({ ok: true, observed: "203 ms" });
      expect(r.detail).toBe(
        "node-1 (uvicorn): worker pid 9 SIGKILLed, replaced by pid 19 after 203 ms, app ready after 900 ms; it held 4 request(s): 1 failed, 3 answered by nginx's retry elsewhere",
      );
    });

    it("fails when none appeared, or too late", () => {
      expect(run(workerRespawned, [killed(null)])).toMatchObject({ ok: false, observed: "not respawned" });
      expect(run(workerRespawned, [killed(5001)])).toMatchObject({ ok: false, observed: "5001 ms" });
    });
  });

  describe("passive-health-routed-around", () => {
    const dead = (after: number, passive = "max_fails 1, fail_timeout 10 s") =>
      faultRecord(
        { kind: "kill-node", route_around_within_ms: 1000 },
        {},
        {
          passive_health: passive,
          route_around_after_ms: after,
          attempts_in_first_fail_timeout: 2,
          attempts_on_dead_node: 2,
          failed_until_routed_around: 1,
          answered_by_retry_elsewhere: 1,
        },
      );

    it("passes when nginx stopped choosing the dead node within the limit", () => {
      expect(run(passiveHealthRoutedAround, [dead(11)])).toMatchObject({ ok: true, observed: "11 ms" });
    });

    it("passes when the in-flight failures alone tripped max_fails: routed around at once", () => {
      const r = run(passiveHealthRoutedAround, [
        faultRecord(
          { kind: "kill-node", route_around_within_ms: 1000 },
          {},
          {
            passive_health: "max_fails 1, fail_timeout 10 s",
            route_around_after_ms: 0,
            failed_in_flight_at_kill: 9,
            attempts_in_first_fail_timeout: 0,
            attempts_on_dead_node: 0,
          },
        ),
      ]);
      expect(r).toMatchObject({ ok: true, observed: "0 ms" });
      expect(r.detail).toContain("the kill failed 9 attempt(s) in flight on it");
      expect(r.detail).toContain("routing around it at once");
    });

    it("fails without evidence: nothing in flight at the kill and nginx never tried the dead node, or no load after it", () => {
      const none = faultRecord(
        { kind: "kill-node", route_around_within_ms: 1000 },
        {},
        { passive_health: "max_fails 1, fail_timeout 10 s", route_around_after_ms: null, requests_sent_in_first_fail_timeout: 40 },
      );
      expect(run(passiveHealthRoutedAround, [none])).toMatchObject({ ok: false, observed: "no evidence" });
      const idle = faultRecord(
        { kind: "kill-node", route_around_within_ms: 1000 },
        {},
        { route_around_after_ms: null, requests_sent_in_first_fail_timeout: 0 },
      );
      expect(run(passiveHealthRoutedAround, [idle]).detail).toContain("no request was sent after the kill");
    });

    it("fails when it kept choosing it (passive health off)", () => {
      const r = run(passiveHealthRoutedAround, [dead(5383, "off (max_fails 0)")]);
      expect(r).toMatchObject({ ok: false, observed: "5383 ms" });
      expect(r.detail).toContain("off (max_fails 0)");
    });
  });

  describe("freeze-bounded-by-read-timeout", () => {
    const frozen = (wait: number | null) =>
      faultRecord(
        { kind: "pause-node", duration_s: 4 },
        {},
        { frozen_ms: 4000, proxy_read_timeout_ms: 2000, max_wait_ms_due_during_freeze: wait },
      );

    it("bounds the wait by the shorter of proxy_read_timeout and the freeze, plus 1 s", () => {
      expect(run(freezeBoundedByReadTimeout, [frozen(2054)])).toMatchObject({
        ok: true,
        expected: "wait <= min(proxy_read_timeout, freeze) + 1000 ms",
      });
      expect(run(freezeBoundedByReadTimeout, [frozen(3001)])).toMatchObject({ ok: false, observed: "3001 ms" });
      // nothing due during the freeze shows nothing: no pass on missing evidence
      expect(run(freezeBoundedByReadTimeout, [frozen(null)])).toMatchObject({ ok: false, observed: "no requests" });
    });
  });

  describe("network-fault-took-effect", () => {
    const fault = { kind: "netem" as const, duration_s: 4, delay_ms: 150, jitter_ms: 50, loss_pct: 5, reset_every_ms: null };

    it("passes when packets went through, some were dropped, and answers were slower by at least half the delay", () => {
      const r = run(networkFaultTookEffect, [
        faultRecord(fault, {}, { mechanism: "nfqueue", packets: 824, dropped: 43, extra_latency_ms: 309, sockets_reset: 0 }),
      ]);
      expect(r).toMatchObject({ ok: true, observed: "+309 ms" });
    });

    it("counts the delay against the node itself before the fault when every node carries it", () => {
      const both = { mechanism: "nfqueue", packets: 800, dropped: 40, extra_latency_ms: 1, extra_latency_vs_before_ms: 305 };
      expect(run(networkFaultTookEffect, [faultRecord(fault, {}, both)])).toMatchObject({ ok: true, observed: "+305 ms" });
      const neither = { mechanism: "nfqueue", packets: 800, dropped: 40, extra_latency_ms: null, extra_latency_vs_before_ms: null };
      expect(run(networkFaultTookEffect, [faultRecord(fault, {}, neither)]).detail).toContain("no answer of node-1 to compare");
    });

    it("fails when the delay did not show, nothing was dropped, or no connection was reset", () => {
      expect(
        run(networkFaultTookEffect, [faultRecord(fault, {}, { mechanism: "netem", packets: 800, dropped: 40, extra_latency_ms: 20 })])
          .detail,
      ).toContain("only 20 ms slower");
      expect(
        run(networkFaultTookEffect, [faultRecord(fault, {}, { mechanism: "netem", packets: 800, dropped: 0, extra_latency_ms: 200 })])
          .detail,
      ).toContain("no packet was dropped");
      const reset = faultRecord({ kind: "netem", duration_s: 3, reset_every_ms: 1000 }, {}, { mechanism: "none", sockets_reset: 0 });
      expect(run(networkFaultTookEffect, [reset])).toMatchObject({ ok: false, observed: "not observed" });
      expect(run(networkFaultTookEffect, [{ ...reset, measurements: { mechanism: "none", sockets_reset: 13 } }])).toMatchObject({
        ok: true,
        observed: "13 resets",
      });
    });
  });

  describe("reload-storm-applied", () => {
    const storm = (failed: number, up: boolean) =>
      faultRecord(
        { kind: "reload-storm", duration_s: 5, every_ms: 200 },
        { target: null },
        {
          reloads_sent: 24,
          reloads_failed: failed,
          nginx_answers_after: up,
          mean_interval_ms: 217,
          max_nginx_workers: 3,
          sighup_reconfigurations_logged: 24,
        },
      );

    it("passes when every reload was accepted and nginx answers afterwards", () => {
      expect(run(reloadStormApplied, [storm(0, true)])).toMatchObject({ ok: true, observed: "24/24" });
    });

    it("fails on a refused reload or a silent nginx", () => {
      expect(run(reloadStormApplied, [storm(1, true)])).toMatchObject({ ok: false, observed: "23/24" });
      expect(run(reloadStormApplied, [storm(0, false)]).ok).toBe(false);
    });

    it("fails when nginx's master logged fewer reconfigurations than reloads were sent", () => {
      const ignored = faultRecord(
        { kind: "reload-storm", duration_s: 5, every_ms: 200 },
        { target: null },
        { reloads_sent: 24, reloads_failed: 0, nginx_answers_after: true, sighup_reconfigurations_logged: 3 },
      );
      expect(run(reloadStormApplied, [ignored]).ok).toBe(false);
      // no readable error log: no proof the master took them, so no pass
      const unread = faultRecord(
        { kind: "reload-storm", duration_s: 5, every_ms: 200 },
        { target: null },
        { reloads_sent: 24, reloads_failed: 0, nginx_answers_after: true, sighup_reconfigurations_logged: null },
      );
      expect(run(reloadStormApplied, [unread]).ok).toBe(false);
    });
  });

  describe("health-driven-removal", () => {
    const controller = (removals: object[], undetected: string[] = []) =>
      faultRecord(
        { kind: "health-removal", remove_within_ms: 2000, duration_s: null },
        { target: null },
        { removals: removals as never, undetected },
      );

    it("passes when every detected node was removed in time and got no request after", () => {
      const r = run(healthDrivenRemoval, [
        controller([
          { node: "node-1", state: "draining", detection_to_removal_ms: 358, onset_to_detection_ms: 28, reached_after_removal: 0 },
        ]),
      ]);
      expect(r).toMatchObject({ ok: true, observed: "358 ms" });
      expect(r.detail).toBe("node-1 seen draining 28 ms after its fault, removed 358 ms after detection, 0 request(s) reached it after");
    });

    it("fails on a slow removal, a request after the removal, or a fault it never saw", () => {
      expect(
        run(healthDrivenRemoval, [controller([{ node: "node-1", state: "down", detection_to_removal_ms: 2500, reached_after_removal: 0 }])])
          .ok,
      ).toBe(false);
      expect(
        run(healthDrivenRemoval, [controller([{ node: "node-1", state: "down", detection_to_removal_ms: 300, reached_after_removal: 2 }])])
          .ok,
      ).toBe(false);
      expect(run(healthDrivenRemoval, [controller([], ["node-1 (mark-draining)"])])).toMatchObject({ ok: false, observed: "no removal" });
    });

    it("passes when nothing went draining or down and nothing was expected to", () => {
      expect(run(healthDrivenRemoval, [controller([])])).toMatchObject({
        ok: true,
        detail: "no node went draining or down while the controller ran",
      });
    });
  });
});

import { describe, expect, it } from "vitest";
import { measureHealthRemoval } from "./health-removal.ts";
import { attemptsOn, impactOf } from "./impact.ts";
import { measureKillNode } from "./kill-node.ts";
import { measureKillWorker, passiveHealthBench } from "./kill-worker.ts";
import { measureNetem } from "./netem.ts";
import { measurePauseNode } from "./pause-node.ts";
import { measureFaults } from "./runner.ts";
import { app, faultRecord, nginx, row, scenario, server } from "./test-records.ts";
import type { FaultEvidence } from "./types.ts";

const evidence = (over: Partial<FaultEvidence>): FaultEvidence => ({
  scenario: scenario(),
  rows: [],
  server: server(),
  faults: [],
  ...over,
});

describe("attemptsOn", () => {
  it("lists one node's upstream attempts from nginx's log, on the run's clock, with failure and retry", () => {
    const ev = evidence({
      server: server([
        nginx("a", 100, 400, [
          ["node-1", "502"],
          ["node-2", "200"],
        ]),
        nginx("b", 50, 90, [["node-2", "200"]]),
      ]),
    });
    expect(attemptsOn(ev, "node-1")).toEqual([{ id: "a", startMs: 100, endMs: 400, status: "502", failed: true, retried: true }]);
    expect(attemptsOn(ev, "node-2").map((a) => [a.id, a.failed, a.retried])).toEqual([
      ["b", false, false],
      ["a", false, false],
    ]);
  });
});

describe("impactOf", () => {
  it("counts what happened to the requests in flight during the fault, from all three records", () => {
    const rows = [
      row(1, { intendedMs: 900, sentMs: 900, endMs: 1300, error: "http-5xx", status: 502 }), // in flight at 1000, failed
      row(2, { intendedMs: 950, sentMs: 950, endMs: 1400 }), // retried by nginx and executed twice: waited 350 ms beyond its work
      row(3, { sentMs: 100, endMs: 200 }), // over before the fault
      row(4, { sentMs: 2500, endMs: 2600 }), // after it
      row(5, { sentMs: 1500, endMs: Number.NaN, error: "unanswered", status: 0 }),
    ];
    const srv = server(
      [
        nginx("r-2", 950, 1400, [
          ["node-1", "502"],
          ["node-2", "200"],
        ]),
      ],
      [
        app("r-1", "node-1", 9, "start", 905),
        app("r-2", "node-1", 9, "start", 955),
        app("r-2", "node-1", 9, "finish", 1200),
        app("r-2", "node-2", 8, "start", 1100),
        app("r-2", "node-2", 8, "finish", 1390),
      ],
    );
    const m = impactOf(faultRecord({ kind: "kill-worker" }, { start_ms: 1000, end_ms: 2000 }), evidence({ rows, server: srv }));
    expect(m).toEqual({
      window_ms: [1000, 2000],
      requests: 3,
      failed: 1,
      failed_by_error: { "http-5xx": 1 },
      unanswered: 1,
      retried_by_nginx: 1,
      cut_short: 1,
      executed_twice: 1,
      max_wait_ms: 350,
    });
  });
});

describe("measureKillWorker", () => {
  it("follows the requests the killed pid held to their client outcome, and finds the replacement's first request", () => {
    const record = faultRecord({ kind: "kill-worker" }, { start_ms: 1000, end_ms: 1500 }, { killed_pid: 9, respawned_pid: 23 });
    const srv = server(
      [nginx("r-3", 1600, 1700, [["node-1", "200"]])],
      [
        app("r-1", "node-1", 9, "start", 900), // held, failed
        app("r-2", "node-1", 9, "start", 950), // held, answered by a retry
        app("r-0", "node-1", 9, "start", 500),
        app("r-0", "node-1", 9, "finish", 600), // finished before the kill
        app("r-3", "node-1", 23, "start", 1600),
      ],
    );
    const rows = [row(1, { error: "http-5xx", status: 502, method: "POST" }), row(2), row(0), row(3)];
    expect(measureKillWorker(record, evidence({ rows, server: srv }))).toEqual({
      held_by_killed_worker: 2,
      held_failed: 1,
      held_answered_by_retry: 1,
      held_failed_examples: ["r-1 POST 502"],
      first_served_after_ms: 600,
      node_out_of_rotation_ms: 0,
    });
  });
});

describe("passiveHealthBench", () => {
  it("measures how long nginx left a node alone after the first failure it saw there", () => {
    const srv = server([
      nginx("r-1", 900, 1005, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]), // cut by the kill: nginx's first failure, at 1005
      nginx("r-2", 1002, 1100, [["node-1", "200"]]), // chosen before nginx knew
      nginx("r-3", 4005, 4100, [["node-1", "200"]]), // back in rotation
    ]);
    expect(passiveHealthBench(evidence({ server: srv }), "node-1", 1000)).toEqual({ node_out_of_rotation_ms: 3000 });
    const never = server([
      nginx("r-1", 900, 1005, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]),
    ]);
    expect(passiveHealthBench(evidence({ server: never }), "node-1", 1000)).toEqual({ node_out_of_rotation_ms: null });
  });
});

describe("measureKillNode", () => {
  const record = faultRecord({ kind: "kill-node", route_around_within_ms: 1000 }, { start_ms: 1000, end_ms: 1020 });

  it("measures how long nginx kept choosing the dead node in the first fail_timeout, and what that cost", () => {
    const srv = server([
      nginx("r-0", 700, 900, [["node-1", "200"]]), // over before the kill: not counted
      nginx("r-1", 990, 1010, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]), // in flight at the kill: failed by it
      nginx("r-2", 1005, 6010, [
        ["node-1", "504"],
        ["node-2", "200"],
      ]),
      nginx("r-3", 1011, 1200, [["node-1", "502"]], 502),
      nginx("r-4", 11_500, 11_600, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]), // nginx's probe after fail_timeout
    ]);
    const rows = [row(1), row(2, { sentMs: 1005 }), row(3, { error: "http-5xx", status: 502, sentMs: 1011 }), row(4, { sentMs: 11_500 })];
    const m = measureKillNode(record, evidence({ rows, server: srv }));
    expect(m).toMatchObject({
      passive_health: "max_fails 1, fail_timeout 10 s",
      attempts_on_dead_node: 3,
      attempts_in_flight_at_kill: 1,
      failed_in_flight_at_kill: 1,
      attempts_in_first_fail_timeout: 2,
      route_around_after_ms: 11,
      failed_until_routed_around: 1,
      answered_by_retry_elsewhere: 2,
      upstream_statuses_on_dead_node: { "504": 1, "502": 3 },
    });
  });

  it("counts the in-flight failures that tripped max_fails: nothing chosen after the kill is routed around at once, not missing evidence", () => {
    // the CI failure: the requests the kill cut had tripped max_fails before any new one reached the node
    const srv = server([
      nginx("r-1", 900, 1002, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]),
      nginx("r-2", 950, 1003, [["node-1", "502"]], 502),
      nginx("r-3", 1100, 1200, [["node-2", "200"]]),
    ]);
    const rows = [row(1, { sentMs: 900 }), row(2, { sentMs: 950, error: "http-5xx", status: 502 }), row(3, { sentMs: 1100 })];
    expect(measureKillNode(record, evidence({ rows, server: srv }))).toMatchObject({
      attempts_on_dead_node: 0,
      failed_in_flight_at_kill: 2,
      route_around_after_ms: 0,
      failed_until_routed_around: 1,
      answered_by_retry_elsewhere: 1,
    });
  });

  it("has no evidence when nginx never met the dead node, or no request came after the kill", () => {
    const idle = server([nginx("r-1", 900, 1100, [["node-2", "200"]])]);
    expect(measureKillNode(record, evidence({ rows: [row(1, { sentMs: 1100 })], server: idle })).route_around_after_ms).toBeNull();
    const noLoadAfter = server([
      nginx("r-1", 900, 1002, [
        ["node-1", "502"],
        ["node-2", "200"],
      ]),
    ]);
    expect(measureKillNode(record, evidence({ rows: [row(1, { sentMs: 900 })], server: noLoadAfter })).route_around_after_ms).toBeNull();
  });
});

describe("measurePauseNode", () => {
  it("counts timeouts on the frozen node and the work it finished after the thaw for clients already answered", () => {
    const record = faultRecord({ kind: "pause-node", duration_s: 4 }, { start_ms: 1000, end_ms: 5000 });
    const srv = server(
      [
        nginx("r-1", 1100, 3100, [
          ["node-1", "504"],
          ["node-2", "200"],
        ]),
        nginx("r-2", 1200, 3200, [["node-1", "504"]], 504),
      ],
      [app("r-1", "node-1", 9, "start", 5001), app("r-1", "node-1", 9, "finish", 5100), app("r-1", "node-2", 8, "finish", 3190)],
    );
    const rows = [
      row(1, { intendedMs: 1100, endMs: 3200, serviceMs: 90 }),
      row(2, { intendedMs: 1200, endMs: 3205, serviceMs: 100, error: "http-5xx", status: 504 }),
    ];
    const s = scenario({ stack: { nginx: { proxy_read_timeout_s: 2 } } });
    expect(measurePauseNode(record, evidence({ rows, server: srv, scenario: s }))).toEqual({
      proxy_read_timeout_ms: 2000,
      attempts_on_frozen_node: 2,
      timed_out_attempts: 2,
      retried_elsewhere: 1,
      finished_after_thaw_for_gone_clients: 1,
      max_wait_ms_due_during_freeze: 2010,
    });
  });
});

describe("measureNetem", () => {
  it("compares the target's answers with the other nodes' in the window, net of each request's own work", () => {
    const record = faultRecord({ kind: "netem", duration_s: 4 }, { start_ms: 1000, end_ms: 5000 });
    const rows = [
      row(1, { intendedMs: 1500, endMs: 1500 + 100 + 320, node: "node-1" }),
      row(2, { intendedMs: 1600, endMs: 1600 + 100 + 300, node: "node-1" }),
      row(3, { intendedMs: 1700, endMs: 1700 + 100 + 10, node: "node-2" }),
      row(4, { intendedMs: 6000, endMs: 9000, node: "node-1" }), // after the window
    ];
    expect(measureNetem(record, evidence({ rows }))).toEqual({
      answers_from_target: 2,
      median_wait_target_ms: 320,
      median_wait_others_ms: 10,
      median_wait_target_before_ms: null,
      extra_latency_ms: 310,
      extra_latency_vs_before_ms: null,
    });
  });

  it("with the fault on every node, compares the target with itself before the fault", () => {
    const record = faultRecord({ kind: "netem", duration_s: 4 }, { start_ms: 1000, end_ms: 5000 });
    const rows = [
      row(1, { intendedMs: 200, endMs: 200 + 100 + 2, node: "node-1" }), // before, undelayed
      row(2, { intendedMs: 400, endMs: 400 + 100 + 3, node: "node-1" }),
      row(3, { intendedMs: 1500, endMs: 1500 + 100 + 308, node: "node-1" }),
      row(4, { intendedMs: 1600, endMs: 1600 + 100 + 307, node: "node-2" }), // delayed too
    ];
    expect(measureNetem(record, evidence({ rows }))).toMatchObject({ extra_latency_ms: 1, extra_latency_vs_before_ms: 305 });
  });
});

describe("measureHealthRemoval", () => {
  it("ties each removal to the fault that caused it and counts requests that still reached the node", () => {
    const mark = faultRecord({ kind: "mark-draining", target: 1 }, { start_ms: 2500, end_ms: 2500 });
    const crash = faultRecord({ kind: "kill-node", target: 2 }, { start_ms: 3000, end_ms: 3010 });
    const controller = faultRecord(
      { kind: "health-removal" },
      { target: null, start_ms: 0, end_ms: 7000 },
      { removals: [{ node: "node-1", state: "draining", detected_ms: 2528, effective_ms: 2886, detection_to_removal_ms: 358 }] as never },
    );
    const srv = server([], [app("r-1", "node-1", 9, "start", 2800), app("r-2", "node-1", 9, "start", 2900)]);
    expect(measureHealthRemoval(controller, evidence({ server: srv, faults: [mark, crash, controller] }))).toEqual({
      removals: [
        {
          node: "node-1",
          state: "draining",
          detected_ms: 2528,
          effective_ms: 2886,
          detection_to_removal_ms: 358,
          onset: "mark-draining at 2500 ms",
          onset_to_detection_ms: 28,
          reached_after_removal: 1,
        },
      ],
      undetected: ["node-2 (kill-node)"],
    });
  });
});

describe("measureFaults", () => {
  it("adds each kind's figures, the generic impact and its summary line, and leaves a failed fault's figures as they are", () => {
    const failed = faultRecord({ kind: "netem", duration_s: 1 }, { error: "no tc" });
    const storm = faultRecord({ kind: "reload-storm", duration_s: 1, every_ms: 200 }, { target: null }, { reloads_sent: 5 });
    const [a, b] = measureFaults([failed, storm], {
      scenario: scenario(),
      rows: [row(1, { sentMs: 1000, endMs: 1100 })],
      server: server(),
    });
    expect(a).toEqual({ ...failed, summary: "error: no tc" });
    expect(b!.measurements).toMatchObject({ reloads_sent: 5, impact: { requests: 1, failed: 0 } });
    expect(b!.summary).toMatch(/^5 of .* reloads sent/);
  });
});

import { describe, expect, it } from "vitest";
import type { Records } from "../records/records.ts";
import { resolveScenario } from "../scenario/resolved.ts";
import { CheckName, Scenario } from "../scenario/schema.ts";
import { drainFactsOf } from "./facts.ts";
import { clean, drain, failing, generator, judgeWith, type Req, records, request, T0 } from "./testdata/records.ts";
import { CHECKS, judge } from "./verdict.ts";

/** The drain facts, with the chain of the records' own scenario as a run resolves it. */
const drainFacts = (r: Records, versions: Record<string, string>) => drainFactsOf(r, versions, resolveScenario(r.scenario).chain);

describe("checks on hand-made records", () => {
  it("a clean run passes every check and counts per node", () => {
    const v = judge(records(clean()));
    expect(failing(v)).toEqual([]);
    expect(v.verdict).toBe("pass");
    expect(v.figures.reconciliation.primary).toEqual({ ok: 40, failed: 0, unanswered: 0 });
    // a fault's check is in the verdict only when the scenario has that fault
    expect(v.checks.map((c) => c.name)).not.toContain("worker-respawned");
    expect(v.figures.reconciliation.by_node["node-1"]!.answered).toBe(7);
    expect(v.figures.reconciliation.by_node["node-2"]!.app_finished).toBe(33);
  });

  it("failed: a 502 and a reset, broken down by error class", () => {
    const reqs = clean();
    // refused by its only upstream: nginx never connected, the app never saw it
    Object.assign(reqs[5]!.client, { status: 502, error: "http-5xx", node: null });
    Object.assign(reqs[5]!.nginx[0]!, { status: 502, upstreamStatuses: ["502"], upstreamConnectMs: [null], upstreamHeaderMs: [null] });
    reqs[5]!.app = [];
    Object.assign(reqs[6]!.client, { status: 0, error: "reset", node: null });
    reqs[6]!.app = [];
    reqs[6]!.nginx = [];
    const v = judge(records(reqs));
    expect(failing(v)).toEqual(["no-failed-requests"]);
    expect(v.checks[0]!.detail).toContain("[http-5xx: 1, reset: 1]");
  });

  it("unanswered: no end time; the app had finished it, so it is also finished-but-failed", () => {
    const v = judgeWith(7, (r) => Object.assign(r.client, { endMs: Number.NaN, status: 0, error: "unanswered" }));
    expect(failing(v)).toEqual(["no-unanswered-requests", "no-finished-but-failed"]);
    const never = judgeWith(7, (r) => {
      Object.assign(r.client, { endMs: Number.NaN, status: 0, error: "unanswered" });
      r.app = r.app.filter((e) => e.event === "start");
    });
    expect(failing(never)).toContain("no-cut-short-requests");
    expect(failing(never)).not.toContain("no-finished-but-failed");
  });

  it("finished-but-failed: a POST the app committed (its order line) while the client saw a 504", () => {
    const v = judgeWith(22, (r) => {
      Object.assign(r.client, { method: "POST", status: 504, error: "http-5xx", node: null });
      Object.assign(r.nginx[0]!, { status: 504, upstreamStatuses: ["504"], upstreamHeaderMs: [null] });
      r.app = [r.app[0]!, { epochMs: r.app[0]!.epochMs + 5, event: "order", id: r.client.id, node: r.app[0]!.node, pid: 7 }];
    });
    expect(failing(v)).toEqual(["no-failed-requests", "no-cut-short-requests", "no-finished-but-failed"]);
    expect(v.figures.reconciliation.examples["finished-but-failed"]![0]!.id).toBe("r-22");
  });

  it("retries by cause: an attempt that never reached an app (refused, or closed before its start in an intact ledger) is rerouted-before-app", () => {
    const refused = judgeWith(12, (r) => {
      Object.assign(r.nginx[0]!, {
        upstreamAddrs: ["10.0.0.1:8000", "10.0.0.2:8000"],
        upstreamStatuses: ["502", "200"],
        upstreamConnectMs: [null, 0.4],
        upstreamHeaderMs: [null, 12],
      });
    });
    expect(failing(refused)).toEqual([]);
    expect(refused.figures.reconciliation.counts["rerouted-before-app"]).toBe(1);
    expect(refused.figures.reconciliation.counts["retried-by-nginx"]).toBe(0);
    expect(refused.checks.find((c) => c.name === "no-rerouted-before-app")).toMatchObject({
      status: "pass",
      observed: 1,
      expected: "any (no limit)",
    });
    // connected, then closed before any app code ran (the kernel accepted while uvicorn closed its socket): node-1's
    // ledger is there and has no start of it, so nothing ran twice and nothing was cut
    const connectedUnstarted = (r: Req) =>
      Object.assign(r.nginx[0]!, {
        upstreamAddrs: ["10.0.0.1:8000", "10.0.0.2:8000"],
        upstreamStatuses: ["502", "200"],
        upstreamConnectMs: [0.3, 0.4],
        upstreamHeaderMs: [null, 12],
      });
    const closed = judgeWith(12, connectedUnstarted);
    expect(failing(closed)).toEqual([]);
    expect(closed.figures.reconciliation.counts["rerouted-before-app"]).toBe(1);
    // without node-1's ledger nothing says the app never had it: nginx's connect time decides, and it stays a loss
    const noLedger = judge(
      records(
        clean().map((r) => {
          if (r.client.id === "r-12") connectedUnstarted(r);
          return { ...r, app: r.app.filter((e) => e.node !== "node-1") };
        }),
      ),
    );
    expect(noLedger.figures.reconciliation.counts["retried-by-nginx"]).toBe(1);
    // nor with an unreadable line anywhere: the missing start might be in it
    const unreadable = records(clean().map((r) => (r.client.id === "r-12" ? (connectedUnstarted(r), r) : r)));
    unreadable.server.unreadable = 1;
    expect(judge(unreadable).figures.reconciliation.counts["retried-by-nginx"]).toBe(1);
  });

  it("cut-short and retried-by-nginx: the design's silent GET retry, which the client never saw", () => {
    // started on node-1 before its removal, cut at SIGTERM, re-sent by nginx to node-2
    const v = judgeWith(12, (r) => {
      r.nginx[0]!.upstreamAddrs = ["10.0.0.1:8000", "10.0.0.2:8000"];
      r.nginx[0]!.upstreamStatuses = ["502", "200"];
      r.app = [{ epochMs: T0 + 1202, event: "start", id: r.client.id, node: "node-1", pid: 8 }, ...r.app];
    });
    expect(v.figures.reconciliation.primary.failed).toBe(0);
    expect(failing(v).sort()).toEqual(["no-cut-short-requests", "no-retried-by-nginx"]);
    expect(v.figures.reconciliation.by_node["node-1"]).toMatchObject({ cut_short: 1, retried_away: 1 });
    const story = v.figures.reconciliation.examples["cut-short"]![0]!;
    expect(story.events.map((e) => e.source)).toContain("app node-1 pid 8");
    expect(story.events.map((e) => e.t_ms)).toEqual([...story.events.map((e) => e.t_ms)].sort((a, b) => a - b));
  });

  it("executed-twice: finished on two nodes", () => {
    const v = judgeWith(3, (r) => {
      r.app.push(
        { epochMs: T0 + 400, event: "start", id: r.client.id, node: "node-2", pid: 9 },
        { epochMs: T0 + 410, event: "finish", id: r.client.id, node: "node-2", pid: 9, status: 200 },
      );
    });
    expect(failing(v)).toEqual(["no-executed-twice"]);
    expect(v.checks.find((c) => c.name === "no-executed-twice")!.detail).toContain("[GET: 1]");
  });

  it("executed-twice: a POST whose order was written on two nodes, and an idempotent allowance never covers it", () => {
    const post = Scenario.parse({
      name: "t",
      load: { warmup_s: 0, mix: [{ method: "POST", ms: 10 }] },
      checks: { max_gap_ms: 500, allowed_idempotent: { "executed-twice": 30 } },
    });
    const twice = (r: Req) => {
      r.client.method = "POST";
      r.app = [
        { epochMs: T0 + 302, event: "start", id: r.client.id, node: "node-1", pid: 8 },
        { epochMs: T0 + 305, event: "order", id: r.client.id, node: "node-1", pid: 8 },
        { epochMs: T0 + 320, event: "start", id: r.client.id, node: "node-2", pid: 9 },
        { epochMs: T0 + 325, event: "order", id: r.client.id, node: "node-2", pid: 9 },
        { epochMs: T0 + 330, event: "finish", id: r.client.id, node: "node-2", pid: 9, status: 200 },
      ];
    };
    const v = judgeWith(3, twice, { scenario: post });
    expect(v.figures.reconciliation.counts["executed-twice"]).toBe(1);
    const c = v.checks.find((x) => x.name === "no-executed-twice")!;
    expect(c).toMatchObject({ status: "fail", observed: 1, expected: "0 (+ 30 idempotent, checks.allowed_idempotent)" });
    expect(c.detail).toContain("[POST: 1]");
    // the same allowance covers a GET run twice
    const get = Scenario.parse({ ...post, load: { ...post.load, mix: [{ method: "GET", ms: 10 }] } });
    const again = judgeWith(
      3,
      (r) =>
        r.app.push(
          { epochMs: T0 + 400, event: "start", id: r.client.id, node: "node-2", pid: 9 },
          { epochMs: T0 + 410, event: "finish", id: r.client.id, node: "node-2", pid: 9, status: 200 },
        ),
      { scenario: get },
    );
    expect(again.checks.find((x) => x.name === "no-executed-twice")).toMatchObject({ status: "pass", observed: 1 });
  });

  it("misrouted: decided by nginx's receive time and config generation, refused attempts included", () => {
    const toNode1 = (r: Req) => {
      r.app = r.app.map((e) => ({ ...e, node: "node-1" }));
      r.client.node = "node-1";
      r.nginx[0]!.upstreamAddrs = ["10.0.0.1:8000"];
    };
    // received at 1.7 s, after the reload took effect (1.5 s)
    const late = judgeWith(17, toNode1);
    expect(failing(late)).toEqual(["no-misrouted-requests"]);
    expect(late.figures.reconciliation.by_node["node-1"]!.misrouted).toBe(1);
    // an old-generation request nginx received before the reload took effect is not misrouted
    expect(failing(judgeWith(13, toNode1))).toEqual([]);
    // received before the harness saw the reload take effect, but served by the new config (generation 2): misrouted
    const newConfig = judgeWith(14, (r) => {
      toNode1(r);
      r.nginx[0]!.generation = 2;
    });
    expect(failing(newConfig)).toEqual(["no-misrouted-requests"]);
    // nginx chose the removed node, the connection was refused and it went on to node-2: still misrouted
    const refused = judgeWith(18, (r) => {
      Object.assign(r.nginx[0]!, {
        upstreamAddrs: ["10.0.0.1:8000", "10.0.0.2:8000"],
        upstreamStatuses: ["502", "200"],
        upstreamConnectMs: [null, 0.3],
        upstreamHeaderMs: [null, 12],
      });
    });
    expect(failing(refused)).toEqual(["no-misrouted-requests"]);
  });

  it("misrouted: a session's connection (stream, SSE, WebSocket) is judged like a request, by its own nginx row", () => {
    const sessionRow = (seq: number) => {
      const row = { ...request(seq).nginx[0]!, id: `t-s${seq}`, upstreamAddrs: ["10.0.0.1:8000", "10.0.0.2:8000"] };
      return Object.assign(row, { upstreamStatuses: ["502", "200"], upstreamConnectMs: [null, 0.3], upstreamHeaderMs: [null, 12] });
    };
    const base = records(clean());
    // an old worker served it after the reload took effect (a connection it had accepted before): still nginx's choice
    const late = judge({ ...base, server: { ...base.server, sessions: { nginx: [sessionRow(17)], app: [] } } });
    expect(failing(late)).toEqual(["no-misrouted-requests"]);
    const check = late.checks.find((c) => c.name === "no-misrouted-requests")!;
    expect(check.detail).toContain("(1 of them session connections); e.g. t-s17");
    expect(late.figures.reconciliation.by_node["node-1"]!.misrouted).toBe(1);
    expect(late.figures.reconciliation.session_misrouted!.examples[0]!.events.map((e) => e.source)).toEqual(["nginx", "nginx"]);
    // received before the removal took effect: not misrouted
    const early = judge({ ...base, server: { ...base.server, sessions: { nginx: [sessionRow(13)], app: [] } } });
    expect(failing(early)).toEqual([]);
  });

  it("misrouted: a removal that took effect after the last request was sent is no evidence, not a pass", () => {
    // a busy machine (or a drain at the load's end) made the removal take effect at 9 s; the last request left at 3.9 s
    const late = judge(records(clean(), { drains: [{ ...drain, reload_effective_ms: 9000 }] }));
    const check = late.checks.find((c) => c.name === "no-misrouted-requests")!;
    expect(check).toMatchObject({ status: "no-evidence", ok: false, observed: "no request after the removal" });
    expect(check.detail).toMatch(
      /^no request was sent after the removal took effect \(node-1's at 9\.000 s; the last request was sent at 3\.9\d\d s\)/,
    );
    // the same run, judged with the removal in time: a pass
    expect(failing(judge(records(clean())))).toEqual([]);
  });

  it("slow-during-drain: only inside the drain window, net of the request's own work", () => {
    const slow = judgeWith(20, (r) => (r.client.endMs = r.client.intendedMs + 1500));
    expect(failing(slow)).toEqual(["no-slow-during-drain"]);
    const outside = judgeWith(35, (r) => (r.client.endMs = r.client.intendedMs + 1500));
    expect(failing(outside)).toEqual([]);
    const longWork = judgeWith(20, (r) => Object.assign(r.client, { serviceMs: 1400, endMs: r.client.intendedMs + 1500 }));
    expect(failing(longWork)).toEqual([]);
  });

  it("allowed counts turn a class check into a threshold", () => {
    const lenient = Scenario.parse({ name: "t", load: { warmup_s: 0 }, checks: { allowed: { failed: 1 } } });
    const v = judgeWith(5, (r) => Object.assign(r.client, { status: 502, error: "http-5xx" }), { scenario: lenient });
    expect(v.checks[0]).toMatchObject({ name: "no-failed-requests", ok: true, observed: 1, expected: "<= 1" });
  });

  it("server-records-complete fails when nginx's log lacks answered requests", () => {
    const v = judgeWith(9, (r) => (r.nginx = []));
    expect(failing(v)).toEqual(["server-records-complete"]);
  });

  it("server-records-complete fails when the answering node's app ledger lacks the request, as a lost ledger would make it", () => {
    // the app ledger of the drained node is gone: every check that reads it would see nothing to flag
    const v = judge(records(clean().map((r) => (r.client.node === "node-1" ? { ...r, app: [] } : r))));
    // and with it, the evidence that the drain met traffic
    expect(failing(v)).toEqual(["drain-exercised", "server-records-complete"]);
    const check = v.checks.find((c) => c.name === "server-records-complete")!;
    expect(check.observed).toBe("14 missing");
    expect(check.detail).toContain("7 answered ok but not finished in the answering node's app ledger");
    expect(check.detail).toContain("7 nginx attempt(s) a node answered without a start in that node's app ledger");
  });

  it("server-records-complete fails on a missing start line (the only evidence of a cut) and on unreadable lines", () => {
    const noStart = judgeWith(3, (r) => (r.app = r.app.filter((e) => e.event !== "start")));
    expect(failing(noStart)).toEqual(["server-records-complete"]);
    const unreadable = judge(records(clean(), { server: { ...records(clean()).server, unreadable: 2 } }));
    expect(failing(unreadable)).toEqual(["server-records-complete"]);
    expect(unreadable.checks.find((c) => c.name === "server-records-complete")!.observed).toBe("0 missing, 2 unreadable");
  });

  it("drained-node-exited-cleanly fails when SIGKILLed after the wait or on a non-zero code", () => {
    expect(failing(judge(records(clean(), { drains: [{ ...drain, killed_after_wait: true, exit_code: 137 }] })))).toEqual([
      "drained-node-exited-cleanly",
    ]);
    expect(failing(judge(records(clean(), { drains: [{ ...drain, exit_code: 1 }] })))).toEqual(["drained-node-exited-cleanly"]);
  });

  it("drained-node-exited-cleanly says when a killed node's server never logged the SIGTERM, and the fact says whether it reached it", () => {
    const shell = { pid1: "/bin/sh -c python3 -m uvicorn app:app", shell_pid1: true, server_pid: 7, note: "PID 1 is a shell (...)" };
    const system = { signal_path: shell } as unknown as NonNullable<ReturnType<typeof records>["system"]>;
    const killed = { ...drain, killed_after_wait: true, exit_code: 137, signal_acknowledged: null };
    const report = judge(records(clean(), { drains: [killed], system }));
    const detail = report.checks.find((c) => c.name === "drained-node-exited-cleanly")!.detail;
    expect(detail).toContain("PID 1 is a shell (...)");
    expect(detail).toContain(
      'node-1: the server never logged taking the SIGTERM (no "Handling signal: term", "Received SIGTERM", "Shutting down"',
    );
    const fact = drainFacts(records(clean(), { drains: [killed], system }), {}).find((f) => f.claim.startsWith("the drain's SIGTERM"));
    expect(fact).toMatchObject({ holds: false, evidence: ["PID 1: /bin/sh -c python3 -m uvicorn app:app (PID 1 is a shell (...))"] });
    const heard = { ...drain, signal_acknowledged: { t_ms: drain.signal_ms + 12, line: "[1] [INFO] Handling signal: term" } };
    const ok = drainFacts(records(clean(), { drains: [heard] }), {}).find((f) => f.claim.startsWith("the drain's SIGTERM"));
    expect(ok).toMatchObject({
      holds: true,
      observed: 'node-1: the server logged "[1] [INFO] Handling signal: term" 12 ms after the SIGTERM, then exited by itself with code 0',
    });
    // nothing logged and no shell: the run cannot tell
    const quiet = drainFacts(records(clean(), { drains: [{ ...drain, signal_acknowledged: null }] }), {});
    expect(quiet.find((f) => f.claim.startsWith("the drain's SIGTERM"))!.holds).toBeNull();
  });

  it("health-reported-draining fails when the monitor never saw the node draining, or a re-added node healthy", () => {
    const seen = judge(records(clean())).checks.find((c) => c.name === "health-reported-draining")!;
    expect(seen).toMatchObject({ ok: true, observed: "seen: node-1 150 ms after the flag was sent" });
    const unseen = judge(records(clean(), { drains: [{ ...drain, draining_seen_ms: null }] }));
    expect(failing(unseen)).toEqual(["health-reported-draining"]);
    expect(unseen.checks.find((c) => c.name === "health-reported-draining")!.detail).toBe(
      "node-1 was flagged at 1.100 s, and the monitor did not see it draining within 5.000 s after that",
    );
    const skipped = judge(records(clean(), { drains: [{ ...drain, marked_ms: null, draining_seen_ms: null }] }));
    expect(skipped.checks.find((c) => c.name === "health-reported-draining")!.detail).toContain("node-1 was never flagged draining");
    const readd = judge(records(clean(), { drains: [{ ...drain, readded_ms: 3500, readd_healthy_seen_ms: null }] }));
    expect(failing(readd)).toContain("health-reported-draining");
    // no removal step, no health step: nothing to see
    expect(
      failing(judge(records(clean(), { drains: [{ ...drain, removed: false, marked_ms: null, draining_seen_ms: null }] }))),
    ).not.toContain("health-reported-draining");
  });

  it("drain-exercised with checks.min_in_flight_at_signal fails a drain whose node held nothing at its SIGTERM", () => {
    const strict = Scenario.parse({ name: "t", load: { warmup_s: 0 }, checks: { max_gap_ms: 500, min_in_flight_at_signal: 1 } });
    const bare = judge(records(clean(), { scenario: strict })).checks.find((c) => c.name === "drain-exercised")!;
    expect(bare.status).toBe("fail");
    expect(bare.detail).toMatch(/node-1 held 0 at its SIGTERM \(fewer than checks.min_in_flight_at_signal 1\)/);
    // one request on node-1 from 1.5 s to 2.5 s: in flight at the SIGTERM (2.0 s)
    const reqs = clean();
    reqs[15]!.app = [
      { ...reqs[15]!.app[0]!, node: "node-1", epochMs: T0 + 1500 },
      { ...reqs[15]!.app[1]!, node: "node-1", epochMs: T0 + 2500 },
    ];
    const held = judge(records(reqs, { scenario: strict })).checks.find((c) => c.name === "drain-exercised")!;
    expect(held).toMatchObject({ ok: true });
    expect(held.observed).toContain("1 request(s) in flight at its SIGTERM");
    // the default asks nothing of the signal
    expect(judge(records(clean())).checks.find((c) => c.name === "drain-exercised")!.ok).toBe(true);
  });

  it("traffic-continued fails when the other nodes go quiet longer than max_gap_ms", () => {
    // node-2 answers nothing between 2.0 s and 3.0 s
    const reqs = clean().filter((r) => !(r.client.intendedMs >= 2000 && r.client.intendedMs < 3000));
    const v = judge(records(reqs));
    expect(failing(v)).toEqual(["traffic-continued"]);
    expect(v.checks.find((c) => c.name === "traffic-continued")!.observed).toBe("1100 ms"); // 1.92 s -> 3.02 s
  });

  it("traffic-continued fails when every request due got an error: traffic stopped, it is not missing evidence", () => {
    const reqs = clean();
    for (const r of reqs) Object.assign(r.client, { status: 504, error: "http-5xx" });
    const c = judge(records(reqs)).checks.find((x) => x.name === "traffic-continued")!;
    expect(c.status).toBe("fail");
    expect(c.detail).toMatch(/^0 ok answers/);
    // nothing due at all: no evidence
    expect(judge(records([])).checks.find((x) => x.name === "traffic-continued")!.status).toBe("no-evidence");
  });

  it("traffic-continued does not count an on/off load's idle phase as a gap, only what was due and unanswered", () => {
    // the same silence from 2.0 s to 3.0 s, scheduled: bursts of 2 s, then 1 s off
    const reqs = clean().filter((r) => !(r.client.intendedMs >= 2000 && r.client.intendedMs < 3000));
    const onOff = Scenario.parse({ name: "t", load: { warmup_s: 0, on_off: { on_s: 2, off_s: 1 } }, checks: { max_gap_ms: 500 } });
    const v = judge(records(reqs, { scenario: onOff }));
    expect(v.checks.find((c) => c.name === "traffic-continued")).toMatchObject({ ok: true, observed: "200 ms" });
    // a silence in the on phase still counts
    const late = clean().filter((r) => !(r.client.intendedMs >= 2000 && r.client.intendedMs < 3600));
    expect(judge(records(late, { scenario: onOff })).checks.find((c) => c.name === "traffic-continued")).toMatchObject({
      ok: false,
      observed: "700 ms",
    });
  });
});

describe("the check catalog", () => {
  it("has one check per name the scenario schema knows, and no other", () => {
    expect(CHECKS.map((c) => c.name).sort()).toEqual([...CheckName.options].sort());
    for (const c of CHECKS) expect(c.means.length, c.name).toBeGreaterThan(10);
  });
});

describe("drain-exercised", () => {
  it("fails a drain that met no traffic: nothing in flight on the node, or no request due during the drain", () => {
    // the drain starts after the load's schedule (12 s) has ended, when nothing is in flight
    const late = judge(
      records(clean(), { drains: [{ ...drain, start_ms: 13_000, reload_effective_ms: 13_300, signal_ms: 13_500, exit_ms: 14_000 }] }),
    );
    const check = late.checks.find((c) => c.name === "drain-exercised")!;
    expect(check).toMatchObject({
      status: "fail",
      observed: "node-1 held 0 at 13.000 s and took in 0 more by 13.300 s; 0 request(s) in flight at its SIGTERM",
    });
    expect(check.detail).toContain(
      "the drain proved nothing: node-1 held 0 at 13.000 s and took in 0 more by 13.300 s: fewer than checks.min_in_flight_at_drain 1 request(s) or session(s) rode its drain",
    );
    expect(check.detail).toContain("not throughout node-1's drain");
    // a schedule cut short (load.after_drain_s) is judged by where it was cut, not by load.duration_s
    const cut = judge(records(clean(), { generator: { ...generator, scheduleEndMs: 1_800 } })).checks.find(
      (c) => c.name === "drain-exercised",
    )!;
    expect(cut.status).toBe("fail");
    expect(cut.detail).toContain("requests were due only from 0.000 s to 1.800 s, not throughout node-1's drain");
    // the clean run's drain holds r-9 at 1 s
    expect(judge(records(clean())).checks.find((c) => c.name === "drain-exercised")).toMatchObject({
      status: "pass",
      observed: expect.stringMatching(
        /^node-1 held 1 at 1\.000 s and took in \d+ more by 1\.500 s; 0 request\(s\) in flight at its SIGTERM$/,
      ),
    });
  });

  it("counts what a fast app took in before its removal took effect: nothing in flight at the drain's first instant is no failure", () => {
    // every request 20 ms: node-1 holds none at 1.000 s, and takes in the ones due before the reload took effect at 1.500 s
    const fast = Array.from({ length: 40 }, (_, i) => request(i));
    const check = judge(records(fast)).checks.find((c) => c.name === "drain-exercised")!;
    expect(check.status).toBe("pass");
    expect(check.observed).toMatch(
      /^node-1 held 0 at 1\.000 s and took in [1-9]\d* more by 1\.500 s; 0 request\(s\) in flight at its SIGTERM$/,
    );
    // the same with the removal taking effect at once: nothing rode the drain
    const instant = judge(records(fast, { drains: [{ ...drain, reload_effective_ms: 1000 }] }));
    expect(instant.checks.find((c) => c.name === "drain-exercised")!.status).toBe("fail");
  });

  it("is skipped without a drain, and has no evidence without an app ledger", () => {
    expect(judge(records(clean(), { drains: [] })).checks.find((c) => c.name === "drain-exercised")!.status).toBe("skipped");
    const noLedger = judge(records(clean().map((r) => ({ ...r, app: [] }))));
    expect(noLedger.checks.find((c) => c.name === "drain-exercised")!.status).toBe("no-evidence");
  });
});

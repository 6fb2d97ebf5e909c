import { describe, expect, it } from "vitest";
import type { HookRecord } from "../records/drain-record.ts";
import { Scenario } from "../scenario/schema.ts";
import { clean, drain, failing, records } from "./testdata/records.ts";
import { judge, SERVER_SIDE_CHECKS } from "./verdict.ts";

const mix = [{ method: "GET", path: "/work", expected_ms: 10 }];
const attached = (attach: Record<string, unknown>, extra: Record<string, unknown> = {}) =>
  Scenario.parse({
    name: "t",
    load: { warmup_s: 0, mix },
    checks: { max_gap_ms: 500 },
    attach: {
      url: "http://127.0.0.1:18080",
      drain: { node: "node-1", steps: [{ step: "terminate", run: "true" }], removal: "none" },
      ...attach,
    },
    ...extra,
  });
const hook = (step: string, exit_code: number | null, over: Partial<HookRecord> = {}): HookRecord => ({
  step,
  command: `${step}.sh`,
  start_ms: 1000,
  end_ms: 1100,
  exit_code,
  timed_out: false,
  output_tail: "",
  log: `raw/hooks/${step}.log`,
  ...over,
});
const status = (v: ReturnType<typeof judge>, name: string) => v.checks.find((c) => c.name === name)?.status;

describe("attach: what the verdict stands on", () => {
  it("steps that all exited 0: drain-commands-succeeded passes, health-reported-draining is skipped (no monitor)", () => {
    const steps = [
      { step: "remove", run: "a" },
      { step: "terminate", run: "b" },
    ];
    const s = attached({ drain: { node: "node-1", steps } });
    const v = judge(records(clean(), { scenario: s, drains: [{ ...drain, hooks: [hook("remove", 0), hook("terminate", 0)] }] }));
    expect(failing(v)).toEqual([]);
    expect(status(v, "drain-commands-succeeded")).toBe("pass");
    expect(status(v, "health-reported-draining")).toBe("skipped");
  });

  it("a step that exited 1 or timed out fails drain-commands-succeeded, naming it and its output", () => {
    const steps = [
      { step: "remove", run: "a" },
      { step: "reload", run: "b" },
      { step: "terminate", run: "c" },
    ];
    const s = attached({ drain: { node: "node-1", steps } });
    const bad = hook("reload", 1, { output_tail: 'nginx: [emerg] host not found in upstream "n1:8000"' });
    const v = judge(records(clean(), { scenario: s, drains: [{ ...drain, hooks: [hook("remove", 0), bad] }] }));
    const c = v.checks.find((x) => x.name === "drain-commands-succeeded")!;
    expect(c.status).toBe("fail");
    expect(c.detail).toContain("reload (reload.sh) exited 1");
    expect(c.detail).toContain("host not found in upstream");
    expect(c.detail).toContain("1 later step(s) not run");
    const slow = judge(
      records(clean(), { scenario: attached({}), drains: [{ ...drain, hooks: [hook("terminate", null, { timed_out: true })] }] }),
    );
    expect(status(slow, "drain-commands-succeeded")).toBe("fail");
  });

  it("one drain command: misrouted and drain-exercised say no-evidence (no removal time), never pass", () => {
    const s = attached({ drain: { command: "kubectl rollout restart deploy/api" } });
    const d = { ...drain, target: "*", step_times_known: false, exit_code: null, hooks: [hook("command", 0)] };
    const v = judge(records(clean(), { scenario: s, drains: [d] }));
    expect(status(v, "no-misrouted-requests")).toBe("no-evidence");
    expect(status(v, "drain-exercised")).toBe("no-evidence");
    expect(status(v, "drained-node-exited-cleanly")).toBe("no-evidence");
    expect(v.verdict).toBe("fail");
    // a drain of every node: the service as a whole must keep answering
    expect(status(v, "traffic-continued")).toBe("pass");
  });

  it("checks.skip puts a check out of scope with its reason: skipped, not passed, and marked as the scenario's", () => {
    const s = attached(
      { drain: { command: "kubectl rollout restart deploy/api" } },
      { checks: { max_gap_ms: 500, skip: [{ check: "drain-exercised", reason: "no per-pod drain start" }] } },
    );
    const d = { ...drain, step_times_known: false, hooks: [hook("command", 0)] };
    const v = judge(records(clean(), { scenario: s, drains: [d] }));
    const c = v.checks.find((x) => x.name === "drain-exercised")!;
    expect(c).toMatchObject({ status: "skipped", skipped_by: "scenario" });
    expect(c.detail).toContain("no per-pod drain start");
  });

  it("checks.skip refuses a loss class (widen it with checks.allowed) and the checks the verdict stands on", () => {
    const skip = (check: string) => () => attached({}, { checks: { skip: [{ check, reason: "noisy" }] } });
    expect(skip("no-failed-requests")).toThrow(/judges a loss class and cannot be skipped: widen it with checks.allowed.failed/);
    expect(skip("no-misrouted-requests")).toThrow(/checks.allowed.misrouted/);
    expect(skip("server-records-complete")).toThrow(/cannot be skipped: every other check stands on it/);
    expect(skip("drain-commands-succeeded")).toThrow(/cannot be skipped/);
    expect(skip("no-duplicate-events")).toThrow(/widen it with checks.allowed_duplicate_events/);
    expect(skip("p99-during-drain")).not.toThrow();
  });

  it("no server records: every server-side check says no-evidence; client_only makes them skipped", () => {
    const bare = clean().map((r) => ({ ...r, nginx: [], app: [] }));
    const d = { ...drain, hooks: [hook("terminate", 0)] };
    const none = judge(records(bare, { scenario: attached({}), drains: [d] }));
    for (const name of [
      "no-cut-short-requests",
      "no-retried-by-nginx",
      "server-records-complete",
      "drain-exercised",
      "no-misrouted-requests",
    ])
      expect(status(none, name), name).toBe("no-evidence");
    expect(status(none, "no-failed-requests")).toBe("pass");
    expect(none.verdict).toBe("fail");
    // client-only, not accepted: those checks were not judged, and such a run cannot pass
    const unaccepted = judge(records(bare, { scenario: attached({ client_only: true }), drains: [d] }));
    for (const name of SERVER_SIDE_CHECKS) expect(status(unaccepted, name), name).toBe("no-evidence");
    expect(unaccepted.verdict).toBe("fail");
    const clientOnly = judge(
      records(bare, { scenario: attached({ client_only: true }, { checks: { max_gap_ms: 500, client_only_ok: true } }), drains: [d] }),
    );
    for (const name of SERVER_SIDE_CHECKS) expect(status(clientOnly, name), name).toBe("skipped");
    expect(clientOnly.checks.filter((c) => c.skipped_by === "client-only").length).toBe(SERVER_SIDE_CHECKS.length);
    expect(failing(clientOnly)).toEqual([]);
  });

  it("removal by readiness: requests nginx sent the node after mark_draining ended are misrouted; a failed removal step leaves no-evidence, never 0", () => {
    const steps = [
      { step: "mark_draining", run: "kubectl exec ... touch /tmp/draining" },
      { step: "terminate", run: "b" },
      { step: "wait_exit", run: "c" },
    ];
    const s = attached({ drain: { node: "node-1", steps, removal: "readiness" } });
    const hooks = [hook("mark_draining", 0, { end_ms: 1500 }), hook("terminate", 0, { start_ms: 2000 }), hook("wait_exit", 0)];
    const d = { ...drain, removal_generation: null, hooks };
    // r-15 (1.5 s, received 1.6 s) reached node-1 after its removal took effect
    const reqs = clean();
    const r = reqs[16]!;
    Object.assign(r.client, { node: "node-1" });
    Object.assign(r.nginx[0]!, { upstreamAddrs: ["10.0.0.1:8000"], generation: 1 });
    r.app = r.app.map((e) => ({ ...e, node: "node-1" }));
    const v = judge(records(reqs, { scenario: s, drains: [d] }));
    expect(v.checks.find((c) => c.name === "no-misrouted-requests")).toMatchObject({ status: "fail", observed: 1 });
    // the same step failing: when the node left is unknown
    const failedStep = judge(
      records(reqs, { scenario: s, drains: [{ ...d, reload_effective_ms: null, hooks: [hook("mark_draining", 1), ...hooks.slice(1)] }] }),
    );
    expect(status(failedStep, "no-misrouted-requests")).toBe("no-evidence");
    // no removal at all (a control): misrouting is out of scope, said as skipped
    const none = judge(records(reqs, { scenario: attached({}), drains: [{ ...d, removed: false, reload_effective_ms: null }] }));
    expect(status(none, "no-misrouted-requests")).toBe("skipped");
  });

  it("behind a Service IP nginx cannot name the drained node: its app ledger's starts after the removal plus the settle are misrouted", () => {
    const s = attached({
      drain: {
        node: "node-1",
        steps: [
          { step: "remove", run: "a" },
          { step: "terminate", run: "b" },
        ],
      },
    });
    const d = { ...drain, removal_generation: null, hooks: [hook("remove", 0, { end_ms: 1500 }), hook("terminate", 0)] };
    const reqs = clean();
    const late = reqs[25]!; // due at 2.5 s: 1 s after the removal took effect, more than drain.settle_ms (500 ms)
    Object.assign(late.client, { node: "node-1" });
    late.app = late.app.map((e) => ({ ...e, node: "node-1" }));
    const shared = records(reqs, { scenario: s, drains: [d] });
    shared.server.nodes = [
      { name: "node-1", address: "" },
      { name: "node-2", address: "" },
    ];
    const v = judge(shared);
    expect(v.checks.find((c) => c.name === "no-misrouted-requests")).toMatchObject({ status: "fail", observed: 1 });
  });

  it("in a run drainlab started, drain-commands-succeeded is left out like a fault's check", () => {
    expect(judge(records(clean())).checks.map((c) => c.name)).not.toContain("drain-commands-succeeded");
  });
});

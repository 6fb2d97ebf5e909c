import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { readRecycles } from "../records/container-log.ts";
import { Scenario } from "../scenario/schema.ts";
import { recycleFactsOf } from "./facts.ts";
import { idleGapsReachedKeepalive, onOffLoad, recyclingSet, workersRecycled } from "./load-shape-checks.ts";
import { clean, records, T0 } from "./testdata/records.ts";
import { judge } from "./verdict.ts";

const withStack = (over: Record<string, unknown>) => Scenario.parse({ name: "t", load: { warmup_s: 0 }, ...over });
const recycle = (node: string, t: number) => ({
  node,
  epochMs: T0 + t,
  line: "WARNING:  Maximum request limit of 40 exceeded. Terminating process.",
});

describe("workers-recycled", () => {
  const recycling = withStack({ stack: { gunicorn: { max_requests: 40 } }, drain: { enabled: false } });

  it("is not part of a run without worker recycling", () => {
    expect(recyclingSet(records(clean()))).toBe(false);
    expect(judge(records(clean())).checks.map((c) => c.name)).not.toContain("workers-recycled");
  });

  it("passes on recycles counted from the nodes' logs, and fails when the load never reached the limit", () => {
    const seen = workersRecycled(
      records(clean(), {
        scenario: recycling,
        server: { ...records(clean()).server, recycles: [recycle("node-1", 900), recycle("node-2", 1200)] },
      }),
    );
    expect(seen).toMatchObject({ ok: true, observed: "2 recycle(s)" });
    expect(seen.detail).toContain("at max_requests 40 (node-1: 1, node-2: 1)");
    const none = workersRecycled(records(clean(), { scenario: recycling, server: { ...records(clean()).server, recycles: [] } }));
    expect(none).toMatchObject({ ok: false, observed: "0 recycles" });
    expect(none.detail).toContain("no worker logged reaching max_requests 40");
    // uvicorn --limit-max-requests is read from its own field
    const uv = withStack({ stack: { runtime: "uvicorn", uvicorn: { limit_max_requests: 25 } } });
    expect(workersRecycled(records(clean(), { scenario: uv, server: { ...records(clean()).server, recycles: [] } })).detail).toContain(
      "--limit-max-requests 25",
    );
  });

  it("has no evidence when the nodes' logs were not saved", () => {
    const out = workersRecycled(records(clean(), { scenario: recycling, server: { ...records(clean()).server, recycles: null } }));
    expect(out).toMatchObject({ status: "no-evidence", ok: false });
  });

  it("reads recycles from a saved container log, and says whether they cost a request (no drain, no fault)", () => {
    const dir = mkdtempSync(join(tmpdir(), "drainlab-recycles-"));
    const log = join(dir, "container.log");
    writeFileSync(
      log,
      [
        "2026-12-03T06:56:45.100000000Z [2026-12-03 06:56:45 +0000] [8] [WARNING] Maximum request limit of 49 exceeded. Terminating process.",
        "2026-12-03T06:56:45.200000000Z [2026-12-03 06:56:45 +0000] [1] [INFO] Booting worker with pid: 30",
      ].join("\n"),
    );
    expect(readRecycles(log, "node-1")).toEqual([
      { node: "node-1", epochMs: Date.parse("2026-12-03T06:56:45.100Z"), line: expect.stringContaining("Maximum request limit of 49") },
    ]);
    expect(readRecycles(join(dir, "missing.log"), "node-1")).toBeNull();
    const r = records(clean(), {
      scenario: recycling,
      drains: [],
      server: { ...records(clean()).server, recycles: [recycle("node-1", 900)] },
    });
    const [fact] = recycleFactsOf(r, judge(r).figures, { gunicorn: "23.0.0" });
    expect(fact).toMatchObject({ claim: "worker recycling (max_requests) loses no request", holds: true });
    expect(fact!.observed).toContain("gunicorn 23.0.0 max_requests 40, UvicornWorker: 1 recycle(s) in 40 requests; no loss of any class");
  });
});

describe("workers-recycled on the user's own stack", () => {
  // the effective scenario of a system whose gunicorn.conf.py sets max_requests 200, jitter 20
  const own = (checks: Record<string, unknown> = {}) =>
    Scenario.parse({
      name: "mine",
      system: { app: { image: "x" }, nginx: { config: "nginx.conf", upstream: "api" } },
      stack: { gunicorn: { max_requests: 200, max_requests_jitter: 20 } },
      load: { warmup_s: 0, mix: [{ method: "GET", path: "/" }] },
      checks,
    });

  it("does not judge a limit the user's config merely has: skipped, and a fact says it was not reached", () => {
    const r = records(clean(), { scenario: own(), server: { ...records(clean()).server, recycles: [] } });
    const check = workersRecycled(r);
    expect(check).toMatchObject({ status: "skipped", ok: true, observed: "0 recycle(s)" });
    expect(check.detail).toMatch(/^max_requests 200 \(jitter 20\) is the user's own setting/);
    expect(judge(r).verdict).not.toBe("fail");
    const [fact] = recycleFactsOf(r, judge(r).figures, { gunicorn: "23.0.0" });
    expect(fact).toMatchObject({
      claim: "the user's max_requests 200 (jitter 20) (worker recycling) is reached by this load",
      observed: "not reached by this load: 0 recycles in 40 requests",
      holds: false,
    });
  });

  it("judges it when the scenario asks (checks.require_recycles)", () => {
    const r = records(clean(), { scenario: own({ require_recycles: true }), server: { ...records(clean()).server, recycles: [] } });
    expect(workersRecycled(r)).toMatchObject({ ok: false, observed: "0 recycles" });
  });
});

describe("idle-gaps-reached-keepalive", () => {
  const onOff = (offS: number, nginx: Record<string, number> = { upstream_keepalive: 16 }) =>
    withStack({ stack: { gunicorn: { keepalive_s: 2 }, nginx }, load: { on_off: { on_s: 0.5, off_s: offS } } });
  // bursts at 10 req/s of 20 ms requests: 0-0.4 s, then nothing until `next`
  const burstThen = (nextMs: number) =>
    clean()
      .slice(0, 5)
      .map((r) => r.client)
      .concat([{ ...clean()[0]!.client, seq: 99, id: "r-99", sentMs: nextMs, intendedMs: nextMs, endMs: nextMs + 20 }]);

  it("is not part of a constant-rate run", () => {
    expect(onOffLoad(records(clean()))).toBe(false);
  });

  it("passes when a gap from the last answer to the next send reaches the first keepalive timeout to expire", () => {
    // last answer at 0.420 s; next send at 2.3 s: idle 1.88 s >= 2 s - 250 ms
    const reached = idleGapsReachedKeepalive({ ...records(clean(), { scenario: onOff(1.6) }), rows: burstThen(2300) });
    expect(reached).toMatchObject({ ok: true, observed: "1 gap(s)" });
    expect(reached.detail).toContain("reached the node's keepalive 2.000 s (longest 1.880 s");
    const short = idleGapsReachedKeepalive({ ...records(clean(), { scenario: onOff(1.6) }), rows: burstThen(1500) });
    expect(short).toMatchObject({ ok: false, observed: "0 gap(s)" });
    expect(short.detail).toContain("lengthen load.on_off.off_s (now 1.6 s)");
    // nginx's own upstream keepalive_timeout shorter than the node's: that is the one to reach
    const nginxFirst = idleGapsReachedKeepalive({
      ...records(clean(), { scenario: onOff(1, { upstream_keepalive: 16, upstream_keepalive_timeout_s: 1 }) }),
      rows: burstThen(1500),
    });
    expect(nginxFirst.detail).toContain("nginx's upstream keepalive_timeout 1.000 s");
    expect(nginxFirst.ok).toBe(true);
  });

  it("fails without upstream keepalive: there is no idle connection to time out", () => {
    const out = idleGapsReachedKeepalive({ ...records(clean(), { scenario: onOff(2, { upstream_keepalive: 0 }) }), rows: burstThen(5000) });
    expect(out).toMatchObject({ ok: false, observed: "no upstream keepalive" });
  });
});

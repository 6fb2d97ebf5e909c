import { describe, expect, it } from "vitest";
import { holdMs, lintScenario, longestRequest } from "./lint.ts";
import { Scenario } from "./schema.ts";

const scenario = (over: Record<string, unknown>) => Scenario.parse({ name: "t", ...over });
const codes = (over: Record<string, unknown>) => lintScenario(scenario(over)).map((f) => `${f.severity}:${f.code}`);
const GET_3S = { load: { mix: [{ method: "GET", ms: 3000 }] } };

describe("lintScenario", () => {
  it("finds nothing wrong with the defaults", () => {
    expect(lintScenario(scenario({}))).toEqual([]);
  });

  it("errors on a stop wait shorter than the effective graceful limit, naming fields and values", () => {
    const [f] = lintScenario(
      scenario({ stack: { uvicorn: { timeout_graceful_shutdown_s: 5 }, gunicorn: { graceful_timeout_s: 10 } }, drain: { stop_wait_s: 3 } }),
    );
    expect(f).toMatchObject({ severity: "error", code: "stop-wait-shorter-than-graceful-limit" });
    expect(f!.fields).toContain("drain.stop_wait_s");
    expect(f!.message).toContain("drain.stop_wait_s 3 s");
    expect(f!.message).toContain("effective graceful limit 5 s");
    expect(f!.message).toContain("stack.uvicorn.timeout_graceful_shutdown_s 5 s");
  });

  it("warns on a stop wait equal to the limit (no margin), via wait_margin_s", () => {
    expect(codes({ drain: { wait_margin_s: 0 } })).toEqual(["warning:stop-wait-without-margin"]);
    expect(lintScenario(scenario({ drain: { wait_margin_s: 0 } }))[0]!.message).toContain("drain.wait_margin_s 0 s");
  });

  it("warns (not errors) on a graceful limit shorter than the longest request: it depends on what is in flight at SIGTERM", () => {
    const found = lintScenario(scenario({ ...GET_3S, stack: { gunicorn: { graceful_timeout_s: 1 } } }));
    expect(found.map((f) => f.code)).toEqual(["graceful-limit-shorter-than-request"]);
    expect(found[0]!.severity).toBe("warning");
    expect(found[0]!.message).toMatch(
      /effective graceful limit 1 s .*stack\.uvicorn\.timeout_graceful_shutdown_s null \(unlimited\).*load\.mix\[0\]: GET 3000 ms/,
    );
    expect(found[0]!.message).toContain("SIGKILLs");
  });

  it("uses the max of a ranged service time and names the kind that reaches it", () => {
    const mix = [
      { method: "GET", ms: { min: 10, max: 300 } },
      { method: "POST", ms: { min: 2000, max: 8000 } },
    ];
    const s = scenario({ load: { mix, grace_s: 10 }, stack: { uvicorn: { timeout_graceful_shutdown_s: 5 } } });
    expect(longestRequest(s.load.mix)).toMatchObject({ ms: 8000, index: 1 });
    const [f] = lintScenario(s);
    expect(f!.message).toContain("load.mix[1]: POST 8000 ms");
    expect(f!.message).toContain("uvicorn cancels it and answers 500");
  });

  it("a feed read for duration_s holds its node that long", () => {
    const system = { app: { image: "x" }, nginx: { config: "n.conf", upstream: "api" } };
    const [feed, fixture] = [
      Scenario.parse({ name: "t", system, load: { mix: [{ kind: "sse", path: "/f", duration_s: 20 }] } }).load.mix[0]!,
      Scenario.parse({ name: "t", load: { mix: [{ kind: "sse", events: 30, interval_ms: 100 }] } }).load.mix[0]!,
    ];
    expect([holdMs(feed), holdMs(fixture)]).toEqual([20_000, 3000]);
  });

  it("skips the graceful chain when nothing is SIGTERMed", () => {
    expect(codes({ ...GET_3S, stack: { gunicorn: { graceful_timeout_s: 1 } }, drain: { enabled: false } })).toEqual([]);
    expect(codes({ ...GET_3S, stack: { gunicorn: { graceful_timeout_s: 1 } }, drain: { signal: "SIGKILL" } })).toEqual([]);
  });

  it("errors on proxy_read_timeout not longer than the longest request, and says nginx re-sends on timeout", () => {
    const found = lintScenario(scenario({ ...GET_3S, stack: { nginx: { proxy_read_timeout_s: 3 } } }));
    expect(found.map((f) => `${f.severity}:${f.code}`)).toEqual(["error:read-timeout-shorter-than-request"]);
    expect(found[0]!.message).toContain("stack.nginx.proxy_read_timeout_s 3 s");
    expect(found[0]!.message).toContain('proxy_next_upstream "error timeout"');
    const off = lintScenario(scenario({ ...GET_3S, stack: { nginx: { proxy_read_timeout_s: 1, proxy_next_upstream: "off" } } }));
    expect(off[0]!.message).not.toContain("re-sends");
  });

  it("errors on client timeout and grace shorter than the longest request", () => {
    expect(codes({ load: { mix: [{ method: "GET", ms: 6000 }], timeout_s: 5, grace_s: 1 } })).toEqual([
      "error:client-timeout-shorter-than-request",
      "error:grace-shorter-than-request",
    ]);
    const grace = lintScenario(scenario({ load: { mix: [{ method: "GET", ms: 6000 }], grace_s: 1 } })).find(
      (f) => f.code === "grace-shorter-than-request",
    );
    expect(grace!.message).toContain("last 5.0 s");
  });

  it("warns when a stopped node stays in the upstream and the grace cannot cover a connect timeout to it", () => {
    const mix = [{ method: "GET", ms: 200 }];
    // SIGTERM without removal: nginx tries the gone node again after fail_timeout and waits proxy_connect_timeout
    expect(codes({ load: { mix }, drain: { remove: false } })).toEqual(["warning:grace-shorter-than-connect-timeout-retry"]);
    const f = lintScenario(scenario({ load: { mix }, drain: { remove: false } }))[0]!;
    expect(f.message).toContain("load.grace_s 5 s is shorter than stack.nginx.proxy_connect_timeout_s 5 s");
    expect(f.fields).toEqual(["load.grace_s", "stack.nginx.proxy_connect_timeout_s", "load.mix[0]"]);
    expect(codes({ load: { mix, grace_s: 6 }, drain: { remove: false } })).toEqual([]);
    // removed and reloaded: nginx never tries the stopped node
    expect(codes({ load: { mix } })).toEqual([]);
    expect(codes({ load: { mix }, faults: [{ kind: "kill-node", target: 1, at_s: 3 }] })).toEqual([
      "warning:grace-shorter-than-connect-timeout-retry",
    ]);
  });

  it("warns when uvicorn's limit can never apply, or leaves gunicorn no margin", () => {
    expect(codes({ stack: { uvicorn: { timeout_graceful_shutdown_s: 60 }, gunicorn: { graceful_timeout_s: 10 } } })).toEqual([
      "warning:uvicorn-limit-never-applies",
    ]);
    expect(codes({ stack: { uvicorn: { timeout_graceful_shutdown_s: 4.5 }, gunicorn: { graceful_timeout_s: 5 } } })).toEqual([
      "warning:gunicorn-graceful-without-margin",
    ]);
    expect(codes({ stack: { uvicorn: { timeout_graceful_shutdown_s: 4 }, gunicorn: { graceful_timeout_s: 5 } } })).toEqual([]);
    // no gunicorn master, no graceful_timeout to race
    const bare = { ...scenario({ stack: { uvicorn: { timeout_graceful_shutdown_s: 60 }, gunicorn: { graceful_timeout_s: 10 } } }) };
    bare.stack = { ...bare.stack, runtime: "uvicorn" } as typeof bare.stack;
    expect(lintScenario(bare).map((f) => f.code)).not.toContain("uvicorn-limit-never-applies");
  });

  it("warns on nginx worker_shutdown_timeout shorter than a request, only when the drain reloads", () => {
    const base = { load: { mix: [{ method: "GET", ms: 3000 }] }, stack: { nginx: { worker_shutdown_timeout_s: 2 } } };
    expect(codes(base)).toEqual(["warning:worker-shutdown-shorter-than-request"]);
    expect(codes({ ...base, drain: { remove: false } })).not.toContain("warning:worker-shutdown-shorter-than-request");
  });

  it("warns on node keepalive shorter than nginx's upstream keepalive_timeout", () => {
    expect(codes({ stack: { nginx: { upstream_keepalive: 16 }, gunicorn: { keepalive_s: 5 } } })).toEqual([
      "warning:node-keepalive-shorter-than-nginx",
    ]);
    expect(codes({ stack: { nginx: { upstream_keepalive: 16 }, gunicorn: { keepalive_s: 75 } } })).toEqual([]);
  });

  it("lists errors before warnings", () => {
    const found = codes({ ...GET_3S, stack: { gunicorn: { graceful_timeout_s: 1 }, nginx: { proxy_read_timeout_s: 2 } } });
    expect(found).toEqual(["error:read-timeout-shorter-than-request", "warning:graceful-limit-shorter-than-request"]);
  });
});

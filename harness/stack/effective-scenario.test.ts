import { describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { gunicornSettings, parsePrintConfig } from "./effective.ts";
import { effectiveScenario } from "./system.ts";
import type { SystemState } from "./system-state.ts";

const scenario = Scenario.parse({
  name: "mine",
  system: { app: { image: "x" }, nginx: { config: "nginx.conf", upstream: "api" } },
  load: { mix: [{ method: "GET", path: "/", expected_ms: 5 }] },
});
const state = (server: SystemState["server"]): SystemState =>
  ({ server, nginx: null, measured_ms: {}, overrides: [], notes: [], nodes: [], services: [] }) as unknown as SystemState;

describe("the effective scenario takes every server setting a fact states from the user's config", () => {
  it("max_requests and its jitter, workers, graceful limits and keepalive", () => {
    const server = gunicornSettings(
      parsePrintConfig(
        [
          "graceful_timeout = 8",
          "keepalive = 5",
          "max_requests = 200",
          "max_requests_jitter = 20",
          "timeout = 20",
          "workers = 3",
          "worker_class = uvicorn.workers.UvicornWorker",
        ].join("\n"),
      ),
      4,
    );
    const s = effectiveScenario(scenario, state(server));
    expect(s.stack.gunicorn).toMatchObject({
      max_requests: 200,
      max_requests_jitter: 20,
      workers: 3,
      graceful_timeout_s: 8,
      timeout_s: 20,
      keepalive_s: 5,
    });
    expect(s.stack.uvicorn.timeout_graceful_shutdown_s).toBe(4);
  });
});

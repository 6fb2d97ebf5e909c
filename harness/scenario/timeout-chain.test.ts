import { describe, expect, it } from "vitest";
import { Scenario } from "./schema.ts";
import { timeoutChain } from "./timeout-chain.ts";

const scenario = (over: object) => Scenario.parse({ name: "t", ...over });

describe("timeoutChain", () => {
  it("uses gunicorn's graceful_timeout when uvicorn has no limit (its default)", () => {
    const c = timeoutChain(scenario({}));
    expect(c).toMatchObject({
      uvicorn_graceful_s: null,
      effective_graceful_s: 30,
      limited_by: "gunicorn graceful_timeout",
      stop_wait_s: 32,
    });
  });

  it("uses uvicorn's limit when it is shorter", () => {
    const c = timeoutChain(scenario({ stack: { uvicorn: { timeout_graceful_shutdown_s: 3 } }, drain: { wait_margin_s: 1 } }));
    expect(c).toMatchObject({ effective_graceful_s: 3, limited_by: "uvicorn timeout_graceful_shutdown", stop_wait_s: 4 });
  });

  it("gunicorn still wins when uvicorn's limit is longer", () => {
    const c = timeoutChain(scenario({ stack: { uvicorn: { timeout_graceful_shutdown_s: 60 }, gunicorn: { graceful_timeout_s: 10 } } }));
    expect(c.effective_graceful_s).toBe(10);
  });

  it("under uvicorn --workers, has no gunicorn and falls back to the stop wait when uvicorn has no limit", () => {
    expect(timeoutChain(scenario({ stack: { runtime: "uvicorn" } }))).toMatchObject({
      gunicorn_graceful_timeout_s: null,
      effective_graceful_s: 30,
      limited_by: "the stop wait (uvicorn has no limit)",
      stop_wait_s: 30,
    });
    expect(timeoutChain(scenario({ stack: { runtime: "uvicorn", uvicorn: { timeout_graceful_shutdown_s: 4 } } }))).toMatchObject({
      effective_graceful_s: 4,
      stop_wait_s: 6,
    });
  });

  it("honours an explicit stop wait", () => {
    expect(timeoutChain(scenario({ drain: { stop_wait_s: 1 } })).stop_wait_s).toBe(1);
  });
});

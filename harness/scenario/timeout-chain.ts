import type { Scenario } from "./schema.ts";

export interface TimeoutChain {
  runtime: "gunicorn" | "uvicorn";
  /** uvicorn timeout_graceful_shutdown; null = waits without limit. */
  uvicorn_graceful_s: number | null;
  /** null under `uvicorn --workers` (no gunicorn in the chain). */
  gunicorn_graceful_timeout_s: number | null;
  /** The limit the whole chain enforces on in-flight requests after SIGTERM. */
  effective_graceful_s: number;
  limited_by: "uvicorn timeout_graceful_shutdown" | "gunicorn graceful_timeout" | "the stop wait (uvicorn has no limit)";
  /** How long the operator waits after SIGTERM before SIGKILL (docker stop -t). */
  stop_wait_s: number;
}

/** The stop wait when nothing in the chain limits the drain (uvicorn alone, no timeout_graceful_shutdown). */

/**
 * The effective graceful limit of nginx -> gunicorn -> uvicorn: uvicorn cuts
 * in-flight requests after its own timeout (none by default); gunicorn's
 * master kills workers after graceful_timeout; the smaller one wins. Under
 * `uvicorn --workers` there is no gunicorn: with no uvicorn limit either, only
 * the operator's stop wait ends the drain.
 */
export function timeoutChain(scenario: Scenario): TimeoutChain {
  const uv = scenario.stack.uvicorn.timeout_graceful_shutdown_s;
  const { wait_margin_s: margin, stop_wait_s: stopWait, unlimited_stop_wait_s: unlimitedWait } = scenario.drain;
  if (scenario.stack.runtime === "uvicorn") {
    const wait = stopWait ?? (uv === null ? unlimitedWait : uv + margin);
    return {
      runtime: "uvicorn",
      uvicorn_graceful_s: uv,
      gunicorn_graceful_timeout_s: null,
      effective_graceful_s: uv ?? wait,
      limited_by: uv === null ? "the stop wait (uvicorn has no limit)" : "uvicorn timeout_graceful_shutdown",
      stop_wait_s: wait,
    };
  }
  const gu = scenario.stack.gunicorn.graceful_timeout_s;
  const uvicornWins = uv !== null && uv < gu;
  const effective = uvicornWins ? uv : gu;
  return {
    runtime: "gunicorn",
    uvicorn_graceful_s: uv,
    gunicorn_graceful_timeout_s: gu,
    effective_graceful_s: effective,
    limited_by: uvicornWins ? "uvicorn timeout_graceful_shutdown" : "gunicorn graceful_timeout",
    stop_wait_s: stopWait ?? effective + margin,
  };
}

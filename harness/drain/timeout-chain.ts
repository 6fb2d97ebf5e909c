import type { Scenario } from "../scenario/schema.ts";

export interface TimeoutChain {
  /** uvicorn timeout_graceful_shutdown; null = waits without limit. */
  uvicorn_graceful_s: number | null;
  gunicorn_graceful_timeout_s: number;
  /** The limit the whole chain enforces on in-flight requests after SIGTERM. */
  effective_graceful_s: number;
  limited_by: "uvicorn timeout_graceful_shutdown" | "gunicorn graceful_timeout";
  /** How long the operator waits after SIGTERM before SIGKILL (docker stop -t). */
  stop_wait_s: number;
}

/**
 * The effective graceful limit of nginx -> gunicorn -> uvicorn: uvicorn cuts
 * in-flight requests after its own timeout (none by default); gunicorn's
 * master kills workers after graceful_timeout; the smaller one wins.
 */
export function timeoutChain(scenario: Scenario): TimeoutChain {
  const uv = scenario.stack.uvicorn.timeout_graceful_shutdown_s;
  const gu = scenario.stack.gunicorn.graceful_timeout_s;
  const uvicornWins = uv !== null && uv < gu;
  const effective = uvicornWins ? uv : gu;
  return {
    uvicorn_graceful_s: uv,
    gunicorn_graceful_timeout_s: gu,
    effective_graceful_s: effective,
    limited_by: uvicornWins ? "uvicorn timeout_graceful_shutdown" : "gunicorn graceful_timeout",
    stop_wait_s: scenario.drain.stop_wait_s ?? effective + scenario.drain.wait_margin_s,
  };
}

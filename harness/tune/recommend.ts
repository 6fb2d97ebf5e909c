import { CHAIN_MARGIN_S } from "../scenario/lint.ts";
import { ceilToGrid, roundToGrid, type TuneRange } from "./range.ts";

/** Above the smallest passing value: this share of it, and at least one unit (1 s for *_s fields, 1000 ms for *_ms, one step otherwise). */
export const SAFETY_SHARE = 0.25;
/** The stop wait on top of gunicorn's graceful_timeout (the schema's default drain.wait_margin_s). */
export const STOP_WAIT_MARGIN_S = 2;

export const UVICORN_GRACEFUL = "stack.uvicorn.timeout_graceful_shutdown_s";
export const GUNICORN_GRACEFUL = "stack.gunicorn.graceful_timeout_s";
export const STOP_WAIT = "drain.stop_wait_s";

export interface RecommendedSetting {
  field: string;
  value: number;
  why: string;
}

export interface Recommendation {
  param: string;
  smallest_passing: number;
  margin: number;
  margin_rule: string;
  /** The recommended value of the tuned field. */
  value: number;
  /** The tuned field and its neighbours in the timeout chain, each with the reason for its value. */
  settings: RecommendedSetting[];
  /** The same as --set overrides, to re-run or gate the recommendation. */
  sets: string[];
}

function unitOf(param: string, step: number): { one: number; name: string } {
  if (param.endsWith("_ms")) return { one: 1000, name: "1000 ms" };
  if (param.endsWith("_s")) return { one: 1, name: "1 s" };
  return { one: step, name: `one step (${step})` };
}

/**
 * The value to use, with a stated safety margin: max(one unit, 25%) above the
 * smallest passing value, rounded up to the step grid; then the rest of the
 * chain that must sit above it. gunicorn takes whole seconds.
 */
export function recommend(param: string, smallestPassing: number, range: Pick<TuneRange, "lo" | "step">): Recommendation {
  const unit = unitOf(param, range.step);
  const margin = roundToGrid(Math.max(unit.one, smallestPassing * SAFETY_SHARE));
  const value = ceilToGrid(smallestPassing + margin, range);
  const settings: RecommendedSetting[] = [
    {
      field: param,
      value,
      why: `smallest passing ${smallestPassing} + margin ${margin} (max(${unit.name}, ${SAFETY_SHARE * 100}%)), on the step grid`,
    },
  ];

  const stopWait = (gunicorn: number): RecommendedSetting => ({
    field: STOP_WAIT,
    value: gunicorn + STOP_WAIT_MARGIN_S,
    why: `docker stop -t: gunicorn graceful_timeout ${gunicorn} s + ${STOP_WAIT_MARGIN_S} s, so the operator's SIGKILL never comes before gunicorn's own`,
  });
  if (param === UVICORN_GRACEFUL) {
    const gunicorn = Math.ceil(value + CHAIN_MARGIN_S);
    settings.push({
      field: GUNICORN_GRACEFUL,
      value: gunicorn,
      why: `>= uvicorn's limit ${value} s + ${CHAIN_MARGIN_S} s, whole seconds: uvicorn cuts and answers first, the master's SIGKILL is only the backstop`,
    });
    settings.push(stopWait(gunicorn));
  } else if (param === GUNICORN_GRACEFUL) {
    const gunicorn = Math.ceil(value);
    settings[0] = { ...settings[0]!, value: gunicorn, why: `${settings[0]!.why}, whole seconds` };
    settings.push(stopWait(gunicorn));
  }
  return {
    param,
    smallest_passing: smallestPassing,
    margin,
    margin_rule: `max(${unit.name}, ${SAFETY_SHARE * 100}%) above the smallest passing value, rounded up to the step grid`,
    value: settings[0]!.value,
    settings,
    sets: settings.map((s) => `${s.field}=${s.value}`),
  };
}

import { type Resolved, resolveScenario } from "./resolved.ts";
import { type RequestKind, type Scenario, sessionShape } from "./schema.ts";

/**
 * Timeout-chain lint: what a tuner can tell from the resolved parameters alone,
 * before any container starts.
 *
 * Severity rule: "error" when the configuration contradicts itself, or when
 * nginx or the client cuts every request longer than a limit, with or without
 * a drain; "warning" when it can lose requests only if a long request happens
 * to be in flight at the moment of the SIGTERM or the reload. That depends on
 * the rate, the tail of the mix and drain.settle_ms, which is the boundary
 * `drainlab tune` measures, so lint names the risk and the run decides.
 *
 * Not flagged, because measured otherwise: gunicorn `timeout` shorter than a
 * request. With UvicornWorker it is a heartbeat from the event loop (sent
 * every timeout/2, checked once a second), not a per-request limit: 3 s
 * requests under timeout 1 s ran without a worker being killed. It only
 * kills a worker whose event loop is blocked.
 */
export interface LintFinding {
  severity: "error" | "warning";
  /** Stable, kebab-case: what CI filters on. */
  code: string;
  /** Names every field involved with its value, and what goes wrong. */
  message: string;
  /** Dotted paths of the fields involved. */
  fields: string[];
}

/** Below this, a later link of the chain races the earlier one it is meant to back up. */
export const CHAIN_MARGIN_S = 1;

/** The entry of the mix with the largest `measure`, and its index. */
function longestBy(mix: RequestKind[], measure: (k: RequestKind) => number): { ms: number; index: number; kind: RequestKind } | null {
  let best: { ms: number; index: number; kind: RequestKind } | null = null;
  for (const [index, kind] of mix.entries()) {
    const ms = measure(kind);
    if (!best || ms > best.ms) best = { ms, index, kind };
  }
  return best;
}

/** The longest request the mix can ask for, and the kind that asks for it. */
export function longestRequest(mix: RequestKind[]): { ms: number; index: number; kind: RequestKind } | null {
  return longestBy(mix, (k) => (typeof k.ms === "number" ? k.ms : k.ms.max));
}

/** How long one entry holds a node: a request's work plus its background task, or a session's whole length. */
export function holdMs(kind: RequestKind): number {
  if ((kind.kind ?? "request") !== "request") {
    // a feed read for duration_s holds its node that long (across its reconnects)
    if (kind.kind === "sse" && kind.duration_s !== undefined) return kind.duration_s * 1000;
    const shape = sessionShape(kind);
    // a long poll holds a node one poll at a time
    return kind.kind === "longpoll" ? Math.min(shape.hold_ms, shape.units * shape.interval_ms) : shape.units * shape.interval_ms;
  }
  return (typeof kind.ms === "number" ? kind.ms : kind.ms.max) + (kind.task_ms ?? 0);
}

/** The entry that holds a node longest (a request with its background task, or a stream, feed or socket). */
export function longestHold(mix: RequestKind[]): { ms: number; index: number; kind: RequestKind } | null {
  return longestBy(mix, holdMs);
}

const s = (v: number | null) => (v === null ? "null (unlimited)" : `${v} s`);

export function lintScenario(scenario: Scenario): LintFinding[] {
  return lintResolved(resolveScenario(scenario));
}

/** The findings on a resolved scenario: its effective settings, against the timeout chain it was resolved with. */
export function lintResolved(resolved: Resolved): LintFinding[] {
  const { scenario, chain } = resolved;
  // the timeout chain is of settings drainlab sets; an attached system's are its own, and none is read
  if (scenario.attach) return [];
  const { stack, load, drain } = scenario;
  const longest = longestRequest(load.mix);
  const findings: LintFinding[] = [];
  const add = (severity: LintFinding["severity"], code: string, fields: string[], message: string) =>
    findings.push({ severity, code, message, fields });

  const longestMs = longest?.ms ?? 0;
  const mixField = longest ? `load.mix[${longest.index}]` : "load.mix";
  const longestText = longest ? `the longest request in the mix (${mixField}: ${longest.kind.method} ${longestMs} ms)` : "";
  // what holds a node longest, background tasks and streams included: what a graceful stop must wait for
  const hold = longestHold(load.mix);
  const holdField = hold ? `load.mix[${hold.index}]` : "load.mix";
  const holdKind = hold ? (hold.kind.kind ?? "request") : "request";
  const holdText = !hold
    ? ""
    : holdKind === "request"
      ? `the longest request in the mix (${holdField}: ${hold.kind.method} ${hold.ms} ms${hold.kind.task_ms ? `, its background task included` : ""})`
      : `the longest ${holdKind} in the mix (${holdField}: ${hold.ms} ms)`;
  const uvField = "stack.uvicorn.timeout_graceful_shutdown_s";
  const guField = "stack.gunicorn.graceful_timeout_s";
  const chainText = `${uvField} ${s(chain.uvicorn_graceful_s)}, ${guField} ${chain.gunicorn_graceful_timeout_s} s`;
  const stopWaitText =
    drain.stop_wait_s !== null
      ? { fields: ["drain.stop_wait_s"], text: `drain.stop_wait_s ${drain.stop_wait_s} s` }
      : {
          fields: ["drain.wait_margin_s"],
          text: `the stop wait ${chain.stop_wait_s} s (effective limit + drain.wait_margin_s ${drain.wait_margin_s} s)`,
        };

  // --- the graceful chain: only a SIGTERM drain walks it
  if (drain.enabled && drain.signal === "SIGTERM") {
    if (chain.stop_wait_s < chain.effective_graceful_s) {
      add(
        "error",
        "stop-wait-shorter-than-graceful-limit",
        [...stopWaitText.fields, uvField, guField],
        `${stopWaitText.text} is shorter than the effective graceful limit ${chain.effective_graceful_s} s (${chainText}): ` +
          `the operator SIGKILLs the node before its own limit, cutting requests it would still have finished`,
      );
    } else if (chain.stop_wait_s < chain.effective_graceful_s + CHAIN_MARGIN_S) {
      add(
        "warning",
        "stop-wait-without-margin",
        [...stopWaitText.fields, uvField, guField],
        `${stopWaitText.text} leaves less than ${CHAIN_MARGIN_S} s after the effective graceful limit ${chain.effective_graceful_s} s (${chainText}): ` +
          `the SIGKILL races the node's own orderly exit`,
      );
    }

    const uv = chain.uvicorn_graceful_s;
    // without a gunicorn master (stack.runtime uvicorn) there is no graceful_timeout to race
    const gu = chain.gunicorn_graceful_timeout_s;
    if (gu !== null && uv !== null && uv >= gu) {
      add(
        "warning",
        "uvicorn-limit-never-applies",
        [uvField, guField],
        `${uvField} ${uv} s never applies: ${guField} ${chain.gunicorn_graceful_timeout_s} s is not longer, so gunicorn's master SIGKILLs the workers first ` +
          `(nothing is answered for what it cuts); set ${guField} >= ${Math.ceil(uv + CHAIN_MARGIN_S)}`,
      );
    } else if (gu !== null && uv !== null && gu < uv + CHAIN_MARGIN_S) {
      add(
        "warning",
        "gunicorn-graceful-without-margin",
        [uvField, guField],
        `${guField} ${chain.gunicorn_graceful_timeout_s} s leaves less than ${CHAIN_MARGIN_S} s after ${uvField} ${uv} s: ` +
          `the master may SIGKILL workers while uvicorn is still cancelling and answering; set ${guField} >= ${Math.ceil(uv + CHAIN_MARGIN_S)}`,
      );
    }

    if (hold && chain.effective_graceful_s * 1000 < hold.ms) {
      const how =
        chain.limited_by === "gunicorn graceful_timeout"
          ? "gunicorn's master SIGKILLs the worker holding it; nginx silently re-sends a cut GET to another node (executed twice) and answers a cut POST 502"
          : "uvicorn cancels it and answers 500, which nginx does not re-send";
      add(
        "warning",
        "graceful-limit-shorter-than-request",
        [uvField, guField, holdField],
        `the effective graceful limit ${chain.effective_graceful_s} s (${chainText}) is shorter than ${holdText}: ` +
          `a request with more than ${chain.effective_graceful_s} s left at the SIGTERM is cut: ${how}. ` +
          `Whether one is in flight then depends on the rate, the mix and drain.settle_ms ${drain.settle_ms} ms: drainlab tune measures it`,
      );
    }
  }

  // --- nginx and the client cut long requests on every run, drain or not
  if (longest && stack.nginx.proxy_read_timeout_s * 1000 <= longestMs) {
    const retries = /\btimeout\b/.test(stack.nginx.proxy_next_upstream);
    add(
      "error",
      "read-timeout-shorter-than-request",
      ["stack.nginx.proxy_read_timeout_s", "stack.nginx.proxy_next_upstream", mixField],
      `stack.nginx.proxy_read_timeout_s ${stack.nginx.proxy_read_timeout_s} s is not longer than ${longestText}: nginx times out every such request (504)` +
        (retries
          ? `, and with stack.nginx.proxy_next_upstream "${stack.nginx.proxy_next_upstream}" it first re-sends an idempotent one to another node (executed twice)`
          : ""),
    );
  }
  if (longest && load.timeout_s * 1000 <= longestMs) {
    add(
      "error",
      "client-timeout-shorter-than-request",
      ["load.timeout_s", mixField],
      `load.timeout_s ${load.timeout_s} s is not longer than ${longestText}: the client gives up on every such request`,
    );
  }
  if (hold && load.grace_s * 1000 < hold.ms) {
    add(
      "error",
      "grace-shorter-than-request",
      ["load.grace_s", holdField],
      `load.grace_s ${load.grace_s} s is shorter than ${holdText}: requests sent in the last ${((hold.ms - load.grace_s * 1000) / 1000).toFixed(1)} s ` +
        `of the schedule are still running when the run stops waiting, and count as unanswered`,
    );
  }

  // a node whose container has gone leaves no one to refuse a connect to its address: nginx's attempt
  // waits proxy_connect_timeout, then goes to another node (seen: 504, 200 after 5.1 s)
  const stoppedNodeStaysUpstream =
    (drain.enabled && (!drain.remove || !drain.reload)) || scenario.faults.some((f) => f.kind === "kill-node");
  const slowestTripMs = stack.nginx.proxy_connect_timeout_s * 1000 + (hold?.ms ?? 0);
  if (stoppedNodeStaysUpstream && load.grace_s * 1000 < slowestTripMs) {
    add(
      "warning",
      "grace-shorter-than-connect-timeout-retry",
      ["load.grace_s", "stack.nginx.proxy_connect_timeout_s", holdField],
      `load.grace_s ${load.grace_s} s is shorter than stack.nginx.proxy_connect_timeout_s ${stack.nginx.proxy_connect_timeout_s} s plus ` +
        `${hold ? holdText : "the request"}: a stopped node stays in the upstream, and nginx's next try of it (after fail_timeout) waits ` +
        `the connect timeout on an address nobody answers before another node serves the request; one sent near the end of the schedule ` +
        `is then still on its way when the run stops waiting, and counts as unanswered`,
    );
  }

  // --- reloads: the removal's nginx -s reload (and a rolling drain's re-add)
  const reloads = drain.enabled && drain.remove && drain.reload;
  if (reloads && hold && stack.nginx.worker_shutdown_timeout_s * 1000 < hold.ms) {
    add(
      "warning",
      "worker-shutdown-shorter-than-request",
      ["stack.nginx.worker_shutdown_timeout_s", holdField],
      `stack.nginx.worker_shutdown_timeout_s ${stack.nginx.worker_shutdown_timeout_s} s is shorter than ${holdText}: ` +
        `after the removal's reload the old nginx workers close connections still waiting past it, cutting requests in flight at the reload`,
    );
  }
  const upstreamIdle = stack.nginx.upstream_keepalive_timeout_s;
  if (stack.nginx.upstream_keepalive > 0 && stack.gunicorn.keepalive_s <= upstreamIdle) {
    add(
      "warning",
      "node-keepalive-shorter-than-nginx",
      ["stack.gunicorn.keepalive_s", "stack.nginx.upstream_keepalive_timeout_s"],
      `stack.gunicorn.keepalive_s ${stack.gunicorn.keepalive_s} s is not longer than nginx's upstream keepalive_timeout (${upstreamIdle} s) ` +
        `with stack.nginx.upstream_keepalive ${stack.nginx.upstream_keepalive}: a node may close an idle connection just as nginx reuses it ` +
        `(nginx then re-sends a GET or answers a POST 502)`,
    );
  }

  return findings.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
}

export function lintErrors(findings: LintFinding[]): LintFinding[] {
  return findings.filter((f) => f.severity === "error");
}

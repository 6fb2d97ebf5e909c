import type { CheckOutcome, Records } from "../records/records.ts";
import type { Scenario } from "../scenario/schema.ts";
import { secs } from "./checks.ts";

/** Worker recycling as the scenario (or the user's server) sets it: requests per worker, or null for none. */
export function recycleLimit(stack: Scenario["stack"]): number | null {
  if (stack.runtime === "uvicorn") return stack.uvicorn.limit_max_requests;
  return stack.gunicorn.max_requests > 0 ? stack.gunicorn.max_requests : null;
}

/** The recycling setting as the report names it, jitter included. */
export function recycleSetting(stack: Scenario["stack"]): string {
  if (stack.runtime === "uvicorn") return `--limit-max-requests ${stack.uvicorn.limit_max_requests}`;
  const jitter = stack.gunicorn.max_requests_jitter;
  return `max_requests ${stack.gunicorn.max_requests}${jitter > 0 ? ` (jitter ${jitter})` : ""}`;
}

/**
 * Whether the scenario asks to exercise recycling: a fixture scenario sets the limit itself; with `system:`
 * the limit is the user's config, judged only with checks.require_recycles.
 */
export function recyclingAsked(scenario: Scenario): boolean {
  return scenario.system === undefined || scenario.checks.require_recycles;
}

/** workers-recycled applies when the scenario (or the user's server) sets worker recycling. */
export const recyclingSet = ({ scenario }: Records): boolean => recycleLimit(scenario.stack) !== null;

/** idle-gaps-reached-keepalive applies to an on/off load (load.on_off). */
export const onOffLoad = ({ scenario }: Records): boolean => Boolean(scenario.load.on_off);

const recycleCount = (recycles: Records["server"]["recycles"]): string =>
  recycles === null || recycles === undefined ? "no node log" : `${recycles.length} recycle(s)`;

/**
 * workers-recycled: worker recycling took effect. With max_requests (or
 * uvicorn's --limit-max-requests) set, the run must show workers restarting,
 * counted from each node's own log ("Maximum request limit of N exceeded",
 * "Autorestarting worker"); the loss classes then say what the recycles cost.
 * A limit the load never reached proves nothing.
 */
export function workersRecycled({ scenario, server }: Records): CheckOutcome {
  const name = "workers-recycled";
  const limit = recycleLimit(scenario.stack);
  const expected = ">= 1 worker recycled (counted from the nodes' logs)";
  if (limit === null)
    return {
      name,
      status: "skipped",
      ok: true,
      observed: "-",
      expected,
      detail: "no worker recycling set (max_requests, --limit-max-requests)",
    };
  const setting = recycleSetting(scenario.stack);
  if (!recyclingAsked(scenario))
    return {
      name,
      status: "skipped",
      ok: true,
      observed: recycleCount(server.recycles),
      expected,
      detail: `${setting} is the user's own setting, not what this scenario exercises (set checks.require_recycles: true to require recycles); the facts say whether this load reached it`,
    };
  if (server.recycles === null || server.recycles === undefined) {
    return {
      name,
      status: "no-evidence",
      ok: false,
      observed: "no node log",
      expected,
      detail: `the nodes' container logs were not saved, so nothing shows whether a worker reached ${setting}`,
    };
  }
  const byNode = new Map<string, number>();
  for (const r of server.recycles) byNode.set(r.node, (byNode.get(r.node) ?? 0) + 1);
  const n = server.recycles.length;
  if (n === 0) {
    return {
      name,
      ok: false,
      observed: "0 recycles",
      expected,
      detail: `no worker logged reaching ${setting}: the load never recycled one, so the run says nothing about recycling`,
    };
  }
  const where = [...byNode].map(([node, k]) => `${node}: ${k}`).join(", ");
  return {
    name,
    ok: true,
    observed: `${n} recycle(s)`,
    expected,
    detail: `${n} worker recycle(s) at ${setting} (${where}); first: "${server.recycles[0]!.line}"`,
  };
}

/** A gap counts when the connections sat idle (from the last answer to the next send) at least this close to the timeout. */
export const IDLE_GAP_SLACK_MS = 250;

/**
 * idle-gaps-reached-keepalive: the on/off load (load.on_off) left nginx's
 * upstream connections idle as long as the first keepalive timeout to expire
 * (the node's, or nginx's upstream keepalive_timeout), measured in the
 * client's ledger from the last answer before a gap to the first send after
 * it. Gaps that never reach it cannot meet the race a keepalive mismatch is
 * known for.
 */
export function idleGapsReachedKeepalive({ scenario, rows }: Records): CheckOutcome {
  const name = "idle-gaps-reached-keepalive";
  const { stack, load } = scenario;
  const nodeMs = stack.gunicorn.keepalive_s * 1000;
  const nginxMs = stack.nginx.upstream_keepalive_timeout_s * 1000;
  const targetMs = Math.min(nodeMs, nginxMs);
  const which = nodeMs <= nginxMs ? `the node's keepalive ${secs(nodeMs)}` : `nginx's upstream keepalive_timeout ${secs(nginxMs)}`;
  const expected = `>= 1 idle gap of >= ${secs(targetMs - IDLE_GAP_SLACK_MS)} (${which}, less ${IDLE_GAP_SLACK_MS} ms)`;
  if (!load.on_off) return { name, status: "skipped", ok: true, observed: "-", expected, detail: "the load is not on/off (load.on_off)" };
  if (stack.nginx.upstream_keepalive === 0) {
    return {
      name,
      ok: false,
      observed: "no upstream keepalive",
      expected,
      detail:
        "stack.nginx.upstream_keepalive is 0: nginx opens a new connection per request, so no idle connection can meet a keepalive timeout",
    };
  }
  const sent = rows.filter((r) => !Number.isNaN(r.sentMs)).sort((a, b) => a.sentMs - b.sentMs);
  if (sent.length < 2)
    return { name, status: "no-evidence", ok: false, observed: "no load", expected, detail: "fewer than 2 requests were sent" };
  let lastEnd = Number.NEGATIVE_INFINITY;
  const gaps: number[] = [];
  for (const [i, r] of sent.entries()) {
    if (i > 0 && r.sentMs - lastEnd >= targetMs - IDLE_GAP_SLACK_MS) gaps.push(r.sentMs - lastEnd);
    lastEnd = Math.max(lastEnd, Number.isNaN(r.endMs) ? r.sentMs : r.endMs);
  }
  const longest = gaps.length > 0 ? Math.max(...gaps) : 0;
  return {
    name,
    ok: gaps.length > 0,
    observed: `${gaps.length} gap(s)`,
    expected,
    detail:
      gaps.length > 0
        ? `${gaps.length} idle gap(s) reached ${which} (longest ${secs(longest)}, from the last answer to the next send)`
        : `no idle gap reached ${which}: lengthen load.on_off.off_s (now ${load.on_off.off_s} s)`,
  };
}

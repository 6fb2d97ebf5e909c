/**
 * The rules: each reads a failing run's records (its checks, reconciliation, lint findings, timeout chain,
 * parameters and, for a user's stack, what drainlab read from it) and, when its evidence is there, names the
 * cause, the checks it explains and the settings to change. A rule that lacks evidence says nothing: a
 * failing check no rule explains is reported as such, with its example requests.
 */
import type { CheckResult } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { removingStep } from "../scenario/attach-schema.ts";
import { CHAIN_MARGIN_S, longestHold, longestRequest } from "../scenario/lint.ts";
import type { RequestKind } from "../scenario/schema.ts";
import { KUBELET_MARGIN_S, type KubernetesFacts, type PodSite, serverGraceful } from "./kubernetes.ts";
import type { Change } from "./types.ts";

export interface Finding {
  rule: string;
  checks: string[];
  cause: string;
  examples: string[];
  changes: Change[];
  /** Fields (or files) at fault that the fix does not itself touch, e.g. the stop wait that follows. */
  notes: string[];
  /** Why there is no fix, when the cause is code rather than a setting. */
  no_fix_reason?: string;
  shown_by: string[];
}

export interface RuleInput {
  report: Report;
  failing: CheckResult[];
  /** Lines of the run's nginx error log (raw/nginx/nginx-error.log), empty when absent. */
  nginxErrors: string[];
  /** Attach runs: the drained pod's workload in the scenario's attach.manifests; null when it names none. */
  kubernetes?: KubernetesFacts | null;
}

type Rule = (input: RuleInput) => Finding | null;

const failingNames = (input: RuleInput) => new Set(input.failing.map((c) => c.name));

/** Request and session ids a check's detail names ("e.g. <run>-12", "<run>-s30"). */
export function idsIn(report: Report, text: string): string[] {
  const escaped = report.run_id.replace(/[-]/g, "\\-");
  return [...new Set([...text.matchAll(new RegExp(`${escaped}-s?\\d+`, "g"))].map((m) => m[0]))];
}

/** Example ids of the failing checks named, from the reconciliation's stories and the checks' details. */
export function examplesOf(input: RuleInput, checks: string[], classes: string[] = []): string[] {
  const out: string[] = [];
  const stories = input.report.reconciliation?.examples ?? {};
  for (const cls of classes) for (const story of (stories as Record<string, Array<{ id: string }>>)[cls] ?? []) out.push(story.id);
  for (const c of input.failing) if (checks.includes(c.name)) out.push(...idsIn(input.report, c.detail));
  return [...new Set(out)].slice(0, 3);
}

const mixOf = (r: Report): RequestKind[] => r.parameters.load.mix;
const drainOn = (r: Report) => r.parameters.drain.enabled && (r.drains?.length ?? 0) > 0;
const lintCodes = (r: Report) => new Set((r.lint ?? []).map((l) => l.code));
const seconds = (ms: number) => `${Math.round(ms) / 1000} s`;
const holdText = (k: RequestKind) => {
  const what = k.kind && k.kind !== "request" ? k.kind : `${k.method ?? "GET"} ${k.path ?? "/"}`;
  return k.task_ms ? `${what} with its ${seconds(k.task_ms)} background task` : what;
};

/** Lost events of a feed the app cannot resume (no Last-Event-ID, or a node-local cursor). */
const feedCannotResume: Rule = (input) => {
  if (!failingNames(input).has("no-lost-events")) return null;
  const mix = mixOf(input.report);
  const index = mix.findIndex((k) => (k.kind === "sse" || k.kind === "longpoll") && k.resume === false);
  if (index < 0) return null;
  const k = mix[index]!;
  const system = Boolean(input.report.system);
  const examples = examplesOf(input, ["no-lost-events"]);
  return {
    rule: "feed-cannot-resume",
    checks: ["no-lost-events"],
    cause: `the ${k.kind} feeds cut by the drain reconnected to another node, which does not resume them from where they stopped (${k.kind === "sse" ? "Last-Event-ID ignored" : "the cursor is kept on the node"}), so the events published meanwhile never reached them (e.g. ${examples.join(", ")})`,
    examples,
    changes: system
      ? []
      : [
          {
            kind: "field",
            field: `load.mix.${index}.resume`,
            value: true,
            why: `the fixture's ${k.kind} app resumes from the client's last id`,
          },
        ],
    notes: [],
    ...(system
      ? {
          no_fix_reason: `resuming is the app's code (answer from Last-Event-ID or the poll's cursor on any node), not a setting; then set load.mix[${index}].resume: true`,
        }
      : {}),
    shown_by: ["sse-no-resume", "longpoll-no-resume"],
  };
};

/** Work held longer than the effective graceful limit: cut at the SIGTERM. */
const gracefulLimit: Rule = (input) => {
  const r = input.report;
  const failing = failingNames(input);
  const triggers = ["no-cut-short-requests", "no-truncated-streams", "no-lost-background-tasks"].filter((c) => failing.has(c));
  if (triggers.length === 0 || !drainOn(r) || r.parameters.drain.signal !== "SIGTERM") return null;
  const chain = r.timeout_chain;
  const hold = longestHold(mixOf(r));
  if (!hold || hold.ms <= chain.effective_graceful_s * 1000) return null;
  const need = Math.ceil(hold.ms / 1000) + CHAIN_MARGIN_S;
  const changes: Change[] = [];
  const stack = r.parameters.stack;
  let effective: number;
  const uv = chain.uvicorn_graceful_s;
  if (chain.runtime === "gunicorn") {
    const newUv = uv === null ? null : Math.max(uv, need);
    const newGu = Math.max(chain.gunicorn_graceful_timeout_s ?? 30, newUv === null ? need : newUv + CHAIN_MARGIN_S);
    if (newUv !== null && newUv !== uv)
      changes.push({
        kind: "field",
        field: "stack.uvicorn.timeout_graceful_shutdown_s",
        value: newUv,
        why: `uvicorn's limit covers the ${seconds(hold.ms)} ${holdText(hold.kind)}`,
      });
    if (newGu !== chain.gunicorn_graceful_timeout_s)
      changes.push({
        kind: "field",
        field: "stack.gunicorn.graceful_timeout_s",
        value: newGu,
        why:
          newUv === null
            ? `gunicorn's limit covers the ${seconds(hold.ms)} ${holdText(hold.kind)}`
            : `gunicorn's limit stays ${CHAIN_MARGIN_S} s above uvicorn's`,
      });
    effective = newUv ?? newGu;
  } else {
    if (uv === null) return null;
    changes.push({
      kind: "field",
      field: "stack.uvicorn.timeout_graceful_shutdown_s",
      value: need,
      why: `uvicorn's limit covers the ${seconds(hold.ms)} ${holdText(hold.kind)}`,
    });
    effective = need;
  }
  const notes: string[] = [];
  const drain = r.parameters.drain;
  const wait = effective + drain.wait_margin_s;
  if (drain.stop_wait_s !== null && drain.stop_wait_s < wait)
    changes.push({
      kind: "field",
      field: "drain.stop_wait_s",
      value: wait,
      why: "the stop wait (docker stop -t) outlasts the graceful limit, or the node is SIGKILLed first",
    });
  else
    notes.push(
      `the stop wait must grow with it: drainlab's follows (graceful limit + drain.wait_margin_s = ${wait} s); in production docker stop -t / stop_grace_period / terminationGracePeriodSeconds must be at least ${wait} s`,
    );
  const explained = [
    ...triggers,
    ...[
      "no-failed-requests",
      "no-retried-by-nginx",
      "no-executed-twice",
      "no-finished-but-failed",
      "no-slow-during-drain",
      "shutdown-hooks-ran",
      "drained-node-exited-cleanly",
    ].filter((c) => failing.has(c)),
  ];
  const examples = examplesOf(input, triggers, ["cut-short"]);
  const what = triggers.includes("no-lost-background-tasks")
    ? "background tasks"
    : triggers.includes("no-truncated-streams")
      ? "streams"
      : "requests";
  return {
    rule: "graceful-limit-shorter-than-work",
    checks: explained,
    cause: `${what} on ${r.drains[0]?.target ?? "the drained node"} held ${seconds(hold.ms)} (${holdText(hold.kind)}, load.mix[${hold.index}]) but the effective graceful limit is ${chain.effective_graceful_s} s, set by ${chain.limited_by}, so those in flight at the SIGTERM were cut (e.g. ${examples.join(", ")})`,
    examples,
    changes,
    notes: [
      ...notes,
      stack.runtime === "gunicorn" ? "under gunicorn, the smaller of graceful_timeout and uvicorn's timeout_graceful_shutdown binds" : "",
    ].filter(Boolean),
    shown_by: [
      "stream-longer-than-graceful",
      "background-task-lost",
      "long-get-short-timeout",
      "long-post-short-timeout",
      "sigterm-no-removal-short-wait",
      "examples/shop/drainlab-short-grace.yaml",
    ],
  };
};

/** The run stops waiting for answers before the longest request can finish. */
const runGraceShort: Rule = (input) => {
  const r = input.report;
  if (!failingNames(input).has("no-unanswered-requests") || !lintCodes(r).has("grace-shorter-than-request")) return null;
  const longest = longestRequest(mixOf(r));
  if (!longest) return null;
  const need = Math.ceil(longest.ms / 1000) + 1;
  const examples = examplesOf(input, ["no-unanswered-requests"], ["unanswered"]);
  return {
    rule: "run-grace-shorter-than-request",
    checks: ["no-unanswered-requests", ...(failingNames(input).has("no-finished-but-failed") ? ["no-finished-but-failed"] : [])],
    cause: `the run waited load.grace_s ${r.parameters.load.grace_s} s after its schedule but its ${seconds(longest.ms)} requests (load.mix[${longest.index}]) sent in the last seconds were still running, and the apps finished them after the client stopped waiting (e.g. ${examples.join(", ")})`,
    examples,
    changes: [{ kind: "field", field: "load.grace_s", value: need, why: "the run waits for its longest request" }],
    notes: ["this is the scenario's own wait, not the stack's: nothing in production changes"],
    shown_by: ["long-requests-short-grace"],
  };
};

/** nginx's upstream was rewritten but never reloaded: the removal never took effect. */
const forgotReload: Rule = (input) => {
  const r = input.report;
  if (!failingNames(input).has("no-misrouted-requests") || r.parameters.drain.reload !== false) return null;
  const examples = examplesOf(input, ["no-misrouted-requests"], ["misrouted"]);
  return {
    rule: "removal-without-reload",
    checks: ["no-misrouted-requests"],
    cause: `the drained node was removed from nginx's upstream file but nginx was never reloaded, so it kept sending the node new requests until its SIGTERM (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      { kind: "field", field: "drain.reload", value: true, why: "nginx -s reload after the upstream is rewritten, before the SIGTERM" },
    ],
    notes: [],
    shown_by: ["forgot-reload"],
  };
};

/** SIGTERM while nginx still routes to the node: the drain order skips the removal. */
const sigtermBeforeRemoval: Rule = (input) => {
  const r = input.report;
  const d = r.parameters.drain;
  if (!drainOn(r) || d.remove !== false || d.signal !== "SIGTERM") return null;
  const failing = failingNames(input);
  // the failures the missing removal explains: not those cut by the graceful limit (another rule's), but the new
  // requests nginx kept sending the node after it stopped accepting, and the ones slowed by a retry elsewhere
  const counts = r.reconciliation.counts as Record<string, number>;
  const notCut = (counts.failed ?? 0) > (counts["cut-short"] ?? 0);
  const checks = [...(notCut ? ["no-failed-requests"] : []), "no-slow-during-drain", "no-misrouted-requests"].filter((c) => failing.has(c));
  if (checks.length === 0) return null;
  const examples = examplesOf(input, checks, ["failed", "slow-during-drain"]);
  return {
    rule: "sigterm-before-removal",
    checks,
    cause: `the drain sent SIGTERM while nginx still routed to ${r.drains[0]?.target ?? "the node"} (drain.remove false): the requests nginx kept sending it after it stopped accepting failed or waited for a retry (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      { kind: "field", field: "drain.remove", value: true, why: "drain order: mark draining, remove from nginx, reload, then SIGTERM" },
    ],
    notes: [],
    shown_by: ["sigterm-without-removal", "sigterm-no-removal-short-wait"],
  };
};

/** SIGKILL instead of SIGTERM: nothing drains. */
const sigkillDrain: Rule = (input) => {
  const r = input.report;
  if (!drainOn(r) || r.parameters.drain.signal !== "SIGKILL") return null;
  const failing = failingNames(input);
  const checks = [
    "drained-node-exited-cleanly",
    "websockets-closed-cleanly",
    "shutdown-hooks-ran",
    "no-cut-short-requests",
    "no-failed-requests",
    "no-retried-by-nginx",
    "no-truncated-streams",
  ].filter((c) => failing.has(c));
  if (checks.length === 0) return null;
  const examples = examplesOf(input, checks, ["cut-short", "failed"]);
  return {
    rule: "sigkill-instead-of-sigterm",
    checks,
    cause: `the drain stopped ${r.drains[0]?.target ?? "the node"} with SIGKILL, so the server never ran its graceful shutdown: what it held was cut and no shutdown hook ran (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      {
        kind: "field",
        field: "drain.signal",
        value: "SIGTERM",
        why: "SIGTERM lets gunicorn/uvicorn finish in-flight work within the graceful limit",
      },
    ],
    notes: [],
    shown_by: ["sigkill-no-drain", "websocket-sigkill"],
  };
};

/** The node is never seen draining on its health path. */
const healthNotDraining: Rule = (input) => {
  const r = input.report;
  const check = input.failing.find((c) => c.name === "health-reported-draining");
  if (!check) return null;
  const base = {
    rule: "health-never-reports-draining",
    checks: ["health-reported-draining"],
    examples: [],
    notes: [],
    shown_by: ["health-not-draining"],
  };
  if (r.parameters.drain.mark_draining === false && !r.system)
    return {
      ...base,
      cause: `${r.drains[0]?.target ?? "the node"} was never flagged draining (drain.mark_draining false), so its /health answered 200 throughout the drain and a load balancer watching it would have kept routing to it (${check.observed})`,
      changes: [{ kind: "field", field: "drain.mark_draining", value: true, why: "flag the node first; its /health then answers 503" }],
    };
  const mark = (r.parameters as unknown as { system?: { app: { mark_draining: unknown; health_path: string } } }).system?.app;
  return {
    ...base,
    cause: `the node's health path${mark ? ` ${mark.health_path}` : ""} never reported draining (${check.detail})`,
    changes: [],
    no_fix_reason:
      mark?.mark_draining === "none"
        ? "system.app.mark_draining is none: the app needs a way to be told it drains (a file its health endpoint checks, an endpoint, a command) and a health path that then fails; that is code, not a setting doctor can write"
        : "the app was marked draining and its health path ignored it: that is the app's code",
  };
};

/** nginx reuses an idle upstream connection the node already closed. */
const keepaliveRace: Rule = (input) => {
  const r = input.report;
  const failing = failingNames(input);
  if (!failing.has("no-failed-requests")) return null;
  const n = r.parameters.stack.nginx;
  const nodeKeepalive = r.parameters.stack.gunicorn.keepalive_s;
  if (n.upstream_keepalive <= 0 || n.upstream_keepalive_timeout_s < nodeKeepalive) return null;
  // evidence: failed requests answered 502 by nginx while the run had idle gaps reaching the node's keepalive
  const idle = r.checks.find((c) => c.name === "idle-gaps-reached-keepalive");
  if (idle?.status !== "pass") return null;
  if (
    r.parameters.stack.gunicorn.max_requests > 0 ||
    (r.parameters.stack.uvicorn.limit_max_requests ?? 0) > 0 ||
    (r.faults?.length ?? 0) > 0
  )
    return null;
  const examples = examplesOf(input, ["no-failed-requests"], ["failed"]);
  const value = Math.max(1, nodeKeepalive - 1);
  return {
    rule: "keepalive-race",
    checks: ["no-failed-requests", ...(failing.has("no-retried-by-nginx") ? ["no-retried-by-nginx"] : [])],
    cause: `nginx keeps idle upstream connections ${n.upstream_keepalive_timeout_s} s but the nodes close theirs after ${nodeKeepalive} s; after the load's idle gaps nginx reused connections the nodes were closing (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      {
        kind: "field",
        field: "stack.nginx.upstream_keepalive_timeout_s",
        value,
        why: "nginx drops an idle connection before the node does",
      },
    ],
    notes: [`or raise the node's keepalive (gunicorn keepalive / uvicorn --timeout-keep-alive) above ${n.upstream_keepalive_timeout_s} s`],
    shown_by: ["soak/keepalive-mismatch (the race: 1 run in 19 on one machine, more across a real network)"],
  };
};

/** nginx gives up on a slow answer and re-sends the request: run twice, answered 504. */
const readTimeout: Rule = (input) => {
  const r = input.report;
  if (!lintCodes(r).has("read-timeout-shorter-than-request")) return null;
  const failing = failingNames(input);
  const checks = [
    "no-failed-requests",
    "no-retried-by-nginx",
    "no-executed-twice",
    "no-finished-but-failed",
    "traffic-continued",
    "no-cut-short-requests",
  ].filter((c) => failing.has(c));
  if (!checks.some((c) => c !== "traffic-continued")) return null;
  const longest = longestRequest(mixOf(r))!;
  const n = r.parameters.stack.nginx;
  const examples = examplesOf(input, checks, ["failed", "executed-twice", "retried-by-nginx"]);
  const changes: Change[] = [
    {
      kind: "field",
      field: "stack.nginx.proxy_read_timeout_s",
      value: Math.ceil(longest.ms / 1000) + 1,
      why: "nginx waits for the longest request",
    },
  ];
  const retries = /\btimeout\b/.test(n.proxy_next_upstream) && (failing.has("no-retried-by-nginx") || failing.has("no-executed-twice"));
  return {
    rule: "read-timeout-shorter-than-request",
    checks,
    cause: `nginx's proxy_read_timeout ${n.proxy_read_timeout_s} s is shorter than the ${seconds(longest.ms)} requests (load.mix[${longest.index}]): nginx gave up on them${retries ? ", re-sent them to another node (proxy_next_upstream timeout), which ran them again," : ""} and answered 504 while the apps finished the work (e.g. ${examples.join(", ")})`,
    examples,
    changes,
    notes: [],
    shown_by: ["read-timeout-retry", "post-read-timeout-committed"],
  };
};

/** nginx re-sends POSTs (non_idempotent): an order written twice. */
const nonIdempotentRetry: Rule = (input) => {
  const r = input.report;
  const n = r.parameters.stack.nginx;
  if (!/\bnon_idempotent\b/.test(n.proxy_next_upstream) || !failingNames(input).has("no-executed-twice")) return null;
  const twice = (r.reconciliation.by_method as Record<string, Record<string, number>> | undefined)?.["executed-twice"] ?? {};
  const unsafe = Object.entries(twice).filter(([m, count]) => !["GET", "HEAD", "OPTIONS", "PUT", "DELETE"].includes(m) && count > 0);
  if (unsafe.length === 0) return null;
  const examples = examplesOf(input, ["no-executed-twice"], ["executed-twice"]);
  return {
    rule: "non-idempotent-retried",
    checks: ["no-executed-twice", ...(failingNames(input).has("no-retried-by-nginx") ? ["no-retried-by-nginx"] : [])],
    cause: `proxy_next_upstream "${n.proxy_next_upstream}" includes non_idempotent, so nginx re-sent ${unsafe.map(([m, c]) => `${c} ${m}`).join(", ")} request(s) that a node had already received, and they ran twice (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      {
        kind: "field",
        field: "stack.nginx.proxy_next_upstream",
        value: n.proxy_next_upstream.replace(/\s*\bnon_idempotent\b/, "").trim() || "error timeout",
        why: "nginx never re-sends a POST it already sent",
      },
    ],
    notes: [],
    shown_by: ["long-post-short-timeout (the safe default, without non_idempotent)"],
  };
};

const IDEMPOTENT = new Set(["GET", "HEAD", "OPTIONS", "PUT", "DELETE"]);

/** proxy_next_upstream off (or without `error`): a GET refused by a stopping node fails instead of going to another. */
const idempotentNotResent: Rule = (input) => {
  const r = input.report;
  const n = r.parameters.stack.nginx;
  if (/\berror\b/.test(n.proxy_next_upstream) || !failingNames(input).has("no-failed-requests")) return null;
  const counts = r.reconciliation.counts as Record<string, number>;
  const failed = (r.reconciliation.by_method as Record<string, Record<string, number>> | undefined)?.failed ?? {};
  const idempotent = Object.entries(failed).filter(([m, c]) => IDEMPOTENT.has(m) && c > 0);
  const total = idempotent.reduce((sum, [, c]) => sum + c, 0);
  // the ones a node never started (refused, reset before the app): not those it cut, which re-sending would run twice
  if (total === 0 || (counts.failed ?? 0) <= (counts["cut-short"] ?? 0)) return null;
  const examples = examplesOf(input, ["no-failed-requests"], ["failed"]);
  return {
    rule: "idempotent-not-resent",
    checks: ["no-failed-requests"],
    cause: `proxy_next_upstream is "${n.proxy_next_upstream}", so nginx answered 502 for ${idempotent.map(([m, c]) => `${c} ${m}`).join(", ")} request(s) a node refused instead of sending them to another node (e.g. ${examples.join(", ")})`,
    examples,
    changes: [
      {
        kind: "field",
        field: "stack.nginx.proxy_next_upstream",
        value: "error timeout",
        why: "nginx's default: an attempt that failed to connect or send goes to the next node (never a POST already sent)",
      },
    ],
    notes: [],
    shown_by: ["sigterm-without-removal", "sigterm-refused-rerouted (the same with error timeout: pass)"],
  };
};

/** Passive health off: nginx keeps trying a dead node. */
const passiveHealthOff: Rule = (input) => {
  const r = input.report;
  const check = input.failing.find((c) => c.name === "passive-health-routed-around");
  if (!check || r.parameters.stack.nginx.max_fails !== 0) return null;
  return {
    rule: "passive-health-off",
    checks: ["passive-health-routed-around"],
    cause: `with max_fails 0 nginx never marks a dead node failed and kept choosing it after the kill (${check.detail.split(";").slice(0, 2).join(";")})`,
    examples: examplesOf(input, [], ["rerouted-before-app"]),
    changes: [
      {
        kind: "field",
        field: "stack.nginx.max_fails",
        value: 1,
        why: "nginx's default: one failed attempt takes the node out for fail_timeout",
      },
    ],
    notes: ["the requests the kill itself cut are the fault's, not a setting's"],
    shown_by: ["kill-node-no-passive-health", "kill-node-passive-health (the same with max_fails 1: pass)"],
  };
};

/** Every node out at once after failures: nginx answers "no live upstreams". */
const noLiveUpstreams: Rule = (input) => {
  const r = input.report;
  if (!failingNames(input).has("no-failed-requests")) return null;
  const lines = input.nginxErrors.filter((l) => l.includes("no live upstreams"));
  if (lines.length === 0) return null;
  const n = r.parameters.stack.nginx;
  const examples = examplesOf(input, ["no-failed-requests"], ["failed"]);
  return {
    rule: "max-fails-took-every-node-out",
    checks: ["no-failed-requests"],
    cause: `max_fails ${n.max_fails} / fail_timeout ${n.fail_timeout_s} s marked every node failed at once (nginx's error log says "no live upstreams" ${lines.length} time(s)) and nginx answered 502 without trying any (e.g. ${examples.join(", ")})`,
    examples,
    changes: [],
    notes: [],
    no_fix_reason:
      "the failures that took the nodes out have their own cause (a recycle, a timeout, a crash); which max_fails/fail_timeout is right depends on how many failures a node may have, which this run does not measure, so doctor proposes no value",
    shown_by: ["read-timeout-retry and post-read-timeout-committed with max_fails 1 (their comments)"],
  };
};

/** A shell is PID 1: the SIGTERM never reaches the server. */
const shellFormCmd: Rule = (input) => {
  const r = input.report;
  const path = r.system?.signal_path;
  if (!path?.shell_pid1) return null;
  const failing = failingNames(input);
  const checks = ["drained-node-exited-cleanly", "shutdown-hooks-ran", "no-cut-short-requests", "websockets-closed-cleanly"].filter((c) =>
    failing.has(c),
  );
  if (checks.length === 0) return null;
  const exit = input.failing.find((c) => c.name === "drained-node-exited-cleanly");
  return {
    rule: "shell-form-cmd",
    checks,
    cause: `PID 1 in the node is a shell (${path.pid1}), not the server: the drain's SIGTERM never reached it and the node was SIGKILLed when the stop wait ran out${exit ? ` (${exit.detail.split(";")[0]})` : ""}`,
    examples: [],
    changes: [{ kind: "exec-form-cmd", why: "the exec form makes the server PID 1, so it gets the SIGTERM" }],
    notes: ["or `exec` the server at the end of an entrypoint script"],
    shown_by: ["examples/uvicorn-workers/drainlab-shell-cmd.yaml"],
  };
};

const CUT = ["no-cut-short-requests", "no-truncated-streams", "no-lost-background-tasks"];
const where = (site: PodSite) => `${site.kind} ${site.name} (container ${site.container.name})`;

/** Attach on Kubernetes: work longer than what the pod's settings let the server finish after the SIGTERM. */
const kubernetesGraceful: Rule = (input) => {
  const site = input.kubernetes?.site;
  if (!site) return null;
  const r = input.report;
  const failing = failingNames(input);
  const triggers = CUT.filter((c) => failing.has(c));
  const hold = longestHold(mixOf(r));
  if (triggers.length === 0 || !hold) return null;
  const graceful = serverGraceful(site);
  // the kubelet counts terminationGracePeriodSeconds from the start of preStop, then SIGKILLs
  const window = site.gracePeriod.seconds - site.preStop.seconds;
  const limit = Math.min(graceful ?? Number.POSITIVE_INFINITY, window);
  if (hold.ms <= limit * 1000) return null;
  const need = Math.ceil(hold.ms / 1000) + CHAIN_MARGIN_S;
  const changes: Change[] = [];
  let newGraceful = graceful;
  if (graceful !== null && graceful * 1000 < hold.ms) {
    newGraceful = need;
    changes.push({
      kind: "field",
      field: "kubernetes.graceful_s",
      value: need,
      why: `${site.server}'s ${site.graceful.flag} covers the ${seconds(hold.ms)} ${holdText(hold.kind)}`,
    });
  }
  const required = site.preStop.seconds + (newGraceful ?? need) + KUBELET_MARGIN_S;
  if (site.gracePeriod.seconds < required)
    changes.push({
      kind: "field",
      field: "kubernetes.termination_grace_period_s",
      value: required,
      why: `the kubelet's SIGKILL comes after the preStop sleep ${site.preStop.seconds} s + the graceful limit ${newGraceful ?? need} s + ${KUBELET_MARGIN_S} s for the server's exit`,
    });
  const binds =
    graceful !== null && graceful <= window
      ? `${site.server}'s ${site.graceful.flag} ${graceful} s${site.graceful.at ? "" : " (its default)"}`
      : `terminationGracePeriodSeconds ${site.gracePeriod.seconds} s${site.gracePeriod.set ? "" : " (the default)"} less the preStop sleep ${site.preStop.seconds} s (then the kubelet SIGKILLs)`;
  const examples = examplesOf(input, triggers, ["cut-short"]);
  const explained = [
    ...triggers,
    ...["no-failed-requests", "no-retried-by-nginx", "no-finished-but-failed", "no-slow-during-drain"].filter((c) => failing.has(c)),
  ];
  return {
    rule: "graceful-limit-shorter-than-work",
    checks: explained,
    cause: `work on ${r.drains[0]?.target ?? "the drained pod"} held ${seconds(hold.ms)} (${holdText(hold.kind)}, load.mix[${hold.index}]) but ${where(site)} in ${site.file} gives it ${limit} s after the SIGTERM, set by ${binds}, so what was in flight was cut (e.g. ${examples.join(", ")})`,
    examples,
    changes,
    notes: [
      `terminationGracePeriodSeconds must grow with the graceful limit: it counts from the start of preStop, so it must be at least preStop + graceful limit + ${KUBELET_MARGIN_S} s`,
      ...(site.server === "gunicorn"
        ? ["under gunicorn, uvicorn's timeout_graceful_shutdown (the worker class's, code) binds when it is smaller"]
        : []),
    ],
    shown_by: ["examples/kubernetes (attach; offline: edited evidence in harness/doctor/kubernetes.test.ts)"],
  };
};

/** Attach on Kubernetes: the SIGTERM (after the preStop sleep) came before the removal took effect. */
const kubernetesPreStop: Rule = (input) => {
  const site = input.kubernetes?.site;
  const r = input.report;
  const d = r.drains[0];
  const attach = r.parameters.attach;
  if (!site || !d?.hooks || !d.removed || d.reload_effective_ms === null || !attach || !("steps" in attach.drain)) return null;
  const settle = r.parameters.drain.settle_ms;
  // the terminate step's start: the kubelet runs preStop, then SIGTERMs the server; the removal is in effect once
  // the removing step ended and kube-proxy applied it (drain.settle_ms)
  // a preStop that is not a plain sleep (an HTTP call, a script): how long it holds the SIGTERM back is not in the file
  if (site.preStop.present && site.preStop.at === null) return null;
  const late = d.reload_effective_ms + settle - d.signal_ms;
  if (late <= site.preStop.seconds * 1000) return null;
  const failing = failingNames(input);
  const counts = r.reconciliation.counts as Record<string, number>;
  const notCut = (counts.failed ?? 0) > (counts["cut-short"] ?? 0);
  const checks = [...(notCut ? ["no-failed-requests"] : []), "no-retried-by-nginx", "no-slow-during-drain", "no-misrouted-requests"].filter(
    (c) => failing.has(c),
  );
  if (checks.length === 0) return null;
  const step = removingStep(attach.drain.removal ?? "remove", attach.drain.steps);
  const hook = d.hooks.find((h) => h.step === step);
  const took = hook ? ` (the ${step} step took ${seconds(hook.end_ms - hook.start_ms)} to see the pod leave the endpoints)` : "";
  const sleep = Math.ceil(late / 1000) + CHAIN_MARGIN_S;
  const graceful = serverGraceful(site);
  const changes: Change[] = [
    {
      kind: "field",
      field: "kubernetes.prestop_sleep_s",
      value: sleep,
      why: `the preStop sleep outlasts the endpoint propagation this run measured (${seconds(late)} from the terminate step to the removal in effect)`,
    },
  ];
  const required = sleep + (graceful ?? 0) + KUBELET_MARGIN_S;
  if (site.gracePeriod.seconds < required)
    changes.push({
      kind: "field",
      field: "kubernetes.termination_grace_period_s",
      value: required,
      why: `it counts from the start of preStop: the sleep ${sleep} s + the graceful limit ${graceful ?? 0} s + ${KUBELET_MARGIN_S} s`,
    });
  const examples = examplesOf(input, checks, ["failed", "slow-during-drain", "misrouted"]);
  return {
    rule: "sigterm-before-removal",
    checks,
    cause: `the removal of ${d.target} took effect ${seconds(late)} after the terminate step began${took}, drain.settle_ms ${settle} ms for kube-proxy included, but ${where(site)} in ${site.file} sleeps ${site.preStop.seconds} s in preStop${site.preStop.present ? "" : " (it has no preStop)"}, so ${site.server} got SIGTERM while requests were still routed to the pod, and they failed or waited for a retry (e.g. ${examples.join(", ")})`,
    examples,
    changes,
    notes: [
      ...(site.preStop.at === null
        ? [
            'the preStop added is `sleep: { seconds: N }` (Kubernetes 1.30 and later); on an older cluster, `exec: { command: ["sleep", "N"] }` (the image needs `sleep`)',
          ]
        : []),
      "a cluster whose endpoint propagation varies needs the sleep above its slowest: run the drain again (--repeat) to see the spread",
    ],
    shown_by: ["examples/kubernetes (attach; offline: edited evidence in harness/doctor/kubernetes.test.ts)"],
  };
};

/** Attach runs: drainlab's stack parameters are not the attached system's, so only the rules that read the run, the scenario and the manifests apply. */
export const ATTACH_RULES: Rule[] = [kubernetesGraceful, kubernetesPreStop];

/** In order: the first rules are the more specific causes. */
export const RULES: Rule[] = [
  shellFormCmd,
  sigkillDrain,
  feedCannotResume,
  gracefulLimit,
  runGraceShort,
  forgotReload,
  sigtermBeforeRemoval,
  healthNotDraining,
  readTimeout,
  nonIdempotentRetry,
  idempotentNotResent,
  keepaliveRace,
  passiveHealthOff,
  noLiveUpstreams,
];

export const RULE_NAMES = [
  "shell-form-cmd",
  "sigkill-instead-of-sigterm",
  "feed-cannot-resume",
  "graceful-limit-shorter-than-work",
  "run-grace-shorter-than-request",
  "removal-without-reload",
  "sigterm-before-removal",
  "health-never-reports-draining",
  "read-timeout-shorter-than-request",
  "non-idempotent-retried",
  "idempotent-not-resent",
  "keepalive-race",
  "passive-health-off",
  "max-fails-took-every-node-out",
] as const;

export function findings(input: RuleInput): Finding[] {
  if (input.report.attach) return [...ATTACH_RULES, runGraceShort].map((rule) => rule(input)).filter((f): f is Finding => f !== null);
  return RULES.map((rule) => rule(input)).filter((f): f is Finding => f !== null);
}

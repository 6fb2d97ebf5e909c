import { figuresOf, type RunFigures } from "../figures/figures.ts";
import { type CheckOutcome, type CheckResult, type Records, settle } from "../records/records.ts";
import { LOSS_CLASS_TABLE, LOSS_CLASSES } from "../scenario/loss-classes.ts";
import type { CheckName } from "../scenario/schema.ts";
import {
  type Check,
  classCheck,
  drainCommandsSucceeded,
  drainExercised,
  drainedNodeExitedCleanly,
  generatorKeptUp,
  healthReportedDraining,
  RECORD_OF_CLASS,
  serverRecordsComplete,
  trafficContinued,
} from "./checks.ts";
import {
  type FaultCheck,
  freezeBoundedByReadTimeout,
  healthDrivenRemoval,
  networkFaultTookEffect,
  passiveHealthRoutedAround,
  reloadStormApplied,
  workerRespawned,
} from "./fault-checks.ts";
import { baselineCheck, drainDurationCheck, p99DuringDrainCheck } from "./gates.ts";
import { idleGapsReachedKeepalive, onOffLoad, recyclingSet, workersRecycled } from "./load-shape-checks.ts";
import {
  noDuplicateEvents,
  noLostBackgroundTasks,
  noLostEvents,
  noTruncatedStreams,
  shutdownHooksRan,
  websocketsClosedCleanly,
} from "./session-checks.ts";

export interface CatalogEntry {
  /** What a pass means, in one line (the views and `expect.failing_checks` name checks by their key). */
  means: string;
  run: Check;
  /** Whether the check is part of this run's verdict at all (a fault's check: the run has that fault); absent: always. */
  applies?: (records: Records) => boolean;
}

const faultEntry = (check: FaultCheck, means: string): CatalogEntry => ({ means, run: check.run, applies: check.applies });

const loss = (c: keyof typeof LOSS_CLASS_TABLE): CatalogEntry => ({
  means: `no request where ${LOSS_CLASS_TABLE[c].means} (beyond checks.allowed.${c})`,
  run: classCheck(c),
});

/**
 * Every check of the verdict, in report order. Typed against the schema's
 * CheckName, so a check without a name the scenario can expect, or a name
 * without a check, does not compile. Adding a check: its function, its name
 * in the schema's list, one line here.
 */
const CATALOG = {
  "no-failed-requests": loss("failed"),
  "no-unanswered-requests": loss("unanswered"),
  "no-cut-short-requests": loss("cut-short"),
  "no-retried-by-nginx": loss("retried-by-nginx"),
  "no-rerouted-before-app": loss("rerouted-before-app"),
  "no-executed-twice": loss("executed-twice"),
  "no-finished-but-failed": loss("finished-but-failed"),
  "no-misrouted-requests": loss("misrouted"),
  "no-slow-during-drain": loss("slow-during-drain"),
  "drain-exercised": {
    means: "the drain met traffic: requests in flight on the drained node when it began, and due throughout it",
    run: drainExercised,
  },
  "drained-node-exited-cleanly": {
    means: "every drained node exited by itself with code 0 within the stop wait",
    run: drainedNodeExitedCleanly,
  },
  "health-reported-draining": {
    means: "each drained node reported draining on its health check, and the monitor saw it before the removal",
    run: healthReportedDraining,
  },
  "drain-commands-succeeded": {
    means: "attach: every drain command (attach.drain) exited 0 within its timeout",
    run: drainCommandsSucceeded,
    applies: ({ scenario }) => scenario.attach !== undefined,
  },
  "traffic-continued": { means: "the nodes not being drained answered without a gap longer than checks.max_gap_ms", run: trafficContinued },
  "server-records-complete": {
    means: "every answered request is in nginx's log and every ok answer finished in its node's app ledger",
    run: serverRecordsComplete,
  },
  "p99-during-drain": {
    means: "p99 latency of the requests due during the drain within checks.p99_during_drain_ms",
    run: p99DuringDrainCheck,
  },
  "drain-duration": { means: "every drain, from its start to the node's exit, within checks.max_drain_s", run: drainDurationCheck },
  "no-regression-vs-baseline": {
    means: "p99 during the drain and every loss count no worse than --baseline's, within tolerance",
    run: baselineCheck,
  },
  "generator-kept-up": {
    means: "the load generator sent on schedule: a saturated client is never taken for a slow server",
    run: generatorKeptUp,
  },
  "worker-respawned": faultEntry(workerRespawned, "kill-worker: the supervisor started a replacement worker within respawn_within_s"),
  "passive-health-routed-around": faultEntry(
    passiveHealthRoutedAround,
    "kill-node: nginx's passive health stopped choosing the dead node within route_around_within_ms",
  ),
  "freeze-bounded-by-read-timeout": faultEntry(
    freezeBoundedByReadTimeout,
    "pause-node: nobody waited on the frozen node longer than proxy_read_timeout (or the freeze) plus 1 s",
  ),
  "network-fault-took-effect": faultEntry(networkFaultTookEffect, "netem: packets went through the impairment and its effect was observed"),
  "reload-storm-applied": faultEntry(
    reloadStormApplied,
    "reload-storm: every reload was taken up by nginx's master and nginx still answered",
  ),
  "health-driven-removal": faultEntry(
    healthDrivenRemoval,
    "health-removal: every node seen draining or down left nginx's upstream within remove_within_ms, and got no request after",
  ),
  "workers-recycled": {
    means: "max_requests (or --limit-max-requests): workers recycled during the load, counted from the nodes' logs",
    run: workersRecycled,
    applies: recyclingSet,
  },
  "idle-gaps-reached-keepalive": {
    means: "load.on_off: the idle gaps left upstream connections idle as long as the first keepalive timeout to expire",
    run: idleGapsReachedKeepalive,
    applies: onOffLoad,
  },
  "no-truncated-streams": {
    means: "every stream's body ended with its framing and an ok status, with its end marker and every expected unit where stated",
    run: noTruncatedStreams,
  },
  "no-lost-events": {
    means: "every Server-Sent Events feed and long poll reached its end with no event id skipped across a reconnect or a failed poll",
    run: noLostEvents,
  },
  "no-duplicate-events": {
    means: "no SSE feed or long poll received an event twice across a reconnect (beyond checks.allowed_duplicate_events)",
    run: noDuplicateEvents,
  },
  "websockets-closed-cleanly": {
    means: "every WebSocket closed with 1000, 1001 or 1012 (a reconnect after a server's close), no message lost",
    run: websocketsClosedCleanly,
  },
  "no-lost-background-tasks": {
    means: "every background task a drained node started finished before its worker exited",
    run: noLostBackgroundTasks,
  },
  "shutdown-hooks-ran": { means: "every worker of a drained node ran the app's lifespan shutdown after the signal", run: shutdownHooksRan },
} satisfies Record<CheckName, CatalogEntry>;

export const CHECKS: Array<CatalogEntry & { name: CheckName }> = Object.entries(CATALOG).map(([name, entry]) => ({
  name: name as CheckName,
  ...entry,
}));

export interface Judgement {
  verdict: "pass" | "fail";
  checks: CheckResult[];
  figures: RunFigures;
}

/**
 * The checks that stand on the servers' records (nginx's log, the app ledgers): an attach run declared
 * client-only (attach.client_only) skips them; any other run without those records says no-evidence.
 */
export const SERVER_SIDE_CHECKS: CheckName[] = [
  ...LOSS_CLASSES.filter((c) => RECORD_OF_CLASS[c] !== undefined).map((c) => LOSS_CLASS_TABLE[c].check),
  "server-records-complete",
  "drain-exercised",
  "no-lost-background-tasks",
  "shutdown-hooks-ran",
];

/** The verdict: every check over the records and the figures computed once from them; a run passes when none fails or lacks evidence. */
export function judge(records: Records): Judgement {
  const figures = figuresOf(records);
  const clientOnly = records.scenario.attach?.client_only === true;
  // what the scenario itself puts out of scope: reported as skipped with the reason, never run as a pass
  const outOfScope = (name: CheckName): CheckOutcome | null => {
    const declared = (records.scenario.checks.skip ?? []).find((x) => x.check === name);
    if (declared)
      return {
        name,
        status: "skipped",
        ok: true,
        observed: "out of scope",
        expected: "",
        detail: `the scenario puts it out of scope (checks.skip): ${declared.reason}`,
        skipped_by: "scenario",
      };
    if (clientOnly && SERVER_SIDE_CHECKS.includes(name))
      return records.scenario.checks.client_only_ok
        ? {
            name,
            status: "skipped",
            ok: true,
            observed: "client-only",
            expected: "",
            detail:
              "the run is client-only (attach.client_only), accepted (checks.client_only_ok): this check needs nginx's log or the app ledgers",
            skipped_by: "client-only",
          }
        : {
            name,
            status: "no-evidence",
            ok: false,
            observed: "client-only",
            expected: "",
            detail:
              "the run is client-only (attach.client_only), so this check, which needs nginx's log or the app ledgers, was not judged; a client-only pass must be accepted (--accept-client-only or checks.client_only_ok: true)",
          };
    return null;
  };
  // a check that does not apply to this run (a fault it does not have) is no part of its verdict, unless the scenario names it out of scope
  const checks = CHECKS.flatMap((c) => {
    const skipped = outOfScope(c.name);
    if (skipped) return [settle({ ...skipped, name: c.name })];
    if (c.applies && !c.applies(records)) return [];
    return [settle({ ...c.run(records, figures), name: c.name })];
  });
  return { verdict: checks.every((c) => c.ok) ? "pass" : "fail", checks, figures };
}

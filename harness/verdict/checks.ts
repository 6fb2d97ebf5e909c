import { describeOffset, offsetWidth } from "../clock/clock-offset.ts";
import type { RunFigures } from "../figures/figures.ts";
import { describeHeld, heldAt, openings, takenIn } from "../figures/in-flight.ts";
import { lossWhere } from "../figures/reconcile.ts";
import { type DrainRecord, describeHook, hookOk, SIGNAL_ACK_TEXT } from "../records/drain-record.ts";
import { heldTotal } from "../records/figure-types.ts";
import type { CheckOutcome, Records } from "../records/records.ts";
import { toEpochMs } from "../records/timeline.ts";
import { DEFAULT_ALLOWED, LOSS_CLASS_TABLE, type LossClass } from "../scenario/loss-classes.ts";
import { generatorCheck } from "./generator-check.ts";

export type Check = (r: Records, f: RunFigures) => CheckOutcome;

/** The server record each class is decided from: without any of it the class has no evidence, not zero. */
export const RECORD_OF_CLASS: Partial<Record<LossClass, "app" | "nginx">> = {
  "cut-short": "app",
  "executed-twice": "app",
  "finished-but-failed": "app",
  "rerouted-before-app": "app",
  misrouted: "app",
  "retried-by-nginx": "nginx",
};

/** One check per loss class: at most the scenario's allowed count (default 0). */
export function classCheck(lossClass: LossClass): Check {
  const { check: name, means } = LOSS_CLASS_TABLE[lossClass];
  return ({ scenario, drains, server, rows, sessions }, { reconciliation: rec }) => {
    const count = rec.counts[lossClass];
    // parameters of a report older than the class have no key for it: the class's default
    const allowed = lossClass in scenario.checks.allowed ? scenario.checks.allowed[lossClass] : DEFAULT_ALLOWED[lossClass];
    // idempotent requests use their own allowance first; a POST is only ever covered by checks.allowed
    const idemAllowed = scenario.checks.allowed_idempotent?.[lossClass] ?? 0;
    const covered = Math.min(idemAllowed, rec.idempotent_counts?.[lossClass] ?? 0);
    const judged = count - covered;
    const expected =
      (allowed === null ? "any (no limit)" : allowed === 0 ? "0" : `<= ${allowed}`) +
      (idemAllowed > 0 ? ` (+ ${idemAllowed} idempotent, checks.allowed_idempotent)` : "");
    const where = lossWhere(rec, lossClass).map((w) => `${w.where}: ${w.count}`);
    // misrouted: the sessions' connections are counted with the requests, and named when they are among them
    const misroutedSessions = lossClass === "misrouted" ? rec.session_misrouted : undefined;
    const first = rec.examples[lossClass]?.[0]?.id ?? misroutedSessions?.examples[0]?.id;
    const sessionExample = misroutedSessions?.examples[0]?.id;
    const ofSessions = misroutedSessions
      ? ` (${misroutedSessions.count} of them session connections${sessionExample && sessionExample !== first ? `, e.g. ${sessionExample}` : ""})`
      : "";
    const needs = RECORD_OF_CLASS[lossClass];
    const x = rec.records;
    const unjudged =
      lossClass === "misrouted"
        ? (misroutingUnjudged(drains, server) ??
          clockUnjudged(scenario.drain.settle_ms, drains, server) ??
          // only a pass needs requests after the removal: a misrouted one is its own evidence
          (count === 0 ? nothingSentAfterRemoval(drains, rows, sessions ?? []) : null))
        : null;
    const outOfScope = lossClass === "misrouted" ? noRemoval(drains) : null;
    if (outOfScope) return { name, status: "skipped", ok: true, observed: "no removal", expected, detail: outOfScope };
    if (unjudged)
      return {
        name,
        status: "no-evidence",
        ok: false,
        observed: unjudged.observed,
        expected,
        detail: `${unjudged.why}, so ${means} cannot be judged`,
      };
    if (needs && x.client_rows > 0 && (needs === "app" ? x.app_events : x.nginx_rows) === 0) {
      const what = needs === "app" ? "no app ledger event was recorded on any node" : "nginx's access log has no row";
      return {
        name,
        status: "no-evidence",
        ok: false,
        observed: "no records",
        expected,
        detail: `${what}, so ${means} cannot be judged`,
      };
    }
    const ok = allowed === null || judged <= allowed;
    // requests whose server stamps a backward wall-clock step made ambiguous, astride the removal: no evidence either way
    const indeterminate = lossClass === "misrouted" ? (rec.indeterminate_time?.count ?? 0) : 0;
    if (indeterminate > 0) {
      const unclear = `${indeterminate} request(s) reached a drained node with server stamps in the wall clock's ambiguous stretch (a backward step): before or after the removal cannot be told (reconciliation.indeterminate_time; e.g. ${rec.indeterminate_time!.examples.join(", ")})`;
      const judgedPart = count === 0 ? "none of the others" : `${count} ${means}${where.length ? ` [${where.join(", ")}]` : ""}`;
      return {
        name,
        ...(ok ? { status: "no-evidence" as const } : {}),
        ok: false,
        observed: `${count} (${indeterminate} indeterminate)`,
        expected,
        detail: `${unclear}; ${judgedPart}`,
      };
    }
    return {
      name,
      ok,
      observed: count,
      expected,
      detail:
        count === 0
          ? `none (${means})`
          : `${count} ${means}${where.length ? ` [${where.join(", ")}]` : ""}${ofSessions}${first ? `; e.g. ${first}` : ""}`,
    };
  };
}

/**
 * Misrouting needs when each removal took effect and the drained node's own upstream address: an attach
 * drain of one command gives neither, and nginx in front of a Service logs an address no node owns.
 */
function misroutingUnjudged(drains: DrainRecord[], server: Records["server"]): { observed: string; why: string } | null {
  if (drains.some((d) => d.step_times_known === false))
    return {
      observed: "no removal time",
      why: "one drain command (attach.drain.command) does not say when the node left nginx (give attach.drain.steps with the step that removes it)",
    };
  const failed = drains.filter((d) => d.hooks && d.removed && d.reload_effective_ms === null);
  if (failed.length > 0)
    return {
      observed: "no removal time",
      why: `the step that removes ${failed.map((d) => d.target).join(", ")} (attach.drain.removal) did not finish with exit 0, so when it left what routes to it is unknown`,
    };
  // without its own address in nginx's log, the drained node's app ledger still says what reached it
  const unnamed = drains.filter(
    (d) => d.removed && !server.nodes.some((n) => n.name === d.target && n.address !== "") && !server.app.some((e) => e.node === d.target),
  );
  if (unnamed.length > 0)
    return {
      observed: "no address",
      why: `nginx's log never named ${unnamed.map((d) => d.target).join(", ")}'s own upstream address (give attach.addresses) and no app ledger line of it was read`,
    };
  return null;
}

/**
 * attach: misrouting compares the servers' stamps with the removal's time on this machine's clock, so it needs
 * each clock that places a request (nginx's; a drained node's app ledger where nginx cannot name it) known to
 * within the drain's settle: bounds that cross, or are wider than drain.settle_ms, leave it unjudged.
 */
function clockUnjudged(settleMs: number, drains: DrainRecord[], server: Records["server"]): { observed: string; why: string } | null {
  const offsets = server.clock_offsets ?? [];
  const unnamed = drains.filter((d) => d.removed && !server.nodes.some((n) => n.name === d.target && n.address !== ""));
  const placing = offsets.filter((o) => o.source === "nginx" || unnamed.some((d) => o.source === `app ${d.target}`));
  const crossed = placing.filter((o) => o.inconsistent);
  if (crossed.length > 0)
    return {
      observed: "clock offset unknown",
      why: `${crossed.map(describeOffset).join("; ")}, so when a request arrived against the removal is unknown`,
    };
  const wide = placing.filter((o) => offsetWidth(o) > settleMs);
  if (wide.length > 0)
    return {
      observed: "clock offset unknown",
      why: `${wide.map(describeOffset).join("; ")}: wider than drain.settle_ms ${settleMs} ms, so a request cannot be placed before or after the removal`,
    };
  return null;
}

/** No drain of the scenario removes its node (drain.remove false, attach.drain.removal none, or no drain): nothing can be misrouted. */
/**
 * A removal after which the client sent nothing (the load's schedule was over before it took effect, or a busy
 * machine made the drain's steps that late): no request could have been misrouted, so none proves it was not.
 */
function nothingSentAfterRemoval(
  drains: DrainRecord[],
  rows: Records["rows"],
  sessions: NonNullable<Records["sessions"]>,
): { observed: string; why: string } | null {
  const sent = [...rows.map((x) => (Number.isFinite(x.sentMs) ? x.sentMs : x.intendedMs)), ...sessions.map((s) => s.start_ms)];
  const last = sent.reduce((a, b) => Math.max(a, b), Number.NEGATIVE_INFINITY);
  const bare = drains.filter(
    (d) => d.removed && d.reload_effective_ms !== null && !sent.some((t) => t > d.reload_effective_ms! && t < (d.readded_ms ?? Infinity)),
  );
  if (bare.length === 0) return null;
  const at = bare.map((d) => `${d.target}'s at ${(d.reload_effective_ms! / 1000).toFixed(3)} s`).join(", ");
  const lastText = Number.isFinite(last) ? `the last request was sent at ${(last / 1000).toFixed(3)} s` : "no request was sent";
  return { observed: "no request after the removal", why: `no request was sent after the removal took effect (${at}; ${lastText})` };
}

function noRemoval(drains: DrainRecord[]): string | null {
  if (drains.length === 0) return "the scenario drains no node";
  if (drains.every((d) => !d.removed))
    return "the drain never removes its node (drain.remove false or attach.drain.removal none), so no request can reach it after a removal";
  return null;
}

/** Every drained node exited by itself with code 0 within the stop wait: no SIGKILL needed. */
export const drainedNodeExitedCleanly: Check = (r) => {
  const { drains } = r;
  if (drains.length === 0)
    return {
      name: "drained-node-exited-cleanly",
      status: "skipped",
      ok: true,
      observed: "no drain",
      expected: "exit 0 within the stop wait",
      detail: "the scenario drains no node",
    };
  if (r.scenario.attach && drains.every((d) => d.exit_code === null)) {
    const how =
      "command" in r.scenario.attach.drain
        ? "one drain command reports no node's exit"
        : "no attach.drain.steps.wait_exit printed the node's exit code as its last line (as `docker wait` does)";
    return {
      name: "drained-node-exited-cleanly",
      status: "no-evidence",
      ok: false,
      observed: "exit code unknown",
      expected: "exit 0 within the stop wait",
      detail: `${how}, so how the node stopped cannot be judged`,
    };
  }
  const clean = (d: DrainRecord) => d.exit_code === 0 && !d.killed_after_wait;
  const describe = (d: DrainRecord) => {
    const took = d.exit_ms === null ? null : d.exit_ms - d.signal_ms;
    const how = d.killed_after_wait
      ? `still running after the ${d.stop_wait_s} s stop wait, SIGKILLed`
      : `exited ${took === null ? "?" : secs(took)} after ${d.signal}`;
    return `${d.target} ${how} with code ${d.exit_code}`;
  };
  const worst = drains.find((d) => !clean(d)) ?? drains[0]!;
  // the signal path, read from the running node: a shell as PID 1 never passes SIGTERM on
  const path = r.system?.signal_path;
  const unheard = drains.filter((d) => d.killed_after_wait && d.signal_acknowledged === null);
  const why =
    (path?.shell_pid1 && drains.some((d) => d.killed_after_wait) ? `; ${path.note}` : "") +
    (unheard.length > 0
      ? `; ${unheard.map((d) => d.target).join(", ")}: the server never logged taking the SIGTERM (${SIGNAL_ACK_TEXT})`
      : "");
  return {
    name: "drained-node-exited-cleanly",
    ok: drains.every(clean),
    observed: `exit ${worst.exit_code}`,
    expected: `exit 0 within ${worst.stop_wait_s} s`,
    detail: drains.map(describe).join("; ") + why,
  };
};

/**
 * health-reported-draining: step 1 of the drain worked. Each drained node,
 * once flagged, answered its health check with "draining" and the monitor saw
 * it before the removal; each node a rolling drain re-added was seen healthy
 * first. A health endpoint that never says draining leaves a load balancer
 * that relies on it sending traffic to a node on its way out.
 */
export const healthReportedDraining: Check = ({ drains, scenario }) => {
  const name = "health-reported-draining";
  const expected = `each drained node seen draining within ${secs(scenario.drain.detect_timeout_ms)} of the flag, before its removal`;
  const stepped = drains.filter((d) => d.removed);
  if (scenario.attach) {
    const detail =
      "attach: drainlab plays no health monitor on a system it did not start; your drain's own steps (attach.drain) make the node draining";
    return { name, status: "skipped", ok: true, observed: "no monitor", expected, detail };
  }
  if (scenario.system?.app.mark_draining === "none") {
    const detail =
      "the system has no way to mark a node draining (system.app.mark_draining: none): nginx's removal is the drain's first step";
    return { name, status: "skipped", ok: true, observed: "no health step", expected, detail };
  }
  if (stepped.length === 0) {
    const why =
      drains.length === 0 ? "the scenario drains no node" : "the drain has no removal step (drain.remove false), so no health step either";
    return { name, status: "skipped", ok: true, observed: "no health step", expected, detail: why };
  }
  const problems: string[] = [];
  const seen: string[] = [];
  for (const d of stepped) {
    if (d.draining_seen_ms === null) {
      problems.push(
        d.marked_ms === null
          ? `${d.target} was never flagged draining (drain.mark_draining ${scenario.drain.mark_draining}), and its health never said so`
          : `${d.target} was flagged at ${secs(d.marked_ms)}, and the monitor did not see it draining within ${secs(scenario.drain.detect_timeout_ms)} after that`,
      );
    } else {
      seen.push(
        `${d.target} ${d.marked_ms === null ? `at ${secs(d.draining_seen_ms)}` : `${Math.round(d.draining_seen_ms - d.marked_ms)} ms after the flag was sent`}`,
      );
    }
    if (d.readded_ms !== null && d.readd_healthy_seen_ms === null) {
      problems.push(
        `${d.target} was re-added at ${secs(d.readded_ms)} without the monitor seeing it healthy within ${secs(scenario.drain.readd_health_timeout_ms)}`,
      );
    }
  }
  return {
    name,
    ok: problems.length === 0,
    observed: problems.length === 0 ? `seen: ${seen.join(", ")}` : `${problems.length} not seen`,
    expected,
    detail: problems.length === 0 ? `the monitor saw ${seen.join("; ")}` : problems.join("; "),
  };
};

/**
 * drain-exercised: the drain met traffic. Each drained node had at least
 * checks.min_in_flight_at_drain requests in flight (app ledger: started, not
 * finished) when its drain began, and the load's schedule covered the whole
 * drain window. A drain that meets no traffic proves nothing, however clean.
 */
export const drainExercised: Check = (r, figures) => {
  const { drains, scenario, server, loadStartMs, loadEndMs } = r;
  const name = "drain-exercised";
  const min = scenario.checks.min_in_flight_at_drain;
  const expected = `>= ${min} request(s) on the drained node during its drain (in flight when it began, or taken in before its removal took effect), and requests due throughout its drain`;
  if (drains.length === 0)
    return { name, status: "skipped", ok: true, observed: "no drain", expected, detail: "the scenario drains no node" };
  if (drains.some((d) => d.step_times_known === false)) {
    return {
      name,
      status: "no-evidence",
      ok: false,
      observed: "no step times",
      expected,
      detail:
        "one drain command (attach.drain.command) gives the drain's window but not when the node left nginx or got its signal, so what it held then cannot be judged: give attach.drain.steps to judge it",
    };
  }
  if (server.app.length === 0) {
    return {
      name,
      status: "no-evidence",
      ok: false,
      observed: "no app ledger",
      expected,
      detail: "no app ledger event was recorded, so nothing shows what the drained node held",
    };
  }
  const scheduleEnd = scheduleEndMs(r);
  const problems: string[] = [];
  const seen: string[] = [];
  // requests, and the streams, feeds, sockets and background tasks the node held: all traffic the drain must carry
  const events = openings(server);
  // counted once, with the run's figures (records/in-flight.ts)
  const atSignal = figures.in_flight_at_signal;
  const minAtSignal = scenario.checks.min_in_flight_at_signal;
  drains.forEach((d, i) => {
    const began = toEpochMs(d.start_ms, server.t0EpochMs);
    const inFlight = heldTotal(heldAt(events, d.target, began));
    // a fast app holds nothing at most instants; what reached the node while the drain was taking it out rode the drain too
    const untilMs = d.reload_effective_ms ?? d.signal_ms;
    const taken = takenIn(events, d.target, began, toEpochMs(untilMs, server.t0EpochMs));
    const held = inFlight + taken;
    const heldText = `${d.target} held ${inFlight} at ${secs(d.start_ms)}${untilMs > d.start_ms ? ` and took in ${taken} more by ${secs(untilMs)}` : ""}`;
    const to = d.exit_ms ?? loadEndMs;
    if (held < min) problems.push(`${heldText}: fewer than checks.min_in_flight_at_drain ${min} request(s) or session(s) rode its drain`);
    if (loadStartMs > d.start_ms || scheduleEnd < to)
      problems.push(
        `requests were due only from ${secs(loadStartMs)} to ${secs(scheduleEnd)}, not throughout ${d.target}'s drain (${secs(d.start_ms)} to ${secs(to)})`,
      );
    const sig = atSignal[i];
    if (minAtSignal !== null && d.signal !== "SIGKILL") {
      if (!sig) problems.push(`${d.target}'s signal time is unknown, so what it held at its ${d.signal} cannot be counted`);
      else if (heldTotal(sig) < minAtSignal)
        problems.push(
          `${d.target} held ${heldTotal(sig)} at its ${d.signal} (fewer than checks.min_in_flight_at_signal ${minAtSignal}): the graceful limit carried nothing`,
        );
    }
    seen.push(sig ? `${heldText}; ${describeHeld(sig)} in flight at its ${d.signal}` : heldText);
  });
  return {
    name,
    ok: problems.length === 0,
    observed: seen.join(", "),
    expected: minAtSignal === null ? expected : `${expected}; >= ${minAtSignal} in flight at each signal`,
    detail: problems.length === 0 ? `the drain met traffic: ${seen.join("; ")}` : `the drain proved nothing: ${problems.join("; ")}`,
  };
};

/** When requests stopped being due, ms since t0: load.duration_s, or the earlier end load.after_drain_s gave the schedule. */
function scheduleEndMs(r: Pick<Records, "generator" | "loadStartMs" | "scenario">): number {
  return r.generator?.scheduleEndMs ?? r.loadStartMs + r.scenario.load.duration_s * 1000;
}

/** Whether `node` was out of the drain's hands at `t` (not between its drain start and its re-add). */
function inService(drains: DrainRecord[], node: string, t: number): boolean {
  // a drain of every node (attach: one rolling command): the service as a whole must keep answering
  if (drains.some((d) => d.target === "*")) return true;
  return !drains.some((d) => d.target === node && t >= d.start_ms && t < (d.readded_ms ?? Number.POSITIVE_INFINITY));
}

/** The nodes that stayed answered throughout: no gap longer than max_gap_ms without an ok answer from one of them. */
export const trafficContinued: Check = (r) => {
  const { rows, drains, scenario, loadStartMs, loadEndMs } = r;
  const from = loadStartMs + scenario.load.warmup_s * 1000;
  // gaps count while requests are still being scheduled, not while the last stragglers finish
  const to = Math.min(loadEndMs, scheduleEndMs(r));
  const others = rows
    .filter((r) => r.error === "none" && r.node !== null && r.endMs >= from && inService(drains, r.node, r.endMs))
    .map((r) => Math.min(r.endMs, to))
    .sort((a, b) => a - b);
  // gaps count from the first answer on: long requests answer nothing for their first seconds;
  // the idle phases of an on/off load (load.on_off) are no gap: nothing was due then
  const idle = idlePhases(scenario.load, loadStartMs);
  let worst = { gap: 0, at: from };
  let previous = others[0] ?? from;
  for (const t of [...others, to]) {
    const gap = t - previous - idle(previous, t);
    if (gap > worst.gap) worst = { gap, at: previous };
    previous = Math.max(previous, t);
  }
  const limit = scenario.checks.max_gap_ms;
  // no request due in the window: nothing to judge; requests due and none answered ok: traffic stopped
  const due = rows.some((r) => r.intendedMs >= from && r.intendedMs < to);
  return {
    name: "traffic-continued",
    ...(!due ? { status: "no-evidence" as const } : {}),
    ok: others.length > 0 && worst.gap <= limit,
    observed: `${Math.round(worst.gap)} ms`,
    expected: `<= ${limit} ms`,
    detail: `${others.length} ok answers from nodes not being drained; longest gap ${secs(worst.gap)} starting at ${secs(worst.at)}`,
  };
};

/** How much of [a, b] fell in the load's idle phases (load.on_off), in ms; 0 for a constant rate. */
function idlePhases(load: Records["scenario"]["load"], loadStartMs: number): (a: number, b: number) => number {
  const phases = load.on_off;
  if (!phases) return () => 0;
  const onMs = phases.on_s * 1000;
  const cycleMs = onMs + phases.off_s * 1000;
  return (a, b) => {
    let sum = 0;
    for (let c = Math.max(0, Math.floor((a - loadStartMs) / cycleMs)); loadStartMs + c * cycleMs < b; c++) {
      const offFrom = loadStartMs + c * cycleMs + onMs;
      const offTo = loadStartMs + (c + 1) * cycleMs;
      sum += Math.max(0, Math.min(b, offTo) - Math.max(a, offFrom));
    }
    return sum;
  };
}

/**
 * The verdict is only as good as its records: every request the client got an
 * HTTP answer for must be in nginx's log, every ok answer must be finished in
 * the app ledger of the node that gave it, every attempt a node answered must
 * have its start there (a lost start is a cut that nobody sees), and no line
 * may be unreadable; otherwise cut-short, executed-twice and misrouted could
 * pass on a missing ledger.
 */
export const serverRecordsComplete: Check = (_r, { reconciliation: rec }) => {
  const { records: x } = rec;
  const notInApp = x.answered_but_not_in_app_ledger ?? 0;
  const noStart = x.attempts_without_app_start ?? 0;
  const missing = x.answered_but_not_in_nginx_log + notInApp + noStart;
  if (x.client_rows > 0 && x.nginx_rows === 0 && x.app_events === 0)
    return {
      name: "server-records-complete",
      status: "no-evidence",
      ok: false,
      observed: "no server records",
      expected: "0 missing, 0 unreadable",
      detail: `${x.client_rows} client rows, and neither nginx's log nor any app ledger has a row: nothing on the servers' side to judge by`,
    };
  const problems = [
    ...(x.answered_but_not_in_nginx_log ? [`${x.answered_but_not_in_nginx_log} answered but not in nginx's log`] : []),
    ...(notInApp ? [`${notInApp} answered ok but not finished in the answering node's app ledger`] : []),
    ...(noStart ? [`${noStart} nginx attempt(s) a node answered without a start in that node's app ledger`] : []),
    ...(x.unreadable_lines ? [`${x.unreadable_lines} unreadable line(s) in the servers' logs`] : []),
  ];
  return {
    name: "server-records-complete",
    ok: missing === 0 && x.unreadable_lines === 0,
    observed: `${missing} missing${x.unreadable_lines ? `, ${x.unreadable_lines} unreadable` : ""}`,
    expected: "0 missing, 0 unreadable",
    detail:
      `${x.client_rows} client rows, ${x.nginx_rows} nginx log rows, ${x.app_events} app ledger events, ${x.unreadable_lines} unreadable lines` +
      (problems.length ? `; ${problems.join(", ")}` : ""),
  };
};

/** A saturated generator makes a slow client look like a slow server: such a run must not pass. */
export const generatorKeptUp: Check = (r) =>
  r.generator
    ? generatorCheck(r.generator, r.scenario)
    : {
        name: "generator-kept-up",
        status: "no-evidence",
        ok: false,
        observed: "no figures",
        expected: "figures from the generator",
        detail: "no generator figures in these records",
      };

export function secs(value: number): string {
  return `${(value / 1000).toFixed(3)} s`;
}

/** attach: every drain command the user gave exited 0 within its timeout (a failed step stops the later ones, restore aside). */
export const drainCommandsSucceeded: Check = ({ scenario, drains }) => {
  const name = "drain-commands-succeeded";
  if (!scenario.attach)
    return {
      name,
      status: "skipped",
      ok: true,
      observed: "no commands",
      expected: "",
      detail: "not an attach run: drainlab ran the drain itself",
    };
  const hooks = drains.flatMap((d) => d.hooks ?? []);
  const expected = "every drain command exits 0 within its timeout";
  if (hooks.length === 0)
    return { name, status: "no-evidence", ok: false, observed: "none ran", expected, detail: "no drain command ran (the run ended first)" };
  const bad = hooks.filter((h) => !hookOk(h));
  const given = "steps" in scenario.attach.drain ? scenario.attach.drain.steps.length : 1;
  const notRun = Math.max(0, given - hooks.length);
  return {
    name,
    ok: bad.length === 0 && notRun === 0,
    observed: `${hooks.length - bad.length} of ${given} ok`,
    expected,
    detail:
      bad.length === 0 && notRun === 0
        ? hooks.map(describeHook).join("; ")
        : [
            ...bad.map((h) => `${describeHook(h)}${h.output_tail ? `: ${h.output_tail.split("\n").slice(-3).join(" | ")}` : ""}`),
            ...(notRun > 0 ? [`${notRun} later step(s) not run`] : []),
          ].join("; "),
  };
};

import { join } from "node:path";
import type { Timeline } from "../clock/timeline.ts";
import { type DrainRecord, describeHook, type HookRecord, hookOk } from "../records/drain-record.ts";
import { type AttachStep, type Hook, hookOf, removingStep } from "../scenario/attach-schema.ts";
import type { Scenario } from "../scenario/schema.ts";
import { sleep } from "../util/sleep.ts";
import { runHook } from "./hooks.ts";

export interface AttachContext {
  /** The scenario file's folder: commands run there. */
  cwd: string;
  runDir: string;
  runId: string;
  /** Epoch ms of the run's start, as an ISO time for `kubectl logs --since-time` (DRAINLAB_SINCE). */
  sinceIso: string;
}

/** What every hook sees beside the user's own environment. */
export function hookEnv(scenario: Scenario, ctx: AttachContext): Record<string, string> {
  return {
    DRAINLAB_RUN_ID: ctx.runId,
    DRAINLAB_RUN_DIR: ctx.runDir,
    DRAINLAB_SINCE: ctx.sinceIso,
    DRAINLAB_URL: scenario.attach!.url,
    DRAINLAB_NODE: scenario.attach!.drain.node ?? "",
  };
}

/** One of the user's commands run as a step of the run, its start and end on the timeline, its output in `logName` (relative to the run folder). */
export async function runTimedHook(o: {
  step: string;
  hook: Hook;
  defaultTimeoutS: number;
  logName: string;
  ctx: AttachContext;
  env: Record<string, string>;
  timeline: Timeline;
  signal?: AbortSignal;
}): Promise<HookRecord> {
  const { step, timeline } = o;
  const { run, timeout_s } = hookOf(o.hook, o.defaultTimeoutS);
  timeline.add("hook-start", { step, command: run });
  const logPath = join(o.ctx.runDir, o.logName);
  const r = await runHook({
    step,
    run,
    timeout_s,
    cwd: o.ctx.cwd,
    env: o.env,
    logPath,
    logName: o.logName,
    t0: timeline.t0,
    signal: o.signal,
  });
  timeline.addAt(r.end_ms, "hook-end", { step, exit_code: r.exit_code, timed_out: r.timed_out, said: describeHook(r) });
  return r;
}

/** wait_exit's output: its last line, when an integer, is the node's exit code (`docker wait` prints it). */
export function exitCodeOf(output: string): number | null {
  const last = output.trimEnd().split("\n").pop()?.trim() ?? "";
  return /^-?\d{1,3}$/.test(last) ? Number(last) : null;
}

/**
 * The drain as the user's own commands, at drain.at_s into the load: one
 * command, or one per step (each only when given, in ATTACH_STEPS order).
 * After a step fails, only restore still runs. Every command's start, end,
 * exit code and output tail is on the timeline and in the drain record.
 */
export async function runAttachedDrain(
  scenario: Scenario,
  timeline: Timeline,
  ctx: AttachContext,
  signal?: AbortSignal,
): Promise<DrainRecord[]> {
  const a = scenario.attach!;
  await sleep(scenario.drain.at_s * 1000 - timeline.now(), signal);
  const target = a.drain.node ?? "*";
  const env = hookEnv(scenario, ctx);
  const start = timeline.add("drain-start", { target, via: "attach", ...("command" in a.drain ? { command: true } : { steps: true }) });
  const hooks: HookRecord[] = [];
  const run = async (step: string, hook: Hook) => {
    const r = await runTimedHook({
      step,
      hook,
      defaultTimeoutS: a.drain.timeout_s,
      logName: `raw/hooks/${hooks.length + 1}-${step}.log`,
      ctx,
      env,
      timeline,
      signal,
    });
    hooks.push(r);
    return r;
  };

  const base = {
    target,
    start_ms: start.t_ms,
    removal_generation: null,
    signal: "SIGTERM" as const,
    draining_seen_ms: null,
    readd_healthy_seen_ms: null,
    hooks,
  };
  if ("command" in a.drain) {
    const r = await run("command", a.drain.command);
    return [
      {
        ...base,
        removed: true,
        reload_effective_ms: null,
        signal_ms: r.start_ms,
        stop_wait_s: scenario.drain.stop_wait_s ?? 0,
        exit_ms: r.end_ms,
        exit_code: null,
        killed_after_wait: false,
        readded_ms: null,
        marked_ms: null,
        step_times_known: false,
      },
    ];
  }

  const steps = a.drain.steps;
  const done: Partial<Record<AttachStep, HookRecord>> = {};
  let failed = false;
  for (const { step, ...hook } of steps) {
    if (failed && step !== "restore") continue;
    if (signal?.aborted) break;
    const r = await run(step, hook);
    done[step] = r;
    if (!hookOk(r)) failed = true;
  }
  const given = (s: AttachStep) => steps.find((x) => x.step === s);
  const ok = (s: AttachStep) => (done[s] && hookOk(done[s]) ? done[s] : undefined);
  // the step whose end is the removal taking effect; null: the scenario's drain removes nothing (a control)
  const removes = removingStep(a.drain.removal ?? "remove", steps);
  const removal = removes ? ok(removes) : undefined;
  const exitStep = done.wait_exit ?? done.terminate;
  const exitCode = done.wait_exit && hookOk(done.wait_exit) ? exitCodeOf(done.wait_exit.output_tail) : null;
  const waitStep = given("wait_exit");
  const waitS = waitStep ? hookOf(waitStep, a.drain.timeout_s).timeout_s : 0;
  return [
    {
      ...base,
      // removed: the drain has a removal; when its step failed or never ran, the time is unknown (misrouting: no-evidence)
      removed: removes !== null,
      reload_effective_ms: removal?.end_ms ?? null,
      signal_ms: done.terminate?.start_ms ?? start.t_ms,
      stop_wait_s: scenario.drain.stop_wait_s ?? waitS,
      exit_ms: exitStep?.end_ms ?? null,
      exit_code: exitCode,
      // 137: 128 + SIGKILL, what `docker wait` says of a node killed after its stop wait
      killed_after_wait: exitCode === 137,
      readded_ms: ok("restore")?.end_ms ?? null,
      marked_ms: done.mark_draining?.start_ms ?? null,
      window_end_ms: failed ? null : (hooks.filter((h) => h.step !== "restore").at(-1)?.end_ms ?? null),
    },
  ];
}

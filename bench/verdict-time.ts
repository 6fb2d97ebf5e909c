import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import type Docker from "dockerode";
import type { Images } from "../harness/env/images.ts";
import { LABEL_OWNER_PID, runLabels } from "../harness/env/labels.ts";
import type { GeneratorStats } from "../harness/records/generator-stats.ts";
import type { CheckResult } from "../harness/records/records.ts";
import { settle } from "../harness/records/records.ts";
import { runScenario } from "../harness/run/run.ts";
import { loadScenario, validateScenario } from "../harness/scenario/load-scenario.ts";
import type { Scenario } from "../harness/scenario/schema.ts";
import { startStack } from "../harness/stack/stack.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { generatorCheck } from "../harness/verdict/generator-check.ts";

export const DRAIN_SCENARIO = join(PROJECT_ROOT, "scenarios", "drain-one-node.yaml");

export interface StackStart {
  /** startStack() until it returned (nodes healthy, nginx answering). */
  startMs: number;
  /** From the start until the first request through nginx was answered by a node. */
  firstAnswerMs: number;
  /** When startStack had its network and began starting the containers (from its log line), ms from the start. */
  containersAtMs: number;
}

/**
 * The peer of the stack start, in the same run: one container of the app
 * image importing what a node imports (FastAPI, uvicorn, gunicorn), from
 * create to exit; best of 2. It is what this machine and engine take before
 * any node could answer, so the stack start divided by it compares across
 * machines where the start alone does not (1.24 s and 3.33 s were the same
 * code on two machines).
 */
export async function timeAppImport(docker: Docker, images: Images): Promise<number> {
  let best = Number.POSITIVE_INFINITY;
  for (let round = 0; round < 2; round++) {
    const t = performance.now();
    const container = await docker.createContainer({
      Image: images.app,
      Cmd: ["python3", "-c", "import fastapi, uvicorn, gunicorn.app.base"],
      Labels: { ...runLabels(`bench-${process.pid}-import`, "bench-import"), [LABEL_OWNER_PID]: String(process.pid) },
      HostConfig: { NetworkMode: "none" },
    });
    try {
      await container.start();
      const { StatusCode } = (await container.wait()) as { StatusCode: number };
      if (StatusCode !== 0) throw new Error(`the app image's import exited ${StatusCode}`);
      best = Math.min(best, performance.now() - t);
    } finally {
      await container.remove({ force: true }).catch(() => {});
    }
  }
  return best;
}

/** Warm stack start (images present): start the drain-one-node stack and time the first answered request. */
export async function timeStackStart(docker: Docker, images: Images): Promise<StackStart> {
  const scenario = loadScenario(DRAIN_SCENARIO);
  const rawDir = mkdtempSync(join(tmpdir(), "drainlab-bench-stack-"));
  const t = performance.now();
  let containersAtMs = Number.NaN;
  const log = (line: string) => {
    // "run <id>: starting N app nodes and nginx ..."
    if (/\bstarting \d+ app nodes/.test(line)) containersAtMs = performance.now() - t;
  };
  const stack = await startStack({ scenario, runId: `bench-${process.pid}-stack`, images, docker, rawDir, log });
  try {
    const startMs = performance.now() - t;
    for (;;) {
      const res = await fetch(`${stack.url}/work?ms=0`, { headers: { "x-request-id": "bench-first" } }).catch(() => undefined);
      if (res?.ok) {
        await res.arrayBuffer();
        break;
      }
      if (performance.now() - t > 60_000) throw new Error("no answer through nginx within 60 s");
      await new Promise((r) => setTimeout(r, 10));
    }
    return { startMs, firstAnswerMs: performance.now() - t, containersAtMs };
  } finally {
    await stack.stop();
    rmSync(rawDir, { recursive: true, force: true });
  }
}

export interface DrainRunTime {
  wallMs: number;
  loadS: number;
  stopWaitS: number;
  ratio: number;
  /** Where the wall time went, from the run's own log lines. */
  phases: Array<{ phase: string; ms: number }>;
  generator: GeneratorStats;
  check: CheckResult;
  verdict: string;
}

/** A whole drain-one-node run, as `drainlab run` does it, into a throwaway folder. */
export async function timeDrainRun(overrides?: (raw: Record<string, unknown>) => void): Promise<DrainRunTime> {
  let scenario: Scenario = loadScenario(DRAIN_SCENARIO);
  if (overrides) {
    const raw = structuredClone(scenario) as unknown as Record<string, unknown>;
    overrides(raw);
    scenario = validateScenario(raw);
  }
  const outDir = mkdtempSync(join(tmpdir(), "drainlab-bench-run-"));
  const t = performance.now();
  let stackAt = Number.NaN;
  /** The run's t0 on this clock, from the first progress report (which carries ms since t0). */
  let t0At = Number.NaN;
  try {
    const { report } = await runScenario(scenario, {
      outDir,
      log: (line) => {
        if (/starting \d+ app nodes/.test(line) && Number.isNaN(stackAt)) stackAt = performance.now() - t;
      },
      onProgress: (p) => {
        if (Number.isNaN(t0At)) t0At = performance.now() - t - p.elapsedMs;
      },
    });
    const wallMs = performance.now() - t;
    const at = (event: string) => t0At + (report.timeline.find((e) => e.event === event)?.t_ms ?? Number.NaN);
    const edges = [0, stackAt, at("load-start"), at("load-end"), wallMs];
    const names = [
      "set-up (engine, images, sweep)",
      "stack start + versions",
      "load, until its last answer",
      "teardown, records, verdict, reports",
    ];
    const phases = names.map((phase, i) => ({ phase, ms: edges[i + 1]! - edges[i]! }));
    const stopWaitS = report.drains[0]?.stop_wait_s ?? 0;
    const loadS = scenario.load.duration_s;
    return {
      wallMs,
      loadS,
      stopWaitS,
      ratio: wallMs / 1000 / (loadS + stopWaitS),
      phases,
      generator: report.generator,
      check: settle(generatorCheck(report.generator, scenario)),
      verdict: report.verdict,
    };
  } finally {
    rmSync(outDir, { recursive: true, force: true });
  }
}

/**
 * The must-fail control for generator-kept-up: one connection for 400 req/s
 * of 5 ms requests cannot keep the schedule, yet every request is answered
 * within the grace, so every other check passes and only this one can fail.
 */
export function generatorCannotKeepUp(raw: Record<string, unknown>): void {
  raw.name = "generator-cannot-keep-up";
  raw.load = {
    ...(raw.load as object),
    rate_per_s: 400,
    duration_s: 2,
    warmup_s: 0,
    grace_s: 8,
    max_connections: 1,
    mix: [{ weight: 1, method: "GET", ms: 5, body_bytes: 64 }],
  };
  raw.drain = { ...(raw.drain as object), enabled: false };
  raw.expect = { verdict: "pass", failing_checks: [], repeat: 1 };
}

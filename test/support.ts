import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { cpSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Docker from "dockerode";
import { LABEL_MANAGED, LABEL_RUN_ID } from "../harness/env/labels.ts";
import type { Report } from "../harness/records/report.ts";
import { DEFAULT_ALLOWED, type LossClass } from "../harness/scenario/loss-classes.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";

export const SCENARIOS_DIR = join(PROJECT_ROOT, "scenarios");

/**
 * drain-one-node shortened, for a test that needs one whole passing run of it (setFlags makes them `--set` flags).
 * Requests must be due until node-1 exits (drain-exercised): its last 3 s GET, taken in before the reload took
 * effect, ends, then gunicorn stops: 3.6 s after drain.at_s idle and up to 6.6 s with two busy loops on a 2-core VM
 * (2026-12-07; the removal alone took up to 3.5 s there). 7 s of load from 2 s left none; 10 s from 1.5 s leaves 1.9 s.
 */
export const SHORT_PASS = ["load.duration_s=10", "drain.at_s=1.5"];

/** `--set` flags for the drainlab command from key=value overrides. */
export const setFlags = (sets: string[]): string[] => sets.flatMap((s) => ["--set", s]);
export const TEST_REPORTS_DIR = join(PROJECT_ROOT, "reports", "tests");

export function catalog(): string[] {
  return readdirSync(SCENARIOS_DIR)
    .filter((f) => f.endsWith(".yaml"))
    .sort()
    .map((f) => join(SCENARIOS_DIR, f));
}

/** Runs the drainlab command as a user would; returns exit code and output. */
export function cli(args: string[], env: NodeJS.ProcessEnv = {}, cwd?: string): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [join(PROJECT_ROOT, "bin/drainlab.mjs"), ...args], {
    encoding: "utf8",
    cwd,
    env: { ...process.env, CI: "true", ...env },
    timeout: 300_000,
  });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

/** drainlab-labelled containers and networks, for one run or all. */
export async function labelled(runId?: string): Promise<{ containers: number; networks: number }> {
  const docker = new Docker();
  const filters = JSON.stringify({ label: [runId ? `${LABEL_RUN_ID}=${runId}` : `${LABEL_MANAGED}=true`] });
  const [containers, networks] = await Promise.all([docker.listContainers({ all: true, filters }), docker.listNetworks({ filters })]);
  return { containers: containers.length, networks: networks.length };
}

/** drainlab running in the background as a user would start it: wait for a line on stderr, then signal it or let it end. */
export function spawnDrainlab(args: string[]): {
  child: ChildProcess;
  stderr: () => string;
  until: (when: RegExp) => Promise<void>;
  exit: () => Promise<number | null>;
} {
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/drainlab.mjs"), ...args], {
    env: { ...process.env, CI: "true" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, "exit").then(([code]) => code as number | null);
  return {
    child,
    stderr: () => stderr,
    until: (when) => new Promise<void>((resolve) => child.stderr!.on("data", () => when.test(stderr) && resolve())),
    exit: () => exited,
  };
}

const copies: string[] = [];

/** A copy of examples/<example> in a fresh temporary folder, as a user's repository would be; removed by removeExampleCopies(). */
export function copyExample(example: string): string {
  const dir = mkdtempSync(join(tmpdir(), `drainlab-${example}-`));
  cpSync(join(PROJECT_ROOT, "examples", example), dir, { recursive: true });
  copies.push(dir);
  return dir;
}

export function removeExampleCopies(): void {
  for (const dir of copies.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * A run's counts of each loss class the scenario limits. A class with no limit (rerouted-before-app: nginx
 * re-sent a request that never reached an app, e.g. at a refused connection during a reload) is harmless and
 * comes by chance, so two runs of one scenario may differ there and nowhere else.
 */
export function losses(r: Report): Partial<Record<LossClass, number>> {
  return Object.fromEntries(Object.entries(r.reconciliation.counts).filter(([c]) => DEFAULT_ALLOWED[c as LossClass] !== null));
}

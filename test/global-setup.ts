import { spawn } from "node:child_process";
import { closeSync, mkdtempSync, openSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";

declare module "vitest" {
  export interface ProvidedContext {
    /** Where the background `drainlab setup` writes its output, and its exit status once it has ended. */
    drainlabSetup: { log: string; status: string };
  }
}

/**
 * The container project's set-up: `drainlab setup` (a Docker engine, the base
 * image, the stack's images) started in the background, so the unit tests,
 * which run first, run while a clean machine installs the engine and builds
 * the images (about 95 s of unit tests beside 2-3 minutes of set-up).
 * test/await-setup.ts holds every container test file until it has ended,
 * and fails the file with the set-up's log when it failed: container tests
 * never skip quietly.
 */
export default function setup(project: TestProject): () => void {
  // a folder of this run's own: no status file of an earlier run (a reused pid) can be read as this one's
  const dir = mkdtempSync(join(tmpdir(), "drainlab-setup-"));
  const log = join(dir, "setup.log");
  const status = join(dir, "status");
  // written whole, then renamed: a poll never reads half of it
  const settle = (text: string) => {
    writeFileSync(`${status}.part`, text);
    renameSync(`${status}.part`, status);
  };
  const out = openSync(log, "w");
  const child = spawn(process.execPath, [join(PROJECT_ROOT, "bin/drainlab.mjs"), "setup"], { stdio: ["ignore", out, out] });
  closeSync(out);
  child.on("exit", (code, signal) => settle(code === null ? `signal ${signal}` : String(code)));
  child.on("error", (e) => settle(`not started: ${e.message}`));
  project.provide("drainlabSetup", { log, status });
  return () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
  };
}

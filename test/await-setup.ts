import { existsSync, readFileSync } from "node:fs";
import { inject } from "vitest";

// Every container test file waits here for the background `drainlab setup`
// (test/global-setup.ts); at once when it has ended already. A failed set-up
// fails the file with the set-up's own words.
const { log, status } = inject("drainlabSetup");
const WAIT_MS = 30 * 60_000;
const started = Date.now();
while (!existsSync(status)) {
  if (Date.now() - started > WAIT_MS)
    throw new Error(`drainlab setup has not ended after ${WAIT_MS / 60_000} minutes; its output so far: ${log}`);
  await new Promise((resolve) => setTimeout(resolve, 250));
}
const code = readFileSync(status, "utf8").trim();
if (code !== "0") {
  const output = readFileSync(log, "utf8").trim().split("\n").slice(-30).join("\n");
  throw new Error(`drainlab setup failed (exit ${code}), so no container test can run; its output (${log}):\n${output}`);
}

import { join } from "node:path";
import { RAW_FILES, readAppLedger } from "../records/server-logs.ts";

/** Requests an app ledger shows started and neither finished nor given up (cancelled), by id and worker. */
export function openRequests(ledgerPath: string): number {
  const open = new Map<string, number>();
  for (const e of readAppLedger(ledgerPath).rows) {
    const key = `${e.id}/${e.pid}`;
    if (e.event === "start") open.set(key, (open.get(key) ?? 0) + 1);
    else if (e.event === "finish" || e.event === "cancel") open.set(key, (open.get(key) ?? 0) - 1);
  }
  return [...open.values()].filter((n) => n > 0).length;
}

const POLL_MS = 200;

/**
 * After the load: waits until the apps still running have finished or given
 * up on every request they started, at most `boundMs`. nginx may have given up
 * on a request (proxy_read_timeout) that its app is still working on; stopping
 * the stack then would cut it, and the verdict would blame the drain for a cut
 * the teardown made. Returns what was still open when the wait ended.
 */
export async function waitForAppsIdle(runDir: string, nodes: string[], boundMs: number): Promise<{ waitedMs: number; open: number }> {
  const started = performance.now();
  for (;;) {
    const open = nodes.reduce((sum, n) => sum + openRequests(join(runDir, RAW_FILES.appLedger(n))), 0);
    const waitedMs = Math.round(performance.now() - started);
    if (open === 0 || waitedMs >= boundMs) return { waitedMs, open };
    await new Promise((r) => setTimeout(r, POLL_MS));
  }
}

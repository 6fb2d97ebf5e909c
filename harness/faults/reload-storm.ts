import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Measured } from "../records/fault-measurements.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import type { FaultDefinition } from "./types.ts";

type ReloadStorm = FaultOf<"reload-storm">;

/**
 * `nginx -s reload` every every_ms for duration_s, from a loop inside the
 * nginx container (a docker exec per reload would cost more than the
 * interval). Each reload starts new workers and sends the old ones into a
 * graceful shutdown; the loop counts nginx's worker processes after each.
 */
export const reloadStorm: FaultDefinition<ReloadStorm> = {
  kind: "reload-storm",
  async run({ stack, timeline }, fault) {
    const start = timeline.add("fault-reload-storm", { every_ms: fault.every_ms, duration_s: fault.duration_s });
    const script = [
      `end=$(( $(date +%s%3N) + ${Math.round(fault.duration_s * 1000)} ))`,
      `while [ "$(date +%s%3N)" -lt "$end" ]; do`,
      `  t=$(date +%s%3N)`,
      `  if nginx -s reload 2>/tmp/drainlab-reload.err; then rc=0; else rc=1; fi`,
      `  w=$(ps -eo args= | grep -c '^nginx: worker process')`,
      `  echo "reload $t $rc $w"`,
      `  sleep ${fault.every_ms / 1000}`,
      `done`,
    ].join("\n");
    const out = await stack.execOutput("nginx", ["sh", "-c", script]);
    const reloads = out.output
      .split("\n")
      .map((l) => /^reload (\d+) (\d) (\d+)/.exec(l))
      .filter((m) => m !== null)
      .map((m) => ({ t_ms: timeline.atEpoch(Number(m[1])), ok: m[2] === "0", workers: Number(m[3]) }));
    for (const r of reloads) if (!r.ok) timeline.addAt(r.t_ms, "reload-failed", { during: "reload-storm" });
    const up = await fetch(`${stack.url}/drainlab/generation`, { headers: { connection: "close" } })
      .then((res) => res.ok)
      .catch(() => false);
    const end = timeline.add("reload-storm-end", {
      reloads: reloads.length,
      failed: reloads.filter((r) => !r.ok).length,
      nginx_answers: up,
    });
    // nginx's error log is on the wall clock as it read then
    const processed = sighupsLogged(stack.nginxLogDir, timeline.wallAt(start.t_ms) - 1000, timeline.wallAt(end.t_ms) + 1000);
    const measurements: Measured<"reload-storm"> = {
      reloads_sent: reloads.length,
      reloads_failed: reloads.filter((r) => !r.ok).length,
      reloads_expected: Math.floor((fault.duration_s * 1000) / fault.every_ms),
      mean_interval_ms: reloads.length > 1 ? Math.round((reloads.at(-1)!.t_ms - reloads[0]!.t_ms) / (reloads.length - 1)) : null,
      max_nginx_workers: Math.max(0, ...reloads.map((r) => r.workers)),
      sighup_reconfigurations_logged: processed,
      nginx_answers_after: up,
      reload_times_ms: reloads.map((r) => Math.round(r.t_ms)),
    };
    return {
      kind: "reload-storm",
      target: null,
      start_ms: reloads[0]?.t_ms ?? start.t_ms,
      end_ms: end.t_ms,
      params: fault,
      error: out.exitCode === 0 ? null : `reload loop exited ${out.exitCode}: ${out.output.slice(-300)}`,
      measurements,
    };
  },
  summarize: (m) =>
    `${m.reloads_sent} of ${m.reloads_expected} reloads sent, ${m.reloads_failed} failed, ${m.sighup_reconfigurations_logged} applied per nginx's log`,
};

/** How many reloads nginx's master took up between two epoch times, from its error log ("2026/11/25 03:27:59 [notice] ... signal 1 (SIGHUP) received ..., reconfiguring"). */
export function sighupsLogged(nginxLogDir: string, fromEpochMs: number, toEpochMs: number): number | null {
  let text: string;
  try {
    text = readFileSync(join(nginxLogDir, "nginx-error.log"), "utf8");
  } catch {
    return null;
  }
  return text.split("\n").filter((line) => {
    const m = /^(\d{4})\/(\d\d)\/(\d\d) (\d\d:\d\d:\d\d) .*SIGHUP\) received.*reconfiguring/.exec(line);
    if (!m) return false;
    const t = Date.parse(`${m[1]}-${m[2]}-${m[3]}T${m[4]}Z`);
    return t >= Math.floor(fromEpochMs / 1000) * 1000 && t <= toEpochMs;
  }).length;
}

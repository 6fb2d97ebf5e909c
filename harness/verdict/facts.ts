import type { Fact, FaultRecord, Json } from "../records/fault-record.ts";

const SEED_CLAIM = "Only gunicorn respawns crashed workers; uvicorn --workers does not";

/**
 * Claims about the software under test, as the run measured them: the
 * seed's claim that only gunicorn respawns a crashed worker is checked on
 * whatever runtime the scenario ran, with the supervisor's own log lines and
 * the pids as evidence. A kill-worker fault on each runtime settles it.
 */
export function factsOf(faults: FaultRecord[], versions: Record<string, string>): Fact[] {
  return faults
    .filter((f) => f.kind === "kill-worker" && !f.error)
    .map((f) => {
      const m = f.measurements;
      const runtime = String(m.runtime);
      const version =
        runtime === "uvicorn"
          ? `uvicorn ${versions.uvicorn ?? "?"} --workers`
          : `gunicorn ${versions.gunicorn ?? "?"} (UvicornWorker, uvicorn ${versions.uvicorn ?? "?"})`;
      const respawned = typeof m.respawned_pid === "number";
      const after = typeof m.respawn_after_ms === "number" ? m.respawn_after_ms : null;
      const ready = typeof m.ready_after_ms === "number" ? `, its app ready after ${m.ready_after_ms} ms` : "";
      const observed = respawned
        ? `${version} respawned the ${(f.params as { signal: string }).signal}ed worker (pid ${String(m.killed_pid)} -> ${String(m.respawned_pid)}) after ${after} ms${ready}`
        : `${version} did not start a replacement for worker pid ${String(m.killed_pid)}; workers left: ${JSON.stringify(m.workers_after)}`;
      // the claim holds for gunicorn when it respawns, for uvicorn when it does not
      const holds = runtime === "uvicorn" ? !respawned : respawned;
      return { claim: SEED_CLAIM, source: "seed", observed, holds, evidence: evidenceOf(f, m) };
    });
}

function evidenceOf(f: FaultRecord, m: Record<string, Json>): string[] {
  return [
    `${f.target}: workers before ${JSON.stringify(m.workers_before)}, after ${JSON.stringify(m.workers_after)} (faultkit.py, /proc every 5 ms)`,
    ...((m.supervisor_log ?? []) as string[]).map((line) => `log: ${line}`),
  ];
}

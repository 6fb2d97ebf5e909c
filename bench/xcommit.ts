/**
 * The closed-model peak of drainlab's generator at several commits, against one
 * target and wrk in the same run, rounds interleaved: which commit lost or won
 * generator speed, on one machine at one time.
 *   tsx bench/xcommit.ts <worktree>...   (each a checkout of drainlab with node_modules)
 */
import { join } from "node:path";
import { ensureEngine } from "../harness/env/engine.ts";
import { ensureImages } from "../harness/env/images.ts";
import { newRunId } from "../harness/run/run.ts";
import { runMeasured } from "./measure.ts";
import { wrkPeak } from "./peers.ts";
import { startTarget } from "./target.ts";

const CONNECTIONS = 50;
const SECONDS = 4;
const ROUNDS = 3;
const trees = process.argv.slice(2);
const log = (s: string) => process.stderr.write(`${s}\n`);

const docker = await ensureEngine(log);
const images = await ensureImages(docker, log);
const target = await startTarget(docker, images, `bench-${newRunId()}`);
try {
  const rows: Record<string, Array<{ rps: number; cpuUs: number; loadCpuUs: number }>> = {};
  for (let round = 1; round <= ROUNDS; round++) {
    const w = await wrkPeak(target.url, CONNECTIONS, SECONDS);
    (rows.wrk ??= []).push({ rps: w.reqPerS, cpuUs: w.cpuUsPerRequest, loadCpuUs: w.cpuUsPerRequest });
    log(`round ${round} wrk ${w.reqPerS.toFixed(0)} req/s ${w.cpuUsPerRequest.toFixed(1)} µs`);
    for (const tree of trees) {
      const r = await runMeasured(
        process.execPath,
        ["--import", "tsx", join(tree, "bench", "drainlab-peer.ts"), "closed", target.url, String(CONNECTIONS), String(SECONDS)],
        { cwd: tree, timeoutMs: 120_000 },
      );
      const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
        requests: number;
        stats: { intendedRatePerS: number; cpuShareOfOneCore: number; startMs: number; endMs: number };
      };
      const s = out.stats;
      const loadCpuUs = (s.cpuShareOfOneCore * (s.endMs - s.startMs) * 1000) / out.requests;
      (rows[tree] ??= []).push({ rps: s.intendedRatePerS, cpuUs: (r.cpuMs * 1000) / out.requests, loadCpuUs });
      log(
        `round ${round} ${tree} ${s.intendedRatePerS.toFixed(0)} req/s ${((r.cpuMs * 1000) / out.requests).toFixed(1)} µs (load only ${loadCpuUs.toFixed(1)})`,
      );
    }
  }
  const best = (xs: Array<{ rps: number; cpuUs: number; loadCpuUs: number }>) => xs.reduce((a, b) => (b.rps > a.rps ? b : a));
  const wrk = best(rows.wrk!);
  for (const [name, xs] of Object.entries(rows)) {
    const b = best(xs);
    process.stdout.write(
      `${name.padEnd(20)} best ${b.rps.toFixed(0).padStart(7)} req/s = ${(b.rps / wrk.rps).toFixed(2)}x wrk   CPU ${b.cpuUs.toFixed(1)} µs/req (process), ${b.loadCpuUs.toFixed(1)} µs/req (load window) = ${(b.loadCpuUs / wrk.cpuUs).toFixed(2)}x wrk\n`,
    );
  }
} finally {
  await target.stop();
}

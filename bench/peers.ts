import { existsSync } from "node:fs";
import { join } from "node:path";
import { hasCommand, run } from "../harness/env/engine.ts";
import { PROJECT_ROOT } from "../harness/util/project-root.ts";
import { type ChildRun, runMeasured } from "./measure.ts";

export interface PeakResult {
  peer: string;
  reqPerS: number;
  requests: number;
  /** The peer's own CPU per request, microseconds. */
  cpuUsPerRequest: number;
  machineBusyCores: number;
  /** Anything drainlab's peer adds: its generator stats. */
  extra?: Record<string, unknown>;
}

const TIMEOUT_MARGIN_MS = 60_000;

/** wrk from Debian: installed here when missing and we are root on Debian, else null with the reason. */
export function ensureWrk(log: (line: string) => void): { ok: true } | { ok: false; why: string } {
  if (hasCommand("wrk")) return { ok: true };
  const debianRoot = existsSync("/etc/debian_version") && process.getuid?.() === 0;
  if (!debianRoot) return { ok: false, why: "wrk is not installed, and installing it needs root on Debian (apt-get install -y wrk)" };
  log("installing wrk (Debian package) ...");
  try {
    run("apt-get", ["update", "-qq"]);
    run("apt-get", ["install", "-y", "-qq", "--no-install-recommends", "wrk"]);
  } catch (err) {
    return { ok: false, why: `apt-get install wrk failed: ${(err as Error).message.split("\n")[0]}` };
  }
  return hasCommand("wrk") ? { ok: true } : { ok: false, why: "wrk is still missing after apt-get install" };
}

export async function wrkPeak(url: string, connections: number, seconds: number): Promise<PeakResult> {
  // one thread per core, as wrk is meant to be run
  const r = await runMeasured("wrk", ["-t2", `-c${connections}`, `-d${seconds}s`, `${url}/`], {
    timeoutMs: seconds * 1000 + TIMEOUT_MARGIN_MS,
  });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(r.stdout)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(r.stdout)?.[1]);
  check(r, "wrk", Number.isFinite(rps));
  return { peer: "wrk", reqPerS: rps, requests, cpuUsPerRequest: (r.cpuMs * 1000) / requests, machineBusyCores: r.machineBusyCores };
}

export async function autocannonPeak(url: string, connections: number, seconds: number): Promise<PeakResult> {
  const bin = join(PROJECT_ROOT, "node_modules", "autocannon", "autocannon.js");
  const r = await runMeasured(process.execPath, [bin, "-j", "-c", String(connections), "-d", String(seconds), `${url}/`], {
    timeoutMs: seconds * 1000 + TIMEOUT_MARGIN_MS,
  });
  const json = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { requests?: { total: number }; duration?: number };
  const requests = json.requests?.total ?? Number.NaN;
  check(r, "autocannon", Number.isFinite(requests));
  return {
    peer: "autocannon",
    reqPerS: requests / (json.duration ?? seconds),
    requests,
    cpuUsPerRequest: (r.cpuMs * 1000) / requests,
    machineBusyCores: r.machineBusyCores,
  };
}

/** drainlab's own generator (closed model, full ledger) in a process of its own; shards > 1: its connections over that many worker threads. */
export async function drainlabPeak(url: string, connections: number, seconds: number, shards = 1): Promise<PeakResult> {
  const r = await drainlabPeer(["closed", url, String(connections), String(seconds), ...(shards > 1 ? [String(shards)] : [])], seconds);
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as {
    requests: number;
    answered: number;
    stats: { intendedRatePerS: number } & Record<string, unknown>;
  };
  return {
    peer: shards > 1 ? `drainlab, ${shards} shards` : "drainlab",
    reqPerS: out.stats.intendedRatePerS,
    requests: out.requests,
    cpuUsPerRequest: (r.cpuMs * 1000) / out.requests,
    machineBusyCores: r.machineBusyCores,
    extra: { answered: out.answered, ...out.stats },
  };
}

export async function drainlabPeer(args: string[], seconds: number, nodeFlags: string[] = []): Promise<ChildRun> {
  const r = await runMeasured(
    process.execPath,
    [...nodeFlags, "--import", "tsx", join(PROJECT_ROOT, "bench", "drainlab-peer.ts"), ...args],
    {
      cwd: PROJECT_ROOT,
      timeoutMs: seconds * 1000 + TIMEOUT_MARGIN_MS,
    },
  );
  check(r, `drainlab ${args[0]}`, r.code === 0);
  return r;
}

function check(r: ChildRun, what: string, ok: boolean): void {
  if (r.code !== 0 || !ok)
    throw new Error(`${what} failed (exit ${r.code}): ${(r.stderr || r.stdout).trim().split("\n").slice(-5).join("\n")}`);
}

/** undici alone (bench/drainlab-peer.ts undici): the HTTP library under drainlab's generator, so its own cost shows apart from undici's. */
export async function undiciPeak(url: string, connections: number, seconds: number): Promise<PeakResult> {
  return floorPeak("undici", url, connections, seconds);
}

/** node:net alone (bench/drainlab-peer.ts net): the runtime's own floor, one fixed request per answer and no HTTP parser. */
export async function netPeak(url: string, connections: number, seconds: number): Promise<PeakResult> {
  return floorPeak("net", url, connections, seconds);
}

async function floorPeak(peer: "undici" | "net", url: string, connections: number, seconds: number): Promise<PeakResult> {
  const r = await drainlabPeer([peer, url, String(connections), String(seconds)], seconds);
  const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}") as { requests: number; failed: number; reqPerS: number };
  // a floor that failed requests, or answered none, measured nothing
  check(r, `${peer} alone (${out.requests} requests, ${out.failed} failed)`, out.requests > 0 && out.failed === 0);
  return {
    peer,
    reqPerS: out.reqPerS,
    requests: out.requests,
    cpuUsPerRequest: (r.cpuMs * 1000) / out.requests,
    machineBusyCores: r.machineBusyCores,
  };
}

const END = Buffer.from("\r\n\r\n");
const NONE = Buffer.alloc(0);

/** Counts header ends ("\r\n\r\n") in a byte stream, split across reads or not: the net peer's answers. */
export class BlankLines {
  /** The end of the last read that may begin END (at most 3 bytes). */
  private tail = NONE;

  count(chunk: Buffer): number {
    const data = this.tail.length > 0 ? Buffer.concat([this.tail, chunk]) : chunk;
    let n = 0;
    let last = 0;
    for (let at = data.indexOf(END); at !== -1; at = data.indexOf(END, at + END.length)) {
      n++;
      last = at + END.length;
    }
    this.tail = NONE;
    for (let k = Math.min(END.length - 1, data.length - last); k > 0; k--) {
      if (data.subarray(data.length - k).equals(END.subarray(0, k))) {
        this.tail = Buffer.from(data.subarray(data.length - k));
        break;
      }
    }
    return n;
  }
}

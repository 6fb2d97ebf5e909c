import type { StackHandle } from "../nodes/stack-handle.ts";
import type { Measured } from "../records/fault-measurements.ts";
import type { FaultRecord, Json } from "../records/fault-record.ts";
import type { FaultOf } from "../scenario/fault-schema.ts";
import { APP_PORT, nodeName } from "../scenario/topology.ts";
import { sleep } from "../util/sleep.ts";
import type { FaultDefinition, FaultEvidence } from "./types.ts";

type Netem = FaultOf<"netem">;

const QUEUE = "7";
const NFQUEUE_RULE = ["OUTPUT", "-o", "eth0", "-j", "NFQUEUE", "--queue-num", QUEUE, "--queue-bypass"];
const READY_FILE = "/tmp/drainlab-nfqueue.ready";
const STATS_FILE = "/tmp/drainlab-nfqueue.json";
/** The userspace delayer ends by itself this long after the fault should have, should the harness die first. */
const DAEMON_SLACK_S = 5;

/**
 * Network faults on one node's egress (eth0), from inside its container,
 * which alone has CAP_NET_ADMIN:
 * - delay, jitter, loss: `tc qdisc add dev eth0 root netem delay D J loss L%`.
 *   Kernels built without sch_netem (this project's VMs: CONFIG_NET_SCH_NETEM
 *   is not set) get the same on the same packets from iptables' NFQUEUE target
 *   and faultkit.py, which holds each packet D +- J ms and drops L% of them.
 *   The record says which mechanism ran, and why.
 * - reset: `ss -K` aborts every established connection on the node's port
 *   (SOCK_DESTROY: the kernel sends nginx an RST, as when a peer or a
 *   middlebox drops the connection's state). netem itself has no reset, and
 *   corrupt or loss only cause retransmissions, never an RST.
 */
export const netem: FaultDefinition<Netem> = {
  kind: "netem",
  async run({ stack, timeline, signal }, fault) {
    const target = nodeName(fault.target);
    const start = timeline.add("fault-netem", {
      target,
      delay_ms: fault.delay_ms,
      jitter_ms: fault.jitter_ms,
      loss_pct: fault.loss_pct,
      reset_every_ms: fault.reset_every_ms,
    });
    const record: FaultRecord = { kind: "netem", target, start_ms: start.t_ms, end_ms: null, params: fault, error: null, measurements: {} };
    const shaping = fault.delay_ms > 0 || fault.jitter_ms > 0 || fault.loss_pct > 0;
    let mechanism: "netem" | "nfqueue" | "none" = "none";
    let why = "no delay, jitter or loss asked";
    if (shaping && fault.mechanism !== "nfqueue") {
      const tc = await stack.execOutput(target, ["tc", "qdisc", "add", "dev", "eth0", "root", "netem", ...netemArgs(fault)]);
      if (tc.exitCode === 0) [mechanism, why] = ["netem", "tc qdisc netem"];
      else if (fault.mechanism === "netem") return { ...record, error: `tc qdisc add ... netem failed: ${tc.output.trim()}` };
      else why = `tc netem unavailable (${tc.output.trim()}): iptables NFQUEUE + userspace delayer`;
    } else if (shaping) {
      why = "mechanism: nfqueue asked";
    }
    if (shaping && mechanism === "none") {
      const started = await startDelayer(stack, target, fault);
      if (started) return { ...record, error: started };
      mechanism = "nfqueue";
    }
    const applied = timeline.add("netem-applied", { target, mechanism, why });
    const endAt = applied.t_ms + fault.duration_s * 1000;
    let resets = 0;
    let socketsReset = 0;
    let stats: Record<string, Json> = {};
    try {
      if (fault.reset_every_ms !== null) {
        while (timeline.now() < endAt) {
          const ss = await stack.execOutput(target, ["ss", "-K", "-tn", "state", "established", `( sport = :${APP_PORT} )`]);
          const killed = ss.output.split("\n").filter((l) => /:8000\s/.test(l)).length;
          resets++;
          socketsReset += killed;
          timeline.add("connections-reset", { target, sockets: killed });
          await sleep(Math.min(fault.reset_every_ms, endAt - timeline.now()), signal);
        }
      } else {
        await sleep(endAt - timeline.now(), signal);
      }
    } finally {
      stats = mechanism === "netem" ? await removeNetem(stack, target) : mechanism === "nfqueue" ? await stopDelayer(stack, target) : {};
    }
    const removed = timeline.add("netem-removed", { target, mechanism, ...stats });
    return {
      ...record,
      start_ms: applied.t_ms,
      end_ms: removed.t_ms,
      measurements: { mechanism, mechanism_why: why, ...stats, reset_rounds: resets, sockets_reset: socketsReset },
    };
  },
  measure: measureNetem,
  summarize(m) {
    const delay = m.extra_latency_ms === null ? "" : `+${m.extra_latency_ms} ms latency via ${m.mechanism}`;
    const reset = m.sockets_reset ? `${m.sockets_reset} sockets reset in ${m.reset_rounds} rounds` : "";
    return [delay, reset].filter(Boolean).join(", ") || `no effect measured (${m.mechanism_why ?? m.mechanism})`;
  },
};

export function netemArgs(fault: Pick<Netem, "delay_ms" | "jitter_ms" | "loss_pct">): string[] {
  const args: string[] = [];
  if (fault.delay_ms > 0 || fault.jitter_ms > 0)
    args.push("delay", `${fault.delay_ms}ms`, ...(fault.jitter_ms > 0 ? [`${fault.jitter_ms}ms`] : []));
  if (fault.loss_pct > 0) args.push("loss", `${fault.loss_pct}%`);
  return args;
}

/** Starts faultkit.py's delayer, waits until it has bound the queue, then sends the node's egress through it. Returns an error or null. */
async function startDelayer(stack: StackHandle, target: string, fault: Netem): Promise<string | null> {
  const daemon = [
    "python3 /app/faultkit.py nfqueue",
    `--queue ${QUEUE} --delay-ms ${fault.delay_ms} --jitter-ms ${fault.jitter_ms} --loss-pct ${fault.loss_pct}`,
    `--duration-s ${fault.duration_s + DAEMON_SLACK_S} --ready ${READY_FILE} --stats ${STATS_FILE}`,
  ].join(" ");
  const script = [
    `rm -f ${READY_FILE} ${STATS_FILE}`,
    `setsid ${daemon} </dev/null >/tmp/drainlab-nfqueue.log 2>&1 &`,
    `i=0; while [ ! -s ${READY_FILE} ]; do i=$((i+1)); [ $i -gt 250 ] && { cat /tmp/drainlab-nfqueue.log; exit 1; }; sleep 0.02; done`,
    `iptables-legacy -I ${NFQUEUE_RULE.join(" ")}`,
  ].join("\n");
  const r = await stack.execOutput(target, ["sh", "-c", script]);
  return r.exitCode === 0 ? null : `nfqueue delayer did not start: ${r.output.trim().slice(0, 300)}`;
}

async function stopDelayer(stack: StackHandle, target: string): Promise<Record<string, Json>> {
  const script = [
    `iptables-legacy -D ${NFQUEUE_RULE.join(" ")}`,
    `kill -TERM "$(cat ${READY_FILE})"`,
    `i=0; while [ ! -s ${STATS_FILE} ] && [ $i -lt 100 ]; do i=$((i+1)); sleep 0.02; done`,
    `cat ${STATS_FILE}`,
  ].join("\n");
  const r = await stack.execOutput(target, ["sh", "-c", script]);
  try {
    const s = JSON.parse(r.output.trim().split("\n").pop() ?? "") as Record<string, number>;
    return { packets: s.packets ?? 0, dropped: s.dropped ?? 0, delayed: s.delayed ?? 0, max_held: s.max_held ?? 0 };
  } catch {
    return { stats_error: r.output.trim().slice(0, 200) };
  }
}

async function removeNetem(stack: StackHandle, target: string): Promise<Record<string, Json>> {
  const show = await stack.execOutput(target, ["tc", "-s", "qdisc", "show", "dev", "eth0"]);
  await stack.execOutput(target, ["tc", "qdisc", "del", "dev", "eth0", "root"]);
  const m = /Sent \d+ bytes (\d+) pkt \(dropped (\d+)/.exec(show.output);
  return m ? { packets: Number(m[1]), dropped: Number(m[2]) } : { stats_error: show.output.trim().slice(0, 200) };
}

/**
 * How much slower the node's answers were while the fault was on (median wait beyond the request's own
 * work): against the other nodes' in the same window, and against the same node before the fault (when
 * every node carries the fault, the others are no baseline).
 */
export function measureNetem(record: FaultRecord, { rows }: FaultEvidence): Measured<"netem"> {
  const from = record.start_ms;
  const to = record.end_ms ?? from;
  const ok = rows.filter((r) => r.error === "none");
  const inWindow = ok.filter((r) => r.intendedMs >= from && r.intendedMs < to);
  const wait = (r: (typeof rows)[number]) => r.endMs - r.intendedMs - r.serviceMs;
  const target = inWindow.filter((r) => r.node === record.target).map(wait);
  const others = inWindow.filter((r) => r.node !== record.target).map(wait);
  // answered before the fault began, so no impaired packet is in them
  const before = ok.filter((r) => r.node === record.target && r.endMs < from).map(wait);
  const extra = target.length && others.length ? Math.round(median(target) - median(others)) : null;
  const extraBefore = target.length && before.length ? Math.round(median(target) - median(before)) : null;
  return {
    answers_from_target: target.length,
    median_wait_target_ms: target.length ? Math.round(median(target)) : null,
    median_wait_others_ms: others.length ? Math.round(median(others)) : null,
    median_wait_target_before_ms: before.length ? Math.round(median(before)) : null,
    extra_latency_ms: extra,
    extra_latency_vs_before_ms: extraBefore,
  };
}

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

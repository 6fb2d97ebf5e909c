import type { Report } from "../records/report.ts";
import type { FaultKind } from "../scenario/fault-schema.ts";
import { LOSS_CLASSES, type LossClass } from "../scenario/loss-classes.ts";
import { drainsOf } from "./describe.ts";
import { faultsOf } from "./findings.ts";
import { reconciliationOf } from "./loss-classes.ts";
import { drainPhases, type PhaseName, runEndMs } from "./phases.ts";

/** What report.html embeds as JSON and charts-client.js draws: one time axis, in seconds since t0. */
export interface ChartData {
  bucket_ms: number;
  bucket_s: number;
  x_min_s: number;
  x_max_s: number;
  /** Bucket starts. */
  t_s: number[];
  p50_ms: Array<number | null>;
  p99_ms: Array<number | null>;
  nodes: string[];
  /** Per node (same order as nodes), ok answers per second in each bucket. */
  rps: number[][];
  failed: number[];
  /** Every drained node (several in a rolling drain). */
  drained: string[];
  phases: Array<{
    name: PhaseName;
    label: string;
    target: string | null;
    from_s: number;
    to_s: number;
    open: boolean;
    fill: string;
    edge: string;
  }>;
  /** Each fault's interval (start .. end), shaded like the drain phases in a colour per fault kind. */
  faults: FaultInterval[];
  /** Long-lived sessions (streams, SSE, WebSockets) open in each bucket, one series per kind; empty when the run had none. */
  sessions: Array<{ kind: string; open: number[]; incomplete: number; color: string }>;
  /** Bucket starts of `sessions`: to the run's end, since a session can outlast the last request's bucket. */
  sessions_t_s: number[];
  /** Loss classes that happened, in LOSS_CLASSES order: one lane each at the top of the latency chart. */
  loss_marks: LossMarks[];
  colors: { p50: string; p99: string; failed: string; failed_fill: string };
  node_colors: string[];
  node_fills: string[];
}

export interface FaultInterval {
  kind: FaultKind;
  label: string;
  target: string | null;
  from_s: number;
  to_s: number;
  /** The fault never ended within the run: shaded to the end. */
  open: boolean;
  fill: string;
  edge: string;
}

export type MarkShape = "circle" | "ring" | "square" | "diamond" | "triangle-down" | "triangle-up" | "cross" | "plus" | "minus";

export interface LossMarks {
  class: LossClass;
  /** Intended send times of the flagged requests (reconciliation.marks). */
  t_s: number[];
  /** Requests in this class; more than t_s.length when the reconciliation capped its marks. */
  count: number;
  color: string;
  shape: MarkShape;
}

/** Colour and shape per loss class: apart from p50 blue, p99 orange and the failure red, and from each other. */
export const LOSS_MARK_STYLES: Record<LossClass, { color: string; shape: MarkShape }> = {
  failed: { color: "#8b0000", shape: "cross" },
  unanswered: { color: "#222222", shape: "ring" },
  "cut-short": { color: "#e7298a", shape: "triangle-down" },
  "retried-by-nginx": { color: "#56b4e9", shape: "diamond" },
  "rerouted-before-app": { color: "#a6cee3", shape: "minus" },
  "executed-twice": { color: "#6a3d9a", shape: "square" },
  "finished-but-failed": { color: "#b8860b", shape: "triangle-up" },
  misrouted: { color: "#009e73", shape: "plus" },
  "slow-during-drain": { color: "#8c564b", shape: "circle" },
};

export const PHASE_COLORS: Record<PhaseName, { fill: string; edge: string }> = {
  removal: { fill: "rgba(255, 179, 0, 0.22)", edge: "rgba(230, 140, 0, 0.9)" },
  reload: { fill: "rgba(142, 68, 173, 0.20)", edge: "rgba(142, 68, 173, 0.9)" },
  "sigterm-wait": { fill: "rgba(231, 76, 60, 0.16)", edge: "rgba(192, 57, 43, 0.9)" },
  "sigkill-after-wait": { fill: "rgba(120, 20, 20, 0.30)", edge: "rgba(120, 20, 20, 1)" },
  sigkill: { fill: "rgba(120, 20, 20, 0.30)", edge: "rgba(120, 20, 20, 1)" },
  readd: { fill: "rgba(39, 174, 96, 0.16)", edge: "rgba(30, 132, 73, 0.9)" },
};

/** Apart from the drain phases' amber, purple, reds and green, and from each other. */
export const FAULT_COLORS: Record<FaultKind, { fill: string; edge: string }> = {
  "kill-worker": { fill: "rgba(0, 160, 200, 0.20)", edge: "rgba(0, 120, 160, 0.95)" },
  "kill-node": { fill: "rgba(70, 70, 70, 0.22)", edge: "rgba(40, 40, 40, 0.95)" },
  "pause-node": { fill: "rgba(40, 80, 200, 0.18)", edge: "rgba(30, 60, 170, 0.95)" },
  netem: { fill: "rgba(170, 170, 20, 0.24)", edge: "rgba(130, 130, 0, 0.95)" },
  "reload-storm": { fill: "rgba(230, 60, 170, 0.16)", edge: "rgba(190, 30, 140, 0.95)" },
  "mark-draining": { fill: "rgba(150, 100, 50, 0.22)", edge: "rgba(120, 70, 30, 0.95)" },
  "health-removal": { fill: "rgba(0, 170, 130, 0.12)", edge: "rgba(0, 130, 100, 0.95)" },
};
const UNKNOWN_FAULT_COLOR = { fill: "rgba(120, 120, 160, 0.18)", edge: "rgba(90, 90, 130, 0.95)" };

const NODE_COLORS = ["#1f6fb2", "#2a9d8f", "#8e5ea2", "#e07b39", "#6c757d", "#b5838d"];

export function chartData(report: Report): ChartData {
  const { bucket_ms: bucketMs, buckets } = report.series;
  const perSecond = 1000 / bucketMs;
  const nodes = [...new Set([...report.stack.nodes.map((n) => n.name), ...buckets.flatMap((b) => Object.keys(b.by_node))])].sort();
  const endMs = runEndMs(report);
  const s = (ms: number) => Math.round(ms) / 1000;
  return {
    bucket_ms: bucketMs,
    bucket_s: bucketMs / 1000,
    x_min_s: 0,
    x_max_s: Math.max(1, Math.ceil(endMs / bucketMs)) * (bucketMs / 1000),
    t_s: buckets.map((b) => s(b.t_ms)),
    p50_ms: buckets.map((b) => b.p50_ms),
    p99_ms: buckets.map((b) => b.p99_ms),
    nodes,
    rps: nodes.map((n) => buckets.map((b) => (b.by_node[n] ?? 0) * perSecond)),
    failed: buckets.map((b) => b.failed),
    drained: drainsOf(report).map((d) => d.target),
    phases: drainPhases(report.timeline, endMs).map((p) => ({
      name: p.name,
      label: p.label,
      target: p.target,
      from_s: s(p.from_ms),
      to_s: s(p.to_ms),
      open: p.open,
      ...PHASE_COLORS[p.name],
    })),
    faults: faultsOf(report).map((f) => ({
      kind: f.kind,
      label: `fault ${f.kind}`,
      target: f.target,
      from_s: s(f.start_ms),
      to_s: s(Math.max(f.start_ms, f.end_ms ?? endMs)),
      open: f.end_ms === null,
      ...(FAULT_COLORS[f.kind] ?? UNKNOWN_FAULT_COLOR),
    })),
    loss_marks: lossMarks(report),
    ...sessionSeries(report, bucketMs, endMs),
    colors: { p50: "#1f6fb2", p99: "#d35400", failed: "#c0392b", failed_fill: "rgba(192, 57, 43, 0.6)" },
    node_colors: nodes.map((_, i) => NODE_COLORS[i % NODE_COLORS.length]!),
    node_fills: nodes.map((_, i) => `${NODE_COLORS[i % NODE_COLORS.length]!}99`),
  };
}

const SESSION_COLORS: Record<string, string> = { stream: "#1f6fb2", sse: "#2a9d8f", websocket: "#8e5ea2" };

/** Per kind, how many sessions were open at some point of each bucket (from the client's start to its end, or the run's end). */
function sessionSeries(report: Report, bucketMs: number, endMs: number): Pick<ChartData, "sessions" | "sessions_t_s"> {
  const all = report.sessions ?? [];
  const kinds = [...new Set(all.map((x) => x.kind))].sort();
  const lastMs = Math.max(endMs, ...all.map((x) => x.end_ms ?? 0));
  const starts = all.length === 0 ? [] : Array.from({ length: Math.ceil(lastMs / bucketMs) }, (_, i) => i * bucketMs);
  const sessions = kinds.map((kind) => {
    const of = all.filter((x) => x.kind === kind);
    return {
      kind,
      open: starts.map((t) => of.filter((x) => x.start_ms < t + bucketMs && (x.end_ms === null || x.end_ms >= t)).length),
      incomplete: of.filter((x) => !x.complete).length,
      color: SESSION_COLORS[kind] ?? "#6c757d",
    };
  });
  return { sessions, sessions_t_s: starts.map((t) => t / 1000) };
}

function lossMarks(report: Report): LossMarks[] {
  const rec = reconciliationOf(report);
  if (!rec) return [];
  return LOSS_CLASSES.flatMap((c) => {
    const t_s = rec.marks.filter((m) => m.class === c).map((m) => Math.round(m.t_ms) / 1000);
    const count = Math.max(rec.counts[c] ?? 0, t_s.length);
    return count === 0 ? [] : [{ class: c, t_s, count, ...LOSS_MARK_STYLES[c] }];
  });
}

/**
 * A bench result beside an earlier one: each figure as a ratio against a peer
 * measured in the same run (so two machines or two busy moments compare), the
 * change, and a flag on any figure that got worse by more than 15%.
 * `npm run bench -- --compare bench/baseline.json` runs the bench and compares;
 * `tsx bench/compare.ts <new.json> [<old.json>]` compares two saved results.
 */
import { readFileSync } from "node:fs";

/** How much worse a figure may get before the comparison flags it. */
export const WORSE_BY = 0.15;

export interface Figure {
  id: string;
  name: string;
  /** "higher" when a larger value is better. */
  better: "higher" | "lower";
  value: number;
  unit: string;
  /** Open-model lag: every round of the run (value is the best), and whether the rate was held. */
  rounds?: number[];
  held?: boolean;
  /** A figure judged by another, its ratio to a peer of the same run, when both results have that one. */
  judgedBy?: string;
}

export interface Compared extends Figure {
  /** Why it is flagged: worse by more than WORSE_BY, or a rate held before and not now. */
  flag?: "worse" | "no longer held";
  before: number | null;
  /** value / before - 1, signed so that a positive number is an improvement. */
  gain: number | null;
  worse: boolean;
}

interface PeakLike {
  reqPerS: number;
  cpuUsPerRequest: number;
}
interface OpenLike {
  stats: { sendLagMs: { p99: number }; sentRatePerS: number };
  check: { ok: boolean };
  /** Every round's p99 (the figure is the best of them); results before 2026-12-07 lack it. */
  rounds_p99_ms?: number[];
}
/** The shape `bench/run.ts` writes (only the parts compared). */
export interface BenchResult {
  started_at?: string;
  /** The processor (model, clock); results before 2026-12-07 lack it. */
  cpu?: string;
  peak?: Record<string, PeakLike | undefined>;
  open?: Record<string, OpenLike | unknown>;
  ledger?: { memory?: { retainedBytes: number; rows: number }; spill?: { peakBytes: number } };
  verdict_time?: { start?: { firstAnswerMs: number; appImportMs?: number }; run?: { ratio: number } };
}

/**
 * The figures of one result. Generator speed is a ratio to wrk (or autocannon)
 * in the same run; open-model lag and stack start are absolute (no peer does
 * them), so a comparison of those across machines says so in its unit.
 */
export function figures(r: BenchResult): Figure[] {
  const out: Figure[] = [];
  const dl = r.peak?.drainlab;
  const wrk = r.peak?.wrk;
  const ac = r.peak?.autocannon;
  if (dl && ac) out.push({ id: "1a", name: "closed-model peak / autocannon", better: "higher", value: dl.reqPerS / ac.reqPerS, unit: "x" });
  // peak and CPU per request against a peer of the same run: wrk, and undici alone (drainlab's own cost over its
  // HTTP library; results before 2026-12-07 lack that peer)
  const against = (peer: PeakLike | undefined, ids: [string, string], peerName: string) => {
    if (!dl || !peer) return;
    out.push({ id: ids[0], name: `closed-model peak / ${peerName}`, better: "higher", value: dl.reqPerS / peer.reqPerS, unit: "x" });
    out.push({
      id: ids[1],
      name: `CPU per request / ${peerName}`,
      better: "lower",
      value: dl.cpuUsPerRequest / peer.cpuUsPerRequest,
      unit: "x",
    });
  };
  against(wrk, ["1b", "1c"], "wrk");
  against(r.peak?.undici, ["1e", "1f"], "undici alone");
  for (const rate of ["1000", "5000", "10000", "20000"]) {
    const o = r.open?.[rate] as OpenLike | undefined;
    if (!o?.stats) continue;
    out.push({
      id: `2-${Number(rate) / 1000}k`,
      name: `open model ${Number(rate).toLocaleString("en-US")} req/s: send lag p99${o.check.ok ? "" : " (not held)"}`,
      better: "lower",
      value: o.stats.sendLagMs.p99,
      unit: "ms",
      rounds: o.rounds_p99_ms,
      held: o.check.ok,
    });
  }
  const mem = r.ledger?.memory;
  if (mem?.rows) out.push({ id: "3a", name: "ledger bytes per request", better: "lower", value: mem.retainedBytes / mem.rows, unit: "B" });
  const start = r.verdict_time?.start?.firstAnswerMs;
  if (typeof start === "number")
    // judged by 4c when both runs have it: the seconds alone differ by machine
    out.push({ id: "4a", name: "warm stack start to first answer", better: "lower", value: start / 1000, unit: "s", judgedBy: "4c" });
  // the start over its peer of the same run (results before 2026-12-07 lack it)
  const importMs = r.verdict_time?.start?.appImportMs;
  if (typeof start === "number" && typeof importMs === "number" && importMs > 0)
    out.push({
      id: "4c",
      name: "warm stack start / one container's import of the app's libraries",
      better: "lower",
      value: start / importMs,
      unit: "x",
    });
  const wall = r.verdict_time?.run?.ratio;
  if (typeof wall === "number")
    out.push({ id: "4b", name: "drain-one-node wall / (load + stop wait)", better: "lower", value: wall, unit: "x" });
  return out;
}

/**
 * Each figure of `now` beside the same figure of `before` (null when `before`
 * lacks it). A figure is flagged when it got worse by more than WORSE_BY, except
 * where that is within the noise the runs themselves show:
 * - a lag under 1 ms in both (a 0.4 ms lag going to 0.5 ms);
 * - a lag whose best round now is no worse than the worst round before, or
 *   within WORSE_BY of it: the two runs' rounds overlap, so the change is
 *   within the spread of one run (1.47 and 1.86 ms at 1k req/s in one run,
 *   same code);
 * - a lag at a rate held in neither run: that lag measures how far an
 *   overloaded generator queues (38 vs 81 ms at 20k), not send fidelity; a
 *   rate held before and not now is flagged whatever its lag.
 */
export function compare(now: BenchResult, before: BenchResult): Compared[] {
  const old = new Map(figures(before).map((f) => [f.id, f]));
  const nowFigures = figures(now);
  const ids = new Set(nowFigures.map((f) => f.id));
  return nowFigures.map((f) => {
    const b = old.get(f.id);
    if (!b || b.value === 0) return { ...f, before: b?.value ?? null, gain: null, worse: false };
    const change = f.value / b.value - 1;
    const gain = f.better === "higher" ? change : -change;
    const byPeer = f.judgedBy !== undefined && ids.has(f.judgedBy) && old.has(f.judgedBy);
    const flag: Compared["flag"] = byPeer
      ? undefined
      : b.held === true && f.held === false
        ? "no longer held"
        : gain < -WORSE_BY && !withinNoise(f, b)
          ? "worse"
          : undefined;
    return { ...f, before: b.value, gain, worse: flag !== undefined, ...(flag ? { flag } : {}) };
  });
}

function withinNoise(now: Figure, before: Figure): boolean {
  if (now.unit !== "ms") return false;
  if (now.held === false && before.held === false) return true;
  if (Math.max(now.value, before.value) < 1) return true;
  const worstBefore = before.rounds ? Math.max(...before.rounds) : undefined;
  return worstBefore !== undefined && now.value <= worstBefore * (1 + WORSE_BY);
}

const num = (x: number, unit: string) =>
  `${x.toLocaleString("en-US", { maximumFractionDigits: unit === "x" ? 2 : unit === "s" ? 2 : 1, minimumFractionDigits: unit === "x" || unit === "s" ? 2 : 1 })}${unit === "x" ? "x" : ` ${unit}`}`;

/** The comparison as a plain-text table; the last line says how many figures got worse. */
export function renderComparison(rows: Compared[], label: string): string {
  const cells = rows.map((r) => [
    r.id,
    r.name,
    r.before === null ? "-" : num(r.before, r.unit),
    num(r.value, r.unit),
    r.gain === null ? "-" : `${r.gain >= 0 ? "+" : ""}${(r.gain * 100).toFixed(0)}%`,
    r.flag === "no longer held" ? "NO LONGER HELD" : r.flag === "worse" ? `WORSE by more than ${WORSE_BY * 100}%` : "",
  ]);
  const head = ["#", "figure", label, "now", "better by", ""];
  const all = [head, ...cells];
  const widths = head.map((_, i) => Math.max(...all.map((c) => c[i]!.length)));
  const line = (c: string[]) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd();
  const worse = rows.filter((r) => r.worse);
  return [
    line(head),
    widths
      .map((w) => "-".repeat(w))
      .join("  ")
      .trimEnd(),
    ...cells.map(line),
    "",
    worse.length === 0
      ? `no figure got worse by more than ${WORSE_BY * 100}% against ${label}`
      : `${worse.length} figure(s) got worse by more than ${WORSE_BY * 100}% against ${label}: ${worse.map((r) => r.id).join(", ")}`,
  ].join("\n");
}

/**
 * A line before the comparison when the two results may come from different machines: the ratios to a
 * peer of the same run still compare; absolute figures (ms, s) then compare machines as much as code.
 */
export function machineNote(now: BenchResult, before: BenchResult, label: string): string {
  if (now.cpu && before.cpu && now.cpu === before.cpu) return "";
  const was = before.cpu ?? "a processor it does not name";
  return `note: ${label} was measured on ${was}, this run on ${now.cpu ?? "a processor it does not name"}: figures in ms and s compare the machines as much as the code\n\n`;
}

/** A result file, or a clear error naming it. */
export function readResult(file: string): BenchResult {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (err) {
    throw new Error(`bench: cannot read ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new Error(`bench: ${file} is not JSON (a result written by npm run bench)`);
  }
  if (typeof parsed !== "object" || parsed === null || figures(parsed as BenchResult).length === 0) {
    throw new Error(`bench: ${file} holds no bench figures (peak, open, ledger or verdict_time)`);
  }
  return parsed as BenchResult;
}

if (process.argv[1]?.endsWith("compare.ts")) {
  const [now, before = "bench/baseline.json"] = process.argv.slice(2);
  try {
    if (!now) throw new Error("usage: tsx bench/compare.ts <new.json> [<old.json>, default bench/baseline.json]");
    const [a, b] = [readResult(now), readResult(before)];
    const rows = compare(a, b);
    process.stdout.write(`${machineNote(a, b, before)}${renderComparison(rows, before)}\n`);
    process.exit(rows.some((r) => r.worse) ? 1 : 0);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(2);
  }
}

import type { DrainRecord } from "../records/drain-record.ts";
import type { Report } from "../records/report.ts";
import type { DrainPhase } from "./phases.ts";

/** Every drained node; reports from before rolling drains have only `drain`. */
export function drainsOf(report: Pick<Report, "drain"> & { drains?: DrainRecord[] }): DrainRecord[] {
  return report.drains ?? (report.drain ? [report.drain] : []);
}

/** One line per drained node, shared by the HTML and Markdown views. */
export function describeDrains(report: Report): string[] {
  const drains = drainsOf(report);
  return drains.length === 0 ? ["no drain in this scenario"] : drains.map(describeDrain);
}

/** attach: the line every view puts first, saying what the verdict stands on; null for a run drainlab started. */
export function evidenceLine(report: Pick<Report, "attach" | "checks">): string | null {
  const a = report.attach;
  if (!a) return null;
  if (a.client_only) {
    const accepted = report.checks.filter((c) => c.skipped_by === "client-only").length;
    const unjudged = report.checks.filter((c) => c.observed === "client-only").length;
    return accepted > 0
      ? `client-only run (attach.client_only, accepted): judged on the client's ledger alone; ${accepted} server-side checks skipped`
      : `client-only run (attach.client_only): ${unjudged} server-side checks were not judged, so the run cannot pass unless a client-only pass is accepted (--accept-client-only or checks.client_only_ok: true)`;
  }
  const missing = [...(a.records.nginx_log ? [] : ["nginx's log"]), ...(a.records.app_ledger.length > 0 ? [] : ["app ledger"])];
  return `attached to ${a.url}: ${
    missing.length > 0
      ? `no ${missing.join(" and no ")} named (attach.records), so the checks that need them say no-evidence`
      : `judged on the client's ledger, nginx's log (${a.records.nginx_rows} rows) and the app ledgers (${a.records.app_events} events)`
  }`;
}

/** attach: a drain made of the user's commands, each with its outcome. */
function describeHooks(d: DrainRecord): string {
  const steps = (d.hooks ?? []).map(
    (h) => `${h.step} ${seconds(h.start_ms)}-${seconds(h.end_ms)} ${h.timed_out ? "timed out" : `exit ${h.exit_code}`}`,
  );
  const exit = d.exit_code === null ? "exit code not reported" : `exit code ${d.exit_code}`;
  return `${d.target === "*" ? "every node" : d.target} by your commands: ${steps.join(", ") || "none ran"}; ${exit}`;
}

/** One line about one drained node. */
export function describeDrain(d: DrainRecord): string {
  if (d.hooks) return describeHooks(d);
  const removal = d.removed ? `removed from nginx (upstream generation ${d.removal_generation}), then ` : "not removed from nginx; ";
  const exit = d.exit_ms === null ? "never seen to exit" : `exited ${seconds(d.exit_ms - d.signal_ms)} later with code ${d.exit_code}`;
  const kill = d.killed_after_wait ? `, SIGKILLed after the ${d.stop_wait_s} s stop wait` : "";
  const readded = typeof d.readded_ms === "number" ? `; restarted and back in the upstream at ${seconds(d.readded_ms)}` : "";
  return `${d.target} ${removal}${d.signal} at ${seconds(d.signal_ms)}; ${exit}${kill}${readded}`;
}

export function describeRequests(q: Report["requests"]): string {
  return `sent ${q.sent}, ok ${q.ok}, failed ${q.failed}, unanswered ${q.unanswered}`;
}

export function describeLatency(l: Report["latency_ms"]): string {
  return `p50 ${l.p50} ms, p90 ${l.p90} ms, p99 ${l.p99} ms, max ${l.max} ms (${l.count} answers after warm-up, from the intended send time)`;
}

export function describePhase(p: DrainPhase): string {
  return `${p.target ? `${p.target} ` : ""}${p.label}: ${seconds(p.from_ms)} to ${p.open ? "end of run" : seconds(p.to_ms)} (${seconds(p.to_ms - p.from_ms)})`;
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(3)} s`;
}

/** Flattens the resolved scenario into dotted paths, for the parameters tables. */
export function flatten(value: unknown, prefix = ""): Array<[string, string]> {
  if (Array.isArray(value)) {
    if (value.length === 0) return [[prefix, "[]"]];
    return value.flatMap((v, i) => flatten(v, `${prefix}[${i}]`));
  }
  if (value !== null && typeof value === "object") {
    const entries = Object.entries(value as Record<string, unknown>);
    if (entries.length === 0) return [[prefix, "{}"]];
    return entries.flatMap(([k, v]) => flatten(v, prefix ? `${prefix}.${k}` : k));
  }
  return [[prefix, value === null ? "null" : String(value)]];
}

/** A timeline event's detail as `key=value` pairs. */
export function describeDetail(detail: Record<string, unknown>): string {
  return Object.entries(detail)
    .map(([k, v]) => `${k}=${typeof v === "object" && v !== null ? JSON.stringify(v) : String(v)}`)
    .join(" ");
}

/**
 * What qualifies a verdict, said beside it in every view: the checks the scenario put out of scope
 * (checks.skip) and an accepted client-only run, so neither can read as a plain PASS. Empty when none.
 */
export function verdictQualifier(report: Pick<Report, "checks">): string {
  const skipped = report.checks.filter((c) => c.skipped_by === "scenario").map((c) => c.name);
  const clientOnly = report.checks.filter((c) => c.skipped_by === "client-only").length;
  const parts = [
    ...(skipped.length > 0
      ? [`${skipped.length} check${skipped.length === 1 ? "" : "s"} skipped by the scenario: ${skipped.join(", ")}`]
      : []),
    ...(clientOnly > 0 ? [`client-only, accepted: ${clientOnly} server-side checks not judged`] : []),
  ];
  return parts.length > 0 ? ` (${parts.join("; ")})` : "";
}

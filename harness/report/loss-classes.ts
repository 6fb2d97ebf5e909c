import { lossWhere } from "../figures/reconcile.ts";
import type { Reconciliation, Story } from "../records/figure-types.ts";
import type { Report } from "../records/report.ts";
import { CLASS_CHECK_NAMES, DEFAULT_ALLOWED, LOSS_CLASSES, type LossClass, lossClassOfCheck } from "../scenario/loss-classes.ts";
import { seconds } from "./describe.ts";

export { CLASS_CHECK_NAMES, lossClassOfCheck };

/** One loss class as every view shows it. */
export interface LossRow {
  lossClass: LossClass;
  count: number;
  /** parameters.checks.allowed (0 when the scenario sets none). */
  /** null: no limit. */
  allowed: number | null;
  ok: boolean;
  check: string;
  /** Where it happened: counts per node, or per client error for `failed`; "" when nowhere. */
  where: string;
  /** Up to 5 requests, each told from the client, nginx and the app. */
  stories: Story[];
}

/** The reconciliation, or null for a report written before it existed. */
export function reconciliationOf(report: Report): Reconciliation | null {
  return (report as Partial<Report>).reconciliation ?? null;
}

/** Every loss class in LOSS_CLASSES order; empty for a report without a reconciliation. */
export function lossRows(report: Report): LossRow[] {
  const rec = reconciliationOf(report);
  if (!rec) return [];
  const allowed: Partial<Record<LossClass, number | null>> = report.parameters.checks?.allowed ?? {};
  return LOSS_CLASSES.map((lossClass) => {
    const count = rec.counts[lossClass] ?? 0;
    // a report from before a class existed has no allowance for it: its table default
    const limit = lossClass in allowed ? (allowed[lossClass] ?? null) : DEFAULT_ALLOWED[lossClass];
    return {
      lossClass,
      count,
      allowed: limit,
      ok: limit === null || count <= limit,
      check: CLASS_CHECK_NAMES[lossClass],
      where: whereOf(rec, lossClass),
      stories: rec.examples[lossClass] ?? [],
    };
  });
}

function whereOf(rec: Reconciliation, lossClass: LossClass): string {
  return lossWhere(rec, lossClass)
    .map((w) => `${w.where} ${w.count}`)
    .join(", ");
}

/** `failed 0  unanswered 0  cut-short 31 ...`: one line of counts. */
export function describeCounts(rows: LossRow[], sep = "  "): string {
  return rows.map((r) => `${r.lossClass} ${r.count}`).join(sep);
}

/** What the request came to, from the client's side: `due 0.908 s, answer 200 from node-2 at 6.899 s (5.991 s later)`. */
export function storyOutcome(story: Story): string {
  const client = story.events.filter((e) => e.source === "client");
  const [due, last] = [client[0], client.at(-1)];
  if (!due || !last) return "no client record";
  return `due ${seconds(due.t_ms)}, ${last.event} at ${seconds(last.t_ms)} (${seconds(last.t_ms - due.t_ms)} later)`;
}

/** A story as aligned plain-text lines (t, source, event), for the terminal and JUnit; at most `max` events. */
export function storyLines(story: Story, max = Number.POSITIVE_INFINITY): string[] {
  const shown = story.events.slice(0, max);
  const t = shown.map((e) => seconds(e.t_ms));
  const tw = Math.max(0, ...t.map((s) => s.length));
  const sw = Math.max(0, ...shown.map((e) => e.source.length));
  const lines = shown.map((e, i) => `${t[i]!.padStart(tw)}  ${e.source.padEnd(sw)}  ${e.event}`);
  if (story.events.length > shown.length) lines.push(`... ${story.events.length - shown.length} more events in report.json`);
  return lines;
}

/** One line on what was reconciled: the evidence the loss classes stand on. */
export function describeRecords(rec: Reconciliation): string {
  const x = rec.records;
  return (
    `reconciled ${x.client_rows} client rows with ${x.nginx_rows} nginx log rows and ${x.app_events} app ledger events by request id; ` +
    `${x.unreadable_lines} unreadable lines, ${x.answered_but_not_in_nginx_log} answered requests missing from nginx's log`
  );
}

/** An allowance as the tables show it. */
export function allowedText(allowed: number | null): string {
  return allowed === null ? "any" : String(allowed);
}

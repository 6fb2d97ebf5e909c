import type { Story } from "../records/figure-types.ts";
import type { Report } from "../records/report.ts";
import type { ChartData } from "./chart-data.ts";
import { drainsOf, seconds } from "./describe.ts";
import { escapeHtml as e } from "./html-escape.ts";
import { table } from "./html-sections.ts";
import { allowedText, describeRecords, type LossRow, lossRows, reconciliationOf, storyOutcome } from "./loss-classes.ts";

const NO_RECONCILIATION = `<p class="note none">This report was written before drainlab reconciled the client, nginx and app records: no loss classes.</p>`;

/** Counts per loss class against the scenario's allowed counts, and the same per node. */
export function lossClassesSection(report: Report): string {
  const rec = reconciliationOf(report);
  if (!rec) return `<section id="loss"><h2>Loss classes</h2>${NO_RECONCILIATION}</section>`;
  const rows = lossRows(report);
  const cells = rows.map((r) => [
    r.lossClass,
    String(r.count),
    allowedText(r.allowed),
    r.ok ? "PASS" : "FAIL",
    r.check,
    r.where || "-",
    r.stories[0]?.id ?? "-",
  ]);
  const attrs = (i: number) => {
    const r = rows[i]!;
    return ` class="${r.ok ? "ok" : "fail"}${r.count > 0 ? " seen" : ""}" data-class="${e(r.lossClass)}" data-count="${r.count}"`;
  };
  const drained = new Set(drainsOf(report).map((d) => d.target));
  const nodes = Object.entries(rec.by_node).sort(([a], [b]) => a.localeCompare(b));
  const nodeCells = nodes.map(([node, c]) => [
    drained.has(node) ? `${node} (drained)` : node,
    String(c.answered),
    String(c.app_started),
    String(c.app_finished),
    String(c.cut_short),
    String(c.misrouted),
    String(c.retried_away),
  ]);
  const nodeAttrs = (i: number) => ` data-node="${e(nodes[i]![0])}"`;
  return (
    `<section id="loss"><h2>Loss classes</h2>` +
    `<p class="note">The client ledger, nginx's access log and every node's app ledger, matched by request id. One request can be in several classes.</p>\n` +
    `${table("loss-classes", ["class", "requests", "allowed", "result", "check", "where", "first example"], cells, attrs)}\n` +
    `<h3>By node</h3>\n` +
    `${table("by-node", ["node", "answered (client)", "app started", "app finished", "cut short", "misrouted", "retried away by nginx"], nodeCells, nodeAttrs)}\n` +
    `<p class="note" id="records">${e(describeRecords(rec))}</p></section>`
  );
}

/** Up to five requests per loss class, each told in time order from the client, nginx and the app. */
export function storiesSection(report: Report): string {
  const rec = reconciliationOf(report);
  if (!rec) return `<section id="stories"><h2>Example requests</h2>${NO_RECONCILIATION}</section>`;
  const told = lossRows(report).filter((r) => r.stories.length > 0);
  if (told.length === 0) {
    return `<section id="stories"><h2>Example requests</h2><p class="note none">No request fell into a loss class: no stories to tell.</p></section>`;
  }
  // the first story of the first failing class (else of the first class) opens by itself
  const opened = (told.find((r) => !r.ok) ?? told[0]!).lossClass;
  const groups = told.map((r) => storyGroup(r, r.lossClass === opened));
  return (
    `<section id="stories"><h2>Example requests</h2>` +
    `<p class="note">Up to five requests per loss class, each from all three sides in time order (seconds since the load started).</p>\n${groups.join("\n")}</section>`
  );
}

function storyGroup(row: LossRow, openFirst: boolean): string {
  const stories = row.stories.map((s, i) => storyDetails(row, s, i, openFirst && i === 0));
  const shown = `${row.stories.length} of ${row.count} shown`;
  return (
    `<div class="story-group" data-class="${e(row.lossClass)}"><h3>${e(row.lossClass)} <span class="note">${e(shown)}${row.ok ? "" : " &middot; check failed"}</span></h3>\n` +
    `${stories.join("\n")}</div>`
  );
}

function storyDetails(row: LossRow, story: Story, i: number, open: boolean): string {
  const cells = story.events.map((ev) => [seconds(ev.t_ms), ev.source, ev.event]);
  const attrs = (k: number) => ` class="src-${e(story.events[k]!.source.split(" ")[0])}"`;
  return (
    `<details class="story" data-class="${e(row.lossClass)}" data-request-id="${e(story.id)}"${open ? " open" : ""}>` +
    `<summary><span class="rid">${e(story.id)}</span> &middot; ${e(story.classes.join(", "))} &middot; ${e(storyOutcome(story))}</summary>\n` +
    `${table(`story-${row.lossClass}-${i}`, ["t", "source", "event"], cells, attrs)}</details>`
  );
}

/** What the marks on the latency chart mean: one entry per loss class drawn, and the failure triangles. */
export function lossMarksLegend(data: ChartData, reconciled: boolean): string {
  const swatch = (shape: string, color: string) =>
    `<canvas class="mark-swatch" width="14" height="14" data-shape="${e(shape)}" data-color="${e(color)}"></canvas>`;
  const items = data.loss_marks.map((m) => {
    const capped =
      m.count > m.t_s.length
        ? m.t_s.length
          ? ` (first ${m.t_s.length} marked)`
          : " (none marked: the reconciliation caps its marks)"
        : "";
    return `<li data-class="${e(m.class)}" data-marks="${m.t_s.length}">${swatch(m.shape, m.color)}${e(m.class)}: ${m.count} requests${e(capped)}</li>`;
  });
  const failure = `<li data-class="failure-bucket">${swatch("triangle-up", data.colors.failed)}bottom edge: a ${data.bucket_ms} ms bucket with failed or unanswered requests</li>`;
  const none =
    data.loss_marks.length > 0
      ? ""
      : `<li class="none">${reconciled ? "no request in any loss class" : "no loss classes in this report"}</li>`;
  return `<ul id="loss-marks" class="marks">${none}${items.join("")}${failure}</ul>`;
}

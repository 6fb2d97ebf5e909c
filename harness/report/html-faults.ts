import type { Report } from "../records/report.ts";
import { describeImpact, describeMeasurements, factsOf, faultSpan, faultsOf, holdsText, keyMeasurement, lintOf } from "./findings.ts";
import { escapeHtml as e } from "./html-escape.ts";
import { table } from "./html-sections.ts";

/** One row per fault: what it hit, when, its key measurement, what the window lost, and every other figure. */
export function faultsSection(report: Report): string {
  const faults = faultsOf(report);
  if (faults.length === 0) return `<section><h2>Faults</h2><p class="note" id="faults">no faults in this scenario</p></section>`;
  const rows = faults.map((f) => [
    f.kind,
    f.target ?? "-",
    faultSpan(f),
    keyMeasurement(f),
    describeImpact(f) || "-",
    describeMeasurements(f),
  ]);
  const attrs = (i: number) => ` data-fault="${e(faults[i]!.kind)}"${faults[i]!.error ? ' class="fail"' : ""}`;
  return (
    `<section><h2>Faults</h2><p class="note">Times in seconds since the load started; each interval is shaded on the charts above. Impact: the requests due inside the interval.</p>\n` +
    `${table("faults", ["fault", "target", "interval", "key measurement", "impact", "measurements"], rows, attrs)}</section>`
  );
}

/** Claims about the software under test, as this run found them. */
export function factsSection(report: Report): string {
  const facts = factsOf(report);
  if (facts.length === 0) return `<section><h2>Facts checked</h2><p class="note" id="facts">no claims checked by this run</p></section>`;
  const rows = facts.map((f) => [
    f.claim,
    `${f.holds === null ? "?" : f.holds ? "yes" : "no"} (${holdsText(f)})`,
    f.observed,
    f.evidence.join("\n"),
    f.source,
  ]);
  const attrs = (i: number) => {
    const h = facts[i]!.holds;
    return ` class="${h === null ? "unknown" : h ? "holds" : "fails"}" data-holds="${String(h)}"`;
  };
  return `<section><h2>Facts checked</h2>\n${table("facts", ["claim", "holds", "observed", "evidence", "source"], rows, attrs)}</section>`;
}

/** drainlab lint's findings on the timeout chain, found before any container started. */
export function lintSection(report: Report): string {
  const lint = lintOf(report);
  if (lint === null)
    return `<section><h2>Lint</h2><p class="note" id="lint">This report predates drainlab lint: no findings recorded.</p></section>`;
  if (lint.length === 0)
    return `<section><h2>Lint</h2><p class="note" id="lint">drainlab lint found nothing in the timeout chain.</p></section>`;
  const rows = lint.map((f) => [f.severity, f.code, f.message, f.fields.join(", ")]);
  const attrs = (i: number) => ` class="${lint[i]!.severity}" data-code="${e(lint[i]!.code)}"`;
  return `<section><h2>Lint</h2>\n${table("lint", ["severity", "code", "message", "fields"], rows, attrs)}</section>`;
}

import type { Report } from "./report.ts";

/** The compact end-of-run summary: verdict, requests, latency, drain, one line per check. */
export function renderTerminal(report: Report, color = false): string {
  const paint = (code: number, s: string) => (color ? `\x1b[${code}m${s}\x1b[0m` : s);
  const ok = (b: boolean) => (b ? paint(32, "PASS") : paint(31, "FAIL"));
  const { requests: q, latency_ms: l, drain: d, generator: g } = report;
  const lines = [
    `drainlab ${report.scenario.name}  run ${report.run_id}  ${report.wall_time_s} s`,
    `requests  sent ${q.sent}  ok ${q.ok}  failed ${q.failed}  unanswered ${q.unanswered}  client-retried ${q.client_retried ?? 0}`,
    `latency   p50 ${l.p50} ms  p90 ${l.p90} ms  p99 ${l.p99} ms  max ${l.max} ms  (from intended send time)`,
    `generator cpu ${(g.cpuShareOfOneCore * 100).toFixed(0)}% of a core  send lag p99 ${g.sendLagMs.p99} ms  max in flight ${g.maxInFlight}`,
    d
      ? `drain     ${d.target}: ${d.removed ? `removed at gen ${d.removal_generation}, ` : "not removed, "}${d.signal} at ${(d.signal_ms / 1000).toFixed(2)} s, exit ${d.exit_code} after ${d.exit_ms === null ? "?" : ((d.exit_ms - d.signal_ms) / 1000).toFixed(2)} s${d.killed_after_wait ? " (SIGKILLed after the stop wait)" : ""}`
      : "drain     none",
    "",
    ...table(
      ["check", "result", "observed", "expected", "detail"],
      report.checks.map((c) => [c.name, ok(c.ok), String(c.observed), c.expected, c.detail]),
    ),
    "",
    `verdict   ${report.verdict === "pass" ? ok(true) : ok(false)}   expected ${report.expectation.verdict}: ${report.expectation.met ? "met" : paint(31, "NOT met")} (${report.expectation.detail})`,
  ];
  return `${lines.join("\n")}\n`;
}

function table(head: string[], rows: string[][]): string[] {
  // eslint-disable-next-line no-control-regex
  const visible = (s: string) => s.replace(/\x1b\[\d+m/g, "").length;
  const widths = head.map((h, i) => Math.max(visible(h), ...rows.map((r) => Math.min(visible(r[i]!), i === head.length - 1 ? 200 : 40))));
  const line = (cells: string[]) => cells.map((c, i) => (i === cells.length - 1 ? c : c + " ".repeat(Math.max(0, widths[i]! - visible(c))))).join("  ");
  return [line(head), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { Builder, TestCase, TestSuite } from "junit-report-builder";
import { statusOf } from "../records/records.ts";
import type { Report } from "../records/report.ts";
import { factsOf, holdsText } from "./findings.ts";
import { lossClassOfCheck, lossRows, storyLines } from "./loss-classes.ts";
import type { Reporter } from "./reporter.ts";
import { closeCodesText, sessionSummaries } from "./sessions-view.ts";

export const JUNIT_FILE = "junit.xml";

// CommonJS whose typings declare an ESM default export it does not have; require() gets the real object
export const junit = createRequire(import.meta.url)("junit-report-builder") as Builder;

/** One check as one testcase; a failed check is a <failure> carrying observed, expected and detail. */
export function checkTestCase(suite: TestSuite, classname: string, check: Report["checks"][number]): TestCase {
  const tc = suite
    .testCase()
    .className(classname)
    .name(check.name)
    .property("observed", String(check.observed))
    .property("expected", check.expected)
    .property("detail", check.detail);
  const status = statusOf(check);
  // no-evidence is a failure of its own type: a check that could not be judged never passes
  if (status === "fail") tc.failure(`observed ${check.observed}, expected ${check.expected}: ${check.detail}`, "check-failed");
  else if (status === "no-evidence") tc.failure(`no evidence: ${check.detail}`, "no-evidence");
  else if (status === "skipped") tc.skipped();
  return tc;
}

/**
 * junit.xml: one testsuite per scenario (loss-class counts as `loss.<class>`
 * properties, each checked fact as `fact.<n>.*` properties, each long-lived kind as `sessions.<kind>.*`), one testcase per check; a failed check is a <failure> whose
 * message and body carry observed, expected and detail, and for a loss class
 * the first example request's story.
 */
export function renderJunit(report: Report): string {
  // newBuilder(): the package's default export is a shared singleton, and renders must not accumulate
  const builder = junit.newBuilder().name("drainlab");
  const suite = builder
    .testSuite()
    .name(report.scenario.name)
    // JUnit timestamps carry no zone; this one is UTC, the same instant as started_at
    .timestamp(report.started_at.slice(0, 19))
    .time(report.wall_time_s)
    .property("run_id", report.run_id)
    .property("drainlab_version", report.drainlab_version)
    .property("verdict", report.verdict)
    .property("expected_verdict", report.expectation.verdict)
    .property("expectation_met", String(report.expectation.met))
    .property("expectation_detail", report.expectation.detail);
  if (report.scenario.file) suite.property("scenario_file", report.scenario.file);
  const skipped = report.checks.filter((c) => c.skipped_by === "scenario").map((c) => c.name);
  if (skipped.length > 0) suite.property("skipped_by_scenario", skipped.join(", "));
  if (report.attach?.client_only)
    suite.property("client_only", report.checks.some((c) => c.skipped_by === "client-only") ? "accepted" : "not accepted");
  // a run that could not finish is one <error>, whatever its checks say
  if (report.verdict === "error")
    suite
      .testCase()
      .className(`drainlab.${report.scenario.name}`)
      .name("run-completed")
      .error(report.error ?? "the run did not finish", "run-error");
  const loss = lossRows(report);
  for (const r of loss) suite.property(`loss.${r.lossClass}`, String(r.count));
  factsOf(report).forEach((f, i) => {
    const key = `fact.${i + 1}`;
    suite
      .property(`${key}.claim`, f.claim)
      .property(`${key}.holds`, f.holds === null ? "unknown" : String(f.holds))
      .property(`${key}.result`, holdsText(f))
      .property(`${key}.observed`, f.observed)
      .property(`${key}.source`, f.source);
    f.evidence.forEach((line, k) => suite.property(`${key}.evidence.${k + 1}`, line));
  });

  // the long-lived sessions (streams, SSE, WebSockets), one group of properties per kind, as in the other views
  for (const sum of sessionSummaries(report)) {
    const key = `sessions.${sum.kind}`;
    suite
      .property(`${key}.count`, String(sum.sessions))
      .property(`${key}.complete`, String(sum.complete))
      .property(`${key}.reconnects`, String(sum.reconnects))
      .property(`${key}.lost`, String(sum.lost))
      .property(`${key}.duplicates`, String(sum.duplicates))
      .property(`${key}.close_codes`, closeCodesText(sum) || "-")
      .property(`${key}.first_byte_ms`, sum.first_byte_p50_ms === null ? "-" : `p50 ${sum.first_byte_p50_ms}, max ${sum.first_byte_max_ms}`)
      .property(
        `${key}.unit_delay_ms`,
        sum.unit_delay_p99_ms === null ? "-" : `p99 ${sum.unit_delay_p99_ms}, max ${sum.unit_delay_max_ms}`,
      );
  }

  const classname = `drainlab.${report.scenario.name}`;
  for (const check of report.checks) {
    const tc = checkTestCase(suite, classname, check);
    if (report.expectation.failing_checks.includes(check.name)) tc.property("expected_to_fail", "true");
    const lossClass = lossClassOfCheck(check.name);
    if (lossClass) tc.property("loss_class", lossClass);
    if (!check.ok) {
      const story = loss.find((r) => r.lossClass === lossClass)?.stories[0];
      const example = story
        ? `\n\nexample request ${story.id} (${story.classes.join(", ")}), seconds since the load started:\n${storyLines(story)
            .map((l) => `  ${l}`)
            .join("\n")}`
        : "";
      tc.stacktrace(`observed: ${check.observed}\nexpected: ${check.expected}\ndetail: ${check.detail}${example}`);
    }
  }
  return `${builder.build()}\n`;
}

export function junitReporter(): Reporter {
  return {
    name: "junit",
    onEnd(report, runDir) {
      const path = join(runDir, JUNIT_FILE);
      writeFileSync(path, renderJunit(report));
      return [path];
    },
  };
}

import { z } from "zod";
import { UsageError } from "../util/errors.ts";
import { readRegular } from "../util/safe-file.ts";
import { CHECK_STATUSES, statusOf } from "./records.ts";
import { REPORT_SCHEMA_VERSION, type Report } from "./report.ts";

/** report.json files larger than this are not a run's report (a run of a million requests writes a few MB). */
const MAX_REPORT_BYTES = 256 * 1024 * 1024;

const Percentiles = z.looseObject({ count: z.number(), p50: z.number(), p90: z.number(), p99: z.number(), max: z.number() });
const Check = z.looseObject({
  name: z.string(),
  ok: z.boolean(),
  status: z.enum(CHECK_STATUSES).optional(),
  observed: z.union([z.string(), z.number()]),
  expected: z.string(),
  detail: z.string(),
});

/** What every view reads: a report.json that lacks any of it is refused, naming the field. */
const ReportCore = z.looseObject({
  schema_version: z.number().int().min(1).max(REPORT_SCHEMA_VERSION),
  run_id: z.string(),
  verdict: z.enum(["pass", "fail", "error"]),
  expectation: z.looseObject({
    verdict: z.enum(["pass", "fail"]),
    failing_checks: z.array(z.string()),
    met: z.boolean(),
    detail: z.string(),
  }),
  scenario: z.looseObject({ name: z.string(), description: z.string() }),
  parameters: z.looseObject({ name: z.string(), load: z.looseObject({}), stack: z.looseObject({}), checks: z.looseObject({}) }),
  requests: z.looseObject({ sent: z.number(), ok: z.number(), failed: z.number(), unanswered: z.number() }),
  latency_ms: Percentiles,
  timeline: z.array(z.looseObject({ t_ms: z.number(), event: z.string() })),
  checks: z.array(Check),
  generator: z.looseObject({ sendLagMs: z.looseObject({ p99: z.number() }), cpuShareOfOneCore: z.number() }),
  stack: z.looseObject({ nodes: z.array(z.looseObject({ name: z.string(), address: z.string() })) }),
  drains: z.array(z.looseObject({ target: z.string() })).optional(),
  files: z.record(z.string(), z.string()).optional(),
});

/** Version 1 to the current one: checks gain their status (from ok). Later versions add fields, never break these. */
export function upgradeReport(report: Report): Report {
  if (report.schema_version >= REPORT_SCHEMA_VERSION) return report;
  return { ...report, schema_version: REPORT_SCHEMA_VERSION, checks: report.checks.map((c) => ({ ...c, status: statusOf(c) })) };
}

/** Validates a parsed report.json and upgrades it; `source` names it in the error (exit 2). */
export function parseReport(value: unknown, source: string): Report {
  const parsed = ReportCore.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = issue.path.length ? issue.path.map(String).join(".") : "(top level)";
    throw new UsageError(`${source}: not a drainlab report.json: field ${field}: ${issue.message}`);
  }
  return upgradeReport(parsed.data as unknown as Report);
}

/** Reads, validates and upgrades a report.json; any problem is a usage error naming the file (or `flag file`) and field. */
export function readReport(file: string, flag?: string): Report {
  const name = flag ? `${flag} ${file}` : file;
  // opened non-blocking and fstat'ed: a FIFO, /dev/zero or a folder is refused at once, never read
  const text = readRegular(file, flag ?? "report.json", MAX_REPORT_BYTES).toString("utf8");
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${name}: not JSON (${(e as Error).message})`);
  }
  return parseReport(value, name);
}

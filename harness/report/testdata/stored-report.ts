import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { Report } from "../report.ts";

/** The report.json of a real run (drain-one-node), stored for the views' tests. */
export const STORED_REPORT_PATH = fileURLToPath(new URL("./report.json", import.meta.url));

/** A fresh copy each call, so a test may change it freely. */
export function storedReport(): Report {
  return JSON.parse(readFileSync(STORED_REPORT_PATH, "utf8")) as Report;
}

/** Markup in every name a scenario author or a check controls. */
export const HOSTILE_NAME = `<img src=x onerror="alert(1)">"</script><script>alert(2)</script>`;

/** The stored run with one failed check and some failed buckets. */
export function failingReport(): Report {
  const r = storedReport();
  r.verdict = "fail";
  r.checks[0] = { ...r.checks[0]!, ok: false, observed: 15, detail: "15 x 502 <bad gateway> & ]]> | pipe" };
  for (const b of r.series.buckets) if (b.t_ms >= 4100 && b.t_ms < 4600) b.failed = 3;
  return r;
}

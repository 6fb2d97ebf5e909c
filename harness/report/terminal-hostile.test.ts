import { describe, expect, it } from "vitest";
import type { Report } from "../records/report.ts";
import { renderTerminal } from "./terminal.ts";
import { faultReport, lossReport, storedReport } from "./testdata/stored-report.ts";

const FORGED = "a\nverdict   PASS   expected pass: met (forged)";
const ESC = "\x1b[2J\x1b[31mred\x1b]0;title\x07\r\u009b31m\u202e";

/** Every string the terminal summary shows from a report, made hostile. */
function hostile(report: Report): Report {
  const r = structuredClone(report);
  r.scenario.name = FORGED;
  r.scenario.description = ESC;
  r.run_id = `run${ESC}`;
  for (const c of r.checks) {
    c.name = `${c.name}${ESC}`;
    c.detail = `${c.detail}\n${FORGED}`;
    c.expected = `${c.expected}${ESC}`;
    c.observed = `${c.observed}${ESC}`;
  }
  r.expectation.detail = `${r.expectation.detail}${ESC}`;
  (r as { error?: string }).error = FORGED;
  return r;
}

/** What is left of the output once paint's own colours (ESC [ n m) are taken out. */
const withoutPaint = (s: string) => s.replace(/\x1b\[\d+m/g, "");

describe("renderTerminal on a hostile report", () => {
  for (const [name, make] of [
    ["stored", storedReport],
    ["loss", lossReport],
    ["fault", faultReport],
  ] as const) {
    for (const color of [false, true]) {
      it(`${name} report, color ${color}: shows control characters escaped and cannot forge a verdict line`, () => {
        const out = renderTerminal(hostile(make()), color);
        // the only escape sequences are paint's colours, and no other control character but the line breaks
        expect(withoutPaint(out)).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e]/);
        expect(out.split("\n").filter((l) => withoutPaint(l).startsWith("verdict"))).toHaveLength(1);
        expect(out).toContain("drainlab a\\nverdict   PASS");
        expect(out).toContain("\\x1b[2J\\x1b[31mred\\x1b]0;title\\x07\\r\\x9b31m\\u202e");
      });
    }
  }

  it("leaves the report it was given as it was", () => {
    const r = hostile(storedReport());
    renderTerminal(r, true);
    expect(r.scenario.name).toBe(FORGED);
  });

  it("still colours the verdict when asked", () => {
    expect(renderTerminal(storedReport(), true)).toMatch(/verdict {3}\x1b\[32mPASS\x1b\[0m/);
  });
});

import { describe, expect, it } from "vitest";
import { repeatReportOf, repeatRunOf } from "../records/repeat-report.ts";
import { renderRepeatHtml, renderRepeatMarkdown, renderRepeatTerminal } from "./repeat-view.ts";
import { HOSTILE_NAME, lossReport, storedReport } from "./testdata/stored-report.ts";

const meta = (expected: "pass" | "fail", asked: number) => ({
  repeat_id: "repeat-x",
  scenario: { name: "drain-one-node", file: null },
  expected,
  asked,
  wall_time_s: 40,
});

describe("a repeat's verdict and views", () => {
  it("20 clean runs: the gate passes with the 95% upper bound, never 0%", () => {
    const runs = Array.from({ length: 20 }, (_, i) => repeatRunOf(storedReport(), `run-${i}`));
    const r = repeatReportOf(meta("pass", 20), runs);
    expect(r.gate).toBe("pass");
    expect(r.statement).toBe("passed 20 of 20: a loss occurs in fewer than 14% of drains (95% upper bound)");
    expect(r.upper_bound).toBeCloseTo(0.139, 3);
  });

  it("one failing run fails the gate and shows its losses beside the others", () => {
    const runs = [repeatRunOf(storedReport(), "a"), repeatRunOf(lossReport(), "b"), repeatRunOf(storedReport(), "c")];
    const r = repeatReportOf(meta("pass", 3), runs);
    expect(r.gate).toBe("fail");
    expect(r.statement).toMatch(/^failed 1 of 3: a loss occurs in 33% of these drains/);
    const md = renderRepeatMarkdown(r);
    expect(md).toContain("❌ **FAIL**");
    expect(md).toMatch(/\| 2 \| .+ \| fail \|/);
    expect(renderRepeatTerminal(r)).toContain("gate      FAIL");
    expect(renderRepeatHtml(r)).toContain('href="b/report.html"');
  });

  it("shows what each run's drained node held at its signal, '-' when unknown", () => {
    const held = storedReport();
    held.in_flight_at_signal = [{ node: "node-1", requests: 17, sessions: 1, tasks: 0 }];
    const unknown = storedReport();
    delete unknown.in_flight_at_signal;
    const r = repeatReportOf(meta("pass", 2), [repeatRunOf(held, "a"), repeatRunOf(unknown, "b")]);
    expect(r.runs.map((x) => x.in_flight_at_signal)).toEqual([18, null]);
    expect(renderRepeatTerminal(r)).toContain(" 18 in flight at signal  every check passed");
    expect(renderRepeatMarkdown(r)).toContain("in flight at signal");
  });

  it("a run whose generator fell behind fails the gate but is not counted as a loss", () => {
    const starved = storedReport();
    starved.verdict = "fail";
    starved.checks = [
      ...starved.checks,
      {
        name: "generator-kept-up",
        status: "fail",
        ok: false,
        detail: "requests were written up to 141.8 ms late (p99)",
        observed: "lag p99 141.8 ms",
        expected: "lag p99 < 50 ms",
      },
    ];
    const runs = [...Array.from({ length: 19 }, (_, i) => repeatRunOf(storedReport(), `run-${i}`)), repeatRunOf(starved, "starved")];
    const r = repeatReportOf(meta("pass", 20), runs);
    expect(r.gate).toBe("fail");
    expect(r.untrusted).toBe(1);
    expect(r.statement).toBe(
      "1 of 20 run(s) could not judge the drain (generator-kept-up or no evidence: not trustworthy, so the gate fails); of the 19 judged, passed 19 of 19: a loss occurs in fewer than 15% of drains (95% upper bound)",
    );
    // a run that lost requests AND fell behind is a loss, not an untrusted run
    const both = lossReport();
    both.checks = [
      ...both.checks,
      { name: "generator-kept-up", status: "fail", ok: false, detail: "late", observed: "late", expected: "on time" },
    ];
    expect(repeatRunOf(both, "x").untrusted).toBe(false);
  });

  it("an interrupted repeat never passes its gate", () => {
    const r = repeatReportOf(meta("pass", 5), [repeatRunOf(storedReport(), "a")]);
    expect(r.gate).toBe("fail");
    expect(r.statement).toContain("(4 of 5 runs did not finish)");
  });

  it("a control counts the runs that met its expectation", () => {
    const failing = lossReport();
    failing.expectation = { ...failing.expectation, verdict: "fail", met: true };
    const r = repeatReportOf(meta("fail", 2), [repeatRunOf(failing, "a"), repeatRunOf(failing, "b")]);
    expect(r.gate).toBe("pass");
    expect(r.statement).toMatch(/^met its expectation 2 of 2/);
  });

  it("no markup from a scenario name reaches the page", () => {
    const r = repeatReportOf({ ...meta("pass", 1), scenario: { name: HOSTILE_NAME, file: null } }, [repeatRunOf(storedReport(), "a")]);
    expect(renderRepeatHtml(r)).not.toContain("<script>alert");
    expect(renderRepeatHtml(r)).not.toContain("<img");
  });
});

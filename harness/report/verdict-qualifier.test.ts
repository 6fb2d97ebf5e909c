import { describe, expect, it } from "vitest";
import { renderHtml } from "./html.ts";
import { renderJunit } from "./junit.ts";
import { renderMarkdown } from "./markdown.ts";
import { renderTerminal } from "./terminal.ts";
import { storedReport } from "./testdata/stored-report.ts";

describe("a check the scenario skipped is said beside the verdict in every view", () => {
  const report = storedReport();
  const c = report.checks.find((x) => x.name === "traffic-continued")!;
  Object.assign(c, {
    status: "skipped",
    ok: true,
    skipped_by: "scenario",
    detail: "the scenario puts it out of scope (checks.skip): noisy",
  });
  const said = "1 check skipped by the scenario: traffic-continued";

  it("terminal, summary.md, report.html and JUnit", () => {
    expect(renderTerminal(report)).toMatch(new RegExp(`verdict   PASS \\(${said}\\)`));
    expect(renderMarkdown(report).split("\n")[0]).toContain(`PASS (${said})`);
    expect(renderHtml(report)).toContain(`id="verdict-qualifier">${said}</p>`);
    expect(renderJunit(report)).toContain('name="skipped_by_scenario" value="traffic-continued"');
  });

  it("a run with nothing skipped says only PASS", () => {
    expect(renderTerminal(storedReport())).toMatch(/verdict {3}PASS {3}expected/);
  });
});

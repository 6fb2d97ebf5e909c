import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderJunit } from "./junit.ts";
import { failingReport, HOSTILE_NAME, storedReport } from "./testdata/stored-report.ts";

type Node = Record<string, unknown>;
const asArray = <T>(v: T | T[] | undefined): T[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);

function parse(xml: string): { suites: Node; suite: Node; cases: Node[] } {
  expect(XMLValidator.validate(xml)).toBe(true);
  const doc = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: "@", cdataPropName: "#cdata" }).parse(xml) as Node;
  const suites = doc.testsuites as Node;
  const suite = asArray(suites.testsuite as Node | Node[]);
  expect(suite).toHaveLength(1);
  return { suites, suite: suite[0]!, cases: asArray(suite[0]!.testcase as Node | Node[]) };
}

function properties(node: Node): Record<string, string> {
  const props = asArray((node.properties as Node | undefined)?.property as Node | Node[]);
  return Object.fromEntries(props.map((p) => [String(p["@name"]), String(p["@value"])]));
}

describe("renderJunit", () => {
  it("is one testsuite for the scenario with one passing testcase per check", () => {
    const report = storedReport();
    const { suites, suite, cases } = parse(renderJunit(report));
    expect(suites["@tests"]).toBe(String(report.checks.length));
    expect(suites["@failures"]).toBe("0");
    expect(suite["@name"]).toBe("drain-one-node");
    expect(suite["@timestamp"]).toBe("2026-11-25T03:00:03");
    expect(cases).toHaveLength(report.checks.length);
    expect(cases.map((c) => c["@name"])).toEqual(report.checks.map((c) => c.name));
    expect(cases.every((c) => c.failure === undefined)).toBe(true);
    expect(properties(suite)).toMatchObject({ run_id: report.run_id, verdict: "pass", expectation_met: "true" });
    expect(properties(cases[2]!)).toEqual({ observed: "exit 0", expected: "exit 0 within 7 s", detail: report.checks[2]!.detail });
  });

  it("gives a failed check a <failure> carrying observed, expected and detail", () => {
    const report = failingReport();
    const { suites, cases } = parse(renderJunit(report));
    expect(suites["@failures"]).toBe("1");
    const failure = cases[0]!.failure as Node;
    expect(failure["@type"]).toBe("check-failed");
    expect(failure["@message"]).toBe(`observed 15, expected 0: ${report.checks[0]!.detail}`);
    const body = asArray(failure["#cdata"] as string | string[]).join("");
    expect(body).toBe(`observed: 15\nexpected: 0\ndetail: ${report.checks[0]!.detail}`);
    expect(cases.slice(1).every((c) => c.failure === undefined)).toBe(true);
  });

  it("escapes a hostile scenario name and marks checks the scenario expects to fail", () => {
    const report = failingReport();
    report.scenario.name = HOSTILE_NAME;
    report.expectation.failing_checks = ["no-failed-requests"];
    const { suite, cases } = parse(renderJunit(report));
    expect(suite["@name"]).toBe(HOSTILE_NAME);
    expect(properties(cases[0]!).expected_to_fail).toBe("true");
  });

  it("starts fresh on every render (the package's default builder is a singleton)", () => {
    renderJunit(storedReport());
    expect(parse(renderJunit(storedReport())).cases).toHaveLength(4);
  });
});

import { XMLParser, XMLValidator } from "fast-xml-parser";
import { describe, expect, it } from "vitest";
import { renderJunit } from "./junit.ts";
import { failingReport, faultReport, HOSTILE_NAME, legacyReport, lossReport, storedReport } from "./testdata/stored-report.ts";

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
  it("names each long-lived kind's sessions in the suite's properties", () => {
    const report = storedReport();
    const ws = (id: string, codes: number[], lost: number) => ({
      id,
      kind: "websocket" as const,
      mix: 1,
      intended_ms: 100,
      start_ms: 101,
      first_byte_ms: 105,
      end_ms: 900,
      nodes: [],
      connections: codes.length,
      reconnects: codes.length - 1,
      status: 0,
      error: null,
      complete: lost === 0,
      units: 5 - lost,
      expected_units: 5,
      gaps: [],
      close_codes: codes,
      lost_messages: lost,
    });
    // a user's opaque-id feed whose resume replayed 3 events: counted, not dropped
    const feed = { ...ws("r-s3", [], 0), kind: "sse" as const, expected_units: 0, duplicate_units: 3 };
    report.sessions = [ws("r-s1", [1012, 1000], 0), ws("r-s2", [1006], 2), feed];
    expect(properties(parse(renderJunit(report)).suite)).toMatchObject({
      "sessions.sse.duplicates": "3",
      "sessions.websocket.duplicates": "0",
      "sessions.websocket.count": "2",
      "sessions.websocket.complete": "1",
      "sessions.websocket.reconnects": "1",
      "sessions.websocket.lost": "2",
      "sessions.websocket.close_codes": "1000 x1, 1006 x1, 1012 x1",
      "sessions.websocket.first_byte_ms": "p50 5, max 5",
    });
  });

  it("is one testsuite for the scenario with one passing testcase per check", () => {
    const report = storedReport();
    const { suites, suite, cases } = parse(renderJunit(report));
    expect(suites["@tests"]).toBe(String(report.checks.length));
    expect(suites["@failures"]).toBe("0");
    expect(suite["@name"]).toBe("drain-one-node");
    expect(suite["@timestamp"]).toBe("2026-11-25T03:14:21");
    expect(cases).toHaveLength(report.checks.length);
    expect(cases.map((c) => c["@name"])).toEqual(report.checks.map((c) => c.name));
    expect(cases.every((c) => c.failure === undefined)).toBe(true);
    expect(properties(suite)).toMatchObject({ run_id: report.run_id, verdict: "pass", expectation_met: "true" });
    const exited = report.checks.findIndex((c) => c.name === "drained-node-exited-cleanly");
    expect(properties(cases[exited]!)).toEqual({
      observed: "exit 0",
      expected: "exit 0 within 7 s",
      detail: report.checks[exited]!.detail,
    });
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

  it("carries the loss-class counts as suite properties, and each class check's class", () => {
    const { suite, cases } = parse(renderJunit(lossReport()));
    expect(properties(suite)).toMatchObject({
      "loss.failed": "0",
      "loss.unanswered": "0",
      "loss.cut-short": "31",
      "loss.retried-by-nginx": "31",
      "loss.executed-twice": "0",
      "loss.misrouted": "0",
      "loss.slow-during-drain": "9",
    });
    const byName = new Map(cases.map((c) => [String(c["@name"]), c]));
    expect(properties(byName.get("no-cut-short-requests")!).loss_class).toBe("cut-short");
    expect(properties(byName.get("traffic-continued")!).loss_class).toBeUndefined();
  });

  it("tells a failing class check's first example request in the failure body", () => {
    const report = lossReport();
    const { suites, cases } = parse(renderJunit(report));
    expect(suites["@failures"]).toBe("4");
    const body = (name: string) => {
      const failure = cases.find((c) => c["@name"] === name)!.failure as Node;
      return asArray(failure["#cdata"] as string | string[]).join("");
    };
    const check = report.checks.find((c) => c.name === "no-cut-short-requests")!;
    expect(body("no-cut-short-requests")).toBe(
      [
        `observed: 31\nexpected: 0\ndetail: ${check.detail}`,
        "",
        "example request 20261125-031048-90eebe-36 (cut-short, retried-by-nginx), seconds since the load started:",
        "  0.908 s  client            due: GET (3000 ms of work)",
        "  0.909 s  client            sent",
        "  0.909 s  nginx             received (config generation 1)",
        "  0.911 s  app node-1 pid 8  start",
        "  3.885 s  app node-2 pid 8  start",
        "  6.885 s  app node-2 pid 8  finish 200",
        "  6.885 s  nginx             answered 200; upstream node-1 502 -> node-2 200",
        "  6.899 s  client            answer 200 from node-2",
      ].join("\n"),
    );
    expect(body("no-slow-during-drain")).toContain(
      "example request 20261125-031048-90eebe-80 (cut-short, retried-by-nginx, slow-during-drain)",
    );
    // not a loss class: no story
    expect(body("traffic-continued")).not.toContain("example request");
  });

  it("renders a report from before the reconciliation without loss properties", () => {
    const { suite, cases } = parse(renderJunit(legacyReport()));
    expect(Object.keys(properties(suite)).filter((k) => k.startsWith("loss."))).toEqual([]);
    expect(cases).toHaveLength(legacyReport().checks.length);
  });

  it("carries each fact checked as suite properties: claim, holds, observed, source, evidence", () => {
    const report = faultReport();
    const fact = report.facts![0]!;
    const props = properties(parse(renderJunit(report)).suite);
    expect(props).toMatchObject({
      "fact.1.claim": "Only gunicorn respawns crashed workers; uvicorn --workers does not",
      "fact.1.holds": "false",
      "fact.1.result": "does not hold",
      "fact.1.observed": fact.observed,
      "fact.1.source": "seed",
    });
    expect(Object.keys(props).filter((k) => k.startsWith("fact.1.evidence."))).toHaveLength(fact.evidence.length);
    expect(props["fact.1.evidence.1"]).toBe(fact.evidence[0]);
    expect(Object.keys(properties(parse(renderJunit(storedReport())).suite)).filter((k) => k.startsWith("fact."))).toEqual([]);
  });

  it("says unknown for a fact the run could not settle, and escapes what a fact carries", () => {
    const report = faultReport();
    report.facts = [{ ...report.facts![0]!, holds: null, claim: HOSTILE_NAME }];
    const props = properties(parse(renderJunit(report)).suite);
    expect(props["fact.1.holds"]).toBe("unknown");
    expect(props["fact.1.claim"]).toBe(HOSTILE_NAME);
  });

  it("starts fresh on every render (the package's default builder is a singleton)", () => {
    renderJunit(storedReport());
    expect(parse(renderJunit(storedReport())).cases).toHaveLength(storedReport().checks.length);
  });
});

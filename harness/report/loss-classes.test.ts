import { describe, expect, it } from "vitest";
import { figuresOf } from "../figures/figures.ts";
import type { Reconciliation } from "../records/figure-types.ts";
import { type Records, settle } from "../records/records.ts";
import { DEFAULT_ALLOWED, LOSS_CLASSES } from "../scenario/loss-classes.ts";
import { drain, request } from "../verdict/testdata/records.ts";
import { CHECKS } from "../verdict/verdict.ts";
import { CLASS_CHECK_NAMES, describeCounts, lossClassOfCheck, lossRows, storyLines, storyOutcome } from "./loss-classes.ts";
import { legacyReport, lossReport, rollingReport, storedReport } from "./testdata/stored-report.ts";

describe("lossRows", () => {
  it("gives every loss class its count, allowed count, result, where and stories (long-get-short-timeout)", () => {
    const rows = lossRows(lossReport());
    expect(rows.map((r) => r.lossClass)).toEqual([...LOSS_CLASSES]);
    expect(rows.map((r) => [r.lossClass, r.count, r.allowed, r.ok, r.where, r.stories.length])).toEqual([
      ["failed", 0, 0, true, "", 0],
      ["unanswered", 0, 0, true, "", 0],
      ["cut-short", 31, 0, false, "node-1 31", 5],
      ["retried-by-nginx", 31, 0, false, "node-1 31", 5],
      // classes newer than this stored report: no count, their default allowance
      ["rerouted-before-app", 0, null, true, "", 0],
      ["executed-twice", 0, 0, true, "", 0],
      ["finished-but-failed", 0, 0, true, "", 0],
      ["misrouted", 0, 0, true, "", 0],
      ["slow-during-drain", 9, 0, false, "", 5],
    ]);
    expect(describeCounts(rows)).toBe(
      "failed 0  unanswered 0  cut-short 31  retried-by-nginx 31  rerouted-before-app 0  executed-twice 0  finished-but-failed 0  misrouted 0  slow-during-drain 9",
    );
  });

  it("agrees with the class checks of every stored run, and honours an allowed count", () => {
    for (const report of [storedReport(), lossReport(), rollingReport()]) {
      for (const row of lossRows(report)) {
        const check = report.checks.find((c) => c.name === row.check);
        // a class newer than the stored report: nothing counted, nothing judged
        if (!check && row.count === 0) continue;
        expect(check, `${report.scenario.name}: no check ${row.check}`).toBeDefined();
        expect([row.lossClass, check!.ok, check!.observed]).toEqual([row.lossClass, row.ok, row.count]);
      }
    }
    const r = lossReport();
    r.parameters.checks.allowed["slow-during-drain"] = 9;
    expect(lossRows(r).find((x) => x.lossClass === "slow-during-drain")).toMatchObject({ count: 9, allowed: 9, ok: true });
  });

  it("breaks failed requests down by the client's error class", () => {
    const r = storedReport();
    r.reconciliation.counts.failed = 3;
    r.reconciliation.failed_by_error = { "http-5xx": 2, reset: 1 };
    expect(lossRows(r)[0]).toMatchObject({ lossClass: "failed", count: 3, ok: false, where: "http-5xx 2, reset 1" });
  });

  it("is empty for a report written before the reconciliation", () => {
    expect(lossRows(legacyReport())).toEqual([]);
  });
});

describe("CLASS_CHECK_NAMES", () => {
  it("names the check verdict/checks.ts fails for each loss class, and nothing else", () => {
    const report = lossReport();
    const base = report.reconciliation;
    const records: Records = {
      scenario: report.parameters,
      // one request sent after the removal took effect, so a misrouting count of 0 is a pass, not "no evidence"
      rows: [request(17).client],
      timeline: [],
      // a drain that removes its node, which nginx's log names: misrouting is in scope
      drains: [drain],
      loadStartMs: 0,
      loadEndMs: 0,
      server: { nginx: [], app: [], t0EpochMs: 0, nodes: [{ name: "node-1", address: "10.0.0.2:8000" }], unreadable: 0 },
    };
    const figures = figuresOf(records);
    // what fails on these empty records whatever the counts (traffic-continued, with no answers at all)
    const failing = (counts: Reconciliation["counts"]) =>
      CHECKS.map((check) => settle({ ...check.run(records, { ...figures, reconciliation: { ...base, counts } }), name: check.name }))
        .filter((c) => !c.ok)
        .map((c) => c.name);
    const none = failing(Object.fromEntries(LOSS_CLASSES.map((c) => [c, 0])) as Reconciliation["counts"]);
    for (const lossClass of LOSS_CLASSES) {
      const counts = Object.fromEntries(LOSS_CLASSES.map((c) => [c, c === lossClass ? 1 : 0])) as Reconciliation["counts"];
      // a class with no limit by default (rerouted-before-app) fails nothing
      const expected = DEFAULT_ALLOWED[lossClass] === null ? [] : [CLASS_CHECK_NAMES[lossClass]];
      expect(failing(counts).filter((name) => !none.includes(name))).toEqual(expected);
      expect(lossClassOfCheck(CLASS_CHECK_NAMES[lossClass])).toBe(lossClass);
    }
    expect(lossClassOfCheck("traffic-continued")).toBeNull();
  });
});

describe("stories as text", () => {
  const story = lossReport().reconciliation.examples["cut-short"]![0]!;

  it("aligns time, source and event, in the story's time order", () => {
    expect(storyLines(story)).toEqual([
      "0.908 s  client            due: GET (3000 ms of work)",
      "0.909 s  client            sent",
      "0.909 s  nginx             received (config generation 1)",
      "0.911 s  app node-1 pid 8  start",
      "3.885 s  app node-2 pid 8  start",
      "6.885 s  app node-2 pid 8  finish 200",
      "6.885 s  nginx             answered 200; upstream node-1 502 -> node-2 200",
      "6.899 s  client            answer 200 from node-2",
    ]);
  });

  it("says how many events it left out", () => {
    const lines = storyLines(story, 3);
    expect(lines).toHaveLength(4);
    expect(lines[3]).toBe("... 5 more events in report.json");
  });

  it("sums the story up from the client's side", () => {
    expect(storyOutcome(story)).toBe("due 0.908 s, answer 200 from node-2 at 6.899 s (5.991 s later)");
  });
});

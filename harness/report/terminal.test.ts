import { describe, expect, it } from "vitest";
import { generatorCheck } from "../verdict/generator-check.ts";
import { renderTerminal } from "./terminal.ts";
import { faultReport, legacyReport, lossReport, rollingReport, shardedReport, storedReport } from "./testdata/stored-report.ts";

const lines = (text: string) => text.split("\n");

describe("renderTerminal", () => {
  it("puts one line of loss-class counts after the checks table, and no stories when nothing failed", () => {
    const out = lines(renderTerminal(storedReport()));
    const loss = out.findIndex((l) => l.startsWith("loss "));
    expect(out[loss]).toBe(
      "loss      failed 0  unanswered 0  cut-short 0  retried-by-nginx 0  rerouted-before-app 0  executed-twice 0  finished-but-failed 0  misrouted 0  slow-during-drain 0",
    );
    expect(loss).toBeGreaterThan(out.findIndex((l) => l.startsWith("server-records-complete")));
    expect(out[loss + 1]).toBe("");
    expect(out[loss + 2]).toMatch(/^verdict {3}PASS/);
  });

  it("tells each failing class's first example request, a story shared by two classes only once", () => {
    const out = renderTerminal(lossReport());
    const from = out.indexOf("loss      ");
    expect(out.slice(from, out.indexOf("\nverdict"))).toBe(
      [
        "loss      failed 0  unanswered 0  cut-short 31  retried-by-nginx 31  rerouted-before-app 0  executed-twice 0  finished-but-failed 0  misrouted 0  slow-during-drain 9",
        "  cut-short 31 (allowed 0): e.g. 20261125-031048-90eebe-36, also retried-by-nginx",
        "      0.908 s  client            due: GET (3000 ms of work)",
        "      0.909 s  client            sent",
        "      0.909 s  nginx             received (config generation 1)",
        "      0.911 s  app node-1 pid 8  start",
        "      3.885 s  app node-2 pid 8  start",
        "      6.885 s  app node-2 pid 8  finish 200",
        "      6.885 s  nginx             answered 200; upstream node-1 502 -> node-2 200",
        "      6.899 s  client            answer 200 from node-2",
        "  retried-by-nginx 31 (allowed 0): e.g. 20261125-031048-90eebe-36, told above",
        "  slow-during-drain 9 (allowed 0): e.g. 20261125-031048-90eebe-80, also cut-short, retried-by-nginx",
        "      2.008 s  client            due: GET (3000 ms of work)",
        "      2.010 s  client            sent",
        "      2.014 s  nginx             received (config generation 1)",
        "      2.015 s  app node-1 pid 7  start",
        "      3.882 s  app node-2 pid 7  start",
        "      6.882 s  app node-2 pid 7  finish 200",
        "      6.882 s  nginx             answered 200; upstream node-1 502 -> node-2 200",
        "      6.888 s  client            answer 200 from node-2",
        "",
      ].join("\n"),
    );
  });

  it("keeps a long story to a few lines", () => {
    const r = lossReport();
    const story = r.reconciliation.examples["cut-short"]![0]!;
    story.events = [...story.events, ...story.events];
    const out = renderTerminal(r);
    expect(out).toContain("      ... 8 more events in report.json\n");
  });

  it("paints failing classes red on a colour terminal", () => {
    const out = renderTerminal(lossReport(), true);
    expect(out).toContain(
      "loss      failed 0  unanswered 0  \x1b[31mcut-short 31\x1b[0m  \x1b[31mretried-by-nginx 31\x1b[0m  rerouted-before-app 0  executed-twice 0",
    );
  });

  it("shows every drain of a rolling drain", () => {
    const out = lines(renderTerminal(rollingReport()));
    const at = out.findIndex((l) => l.startsWith("drain "));
    expect(out.slice(at, at + 3)).toEqual([
      "drain     node-1: removed at gen 2, SIGTERM at 3.10 s, exit 0 after 0.41 s, re-added at 4.40 s",
      "          node-2: removed at gen 4, SIGTERM at 6.85 s, exit 0 after 0.44 s, re-added at 8.21 s",
      "          node-3: removed at gen 6, SIGTERM at 10.68 s, exit 0 after 0.50 s, re-added at 12.04 s",
    ]);
  });

  it("draws a report from before the reconciliation and drains: its one drain, no loss line", () => {
    const out = renderTerminal(legacyReport());
    expect(out).toContain("drain     node-1: removed at gen 2, SIGTERM at 4.18 s, exit 0 after 0.45 s\n");
    expect(out).not.toContain("loss ");
  });

  it("gives each fault a line with its key measurement and each fact checked one, before the checks", () => {
    const r = faultReport();
    const f = r.faults![0]!;
    const m = f.measurements;
    const out = lines(renderTerminal(r));
    const at = out.findIndex((l) => l.startsWith("fault "));
    expect(out.slice(at - 1, at + 2)).toEqual([
      "drain     none",
      `fault     kill-worker node-1 at ${(f.start_ms / 1000).toFixed(2)} s: respawned after ${m.respawn_after_ms} ms (pid ${m.killed_pid} -> ${m.respawned_pid}), ready after ${m.ready_after_ms} ms`,
      `fact: Only gunicorn respawns crashed workers; uvicorn --workers does not -> does not hold: ${r.facts![0]!.observed}`,
    ]);
    expect(out[at + 2]).toBe("");
    expect(out.findIndex((l) => l.startsWith("check "))).toBe(at + 3);
    expect(out.find((l) => l.startsWith("generator "))).toContain(
      `  sent ${r.generator.sentRatePerS}/s of ${r.generator.intendedRatePerS}/s`,
    );
    // no drain: no latency-during-drain line, no lint findings
    expect(out.some((l) => l.startsWith("latency during drain") || l.startsWith("lint "))).toBe(false);
  });

  it("says a fact holds, or that the run could not tell", () => {
    const r = faultReport();
    r.facts = [
      { ...r.facts![0]!, holds: true, observed: "a" },
      { ...r.facts![0]!, holds: null, observed: "b" },
    ];
    const out = renderTerminal(r);
    expect(out).toContain(" -> holds: a\n");
    expect(out).toContain(" -> could not tell: b\n");
  });

  it("lists lint findings one a line, errors red and warnings yellow on a colour terminal", () => {
    const r = faultReport();
    r.lint = [
      { severity: "error", code: "stop-wait-shorter-than-graceful", message: "drain.stop_wait_s 3 s < 5 s", fields: [] },
      { severity: "warning", code: "graceful-limit-shorter-than-request", message: "1 s < GET 3000 ms", fields: [] },
    ];
    expect(lines(renderTerminal(r)).filter((l) => l.startsWith("lint "))).toEqual([
      "lint      error stop-wait-shorter-than-graceful: drain.stop_wait_s 3 s < 5 s",
      "lint      warning graceful-limit-shorter-than-request: 1 s < GET 3000 ms",
    ]);
    const painted = renderTerminal(r, true);
    expect(painted).toContain("lint      \x1b[31merror\x1b[0m stop-wait");
    expect(painted).toContain("lint      \x1b[33mwarning\x1b[0m graceful");
    expect(painted).toContain("-> \x1b[33mdoes not hold\x1b[0m: ");
  });

  it("shows the latency during the drain under the whole run's, and the baseline", () => {
    const r = faultReport();
    r.latency_during_drain_ms = { count: 42, p50: 12.5, p90: 40, p99: 310.2, max: 400 };
    r.baseline = { run_id: "20261125-030003-feadf6", file: "reports/20261125-030003-feadf6/report.json" };
    const out = lines(renderTerminal(r));
    const at = out.findIndex((l) => l.startsWith("latency "));
    expect(out[at + 1]).toBe("latency during drain p99 310.2 ms  p50 12.5 ms  max 400 ms  (42 answers due in a drain window)");
    expect(out).toContain("baseline  run 20261125-030003-feadf6 (reports/20261125-030003-feadf6/report.json)");
  });

  it("draws a report from before faults, facts, lint and the drain latency without their lines", () => {
    const out = renderTerminal(storedReport());
    expect(out).not.toMatch(/^(fault|fact|lint|baseline) |^latency during/m);
    expect(out).not.toContain("/s of ");
  });

  it("tables a sharded load's shards under the generator's line, the shard that fell behind marked as generator-kept-up judged it", () => {
    const r = shardedReport();
    const out = lines(renderTerminal(r));
    const at = out.findIndex((l) => l.startsWith("generator "));
    expect(out.slice(at + 1, at + 5)).toEqual([
      "          shard  rate intended / sent  send lag p50 / p99 / max  event loop busy  max in flight  kept up",
      "          -----  --------------------  ------------------------  ---------------  -------------  ---------------------------",
      "          0      50 / 50 per s         0.31 / 2.1 / 9.8 ms       5%               12             yes",
      "          1      50 / 49.8 per s       0.9 / 35.2 / 61.4 ms      7%               14             no: send lag p99 over 20 ms",
    ]);
    expect(out[at + 5]).toMatch(/^drain /);
    expect(renderTerminal(r, true)).toContain("14             \x1b[31mno: send lag p99 over 20 ms\x1b[0m");
    // the view and the verdict agree on which shard fell behind
    expect(generatorCheck(r.generator, r.parameters).observed).toMatch(/; shard 1 fell behind$/);
  });

  it("has no shard rows for a load that ran in one thread", () => {
    expect(renderTerminal(faultReport())).not.toMatch(/^ +shard {2}/m);
  });
});

import { describe, expect, it } from "vitest";
import { renderTerminal } from "./terminal.ts";
import { legacyReport, lossReport, rollingReport, storedReport } from "./testdata/stored-report.ts";

const lines = (text: string) => text.split("\n");

describe("renderTerminal", () => {
  it("puts one line of loss-class counts after the checks table, and no stories when nothing failed", () => {
    const out = lines(renderTerminal(storedReport()));
    const loss = out.findIndex((l) => l.startsWith("loss "));
    expect(out[loss]).toBe("loss      failed 0  unanswered 0  cut-short 0  retried-by-nginx 0  executed-twice 0  misrouted 0  slow-during-drain 0");
    expect(loss).toBeGreaterThan(out.findIndex((l) => l.startsWith("server-records-complete")));
    expect(out[loss + 1]).toBe("");
    expect(out[loss + 2]).toMatch(/^verdict {3}PASS/);
  });

  it("tells each failing class's first example request, a story shared by two classes only once", () => {
    const out = renderTerminal(lossReport());
    const from = out.indexOf("loss      ");
    expect(out.slice(from, out.indexOf("\nverdict"))).toBe(
      [
        "loss      failed 0  unanswered 0  cut-short 31  retried-by-nginx 31  executed-twice 0  misrouted 0  slow-during-drain 9",
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
    expect(out).toContain("loss      failed 0  unanswered 0  \x1b[31mcut-short 31\x1b[0m  \x1b[31mretried-by-nginx 31\x1b[0m  executed-twice 0");
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
});

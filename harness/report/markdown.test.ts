import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { escapeMarkdown, markdownReporter, renderMarkdown } from "./markdown.ts";
import {
  failingReport,
  faultReport,
  HOSTILE_NAME,
  legacyReport,
  lossReport,
  rollingReport,
  shardedReport,
  storedReport,
} from "./testdata/stored-report.ts";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("renderMarkdown", () => {
  it("has the verdict, requests, latency, drain phases and the checks table", () => {
    const md = renderMarkdown(storedReport());
    expect(md.split("\n")[0]).toBe("## ✅ PASS: drainlab drain-one-node");
    expect(md).toContain("- **Requests:** sent 2000, ok 2000, failed 0, unanswered 0");
    expect(md).toContain("p99 467.967 ms");
    expect(md).toContain("node-1 removed from nginx (upstream generation 2), then SIGTERM at 4.177 s; exited 0.447 s later with code 0");
    expect(md).toContain("  - node-1 SIGTERM, graceful wait (.. exit): 4.177 s to 4.624 s (0.447 s)");
    expect(md).toContain("| check | result | observed | expected | detail |\n| --- | --- | --- | --- | --- |\n");
    expect(md).toContain(
      "| drained-node-exited-cleanly | ✅ pass | exit 0 | exit 0 within 7 s | node-1 exited 0.447 s after SIGTERM with code 0 |",
    );
    expect(md).toContain("| traffic-continued | ✅ pass | 48 ms | &lt;= 1000 ms |");
    expect(md).not.toMatch(/\]\(|https?:\/\//);
  });

  it("shows a failed check, and no name can break the table or inject HTML", () => {
    const r = failingReport();
    r.scenario.name = HOSTILE_NAME;
    const md = renderMarkdown(r);
    expect(md.split("\n")[0]).toBe(`## ❌ FAIL: drainlab ${escapeMarkdown(HOSTILE_NAME)}`);
    expect(md).not.toContain("<img");
    const row = md.split("\n").find((l) => l.startsWith("| no-failed-requests"))!;
    expect(row).toContain("❌ **FAIL**");
    expect(row).toContain("&lt;bad gateway&gt; &amp; \\]\\]&gt; \\| pipe");
    expect(row.split(/(?<!\\)\|/)).toHaveLength(7);
  });

  it("tables the loss classes against their allowed counts, and the same per node", () => {
    const md = renderMarkdown(lossReport());
    expect(md).toContain(
      [
        "### Loss classes",
        "",
        "| class | requests | allowed | result | where | first example |",
        "| --- | ---: | ---: | --- | --- | --- |",
        "| failed | 0 | 0 | ✅ pass | - | - |",
        "| unanswered | 0 | 0 | ✅ pass | - | - |",
        "| cut-short | 31 | 0 | ❌ **FAIL** | node-1 31 | 20261125-031048-90eebe-36 |",
        "| retried-by-nginx | 31 | 0 | ❌ **FAIL** | node-1 31 | 20261125-031048-90eebe-36 |",
        "| rerouted-before-app | 0 | any | ✅ pass | - | - |",
        "| executed-twice | 0 | 0 | ✅ pass | - | - |",
        "| finished-but-failed | 0 | 0 | ✅ pass | - | - |",
        "| misrouted | 0 | 0 | ✅ pass | - | - |",
        "| slow-during-drain | 9 | 0 | ❌ **FAIL** | - | 20261125-031048-90eebe-80 |",
        "",
        "| node | answered | app started | app finished | cut short | misrouted | retried away by nginx |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: |",
        "| node-1 (drained) | 18 | 49 | 18 | 31 | 0 | 31 |",
        "| node-2 | 342 | 342 | 342 | 0 | 0 | 0 |",
      ].join("\n"),
    );
    expect(md.indexOf("### Loss classes")).toBeGreaterThan(md.indexOf("### Checks"));
  });

  it("lists every drain of a rolling drain", () => {
    const md = renderMarkdown(rollingReport());
    expect(md.match(/^- \*\*Drain:\*\* node-\d removed/gm)).toHaveLength(3);
    expect(md).toContain("| node-3 (drained) | 1095 | 1095 | 1095 | 0 | 0 | 0 |");
  });

  it("says a report from before the reconciliation has no loss classes", () => {
    const md = renderMarkdown(legacyReport());
    expect(md).toContain(
      "### Loss classes\n\nThis report was written before drainlab reconciled the client, nginx and app records: no loss classes.",
    );
  });

  it("escapes what Markdown would read as markup, including at the start of a line", () => {
    expect(escapeMarkdown("a|b *c* `d` [e](f) <g>")).toBe("a\\|b \\*c\\* \\`d\\` \\[e\\](f) &lt;g&gt;");
    expect(escapeMarkdown("# title")).toBe("\\# title");
    expect(escapeMarkdown("1. item\nnext")).toBe("1\\. item next");
  });
});

describe("renderMarkdown: faults, facts, lint", () => {
  it("tables the facts checked and the faults, between the checks and the loss classes", () => {
    const r = faultReport();
    const f = r.faults![0]!;
    const m = f.measurements;
    const fact = r.facts![0]!;
    const md = renderMarkdown(r);
    expect(md).toContain(
      [
        "### Facts checked",
        "",
        "| claim | holds | observed | evidence |",
        "| --- | --- | --- | --- |",
        `| Only gunicorn respawns crashed workers; uvicorn --workers does not | ❌ does not hold | ${escapeMarkdown(fact.observed)} | ${escapeMarkdown(fact.evidence.join("; "))} |`,
        "",
        "### Faults",
        "",
        "| fault | target | interval | key measurement | impact |",
        "| --- | --- | --- | --- | --- |",
        `| kill-worker | node-1 | ${escapeMarkdown(`${(f.start_ms / 1000).toFixed(3)} s to ${(f.end_ms! / 1000).toFixed(3)} s (${((f.end_ms! - f.start_ms) / 1000).toFixed(3)} s)`)} | respawned after ${m.respawn_after_ms} ms (pid ${m.killed_pid} -&gt; ${m.respawned_pid}), ready after ${m.ready_after_ms} ms |`,
      ].join("\n"),
    );
    expect(md.indexOf("### Facts checked")).toBeGreaterThan(md.indexOf("### Checks"));
    expect(md.indexOf("### Loss classes")).toBeGreaterThan(md.indexOf("### Faults"));
    expect(md).not.toContain("### Lint");
    expect(md).not.toContain("Latency during drain");
    expect(md).toContain(`sent ${r.generator.sentRatePerS}/s of ${r.generator.intendedRatePerS}/s intended`);
  });

  it("lists lint findings, the latency during the drain and the baseline", () => {
    const r = faultReport();
    r.lint = [
      { severity: "error", code: "stop-wait-shorter-than-graceful", message: "drain.stop_wait_s 3 s < 5 s", fields: [] },
      { severity: "warning", code: "graceful-limit-shorter-than-request", message: HOSTILE_NAME, fields: [] },
    ];
    r.latency_during_drain_ms = { count: 42, p50: 12.5, p90: 40, p99: 310.2, max: 400 };
    r.baseline = { run_id: "20261125-030003-feadf6", file: "reports/x/report.json" };
    const md = renderMarkdown(r);
    expect(md).toContain(
      [
        "### Lint",
        "",
        "- ❌ **error** stop-wait-shorter-than-graceful: drain.stop\\_wait\\_s 3 s &lt; 5 s",
        `- ⚠️ warning graceful-limit-shorter-than-request: ${escapeMarkdown(HOSTILE_NAME)}`,
      ].join("\n"),
    );
    expect(md).not.toContain("<img");
    expect(md).toContain(
      "- **Latency during drain:** p50 12.5 ms, p90 40 ms, p99 310.2 ms, max 400 ms (42 answers due inside a drain window)\n",
    );
    expect(md).toContain("- **Baseline:** compared with run 20261125-030003-feadf6 (reports/x/report.json)\n");
  });

  it("leaves them out of a report from before they existed", () => {
    const md = renderMarkdown(storedReport());
    expect(md).not.toMatch(/### (Facts checked|Faults|Lint)|Latency during drain|Baseline/);
  });
});

describe("renderMarkdown: a sharded load", () => {
  it("tables each shard after the generator's line, the shard that fell behind marked", () => {
    const md = renderMarkdown(shardedReport());
    expect(md).toContain(
      [
        "### Load generator shards",
        "",
        "| shard | rate intended / sent | send lag p50 / p99 / max | event loop busy | max in flight | kept up |",
        "| --- | --- | --- | --- | --- | --- |",
        "| 0 | 50 / 50 per s | 0\\.31 / 2.1 / 9.8 ms | 5% | 12 | ✅ yes |",
        "| 1 | 50 / 49.8 per s | 0\\.9 / 35.2 / 61.4 ms | 7% | 14 | ❌ **no: send lag p99 over 20 ms** |",
        "",
        "### Checks",
      ].join("\n"),
    );
  });

  it("has no shards section for a load that ran in one thread", () => {
    expect(renderMarkdown(faultReport())).not.toContain("shards");
  });
});

describe("markdownReporter", () => {
  it("writes summary.md and appends it to $GITHUB_STEP_SUMMARY when set", () => {
    const dir = mkdtempSync(join(tmpdir(), "drainlab-md-"));
    dirs.push(dir);
    const stepSummary = join(dir, "step-summary.md");
    writeFileSync(stepSummary, "earlier step\n");
    const written = markdownReporter({ env: { GITHUB_STEP_SUMMARY: stepSummary } }).onEnd!(storedReport(), dir);
    expect(written).toEqual([join(dir, "summary.md")]);
    const md = readFileSync(join(dir, "summary.md"), "utf8");
    expect(readFileSync(stepSummary, "utf8")).toBe(`earlier step\n${md}\n`);
  });

  it("leaves the step summary alone when the variable is unset", () => {
    const dir = mkdtempSync(join(tmpdir(), "drainlab-md-"));
    dirs.push(dir);
    expect(markdownReporter({ env: {} }).onEnd!(storedReport(), dir)).toEqual([join(dir, "summary.md")]);
  });
});

import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import { LOSS_CLASSES } from "../scenario/loss-classes.ts";
import { type ChartData, FAULT_COLORS, LOSS_MARK_STYLES } from "./chart-data.ts";
import { renderHtml } from "./html.ts";
import { escapeHtml } from "./html-escape.ts";
import { runEndMs } from "./phases.ts";
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

const require = createRequire(import.meta.url);

function embeddedData(html: string): ChartData {
  const m = /<script type="application\/json" id="drainlab-data">([^<]*)<\/script>/.exec(html);
  expect(m, "no embedded chart data").not.toBeNull();
  return JSON.parse(m![1]!) as ChartData;
}

describe("renderHtml", () => {
  const report = storedReport();
  const html = renderHtml(report);

  it("draws the long-lived sessions open per kind on their own chart, only when the run had some", () => {
    expect(embeddedData(html).sessions).toEqual([]);
    expect(html).not.toContain('id="chart-sessions"');
    const withSessions = storedReport();
    const bucket = withSessions.series.bucket_ms;
    const session = (id: string, kind: "stream" | "websocket", startMs: number, endMs: number | null, complete: boolean) => ({
      id,
      kind,
      mix: 1,
      intended_ms: startMs,
      start_ms: startMs,
      first_byte_ms: startMs + 5,
      end_ms: endMs,
      nodes: ["node-1"],
      connections: 1,
      reconnects: 0,
      status: 200,
      error: complete ? null : "cut",
      complete,
      units: 3,
      expected_units: 3,
      gaps: [],
      close_codes: [],
      lost_messages: 0,
    });
    withSessions.sessions = [
      session("s1", "stream", 0, 2.5 * bucket, true),
      session("s2", "stream", bucket, null, false),
      session("s3", "websocket", 0, 0.5 * bucket, true),
    ];
    const out = renderHtml(withSessions);
    const data = embeddedData(out);
    expect(data.sessions.map((x) => [x.kind, x.open.slice(0, 4), x.incomplete])).toEqual([
      ["stream", [1, 2, 2, 1], 1],
      ["websocket", [1, 0, 0, 0], 0],
    ]);
    expect(out).toMatch(/<div class="chart" id="chart-sessions" data-chart="sessions"[^>]* data-session-kinds="stream websocket">/);
    // to the run's end: s2 never ended, so it is open in the last bucket too
    expect(data.sessions_t_s.slice(0, 2)).toEqual([0, bucket / 1000]);
    expect(data.sessions_t_s.length * bucket).toBeGreaterThanOrEqual(runEndMs(withSessions));
    expect(data.sessions[0]!.open.at(-1)).toBe(1);
  });

  it("inlines uPlot's JS and CSS from node_modules and refers to nothing outside the file", () => {
    const js = readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8");
    const css = readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8");
    expect(html).toContain(js.slice(0, 400));
    expect(html).toContain(js.slice(-400));
    expect(html).toContain(css.slice(0, 200));
    expect(html).toContain("new uPlot(");
    expect(html).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
    expect(html).toContain("default-src 'none'");
  });

  it("embeds the series and the drain phases as JSON for the charts", () => {
    const data = embeddedData(html);
    expect(data.t_s).toHaveLength(report.series.buckets.length);
    expect(data.p99_ms[0]).toBe(report.series.buckets[0]!.p99_ms);
    expect(data.nodes).toEqual(["node-1", "node-2"]);
    expect(data.rps[0]![0]).toBe(report.series.buckets[0]!.by_node["node-1"]! * 10);
    expect(data.drained).toEqual(["node-1"]);
    expect(data.phases.map((p) => [p.name, p.from_s, p.to_s])).toEqual([
      ["removal", 3.078, 3.489],
      ["reload", 3.489, 3.676],
      ["sigterm-wait", 4.177, 4.624],
    ]);
    expect(data.x_max_s).toBeGreaterThanOrEqual(10.4);
  });

  it("lists the shaded phases in the DOM and draws them in a uPlot hook", () => {
    expect(html).toContain('<li data-phase="removal" data-target="node-1" data-from-s="3.078" data-to-s="3.489">');
    expect(html).toContain('<li data-phase="reload"');
    expect(html).toContain('<li data-phase="sigterm-wait"');
    expect(html).toContain('data-phases="removal reload sigterm-wait"');
    expect(html).toContain("drawClear: [shadePhases]");
  });

  it("has the checks, parameters, timeout chain, latency and timeline tables", () => {
    for (const id of ["checks", "parameters", "timeout-chain", "latency", "timeline"]) expect(html).toContain(`<table id="${id}">`);
    for (const c of report.checks) expect(html).toContain(`data-check="${c.name}"`);
    expect(html).toContain("<td>stack.gunicorn.graceful_timeout_s</td><td>10</td>");
    expect(html).toContain("<td>p99</td><td>467.967 ms</td>");
    expect(html).toContain("<td>reload-effective</td>");
  });

  it("escapes every name and detail: markup cannot close a tag or open one", () => {
    const r = failingReport();
    r.scenario.name = HOSTILE_NAME;
    r.scenario.description = `</style>${HOSTILE_NAME}`;
    r.checks[1]!.detail = HOSTILE_NAME;
    r.timeline[0]!.detail = { note: HOSTILE_NAME };
    const out = renderHtml(r);
    expect(out).not.toContain("<img");
    expect(out).not.toContain("<script>alert");
    expect(out).not.toContain("</style><");
    expect(out).toContain("&lt;img src=x onerror=&quot;alert(1)&quot;&gt;");
    // as many closing script tags as script elements: nothing closed one early
    expect(out.match(/<\/script/gi)).toHaveLength(out.match(/<script/gi)!.length);
    expect(embeddedData(out).failed.filter((n) => n > 0)).toHaveLength(5);
    expect(out).toContain('<tr class="fail" data-check="no-failed-requests" data-status="fail">');
  });

  it("renders a run without a drain", () => {
    const r = storedReport();
    r.drain = null;
    r.drains = [];
    r.timeline = r.timeline.filter((e) => e.event.startsWith("load-"));
    const out = renderHtml(r);
    expect(embeddedData(out).phases).toEqual([]);
    expect(out).toContain("no drain phases on this run");
    expect(out).toContain("no drain in this scenario");
  });
});

/** The rows of one table, as arrays of cell texts (the views put no markup inside cells). */
function rowsOf(html: string, id: string): string[][] {
  const m = new RegExp(`<table id="${id}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html);
  expect(m, `no table #${id}`).not.toBeNull();
  return [...m![1]!.matchAll(/<tr[^>]*>(.*?)<\/tr>/g)].map((tr) => [...tr[1]!.matchAll(/<td>(.*?)<\/td>/g)].map((td) => td[1]!));
}

describe("renderHtml: loss classes", () => {
  const report = lossReport();
  const html = renderHtml(report);

  it("tables each class's count against parameters.checks.allowed, with its result", () => {
    expect(rowsOf(html, "loss-classes")).toEqual([
      ["failed", "0", "0", "PASS", "no-failed-requests", "-", "-"],
      ["unanswered", "0", "0", "PASS", "no-unanswered-requests", "-", "-"],
      ["cut-short", "31", "0", "FAIL", "no-cut-short-requests", "node-1 31", "20261125-031048-90eebe-36"],
      ["retried-by-nginx", "31", "0", "FAIL", "no-retried-by-nginx", "node-1 31", "20261125-031048-90eebe-36"],
      ["rerouted-before-app", "0", "any", "PASS", "no-rerouted-before-app", "-", "-"],
      ["executed-twice", "0", "0", "PASS", "no-executed-twice", "-", "-"],
      ["finished-but-failed", "0", "0", "PASS", "no-finished-but-failed", "-", "-"],
      ["misrouted", "0", "0", "PASS", "no-misrouted-requests", "-", "-"],
      ["slow-during-drain", "9", "0", "FAIL", "no-slow-during-drain", "-", "20261125-031048-90eebe-80"],
    ]);
    expect(html).toContain('<tr class="fail seen" data-class="cut-short" data-count="31">');
    expect(html).toContain('<tr class="ok" data-class="failed" data-count="0">');
    const allowed = lossReport();
    allowed.parameters.checks.allowed["cut-short"] = 40;
    expect(rowsOf(renderHtml(allowed), "loss-classes")[2]).toEqual([
      "cut-short",
      "31",
      "40",
      "PASS",
      "no-cut-short-requests",
      "node-1 31",
      "20261125-031048-90eebe-36",
    ]);
  });

  it("tables the counts per node, the drained node marked, and what was reconciled", () => {
    expect(rowsOf(html, "by-node")).toEqual([
      ["node-1 (drained)", "18", "49", "18", "31", "0", "31"],
      ["node-2", "342", "342", "342", "0", "0", "0"],
    ]);
    expect(html).toContain("reconciled 360 client rows with 360 nginx log rows and 751 app ledger events by request id");
  });

  it("tells every example story as a collapsible table of its events in time order, the first failing one open", () => {
    const stories = [...html.matchAll(/<details class="story" data-class="([^"]+)" data-request-id="([^"]+)"( open)?>/g)];
    expect(stories.map((m) => m[1])).toEqual([
      ...Array(5).fill("cut-short"),
      ...Array(5).fill("retried-by-nginx"),
      ...Array(5).fill("slow-during-drain"),
    ]);
    expect(stories.filter((m) => m[3]).map((m) => m[2])).toEqual(["20261125-031048-90eebe-36"]);
    expect(html).toContain('<h3>cut-short <span class="note">5 of 31 shown &middot; check failed</span></h3>');
    expect(html).toContain(
      '<summary><span class="rid">20261125-031048-90eebe-36</span> &middot; cut-short, retried-by-nginx &middot; due 0.908 s, answer 200 from node-2 at 6.899 s (5.991 s later)</summary>',
    );
    const story = report.reconciliation.examples["cut-short"]![0]!;
    const rows = rowsOf(html, "story-cut-short-0");
    expect(rows).toEqual(story.events.map((ev) => [`${(ev.t_ms / 1000).toFixed(3)} s`, ev.source, escapeHtml(ev.event)]));
    expect(rows.map((r) => r[1])).toEqual([
      "client",
      "client",
      "nginx",
      "app node-1 pid 8",
      "app node-2 pid 8",
      "app node-2 pid 8",
      "nginx",
      "client",
    ]);
    const times = rows.map((r) => parseFloat(r[0]!));
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(html).toContain('<tr class="src-app"><td>0.911 s</td><td>app node-1 pid 8</td><td>start</td></tr>');
  });

  it("embeds one lane of marks per loss class seen, at each request's intended send time, with a legend", () => {
    const data = embeddedData(html);
    expect(data.loss_marks.map((m) => [m.class, m.t_s.length, m.count, m.color, m.shape])).toEqual([
      ["cut-short", 31, 31, LOSS_MARK_STYLES["cut-short"].color, "triangle-down"],
      ["retried-by-nginx", 31, 31, LOSS_MARK_STYLES["retried-by-nginx"].color, "diamond"],
      ["slow-during-drain", 9, 9, LOSS_MARK_STYLES["slow-during-drain"].color, "circle"],
    ]);
    expect(data.loss_marks[0]!.t_s.slice(0, 2)).toEqual([0.908, 0.958]);
    expect(html).toContain('data-loss-classes="cut-short retried-by-nginx slow-during-drain"');
    expect(html).toContain("draw: [markFailures, markLossClasses]");
    const legend = [
      ...html.matchAll(
        /<li data-class="([^"]+)"[^>]*><canvas class="mark-swatch" width="14" height="14" data-shape="([^"]+)" data-color="([^"]+)"><\/canvas>([^<]*)<\/li>/g,
      ),
    ];
    expect(legend.map((m) => [m[1], m[2], m[4]])).toEqual([
      ["cut-short", "triangle-down", "cut-short: 31 requests"],
      ["retried-by-nginx", "diamond", "retried-by-nginx: 31 requests"],
      ["slow-during-drain", "circle", "slow-during-drain: 9 requests"],
      ["failure-bucket", "triangle-up", "bottom edge: a 100 ms bucket with failed or unanswered requests"],
    ]);
  });

  it("says so when the reconciliation capped its marks", () => {
    const r = lossReport();
    r.reconciliation.counts["cut-short"] = 6000;
    expect(renderHtml(r)).toContain("cut-short: 6000 requests (first 31 marked)");
  });

  it("gives each loss class its own colour and shape, apart from the latency lines and the failure marks", () => {
    const rgb = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    const far = (a: string, b: string) => rgb(a).some((v, i) => Math.abs(v - rgb(b)[i]!) >= 40);
    const styles = LOSS_CLASSES.map((c) => LOSS_MARK_STYLES[c]);
    expect(new Set(styles.map((s) => s.shape)).size).toBe(LOSS_CLASSES.length);
    const { colors } = embeddedData(html);
    const all = [...styles.map((s) => s.color), colors.p50, colors.p99, colors.failed];
    all.forEach((a, i) => all.slice(i + 1).forEach((b) => expect(far(a, b), `${a} and ${b} look alike`).toBe(true)));
  });

  it("shows a run without losses: zero counts, no stories, no marks", () => {
    const out = renderHtml(storedReport());
    expect(rowsOf(out, "loss-classes").map((r) => [r[0], r[1], r[3]])).toEqual(LOSS_CLASSES.map((c) => [c, "0", "PASS"]));
    expect(out).toContain("No request fell into a loss class: no stories to tell.");
    expect(out).not.toContain('<details class="story"');
    expect(embeddedData(out).loss_marks).toEqual([]);
    expect(out).toContain('<li class="none">no request in any loss class</li>');
  });

  it("escapes what the stories carry", () => {
    const r = lossReport();
    r.reconciliation.examples["cut-short"]![0]!.events[0]!.event = HOSTILE_NAME;
    r.reconciliation.examples["cut-short"]![0]!.id = HOSTILE_NAME;
    const out = renderHtml(r);
    expect(out).not.toContain("<img");
    expect(out.match(/<\/script/gi)).toHaveLength(out.match(/<script/gi)!.length);
    expect(out).toContain(`data-request-id="&lt;img src=x onerror=&quot;alert(1)&quot;&gt;`);
  });
});

describe("renderHtml: drains and older reports", () => {
  it("shows every drain of a rolling drain in the summary and the drains table", () => {
    const html = renderHtml(rollingReport());
    expect(html.match(/<dt>drain<\/dt>/g)).toHaveLength(3);
    expect(html).toContain(
      "<dd>node-3 removed from nginx (upstream generation 6), then SIGTERM at 10.682 s; exited 0.500 s later with code 0; restarted and back in the upstream at 12.045 s</dd>",
    );
    expect(rowsOf(html, "drains")).toEqual([
      [
        "node-1",
        "2.004 s",
        "generation 2, effective 2.598 s",
        "SIGTERM at 3.098 s",
        "3.511 s (0.414 s after SIGTERM), code 0",
        "no (stop wait 7 s)",
        "4.401 s",
      ],
      [
        "node-2",
        "5.750 s",
        "generation 4, effective 6.352 s",
        "SIGTERM at 6.852 s",
        "7.288 s (0.436 s after SIGTERM), code 0",
        "no (stop wait 7 s)",
        "8.207 s",
      ],
      [
        "node-3",
        "9.534 s",
        "generation 6, effective 10.182 s",
        "SIGTERM at 10.682 s",
        "11.182 s (0.500 s after SIGTERM), code 0",
        "no (stop wait 7 s)",
        "12.045 s",
      ],
    ]);
    expect(embeddedData(html).drained).toEqual(["node-1", "node-2", "node-3"]);
    expect(rowsOf(html, "by-node").map((r) => r[0])).toEqual(["node-1 (drained)", "node-2 (drained)", "node-3 (drained)"]);
  });

  it("still draws a report written before reconciliation and drains existed", () => {
    const html = renderHtml(legacyReport());
    expect(html).toContain("This report was written before drainlab reconciled the client, nginx and app records: no loss classes.");
    expect(html).toContain('<li class="none">no loss classes in this report</li>');
    expect(embeddedData(html).loss_marks).toEqual([]);
    expect(rowsOf(html, "drains").map((r) => r[0])).toEqual(["node-1"]);
  });
});

/** Like rowsOf, for cells that may hold line breaks (the facts' evidence). */
function multilineRowsOf(html: string, id: string): string[][] {
  const m = new RegExp(`<table id="${id}">[\\s\\S]*?<tbody>([\\s\\S]*?)</tbody>`).exec(html);
  expect(m, `no table #${id}`).not.toBeNull();
  return [...m![1]!.matchAll(/<tr[^>]*>([\s\S]*?)<\/tr>/g)].map((tr) => [...tr[1]!.matchAll(/<td>([\s\S]*?)<\/td>/g)].map((td) => td[1]!));
}

describe("renderHtml: faults, facts, lint (kill-worker-uvicorn)", () => {
  const report = faultReport();
  const fault = report.faults![0]!;
  const fact = report.facts![0]!;
  const html = renderHtml(report);

  it("tables each fault with its interval, key measurement, impact and every figure", () => {
    const m = fault.measurements;
    const rows = rowsOf(html, "faults");
    expect(rows).toHaveLength(1);
    expect(rows[0]!.slice(0, 4)).toEqual([
      "kill-worker",
      "node-1",
      `${(fault.start_ms / 1000).toFixed(3)} s to ${(fault.end_ms! / 1000).toFixed(3)} s (${((fault.end_ms! - fault.start_ms) / 1000).toFixed(3)} s)`,
      `respawned after ${m.respawn_after_ms} ms (pid ${m.killed_pid} -&gt; ${m.respawned_pid}), ready after ${m.ready_after_ms} ms`,
    ]);
    expect(rows[0]![4]).toMatch(/^\d+ requests due: failed \d+, unanswered \d+, cut short \d+, retried by nginx \d+, max wait \d+ ms$/);
    expect(rows[0]![5]).toContain(`runtime=uvicorn killed_pid=${m.killed_pid}`);
    expect(rows[0]![5]).not.toContain("impact=");
    expect(html).toContain('<tr data-fault="kill-worker">');
  });

  it("shades the fault's interval on every chart in its own colour, with a legend entry next to the drain phases", () => {
    const data = embeddedData(html);
    expect(data.phases).toEqual([]);
    expect(data.faults).toEqual([
      {
        kind: "kill-worker",
        label: "fault kill-worker",
        target: "node-1",
        from_s: Math.round(fault.start_ms) / 1000,
        to_s: Math.round(fault.end_ms!) / 1000,
        open: false,
        ...FAULT_COLORS["kill-worker"],
      },
    ]);
    const from = Math.round(fault.start_ms) / 1000;
    expect(html).toContain(
      `<li data-fault="kill-worker" data-target="node-1" data-from-s="${from}" data-to-s="${Math.round(fault.end_ms!) / 1000}">`,
    );
    expect(html).toContain(`background:${FAULT_COLORS["kill-worker"].fill}`);
    expect(html).toContain('<li class="none">no drain phases on this run\'s timeline</li><li data-fault=');
    expect(html.match(/data-faults="kill-worker"/g)).toHaveLength(3);
    expect(html).toContain('el.setAttribute("data-faults-drawn", shadeBands(u, data.faults || [], "kind"))');
  });

  it("shades a fault that never ended to the end of the run", () => {
    const r = faultReport();
    r.faults![0]!.end_ms = null;
    const out = renderHtml(r);
    expect(embeddedData(out).faults[0]).toMatchObject({ open: true, to_s: Math.round(runEndMs(r)) / 1000 });
    expect(rowsOf(out, "faults")[0]![2]).toBe(`${(fault.start_ms / 1000).toFixed(3)} s to end of run (never ended)`);
    expect(out).toMatch(/<li data-fault="kill-worker"[^>]*>.*fault kill-worker: [\d.]+ s to end of run \(/);
  });

  it("tables the facts checked: claim, holds yes/no, what was observed and the evidence", () => {
    expect(multilineRowsOf(html, "facts")).toEqual([
      [escapeHtml(fact.claim), "no (does not hold)", escapeHtml(fact.observed), escapeHtml(fact.evidence.join("\n")), "seed"],
    ]);
    expect(fact.observed).toMatch(/^uvicorn [\d.]+ --workers respawned the SIGKILLed worker/);
    expect(html).toContain('<tr class="fails" data-holds="false">');
  });

  it("says lint found nothing, and tables findings with their severity when there are some", () => {
    expect(html).toContain("drainlab lint found nothing in the timeout chain.");
    const r = faultReport();
    r.lint = [
      {
        severity: "error",
        code: "stop-wait-shorter-than-graceful",
        message: "drain.stop_wait_s 3 s < 5 s",
        fields: ["drain.stop_wait_s", "stack.uvicorn.timeout_graceful_shutdown_s"],
      },
      { severity: "warning", code: "x", message: HOSTILE_NAME, fields: [] },
    ];
    const out = renderHtml(r);
    expect(rowsOf(out, "lint")).toEqual([
      [
        "error",
        "stop-wait-shorter-than-graceful",
        "drain.stop_wait_s 3 s &lt; 5 s",
        "drain.stop_wait_s, stack.uvicorn.timeout_graceful_shutdown_s",
      ],
      ["warning", "x", escapeHtml(HOSTILE_NAME), ""],
    ]);
    expect(out).toContain('<tr class="error" data-code="stop-wait-shorter-than-graceful">');
    expect(out).not.toContain("<img");
  });

  it("shows the generator's newer figures", () => {
    const g = report.generator;
    const rows = new Map(rowsOf(html, "generator").map(([k, v]) => [k!, v!]));
    expect(rows.get("mode")).toBe("open model");
    expect(rows.get("rate intended / sent")).toBe(`${g.intendedRatePerS} / ${g.sentRatePerS} per s`);
    expect(rows.get("generator CPU, busiest 1 s")).toBe(`${(g.cpuPeakShareOfOneCore * 100).toFixed(0)}% of one core`);
    expect(rows.get("event loop busy (whole / peak)")).toBe(
      `${(g.eventLoopBusyShare * 100).toFixed(0)}% / ${(g.eventLoopBusyPeak * 100).toFixed(0)}%`,
    );
    expect(rows.get("schedule overrun")).toBe(`${g.scheduleOverrunMs} ms`);
    expect(rows.get("max waiting for a connection")).toBe(`${g.maxWaitingForConnection} (max connections ${g.maxConnections})`);
    expect(rows.get("client retries")).toBe(String(g.clientRetries));
  });

  it("puts the latency during the drain next to the whole run's, and says when there was none", () => {
    expect(rowsOf(html, "latency")[0]).toHaveLength(2);
    expect(html).toContain("No request was due inside a drain window (no drain in this scenario).");
    const r = faultReport();
    r.latency_during_drain_ms = { count: 42, p50: 12.5, p90: 40, p99: 310.2, max: 400 };
    const rows = rowsOf(renderHtml(r), "latency");
    expect(rows[0]).toEqual(["answers", String(r.latency_ms.count), "42"]);
    expect(rows[3]).toEqual(["p99", `${r.latency_ms.p99} ms`, "310.2 ms"]);
    expect(renderHtml(r)).toContain("<th>percentile</th><th>whole run</th><th>during drain</th>");
  });

  it("shows the baseline when the run was compared with one", () => {
    expect(html).not.toContain("<dt>baseline</dt>");
    const r = faultReport();
    r.baseline = { run_id: "20261125-030003-feadf6", file: "reports/20261125-030003-feadf6/report.json" };
    expect(renderHtml(r)).toContain(
      "<dt>baseline</dt><dd>compared with run 20261125-030003-feadf6 (reports/20261125-030003-feadf6/report.json)</dd>",
    );
  });

  it("escapes what faults and facts carry", () => {
    const r = faultReport();
    r.faults![0]!.target = HOSTILE_NAME;
    r.faults![0]!.error = HOSTILE_NAME;
    r.facts![0]!.claim = HOSTILE_NAME;
    r.facts![0]!.evidence.push(HOSTILE_NAME);
    const out = renderHtml(r);
    expect(out).not.toContain("<img");
    expect(out.match(/<\/script/gi)).toHaveLength(out.match(/<script/gi)!.length);
    expect(out).toContain('<tr data-fault="kill-worker" class="fail">');
  });

  it("draws a report from before faults, facts, lint, the drain latency and the baseline", () => {
    const out = renderHtml(storedReport());
    expect(embeddedData(out).faults).toEqual([]);
    expect(out).toContain("no faults in this scenario");
    expect(out).toContain("no claims checked by this run");
    expect(out).toContain("This report predates drainlab lint: no findings recorded.");
    expect(out).toContain("This report predates the during-drain percentiles.");
    expect(out).not.toContain('data-fault="');
    expect(rowsOf(out, "generator").map((r) => r[0])).toEqual([
      "generator CPU",
      "send lag p50 / p99 / max",
      "max in flight",
      "scheduled",
      "client retries",
    ]);
  });

  it("tables a sharded load's shards under the generator, the shard that fell behind marked fail", () => {
    const out = renderHtml(shardedReport());
    expect(rowsOf(out, "generator-shards")).toEqual([
      ["0", "50 / 50 per s", "0.31 / 2.1 / 9.8 ms", "5%", "12", "yes"],
      ["1", "50 / 49.8 per s", "0.9 / 35.2 / 61.4 ms", "7%", "14", "no: send lag p99 over 20 ms"],
    ]);
    expect(out).toContain('<tr data-shard="0"><td>0</td>');
    expect(out).toContain('<tr data-shard="1" class="fail"><td>1</td>');
    expect(out).not.toMatch(/data-shard="0" class="fail"/);
  });

  it("has no shards table for a load that ran in one thread", () => {
    expect(renderHtml(faultReport())).not.toContain("generator-shards");
  });
});

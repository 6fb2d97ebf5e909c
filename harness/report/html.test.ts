import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { describe, expect, it } from "vitest";
import type { ChartData } from "./chart-data.ts";
import { renderHtml } from "./html.ts";
import { failingReport, HOSTILE_NAME, storedReport } from "./testdata/stored-report.ts";

const require = createRequire(import.meta.url);

function embeddedData(html: string): ChartData {
  const m = /<script type="application\/json" id="drainlab-data">([^<]*)<\/script>/.exec(html);
  expect(m, "no embedded chart data").not.toBeNull();
  return JSON.parse(m![1]!) as ChartData;
}

describe("renderHtml", () => {
  const report = storedReport();
  const html = renderHtml(report);

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
      ["removal", 3.071, 3.434],
      ["reload", 3.434, 3.585],
      ["sigterm-wait", 4.086, 4.473],
    ]);
    expect(data.x_max_s).toBeGreaterThanOrEqual(10.4);
  });

  it("lists the shaded phases in the DOM and draws them in a uPlot hook", () => {
    expect(html).toContain('<li data-phase="removal" data-target="node-1" data-from-s="3.071" data-to-s="3.434">');
    expect(html).toContain('<li data-phase="reload"');
    expect(html).toContain('<li data-phase="sigterm-wait"');
    expect(html).toContain('data-phases="removal reload sigterm-wait"');
    expect(html).toContain("drawClear: [shadePhases]");
  });

  it("has the checks, parameters, timeout chain, latency and timeline tables", () => {
    for (const id of ["checks", "parameters", "timeout-chain", "latency", "timeline"]) expect(html).toContain(`<table id="${id}">`);
    for (const c of report.checks) expect(html).toContain(`data-check="${c.name}"`);
    expect(html).toContain("<td>stack.gunicorn.graceful_timeout_s</td><td>10</td>");
    expect(html).toContain("<td>p99</td><td>467.455 ms</td>");
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
    expect(out).toContain('<tr class="fail" data-check="no-failed-requests">');
  });

  it("renders a run without a drain", () => {
    const r = storedReport();
    r.drain = null;
    r.timeline = r.timeline.filter((e) => e.event.startsWith("load-"));
    const out = renderHtml(r);
    expect(embeddedData(out).phases).toEqual([]);
    expect(out).toContain("no drain phases on this run");
    expect(out).toContain("no drain in this scenario");
  });
});

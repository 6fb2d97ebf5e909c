import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { Report } from "../records/report.ts";
import { renderHtml } from "./html.ts";
import { inlineScript, inlineStyle } from "./html-escape.ts";
import { STORED_REPORTS } from "./testdata/stored-report.ts";

/**
 * report.html of fixed report.json files, compared as text with the pages
 * committed in testdata/golden/: a change to any view shows as a diff in
 * review. After an intended change, write them again and commit the diff:
 *
 *   UPDATE_GOLDEN=1 npx vitest run --project unit harness/report/html.golden.test.ts
 */
const UPDATE = process.env.UPDATE_GOLDEN === "1";
const GOLDEN = ["kill-worker-uvicorn", "long-get-short-timeout"] as const;

const require = createRequire(import.meta.url);
const uplotJs = inlineScript(readFileSync(require.resolve("uplot/dist/uPlot.iife.min.js"), "utf8"));
const uplotCss = inlineStyle(readFileSync(require.resolve("uplot/dist/uPlot.min.css"), "utf8"));

/**
 * The page as reviewed: uPlot's own code and CSS (a dependency, not a view)
 * stand as one line each, and the embedded chart data has one line per key.
 */
function reviewable(html: string): string {
  const page = html
    .replace(`<script>${uplotJs}</script>`, "<script>/* uPlot (node_modules/uplot/dist/uPlot.iife.min.js) */</script>")
    .replace(`<style>${uplotCss}</style>`, "<style>/* uPlot (node_modules/uplot/dist/uPlot.min.css) */</style>");
  return page.replace(
    /(<script type="application\/json" id="drainlab-data">)([^<]*)(<\/script>)/,
    (_, open: string, json: string, close: string) => {
      const data = JSON.parse(json) as Record<string, unknown>;
      const lines = Object.entries(data).map(([k, v]) => `${JSON.stringify(k)}: ${JSON.stringify(v)}`);
      return `${open}{\n${lines.join(",\n")}\n}${close}`;
    },
  );
}

/** The first line where two pages part, with a little context: a failure that reads like a diff, not two 100 kB strings. */
function firstDifference(want: string, got: string): string | null {
  const a = want.split("\n");
  const b = got.split("\n");
  const i = a.findIndex((line, n) => line !== b[n]);
  const at = i < 0 ? (a.length === b.length ? -1 : Math.min(a.length, b.length)) : i;
  if (at < 0) return null;
  const clip = (s: string | undefined) => (s === undefined ? "(end of page)" : s.length > 400 ? `${s.slice(0, 400)}...` : s);
  return `first difference at line ${at + 1}:\n- ${clip(a[at])}\n+ ${clip(b[at])}\n(run with UPDATE_GOLDEN=1 to accept, then review the diff)`;
}

describe("report.html golden pages", () => {
  it.each(GOLDEN)("%s renders exactly as its golden page", (name) => {
    const report = JSON.parse(readFileSync(STORED_REPORTS[name], "utf8")) as Report;
    const page = reviewable(renderHtml(report));
    const file = fileURLToPath(new URL(`./testdata/golden/${name}.html`, import.meta.url));
    if (UPDATE) writeFileSync(file, page);
    expect(existsSync(file), `${file} is missing: write it with UPDATE_GOLDEN=1`).toBe(true);
    expect(firstDifference(readFileSync(file, "utf8"), page)).toBeNull();
  });

  it("renders the same page twice: nothing of the moment (time, random ids, paths) is in it", () => {
    const report = () => JSON.parse(readFileSync(STORED_REPORTS["kill-worker-uvicorn"], "utf8")) as Report;
    const page = renderHtml(report());
    expect(renderHtml(report())).toBe(page);
    expect(page).not.toContain(process.cwd());
  });
});

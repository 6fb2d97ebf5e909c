import { spawn } from "node:child_process";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { type Browser, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Report } from "../records/report.ts";
import { runScenario } from "../run/run.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { FAULT_COLORS } from "./chart-data.ts";
import { failingReport, faultReport, lossReport, storedReport } from "./testdata/stored-report.ts";
import { writeViews } from "./write-views.ts";

const CHROMIUM = "/usr/bin/chromium";
// reports/ is git-ignored: the rendered pages and screenshots stay there for people and CI artifacts
const OUT = fileURLToPath(new URL("../../reports/html-view-test/", import.meta.url));
const INSTALL_TIMEOUT_MS = 900_000;

function run(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "inherit", "inherit"], env: { ...process.env, DEBIAN_FRONTEND: "noninteractive" } });
    child.on("error", reject).on("close", (code) => resolve(code ?? 1));
  });
}

/** Debian's chromium, installed here if missing and we may; anything else is a loud failure, never a skip. */
async function ensureChromium(): Promise<void> {
  if (existsSync(CHROMIUM)) return;
  const canInstall = existsSync("/etc/debian_version") && process.getuid?.() === 0;
  if (!canInstall)
    throw new Error(
      `${CHROMIUM} is missing and this is not root on Debian: install Debian's chromium package (apt-get install -y chromium)`,
    );
  process.stderr.write(`${CHROMIUM} missing: apt-get install -y chromium ...\n`);
  if ((await run("apt-get", ["install", "-y", "chromium"])) !== 0) {
    await run("apt-get", ["update"]);
    await run("apt-get", ["install", "-y", "chromium"]);
  }
  if (!existsSync(CHROMIUM)) throw new Error(`apt-get install -y chromium did not provide ${CHROMIUM}`);
}

/** The stored run, made to fail loudly and named by an attacker: failures, a SIGKILL after the wait, markup everywhere. */
function hostileReport(): Report {
  const r = failingReport();
  r.scenario.name = `<img src=x onerror="window.__xss=1">"</script><script>window.__xss=2</script>`;
  r.scenario.description = `</style><script>window.__xss=3</script> & <b>bold</b>`;
  r.checks[0]!.detail = `<svg onload="window.__xss=4"> 15 x 502`;
  const exited = r.timeline.findIndex((e) => e.event === "exited");
  r.timeline.splice(exited, 0, { t_ms: 4300, event: "sigkill-after-wait", detail: { target: "node-1", waited_s: 7 } });
  return r;
}

// What page.evaluate touches in the browser, typed here: the project compiles without the DOM lib.
interface Canvas {
  width: number;
  height: number;
  getContext(kind: "2d"): Ctx;
}
interface Ctx {
  getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
}
interface El {
  id: string;
  dataset: Record<string, string | undefined>;
  querySelector(selector: string): Canvas | null;
}
interface Chart {
  ctx: Ctx;
  bbox: { top: number };
  valToPos(value: number, scale: string, canvasPixels: boolean): number;
}
interface BrowserGlobals {
  document: { querySelectorAll(selector: string): Iterable<El>; querySelector(selector: string): El | null };
  drainlabCharts: Chart[];
  __xss?: number;
}

interface PageRun {
  page: Page;
  problems: string[];
}

async function open(browser: Browser, report: Report, dir: string): Promise<PageRun> {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "report.json"), `${JSON.stringify(report, null, 2)}\n`);
  const viewErrors: string[] = [];
  const written = await writeViews(report, dir, (line) => viewErrors.push(line));
  expect(viewErrors).toEqual([]);
  expect(written).toContain(join(dir, "report.html"));
  return openPage(browser, join(dir, "report.html"));
}

/** Opens a report.html as a file, as someone would, and collects console errors, page errors and any network request. */
async function openPage(browser: Browser, htmlPath: string): Promise<PageRun> {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 }, deviceScaleFactor: 1 });
  const problems: string[] = [];
  page.on("console", (m) => {
    // errors only: the test's own getImageData readbacks earn a performance warning
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
  page.on("request", (req) => {
    if (!/^(file|data|blob):/.test(req.url())) problems.push(`network request: ${req.url()}`);
  });
  await page.goto(pathToFileURL(htmlPath).href);
  await page.waitForSelector("body[data-charts-ready='3']", { timeout: 10_000 });
  return { page, problems };
}

/** Per chart: canvas size, pixels drawn at all, pixels near the given series colours, phases drawn by the hook. */
async function inspectCharts(page: Page, colors: Record<string, string[]>) {
  return page.evaluate((colorsById) => {
    const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    const { document } = globalThis as unknown as BrowserGlobals;
    return [...document.querySelectorAll(".chart")].map((el) => {
      const canvas = el.querySelector("canvas")!;
      const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
      const targets = (colorsById[el.id] ?? []).map(hex);
      let painted = 0;
      const near = targets.map(() => 0);
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! === 0) continue;
        painted++;
        targets.forEach(([r, g, b], k) => {
          if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 40 && Math.abs(data[i + 1]! - g!) < 40 && Math.abs(data[i + 2]! - b!) < 40)
            near[k]!++;
        });
      }
      return {
        id: el.id,
        width: canvas.width,
        height: canvas.height,
        painted,
        near,
        phasesDrawn: el.dataset.phasesDrawn ?? null,
        faultsDrawn: el.dataset.faultsDrawn ?? null,
        failureMarks: el.dataset.failureMarks ?? null,
        lossMarks: el.dataset.lossMarks ?? null,
      };
    });
  }, colors);
}

/** Per lane of loss-class marks on the latency chart: pixels near the given colour along the lane's centre row. */
async function lanePixels(page: Page, colors: string[]) {
  return page.evaluate((laneColors) => {
    const hex = (h: string) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16));
    const { document } = globalThis as unknown as BrowserGlobals;
    const el = document.querySelector("#chart-latency")!;
    const canvas = el.querySelector("canvas")!;
    const ys = (el.dataset.lossLaneYs ?? "").split(" ").filter(Boolean).map(Number);
    return ys.map((y, k) => {
      const [r, g, b] = hex(laneColors[k] ?? "#000000");
      const { data } = canvas.getContext("2d").getImageData(0, y, canvas.width, 1);
      let near = 0;
      for (let i = 0; i < data.length; i += 4) {
        if (data[i + 3]! > 200 && Math.abs(data[i]! - r!) < 40 && Math.abs(data[i + 1]! - g!) < 40 && Math.abs(data[i + 2]! - b!) < 40)
          near++;
      }
      return near;
    });
  }, colors);
}

/** Painted pixels of each swatch in the marks legend, by class. */
async function swatchPixels(page: Page) {
  return page.evaluate(() => {
    const { document } = globalThis as unknown as BrowserGlobals;
    return [...document.querySelectorAll("#loss-marks li")].map((li) => {
      const c = li.querySelector("canvas");
      if (!c) return [li.dataset.class ?? "", 0] as const;
      const { data } = c.getContext("2d").getImageData(0, 0, c.width, c.height);
      let painted = 0;
      for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
      return [li.dataset.class ?? "", painted] as const;
    });
  });
}

/** The colour at the top edge of the plot, in the middle of a phase: the shading, since no series is drawn up there. */
async function shadeAt(page: Page, chartIndex: number, phase: string) {
  return page.evaluate(
    ([i, name]) => {
      const { document, drainlabCharts } = globalThis as unknown as BrowserGlobals;
      const u = drainlabCharts[i]!;
      const li = document.querySelector(`#phases li[data-phase="${name}"]`)!;
      const mid = (Number(li.dataset.fromS) + Number(li.dataset.toS)) / 2;
      return [...u.ctx.getImageData(Math.round(u.valToPos(mid, "x", true)), Math.round(u.bbox.top + 3), 1, 1).data];
    },
    [chartIndex, phase] as const,
  );
}

/** The pixel at the top edge of the plot at time t_s (seconds since the load started), as [r, g, b, a]. */
async function pixelAt(page: Page, chartIndex: number, t_s: number) {
  return page.evaluate(
    ([i, t]) => {
      const { drainlabCharts } = globalThis as unknown as BrowserGlobals;
      const u = drainlabCharts[i]!;
      return [...u.ctx.getImageData(Math.round(u.valToPos(t, "x", true)), Math.round(u.bbox.top + 3), 1, 1).data];
    },
    [chartIndex, t_s] as const,
  );
}

describe("report.html in headless Chromium", () => {
  let browser: Browser;

  beforeAll(async () => {
    await ensureChromium();
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-quic",
        "--no-first-run",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, INSTALL_TIMEOUT_MS);

  afterAll(async () => {
    await browser?.close();
  });

  it("opens the report.html a fresh drain wrote, draws every chart with the drain shaded, and leaves a screenshot beside it", async () => {
    const scenario = loadScenario(join(PROJECT_ROOT, "scenarios", "drain-one-node.yaml"), ["load.duration_s=7", "drain.at_s=2"]);
    const { report, runDir } = await runScenario(scenario, {
      scenarioFile: "scenarios/drain-one-node.yaml",
      outDir: join(OUT, "fresh-run"),
    });
    const { page, problems } = await openPage(browser, join(runDir, "report.html"));
    const charts = await inspectCharts(page, { "chart-latency": [], "chart-rps": [], "chart-failures": [] });
    expect(charts.map((c) => c.id)).toEqual(["chart-latency", "chart-rps", "chart-failures"]);
    for (const c of charts) {
      expect(c.painted, `${c.id} drew nothing`).toBeGreaterThan(2000);
      expect(c.phasesDrawn, `${c.id}: drain phases`).toMatch(/^removal reload sigterm-wait/);
    }
    const [, , , alpha] = await shadeAt(page, 0, "sigterm-wait");
    expect(alpha, "sigterm-wait is not shaded").toBeGreaterThan(0);
    expect(await page.locator("#checks tbody tr").count()).toBe(report.checks.length);
    await page.screenshot({ path: join(runDir, "report.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("draws the stored run: latency, traffic per node and failures on one time axis, with the drain shaded", async () => {
    const dir = join(OUT, "stored-run");
    const { page, problems } = await open(browser, storedReport(), dir);

    const charts = await inspectCharts(page, {
      "chart-latency": ["#1f6fb2", "#d35400"],
      "chart-rps": ["#1f6fb2", "#2a9d8f"],
      "chart-failures": [],
    });
    expect(charts.map((c) => c.id)).toEqual(["chart-latency", "chart-rps", "chart-failures"]);
    for (const c of charts) {
      expect(c.width).toBeGreaterThan(300);
      expect(c.height).toBeGreaterThan(100);
      expect(c.painted, `${c.id} drew nothing`).toBeGreaterThan(2000);
      expect(c.phasesDrawn).toBe("removal reload sigterm-wait");
      for (const n of c.near) expect(n, `${c.id}: a series colour is missing`).toBeGreaterThan(50);
    }
    expect(charts[0]!.failureMarks).toBe("0");
    expect(charts[0]!.lossMarks).toBe("");
    expect(await page.locator("#loss-classes tr.fail").count()).toBe(0);
    expect(await page.locator("#stories").textContent()).toContain("no stories to tell");

    const legend = await page.$$eval("#phases li[data-phase]", (els) => els.map((el) => el.getAttribute("data-phase")));
    expect(legend).toEqual(["removal", "reload", "sigterm-wait"]);
    for (const phase of ["removal", "sigterm-wait"]) {
      const [, , , alpha] = await shadeAt(page, 0, phase);
      expect(alpha, `${phase} is not shaded`).toBeGreaterThan(0);
    }
    expect(await page.locator("#checks tbody tr").count()).toBe(storedReport().checks.length);
    expect(await page.locator("#timeline tbody tr").count()).toBe(storedReport().timeline.length);
    expect(await page.locator("#parameters").textContent()).toContain("stack.uvicorn.timeout_graceful_shutdown_s");
    expect(await page.locator("#timeout-chain").textContent()).toContain("limited by uvicorn timeout_graceful_shutdown");
    expect(await page.locator("#latency").textContent()).toContain("467.967 ms");

    await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("marks failures, shades a SIGKILL after the wait, and runs none of the markup in names and details", async () => {
    const report = hostileReport();
    const dir = join(OUT, "hostile-failing-run");
    const { page, problems } = await open(browser, report, dir);

    expect(await page.evaluate(() => (globalThis as unknown as BrowserGlobals).__xss)).toBeUndefined();
    expect(await page.locator("#scenario-name").textContent()).toBe(report.scenario.name);
    expect(await page.locator("#scenario-description").textContent()).toBe(report.scenario.description);
    expect(await page.locator("img, svg").count()).toBe(0);
    expect(await page.locator("#verdict").textContent()).toBe("FAIL");
    expect(await page.locator("#checks tr.fail").count()).toBe(1);

    const charts = await inspectCharts(page, { "chart-latency": ["#c0392b"], "chart-rps": [], "chart-failures": ["#c0392b"] });
    expect(charts[0]!.failureMarks).toBe("5");
    expect(charts[0]!.lossMarks).toBe("failed:15");
    expect(charts[0]!.near[0]).toBeGreaterThan(20);
    expect(charts[2]!.near[0], "the failure bars are missing").toBeGreaterThan(100);
    for (const c of charts) expect(c.phasesDrawn).toBe("removal reload sigterm-wait sigkill-after-wait");
    const [, , , alpha] = await shadeAt(page, 1, "sigkill-after-wait");
    expect(alpha).toBeGreaterThan(0);

    await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("marks each loss class on the latency chart and tells the example requests (long-get-short-timeout)", async () => {
    const report = lossReport();
    const dir = join(OUT, "long-get-short-timeout");
    const { page, problems } = await open(browser, report, dir);

    const charts = await inspectCharts(page, { "chart-latency": ["#1f6fb2", "#d35400"], "chart-rps": [], "chart-failures": [] });
    expect(charts[0]!.lossMarks).toBe("cut-short:31 retried-by-nginx:31 slow-during-drain:9");
    expect(charts[0]!.failureMarks).toBe("0");
    for (const c of charts) expect(c.phasesDrawn).toBe("removal reload sigterm-wait");
    for (const n of charts[0]!.near) expect(n, "a latency line is missing").toBeGreaterThan(50);

    // each lane shows its own colour: a run of marks from 0.9 s (cut-short, retried) or 2.0 s (slow) to 2.4 s
    const lanes = await lanePixels(page, ["#e7298a", "#56b4e9", "#8c564b"]);
    expect(lanes).toHaveLength(3);
    expect(lanes[0], "cut-short marks").toBeGreaterThan(100);
    expect(lanes[1], "retried-by-nginx marks").toBeGreaterThan(100);
    expect(lanes[2], "slow-during-drain marks").toBeGreaterThan(20);
    const swatches = await swatchPixels(page);
    expect(swatches.map(([c]) => c)).toEqual(["cut-short", "retried-by-nginx", "slow-during-drain", "failure-bucket"]);
    for (const [c, painted] of swatches) expect(painted, `legend swatch ${c} is blank`).toBeGreaterThan(10);

    expect(await page.locator("#loss-classes tr.fail").count()).toBe(3);
    expect(await page.locator("#by-node tbody tr").count()).toBe(2);
    const stories = page.locator("#stories details.story");
    expect(await stories.count()).toBe(15);
    expect(await page.locator("#stories details.story[open]").count()).toBe(1);
    expect(await page.locator("#story-cut-short-0").isVisible()).toBe(true);
    expect(await page.locator("#story-cut-short-0 tbody tr").count()).toBe(report.reconciliation.examples["cut-short"]![0]!.events.length);
    expect(await page.locator("#story-slow-during-drain-0").isVisible()).toBe(false);
    await page.locator('#stories details.story[data-class="slow-during-drain"] summary').first().click();
    expect(await page.locator("#story-slow-during-drain-0").isVisible()).toBe(true);

    await page.screenshot({ path: join(dir, "report.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it("draws a run without a drain: no phases, no errors", async () => {
    const report = storedReport();
    report.drain = null;
    report.drains = [];
    report.timeline = report.timeline.filter((e) => e.event.startsWith("load-") || e.event === "health");
    const { page, problems } = await open(browser, report, join(OUT, "no-drain"));
    const charts = await inspectCharts(page, { "chart-latency": [], "chart-rps": [], "chart-failures": [] });
    for (const c of charts) {
      expect(c.painted).toBeGreaterThan(2000);
      expect(c.phasesDrawn).toBe("");
    }
    expect(await page.locator("#phases li.none").count()).toBe(1);
    expect(problems).toEqual([]);
    await page.close();
  });

  it("shades a fault's interval in its own colour and tables the faults and facts (kill-worker-uvicorn)", async () => {
    const report = faultReport();
    const fault = report.faults![0]!;
    const { page, problems } = await open(browser, report, join(OUT, "kill-worker-uvicorn"));

    const charts = await inspectCharts(page, { "chart-latency": ["#1f6fb2", "#d35400"], "chart-rps": [], "chart-failures": [] });
    for (const c of charts) {
      expect(c.painted, `${c.id} drew nothing`).toBeGreaterThan(2000);
      expect(c.phasesDrawn).toBe("");
      expect(c.faultsDrawn, `${c.id} did not shade the fault`).toBe("kill-worker");
    }

    const li = page.locator('#phases li[data-fault="kill-worker"]');
    expect(await li.count()).toBe(1);
    expect(await li.textContent()).toContain("node-1 fault kill-worker: ");
    const from = Number(await li.getAttribute("data-from-s"));
    const to = Number(await li.getAttribute("data-to-s"));
    expect([from, to]).toEqual([Math.round(fault.start_ms) / 1000, Math.round(fault.end_ms!) / 1000]);
    // inside the interval: the kill-worker shade; well before it: nothing drawn up there
    const [r, g, b] = FAULT_COLORS["kill-worker"].fill.match(/\d+/g)!.map(Number);
    for (const chart of [0, 1, 2]) {
      const [pr, pg, pb, alpha] = await pixelAt(page, chart, (from + to) / 2);
      expect(alpha, `chart ${chart}: the fault is not shaded`).toBeGreaterThan(20);
      expect(
        Math.abs(pr! - r!) + Math.abs(pg! - g!) + Math.abs(pb! - b!),
        `chart ${chart}: shade ${pr},${pg},${pb} is not the kill-worker colour`,
      ).toBeLessThan(60);
    }
    expect((await pixelAt(page, 1, from / 2))[3], "shaded outside the fault's interval").toBe(0);

    expect(await page.locator("#faults tbody tr").count()).toBe(1);
    expect(await page.locator('#faults tr[data-fault="kill-worker"] td').nth(3).textContent()).toMatch(
      /^respawned after \d+ ms \(pid \d+ -> \d+\)/,
    );
    expect(await page.locator("#facts tbody tr").count()).toBe(report.facts!.length);
    expect(await page.locator('#facts tr[data-holds="false"] td').nth(1).textContent()).toBe("no (does not hold)");
    expect(await page.locator("#lint").textContent()).toContain("found nothing");

    await page.screenshot({ path: join(OUT, "kill-worker-uvicorn", "report.png"), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});

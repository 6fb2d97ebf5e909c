import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { loadScenario } from "../harness/scenario/load-scenario.ts";

/**
 * The examples are what a user copies: each scenario must load (schema and
 * paths), each image must build from Debian trixie alone, and each CI
 * workflow must gate on drainlab's exit code and publish its reports.
 */

const EXAMPLES = new URL(".", import.meta.url).pathname;
const examples = readdirSync(EXAMPLES, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name)
  .sort();
const filesIn = (dir: string, match: RegExp) =>
  existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => match.test(f))
        .sort()
        .map((f) => join(dir, f))
    : [];
/** Every Dockerfile of an example, a folder deep at most. */
const dockerfiles = (dir: string) => [
  ...filesIn(dir, /^Dockerfile/),
  ...readdirSync(dir, { withFileTypes: true })
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .flatMap((e) => filesIn(join(dir, e.name), /^Dockerfile/)),
];

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  if?: string;
  with?: Record<string, unknown>;
  "continue-on-error"?: unknown;
}

/** Examples of attach mode judge a system drainlab did not start: no image of theirs is built by drainlab. */
const isAttach = (name: string) => filesIn(join(EXAMPLES, name), /\.yaml$/).some((f) => /^attach:/m.test(readFileSync(f, "utf8")));
const attachExamples = examples.filter(isAttach);
/** Examples of session scripts (`session:`) to copy next to a scenario: scripts and a README, no project of their own. */
const isScripts = (name: string) =>
  filesIn(join(EXAMPLES, name), /\.ya?ml$/).length === 0 && filesIn(join(EXAMPLES, name), /\.mjs$/).length > 0;
const scriptExamples = examples.filter(isScripts);
const systemExamples = examples.filter((n) => !isAttach(n) && !isScripts(n));

it("there are examples", () => {
  expect(systemExamples).toEqual(expect.arrayContaining(["shop", "uvicorn-workers"]));
  expect(attachExamples).toEqual(expect.arrayContaining(["attach-docker", "kubernetes"]));
  expect(scriptExamples).toEqual(["session-scripts"]);
});

describe.each(attachExamples)("examples/%s (attach)", (name) => {
  const dir = join(EXAMPLES, name);

  it("has scenarios, each loading as an attach scenario on a loopback URL (or, sent from its cluster by attach.shards, a Service's)", () => {
    const scenarios = filesIn(dir, /\.yaml$/).filter((f) => /^attach:/m.test(readFileSync(f, "utf8")));
    expect(scenarios.length).toBeGreaterThan(0);
    for (const file of scenarios) {
      const scenario = loadScenario(file);
      expect(scenario.attach, file).toBeDefined();
      const host = new URL(scenario.attach!.url).hostname;
      // shards elsewhere send from inside the cluster: never from this machine, to a name only the cluster resolves
      if (scenario.attach!.shards) expect(host, file).toMatch(/\.svc\.cluster\.local$/);
      else expect(host, file).toBe("127.0.0.1");
    }
  });

  it("has a README that says how to run it", () => {
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(/drainlab run/);
  });
});

describe.each(scriptExamples)("examples/%s (session scripts)", (name) => {
  const dir = join(EXAMPLES, name);

  it("each script's default export is the session's async function, and the README shows `session:`", async () => {
    for (const file of filesIn(dir, /\.mjs$/)) {
      const m = (await import(file)) as { default?: unknown };
      expect(typeof m.default, file).toBe("function");
      expect(m.default?.constructor.name, file).toBe("AsyncFunction");
    }
    expect(readFileSync(join(dir, "README.md"), "utf8")).toMatch(/session: \.\/sessions\/\S+\.mjs/);
  });
});

it("examples/attach-docker has a passing scenario and a must-fail control", () => {
  const verdicts = filesIn(join(EXAMPLES, "attach-docker"), /\.yaml$/).map((f) => loadScenario(f).expect);
  expect(verdicts.some((e) => e.verdict === "pass")).toBe(true);
  expect(verdicts.some((e) => e.verdict === "fail" && e.failing_checks.length > 0)).toBe(true);
});

/** The checks that judge long-lived traffic (streams, feeds, sockets). */
const SESSION_CHECKS = ["no-truncated-streams", "no-lost-events", "no-duplicate-events", "websockets-closed-cleanly"];

it.each([
  ["shop", ["stream", "sse"]],
  ["uvicorn-workers", ["websocket"]],
])("examples/%s drains its long-lived routes (%s) in a passing scenario and in a must-fail control", (name, kinds) => {
  const dir = join(EXAMPLES, name);
  const scenarios = filesIn(dir, /\.yaml$/).map((f) => loadScenario(f));
  const longLived = (s: (typeof scenarios)[number]) => s.load.mix.filter((k) => kinds.includes(k.kind ?? "request"));
  const source = readdirSync(dir, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".py"))
    .map((f) => readFileSync(join(dir, f), "utf8"))
    .join("\n");
  const passing = scenarios.filter((s) => s.expect.verdict === "pass" && longLived(s).length > 0);
  const controls = scenarios.filter(
    (s) => s.expect.verdict === "fail" && longLived(s).length > 0 && s.expect.failing_checks.some((c) => SESSION_CHECKS.includes(c)),
  );
  expect(passing.map((s) => s.name).length, `${name}: a passing scenario with ${kinds.join(", ")}`).toBeGreaterThan(0);
  expect(controls.map((s) => s.name).length, `${name}: a control failing a session check`).toBeGreaterThan(0);
  for (const kind of kinds)
    expect(
      passing.some((s) => longLived(s).some((k) => k.kind === kind)),
      `${name}: ${kind} in a passing scenario`,
    ).toBe(true);
  for (const s of [...passing, ...controls]) {
    // every long-lived path is a route of the app, and the load stays short (CI time)
    for (const k of longLived(s)) expect(source, `${s.name}: ${k.path}`).toContain(`"${k.path!.split("?")[0]}"`);
    expect(s.load.duration_s, s.name).toBeLessThanOrEqual(8);
  }
});

describe.each(systemExamples)("examples/%s", (name) => {
  const dir = join(EXAMPLES, name);

  it("has scenarios, each loading with its paths", () => {
    const scenarios = filesIn(dir, /\.yaml$/);
    expect(scenarios.length).toBeGreaterThan(0);
    for (const file of scenarios) {
      const scenario = loadScenario(file);
      expect(scenario.system, file).toBeDefined();
    }
  });

  it("has a passing scenario and a must-fail control", () => {
    const verdicts = filesIn(dir, /\.yaml$/).map((f) => loadScenario(f).expect);
    expect(verdicts.some((e) => e.verdict === "pass")).toBe(true);
    expect(verdicts.some((e) => e.verdict === "fail" && e.failing_checks.length > 0)).toBe(true);
  });

  it("builds its images from Debian trixie (ARG BASE_IMAGE, FROM $BASE_IMAGE, apt-get)", () => {
    const files = dockerfiles(dir);
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) {
      const lines = readFileSync(file, "utf8")
        .split("\n")
        .filter((l) => l.trim() !== "" && !l.startsWith("#"));
      expect(lines.slice(0, 2), file).toEqual(["ARG BASE_IMAGE=debian:trixie-slim", `FROM $\{BASE_IMAGE}`]);
      expect(lines.join("\n"), file).not.toMatch(/\bpip3? install\b/);
    }
  });

  it("has a CI workflow that gates on drainlab and publishes junit.xml and summary.md", () => {
    const workflows = filesIn(join(dir, ".github/workflows"), /\.ya?ml$/);
    expect(workflows.length).toBeGreaterThan(0);
    for (const file of workflows) {
      const doc = parse(readFileSync(file, "utf8")) as { on?: unknown; jobs?: Record<string, { steps?: Step[] }> };
      expect(doc.on, file).toBeDefined();
      const steps = Object.values(doc.jobs ?? {}).flatMap((job) => job.steps ?? []);
      expect(steps.length, file).toBeGreaterThan(0);
      const drain = steps.find((s) => /\bdrainlab(@\S+)? run\b/.test(s.run ?? ""));
      expect(drain, `${file}: a step running drainlab`).toBeDefined();
      // its exit code is the gate: nothing may swallow it
      expect(drain?.["continue-on-error"], file).toBeUndefined();
      expect(drain?.run, file).not.toMatch(/\|\|\s*true/);
      const published = (what: string) =>
        steps.filter((s) => s !== drain && JSON.stringify({ run: s.run, with: s.with }).includes(what) && s.if === "always()");
      expect(published("junit.xml").length, `${file}: junit.xml published, if: always()`).toBeGreaterThan(0);
      expect(published("summary.md").length, `${file}: summary.md published, if: always()`).toBeGreaterThan(0);
      expect(
        steps.some((s) => s.uses?.startsWith("mikepenz/action-junit-report") && /junit\.xml/.test(String(s.with?.report_paths))),
        file,
      ).toBe(true);
      expect(
        steps.some((s) => /summary\.md.*GITHUB_STEP_SUMMARY/.test(s.run ?? "")),
        file,
      ).toBe(true);
    }
  });
});

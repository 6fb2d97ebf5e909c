import { describe, expect, it } from "vitest";
import { unnamedHost } from "./attach-schema.ts";
import { Scenario } from "./schema.ts";

const base = {
  name: "t",
  load: { mix: [{ method: "GET", path: "/" }] },
  attach: {
    url: "http://127.0.0.1:8080",
    drain: { node: "n1", steps: [{ step: "terminate", run: "docker kill -s TERM n1" }], removal: "none" },
  },
};
// biome-ignore lint/suspicious/noExplicitAny: each case edits the raw scenario as a user's YAML would
type Raw = any;
const issues = (over: (s: Raw) => void) => {
  const s = structuredClone(base) as Raw;
  over(s);
  const r = Scenario.safeParse(s);
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};

describe("attach: the scenario form", () => {
  it("a loopback URL with steps loads", () => {
    expect(issues(() => {})).toEqual([]);
  });

  it("load goes only to loopback or a host the user names in attach.hosts", () => {
    expect(issues((s) => (s.attach.url = "http://api.example.com/"))).toEqual([
      "attach.url: api.example.com is not loopback: name it in attach.hosts to send load there (only to a system that is yours)",
    ]);
    expect(
      issues((s) => {
        s.attach.url = "http://10.0.0.5:8080";
        s.attach.hosts = ["10.0.0.5"];
      }),
    ).toEqual([]);
    expect(unnamedHost({ url: "http://[::1]:80/", hosts: [] })).toBeNull();
    expect(issues((s) => (s.attach.url = "ftp://127.0.0.1/"))[0]).toMatch(/^attach\.url: an http/);
  });

  it("steps need a terminate step, each step once; a command needs no node", () => {
    expect(issues((s) => (s.attach.drain.steps = [{ step: "remove", run: "x" }]))).toEqual([
      "attach.drain.steps: a terminate step is required: the step that stops the node",
    ]);
    expect(
      issues((s) => s.attach.drain.steps.push({ step: "terminate", run: "again" })).some((m) => m.includes("each step at most once")),
    ).toBe(true);
    expect(issues((s) => (s.attach.drain = { command: "kubectl rollout restart deploy/api" }))).toEqual([]);
    expect(issues((s) => (s.attach.drain.steps[0].step = "nap")).length).toBeGreaterThan(0);
  });

  it("without a remove step, attach.drain.removal says which step removes the node, and that step must be there", () => {
    expect(issues((s) => delete s.attach.drain.removal)).toEqual([
      "attach.drain.removal: required when there is no remove step: which step takes the node out of what routes to it (reload, readiness: the mark_draining step, or none), so misrouting can be judged from its end",
    ]);
    expect(issues((s) => (s.attach.drain.removal = "readiness"))).toEqual([
      "attach.drain.removal: removal: readiness needs a mark_draining step in attach.drain.steps",
    ]);
    expect(
      issues((s) => {
        s.attach.drain.removal = "readiness";
        s.attach.drain.steps.unshift({ step: "mark_draining", run: "touch /tmp/draining" });
      }),
    ).toEqual([]);
    expect(issues((s) => (s.attach.drain.removal = "reload"))[0]).toMatch(/needs a reload step/);
  });

  it("refuses what only a stack drainlab starts can do, and fixture-only mix fields", () => {
    expect(issues((s) => (s.faults = [{ kind: "kill-node", at_s: 1 }]))[0]).toMatch(/^faults: faults need a stack drainlab started/);
    expect(issues((s) => (s.drain = { rolling: true }))).toContain(
      "drain.rolling: with attach:, a rolling drain is one drain.command (e.g. kubectl rollout restart)",
    );
    expect(issues((s) => delete s.load.mix[0].path)).toContain(
      "load.mix.0.path: required with attach: the path (and query) your app serves",
    );
    expect(issues((s) => (s.attach.nodes = ["a", "b"]))).toContain("attach.drain.node: n1 is not in attach.nodes (a, b)");
  });
});

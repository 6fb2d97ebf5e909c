import { describe, expect, it } from "vitest";
import { parseAttachUrl, unnamedHost } from "./attach-schema.ts";
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
    expect(issues((s) => (s.attach.url = "ftp://127.0.0.1/"))[0]).toMatch(/^attach\.url: scheme ftp: drainlab sends HTTP load/);
  });

  it("attach.url is parsed once, to its origin; each malformed form has its own reason and no other issue follows from it", () => {
    const error = (u: string) => {
      const r = parseAttachUrl(u);
      return "error" in r ? r.error : `ok ${r.origin} ${r.host}`;
    };
    expect(error("http://127.0.0.1:8080/")).toBe("ok http://127.0.0.1:8080 127.0.0.1");
    expect(error("HTTPS://[::1]:8443")).toBe("ok https://[::1]:8443 [::1]");
    expect(error("")).toMatch(/^empty: give an http/);
    expect(error("   ")).toMatch(/^empty/);
    expect(error("localhost:8080")).toBe("no scheme: write http://localhost:8080 (e.g. http://127.0.0.1:8080)");
    expect(error("127.0.0.1")).toMatch(/^no scheme: write http:\/\/127\.0\.0\.1 /);
    expect(error("ws://127.0.0.1")).toMatch(/^scheme ws: drainlab sends HTTP load/);
    expect(error("http://127.0.0.1:99999")).toBe("port 99999 is out of range (1-65535)");
    expect(error("http://127.0.0.1:0")).toBe("port 0 is out of range (1-65535)");
    expect(error("http://127.0.0.1:8o")).toBe("port 8o is not a number (1-65535)");
    expect(error("http://:80")).toMatch(/^no host/);
    expect(error("http://a:b@127.0.0.1")).toMatch(/^holds a user name or password/);
    expect(error("http://127.0.0.1:8080/api/v1?x=1")).toBe(
      "holds a path (/api/v1): attach.url is the origin the load goes to (http://127.0.0.1:8080); put the path and query in each load.mix[].path",
    );
    expect(error("http://127.0.0.1/?x=1")).toMatch(/^holds a query/);
    expect(error("http://127.0.0.1#top")).toMatch(/^holds a fragment/);
    expect(error("http://127.0.0.1:80\u001b[2J")).toMatch(/^holds a space, a control character/);
    expect(error("http://127.0.0.1\u202e")).toMatch(/^holds a space, a control character/);
    expect(error("http://exa%mple")).toMatch(/^host exa%mple is not a valid host/);
    // one issue per bad url: the loopback rule does not parse it again, so nothing throws after the refusal
    for (const url of ["", "http://127.0.0.1:99999", "nope", "http://[::1"])
      expect(issues((s) => (s.attach.url = url)).filter((m) => m.startsWith("attach.url"))).toHaveLength(1);
    expect(Scenario.parse({ ...structuredClone(base), attach: { ...base.attach, url: "http://localhost:8080/" } }).attach!.url).toBe(
      "http://localhost:8080",
    );
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

import { describe, expect, it } from "vitest";
import { pathProblem } from "./http-fields.ts";
import { Scenario } from "./schema.ts";

/** The issues of a system-less scenario whose one mix entry is `kind`, as `field: message`. */
const issues = (raw: Record<string, unknown>) => {
  const r = Scenario.safeParse({ name: "t", ...raw });
  return r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
};
const system = {
  app: { image: "app:1" },
  nginx: { config: "nginx.conf", upstream: "app" },
};
const entry = (k: Record<string, unknown>) => issues({ system, load: { mix: [{ path: "/x", ...k }] } });

describe("request fields are checked as HTTP at load, so a request the client cannot send is never blamed on the system", () => {
  it("header values are one line of visible text: CR, LF and NUL are refused with their position", () => {
    expect(entry({ headers: { "X-A": "ok value\twith tab" } })).toEqual([]);
    expect(entry({ headers: { "X-A": "a\r\nInjected: 1" } })).toEqual([
      "load.mix.0.headers.X-A: holds a CR at position 2: a header value is one line of visible text (a CR or LF would split the request)",
    ]);
    expect(entry({ headers: { "X-A": "a\nb" } })[0]).toMatch(/holds an LF at position 2/);
    expect(entry({ headers: { "X-A": "a\u0000" } })[0]).toMatch(/holds a NUL at position 2/);
    expect(entry({ headers: { "X-A": "\u202e" } })[0]).toMatch(/beyond Latin-1/);
  });

  it("hop-by-hop, framing and drainlab's own headers are refused with the reason, in any case", () => {
    for (const name of [
      "Transfer-Encoding",
      "connection",
      "Keep-Alive",
      "Upgrade",
      "TE",
      "Trailer",
      "Content-Length",
      "Expect",
      "Host",
      "X-Request-Id",
    ]) {
      const [m] = entry({ headers: { [name]: "x" } });
      expect(m, name).toMatch(new RegExp(`^load\\.mix\\.0\\.headers\\.${name}: ${name} cannot be set: `));
    }
    expect(entry({ headers: { Expect: "100-continue" } })[0]).toContain("does not support Expect");
    expect(entry({ headers: { "Transfer-Encoding": "chunked" } })[0]).toContain("a framing header");
    expect(entry({ headers: { "Bad Name": "x" } })[0]).toMatch(/not a header name/);
    expect(entry({ headers: { Authorization: "Bearer t", "Content-Type": "text/plain" } })).toEqual([]);
  });

  it("paths: RFC 3986 characters only; a space, a quote, a fragment or a bad %-escape is refused with what to write", () => {
    expect(pathProblem("/a/b-c_d.e~f?x=1&y=%20z;k=(v)*+,!$'@:")).toBeNull();
    expect(pathProblem("/a b")).toBe(
      "holds a space at position 3, which RFC 3986 does not allow in a path or query: percent-encode it (%20)",
    );
    expect(pathProblem('/a"b')).toMatch(/holds """ at position 3.*%22/);
    expect(pathProblem("/é")).toMatch(/%C3%A9\)$/);
    expect(pathProblem("/a#top")).toMatch(/a fragment is never sent/);
    expect(pathProblem("/100%")).toMatch(/does not start a percent-encoded octet \(%XX\); write a literal % as %25/);
    expect(pathProblem("/%zz")).toMatch(/position 2/);
    expect(pathProblem("/a\u001b[2J")).toMatch(/a control character/);
    expect(entry({ path: "/a b" })[0]).toMatch(/^load\.mix\.0\.path: holds a space/);
  });

  it("methods: CONNECT (a tunnel the client cannot open) is refused; others the app serves pass", () => {
    expect(entry({ method: "CONNECT" })).toEqual([
      "load.mix.0.method: CONNECT opens a proxy tunnel, not a request; the client cannot send it",
    ]);
    expect(entry({ method: "PATCH" })).toEqual([]);
    expect(entry({ method: "get" })[0]).toMatch(/in capitals/);
    // names of Object.prototype are not refusal reasons (the property test found "valueOf" and "constructor")
    expect(entry({ method: "valueOf" })).toEqual(["load.mix.0.method: an HTTP method in capitals, e.g. GET"]);
    expect(entry({ headers: { constructor: "x", toString: "y", __proto__x: "z" } })).toEqual([]);
  });

  it("weights: each finite and their sum finite, so no entry is starved by an Infinity total", () => {
    const twoHuge = entry({ weight: 1e308 });
    expect(twoHuge).toEqual([]);
    expect(
      issues({
        system,
        load: {
          mix: [
            { path: "/a", weight: 1e308 },
            { path: "/b", weight: 1e308 },
          ],
        },
      }),
    ).toEqual(["load.mix: the weights sum past the largest number: give smaller weights (only their ratios count, e.g. 1 and 3)"]);
    expect(entry({ weight: Number.POSITIVE_INFINITY })[0]).toMatch(/^load\.mix\.0\.weight: /);
  });

  it("durations are bounded by a day, so no timer overflows to fire at once", () => {
    expect(issues({ load: { duration_s: 20 }, drain: { at_s: 1e7 } })).toContain(
      "drain.at_s: at most 86400 s (a day); a longer wait is a typo, and past 24.8 days a timer fires at once",
    );
    expect(issues({ drain: { settle_ms: 1e12 } })[0]).toMatch(/^drain\.settle_ms: at most 86400000 ms/);
    expect(issues({ load: { timeout_s: 1e9 } })[0]).toMatch(/^load\.timeout_s: /);
    expect(issues({ faults: [{ kind: "kill-node", at_s: 2, route_around_within_ms: 1e15 }] })[0]).toMatch(
      /route_around_within_ms: at most/,
    );
  });

  it("a drain at or after the load's end is refused with the load's length, for every scenario", () => {
    expect(issues({ load: { duration_s: 3 }, drain: { at_s: 5 } })).toEqual([
      "drain.at_s: the drain would start at 5 s, at or after the load ends (load.duration_s: 3 s), and meet no traffic: give an at_s inside the load, or a longer load",
    ]);
    expect(issues({ load: { duration_s: 3 }, drain: { at_s: 3 } })).toHaveLength(1);
    expect(issues({ load: { duration_s: 3 }, drain: { at_s: 2.9 } })).toEqual([]);
    expect(issues({ load: { duration_s: 3 }, drain: { at_s: 5, enabled: false } })).toEqual([]);
    // a control of drain-exercised too: it drains inside the load's last instant instead
    expect(
      issues({ expect: { verdict: "fail", failing_checks: ["drain-exercised"] }, load: { duration_s: 3 }, drain: { at_s: 5 } }),
    ).toHaveLength(1);
  });
});

import { describe, expect, it } from "vitest";
import { validateScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";
import { checkStart, parseShardSpec, shardSpecOf } from "./shard-spec.ts";

const NOW = Date.parse("2026-12-07T02:00:00Z");
const base = {
  drainlab_shard_spec: 1,
  run_id: "r1",
  url: "http://127.0.0.1:8080",
  t0: NOW + 5000,
  shard: { count: 2 },
  load: { rate_per_s: 100, duration_s: 2, mix: [{ path: "/x" }] },
};
const text = (over: Record<string, unknown>) => JSON.stringify({ ...base, ...over });

/** The one line a bad spec is refused with. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(UsageError);
    const message = (e as Error).message;
    expect(message.split("\n")).toHaveLength(1);
    return message;
  }
  throw new Error("not refused");
}

describe("shard spec", () => {
  it("reads JSON or YAML, t0 as epoch ms or ISO 8601, the index from the file or --index", () => {
    const a = parseShardSpec(text({}), "spec.json", 1);
    expect(a.shard).toEqual({ index: 1, count: 2 });
    expect(a.t0).toBe(NOW + 5000);
    expect(a.start_ms).toBe(0);
    expect(a.load.rate_per_s).toBe(100);
    expect(a.load.timeout_s).toBe(30); // the scenario's defaults
    expect(a.fixture_mix).toBe(false);
    const b = parseShardSpec(
      "drainlab_shard_spec: 1\nrun_id: r1\nurl: http://localhost:8080\nt0: 2026-12-07T02:00:05+00:00\nshard: { index: 0, count: 3 }\nload: {}\n",
      "spec.yaml",
    );
    expect(b.t0).toBe(NOW + 5000);
    expect(b.shard).toEqual({ index: 0, count: 3 });
    // --index wins over the file's
    expect(parseShardSpec(text({ shard: { index: 0, count: 2 } }), "s", 1).shard.index).toBe(1);
  });

  it("refuses bad input on one line naming the file, the field and the value", () => {
    expect(refusal(() => parseShardSpec(text({ load: { rate_per_s: -1 } }), "spec.json", 0))).toBe(
      "spec.json: invalid shard spec: load.rate_per_s: Too small: expected number to be >0 (value: -1)",
    );
    expect(refusal(() => parseShardSpec(text({ t0: "tomorrow" }), "spec.json", 0))).toMatch(
      /^spec\.json: invalid shard spec: t0: an instant: epoch ms, or ISO 8601 with its offset .* \(value: "tomorrow"\)$/,
    );
    expect(refusal(() => parseShardSpec(text({ run_id: "a b" }), "spec.json", 0))).toMatch(
      /^spec\.json: invalid shard spec: run_id: .* \(value: "a b"\)$/,
    );
    expect(refusal(() => parseShardSpec(text({ url: "http://10.1.2.3:80" }), "spec.json", 0))).toMatch(
      /url: 10\.1\.2\.3 is not loopback: name it in hosts .* \(value: "http:\/\/10\.1\.2\.3:80"\)$/,
    );
    // a host the spec names is allowed
    expect(parseShardSpec(text({ url: "http://10.1.2.3:80", hosts: ["10.1.2.3"] }), "s", 0).url).toBe("http://10.1.2.3");
    expect(refusal(() => parseShardSpec(text({ shard: { index: 2, count: 2 } }), "spec.json"))).toMatch(
      /^spec\.json: invalid shard spec: shard\.index: a shard of 2 is numbered 0\.\.1 \(value: 2\)$/,
    );
    expect(refusal(() => parseShardSpec(text({ extra: 1 }), "spec.json", 0))).toMatch(/\(top level\): unknown field\(s\) extra/);
    expect(refusal(() => parseShardSpec(text({}), "spec.json"))).toMatch(/shard\.index is missing and no --index was given/);
    expect(refusal(() => parseShardSpec(text({}), "spec.json", 2))).toMatch(/^--index 2: spec\.json has shard\.count 2/);
    expect(refusal(() => parseShardSpec("[1, 2]", "spec.json", 0))).toBe("spec.json: a shard spec must be a YAML mapping (got a list)");
    expect(refusal(() => parseShardSpec("", "spec.json", 0))).toBe("spec.json: a shard spec must be a YAML mapping (got an empty file)");
    expect(refusal(() => parseShardSpec("{ a: *x }", "spec.json", 0))).toMatch(/^spec\.json: not valid YAML/);
  });

  it("refuses a start that has passed (more than a second) or lies more than 10 min ahead, naming t0 and this host's clock", () => {
    const at = (t0: number, start_ms = 0) => parseShardSpec(text({ t0, start_ms }), "spec.json", 0);
    expect(() => checkStart(at(NOW - 500), "spec.json", NOW)).not.toThrow();
    expect(() => checkStart(at(NOW + 9 * 60_000), "spec.json", NOW)).not.toThrow();
    expect(refusal(() => checkStart(at(NOW - 5000), "spec.json", NOW))).toBe(
      "spec.json: t0 2026-12-07T01:59:55.000Z: the schedule's start is 5.0 s in the past (this host's clock reads 2026-12-07T02:00:00.000Z); write a spec whose t0 is ahead (drainlab shard-spec --start-in <s>)",
    );
    // t0 in the past is fine when the start (t0 + start_ms) is ahead
    expect(() => checkStart(at(NOW - 5000, 6000), "spec.json", NOW)).not.toThrow();
    expect(refusal(() => checkStart(at(NOW + 3_600_000), "spec.json", NOW))).toMatch(
      /^spec\.json: t0 2026-12-07T03:00:00\.000Z: the schedule's start is 60\.0 min ahead .*, more than the 10 min a shard waits$/,
    );
  });

  it("a scenario's load written by shardSpecOf reads back as the same load", () => {
    const scenario = validateScenario({
      name: "s",
      load: { rate_per_s: 300, on_off: { on_s: 1, off_s: 1 }, mix: [{ method: "POST", ms: { min: 1, max: 5 }, body_bytes: 10 }] },
    });
    const spec = shardSpecOf({
      runId: "r",
      url: "http://127.0.0.1:1",
      t0EpochMs: NOW,
      startMs: 250.5,
      count: 4,
      load: scenario.load,
      fixtureMix: true,
    });
    const back = parseShardSpec(JSON.stringify(spec), "s", 3);
    expect(back.load).toEqual(scenario.load);
    expect(back.t0 + back.start_ms).toBe(NOW + 250.5);
    expect(back.shard).toEqual({ index: 3, count: 4 });
  });
});

import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { performance } from "node:perf_hooks";
import { describe, expect, it } from "vitest";
import { Timeline } from "../clock/timeline.ts";
import type { LedgerRow } from "../records/ledger-row.ts";
import { RAW_FILES, readAppLedger } from "../records/server-logs.ts";
import { Scenario } from "../scenario/schema.ts";
import { collectRecords, MAX_ATTACH_NODES } from "./collect.ts";
import { exitCodeOf, runAttachedDrain } from "./drain.ts";
import { runHook } from "./hooks.ts";

const tmp = () => mkdtempSync(join(tmpdir(), "drainlab-attach-unit-"));
const hookIn = (dir: string, run: string, timeout_s = 10, signal?: AbortSignal) =>
  runHook({
    step: "s",
    run,
    timeout_s,
    cwd: dir,
    env: { X_FROM_DRAINLAB: "yes" },
    logPath: join(dir, "s.log"),
    logName: "s.log",
    t0: performance.now(),
    signal,
  });
/** Running, not a zombie nobody reaped (PID 1 of a container may not reap). */
const alive = (pid: number) => {
  try {
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

describe("attach hooks: the user's commands", () => {
  it("runs through sh in the scenario's folder, with drainlab's variables, keeping its output and exit code", async () => {
    const dir = tmp();
    const r = await hookIn(dir, 'pwd; echo "$X_FROM_DRAINLAB"; echo oops >&2; exit 3');
    expect(r.exit_code).toBe(3);
    expect(r.timed_out).toBe(false);
    expect(r.output_tail).toBe(`${dir}\nyes\noops`);
    expect(readFileSync(join(dir, "s.log"), "utf8")).toContain("oops");
  });

  it("a command past its timeout is stopped with everything it started (its process group)", async () => {
    const dir = tmp();
    const t = performance.now();
    const r = await hookIn(dir, "sleep 30 & echo $! > child.pid; wait", 0.5);
    expect(performance.now() - t).toBeLessThan(5000);
    expect(r.timed_out).toBe(true);
    expect(r.exit_code).toBeNull();
    const child = Number(readFileSync(join(dir, "child.pid"), "utf8"));
    await new Promise((ok) => setTimeout(ok, 200));
    expect(alive(child)).toBe(false);
  });

  it("Ctrl-C (the run's abort) stops a running command too", async () => {
    const dir = tmp();
    const abort = new AbortController();
    setTimeout(() => abort.abort(new Error("interrupted")), 200);
    const r = await hookIn(dir, "sleep 30", 60, abort.signal);
    expect(r.exit_code).toBeNull();
    expect(r.end_ms - r.start_ms).toBeLessThan(5000);
  });

  it("a command that cannot start is a failed hook, not a crash", async () => {
    const r = await runHook({
      step: "s",
      run: "true",
      timeout_s: 5,
      cwd: "/no/such/dir",
      env: {},
      logPath: join(tmp(), "s.log"),
      logName: "s.log",
      t0: 0,
    });
    expect(r.exit_code).not.toBe(0);
    expect(r.output_tail).toMatch(/ENOENT/);
  });

  it("the removal takes effect at the end of the step attach.drain.removal names", async () => {
    const dir = tmp();
    const steps = [
      { step: "mark_draining", run: "sleep 0.2" },
      { step: "terminate", run: "true" },
      { step: "wait_exit", run: "echo 0" },
    ];
    const drainOf = async (removal: string, list = steps) => {
      const s = Scenario.parse({
        name: "t",
        load: { mix: [{ method: "GET", path: "/", expected_ms: 1 }] },
        drain: { at_s: 0 },
        attach: { url: "http://127.0.0.1:1", drain: { node: "node-1", steps: list, removal } },
      });
      const [d] = await runAttachedDrain(s, new Timeline(performance.now()), { cwd: dir, runDir: dir, runId: "r", sinceIso: "" });
      return d!;
    };
    const readiness = await drainOf("readiness");
    expect(readiness.removed).toBe(true);
    expect(readiness.reload_effective_ms).toBe(readiness.hooks![0]!.end_ms);
    expect(readiness.reload_effective_ms!).toBeLessThanOrEqual(readiness.signal_ms);
    expect(readiness.exit_code).toBe(0);
    const failed = await drainOf("readiness", [{ step: "mark_draining", run: "exit 3" }, ...steps.slice(1)]);
    expect(failed).toMatchObject({ removed: true, reload_effective_ms: null });
    const none = await drainOf("none");
    expect(none).toMatchObject({ removed: false, reload_effective_ms: null });
  });

  it("wait_exit's last line is the exit code when it is an integer", () => {
    expect(exitCodeOf("0\n")).toBe(0);
    expect(exitCodeOf("waiting\n137")).toBe(137);
    expect(exitCodeOf("deployment rolled out")).toBeNull();
  });
});

describe("attach records: from files and commands' output", () => {
  const runId = "20261203-000000-abcdef";
  const t0EpochMs = 1_800_000_000_000;
  const scenarioWith = (records: Record<string, unknown>) =>
    Scenario.parse({
      name: "t",
      load: { mix: [{ method: "GET", path: "/" }] },
      attach: {
        url: "http://127.0.0.1:1",
        drain: { node: "node-1", steps: [{ step: "terminate", run: "true" }], removal: "none" },
        records,
      },
    });
  const row = (id: string, node: string) => ({ id, node }) as unknown as LedgerRow;
  const nginxLine = (id: string, addr: string) =>
    JSON.stringify({
      t: t0EpochMs / 1000 + 1,
      id,
      method: "GET",
      status: 200,
      upstream_addr: addr,
      upstream_status: "200",
      request_time: 0.01,
      generation: 0,
    });
  const ledger = (id: string, node: string, event = "start", t = t0EpochMs / 1000 + 1) => JSON.stringify({ t, event, id, node, pid: 7 });

  it("keeps this run's lines after any log prefix, splits the ledgers by node, learns nginx's addresses", async () => {
    const dir = tmp();
    const runDir = join(dir, "run");
    mkdirSync(runDir);
    writeFileSync(
      join(dir, "access.jsonl"),
      [
        nginxLine(`${runId}-1`, "172.18.0.3:8000"),
        nginxLine(`${runId}-2`, "172.18.0.4:8000"),
        nginxLine("other-run-1", "172.18.0.9:8000"),
      ].join("\n"),
    );
    // kubectl logs --prefix, other log lines, a line cut mid-write, an earlier run's ledger-active
    writeFileSync(
      join(dir, "pods.txt"),
      [
        `[pod/api-a/api] ${ledger(`${runId}-1`, "api-a")}`,
        "[pod/api-a/api] INFO:     Application startup complete.",
        `[pod/api-b/api] ${ledger(`${runId}-2`, "api-b")}`,
        `[pod/api-b/api] ${ledger(`${runId}-2`, "api-b").slice(0, -12)}`,
        `[pod/api-b/api] ${ledger("-", "api-b", "ledger-active", t0EpochMs / 1000 - 3600)}`,
        `[pod/api-b/api] ${ledger("-", "api-b", "ledger-active", t0EpochMs / 1000 - 5)}`,
      ].join("\n"),
    );
    const s = scenarioWith({ nginx_log: { file: "access.jsonl" }, app_ledger: [{ command: "cat pods.txt" }] });
    const got = await collectRecords(s, { cwd: dir, runDir, runId, sinceIso: "", t0: 0, t0EpochMs }, [
      row(`${runId}-1`, "api-a"),
      row(`${runId}-2`, "api-b"),
    ]);
    // nothing dropped silently: each source says what it did not keep, and why
    expect(got.notes).toEqual([
      "nginx: 1 line(s) not kept: 1 of other runs' requests",
      "app-ledger-1: 1 line(s) not kept: 1 server event(s) from more than 10 min before this run's start",
    ]);
    expect(got.unreadable).toBe(1);
    expect(got.hooks.map((h) => h.exit_code)).toEqual([0]);
    expect(got.nodes).toEqual([
      { name: "api-a", address: "172.18.0.3:8000" },
      { name: "api-b", address: "172.18.0.4:8000" },
    ]);
    expect(readFileSync(join(runDir, RAW_FILES.nginxAccessLog), "utf8").trim().split("\n")).toHaveLength(2);
    expect(readAppLedger(join(runDir, RAW_FILES.appLedger("api-a"))).rows.map((e) => e.id)).toEqual([`${runId}-1`]);
    expect(readAppLedger(join(runDir, RAW_FILES.appLedger("api-b"))).rows.map((e) => e.event)).toEqual(["start", "ledger-active"]);
  });

  it("an address several nodes answered behind (a Service IP) is no node's: attempts are matched by X-Node only", async () => {
    const dir = tmp();
    const runDir = join(dir, "run");
    mkdirSync(runDir);
    writeFileSync(
      join(dir, "access.jsonl"),
      [nginxLine(`${runId}-1`, "10.96.0.10:8000"), nginxLine(`${runId}-2`, "10.96.0.10:8000")].join("\n"),
    );
    const s = scenarioWith({ nginx_log: { file: "access.jsonl" } });
    const got = await collectRecords(s, { cwd: dir, runDir, runId, sinceIso: "", t0: 0, t0EpochMs }, [
      row(`${runId}-1`, "api-a"),
      row(`${runId}-2`, "api-b"),
    ]);
    expect(got.nodes).toEqual([
      { name: "api-a", address: "" },
      { name: "api-b", address: "" },
    ]);
    expect(got.notes[0]).toContain("10.96.0.10:8000 answered as api-a, api-b");
  });

  it("says what is missing: a file that is not there, a command that failed, a log without this run's lines", async () => {
    const dir = tmp();
    const runDir = join(dir, "run");
    mkdirSync(runDir);
    writeFileSync(join(dir, "old.jsonl"), nginxLine("other-run-1", "172.18.0.9:8000"));
    const s = scenarioWith({ nginx_log: { file: "old.jsonl" }, app_ledger: [{ file: "gone.jsonl" }, { command: "echo no >&2; exit 4" }] });
    const got = await collectRecords(s, { cwd: dir, runDir, runId, sinceIso: "", t0: 0, t0EpochMs }, []);
    expect(got.notes).toEqual([
      "nginx: no line of this run's requests in nginx's log (is drainlab's log_format in use?)",
      "nginx: 1 line(s) not kept: 1 of other runs' requests",
      "app-ledger-1: gone.jsonl does not exist",
      "app-ledger-2: `echo no >&2; exit 4` exited 4: no",
      "app ledger: no line of this run in any source (is the module on PYTHONPATH, DRAINLAB_LEDGER set?)",
    ]);
    expect(existsSync(join(runDir, "raw/attach/app-ledger-2.log"))).toBe(true);
  });

  it("reads a line at a time with a limit: a line past 1 MB is one unreadable line, ledgers naming past 256 nodes are cut, a FIFO is said", async () => {
    const dir = tmp();
    const runDir = join(dir, "run");
    mkdirSync(runDir);
    writeFileSync(
      join(dir, "ledger.jsonl"),
      [
        ledger(`${runId}-1`, "api-a"),
        `{"t":1,"pad":"${"x".repeat(2 * 1024 * 1024)}"}`,
        ...Array.from({ length: MAX_ATTACH_NODES + 4 }, (_, i) => ledger(`${runId}-${i + 2}`, `pod-${i}`)),
      ].join("\n"),
    );
    execFileSync("mkfifo", [join(dir, "nginx.fifo")]);
    const s = scenarioWith({ nginx_log: { file: "nginx.fifo" }, app_ledger: [{ file: "ledger.jsonl" }] });
    const started = performance.now();
    const got = await collectRecords(s, { cwd: dir, runDir, runId, sinceIso: "", t0: 0, t0EpochMs }, []);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(got.unreadable).toBe(1);
    expect(got.notes).toEqual([
      `nginx: nginx.fifo: ${join(dir, "nginx.fifo")} is a FIFO (named pipe), not a regular file`,
      "app-ledger-1: 6 line(s) not kept: 1 longer than 1 MB (counted unreadable), 5 naming a node past the first 256",
    ]);
    expect(readAppLedger(join(runDir, RAW_FILES.appLedger("api-a"))).rows).toHaveLength(1);
  });
});

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, truncateSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

const BIN = new URL("../../bin/drainlab.mjs", import.meta.url).pathname;
/** How long a spawned command may run before it counts as hung. */
const HANG_MS = 90_000;

/**
 * The command, spawned. DOCKER_HOST names no engine, so a guard that failed to
 * stop a bad command early ends at exit 3 instead of starting containers; a hang
 * is killed (SIGKILL: the /proc hang ignored SIGTERM) and shows as code null.
 * A hang never ends, so the guard can be generous: one tsx start-up of the CLI
 * takes about a second alone, but 20 s and more with several side by side on a
 * busy machine (CI builds its images beside the unit tests), and a 20 s guard
 * killed 8 healthy cases that way here.
 */
function drainlab(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string; ms: number }> {
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, CI: "true", NO_COLOR: "1", DOCKER_HOST: "unix:///nonexistent/drainlab-test.sock" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), HANG_MS);
    child.on("close", (code) => {
      clearTimeout(timer);
      done({ code, stdout, stderr, ms: performance.now() - started });
    });
  });
}

const dir = mkdtempSync(join(tmpdir(), "drainlab-hostile-"));
function scenarioFile(text: string, name = `s${Math.random().toString(16).slice(2, 8)}.yaml`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OK = scenarioFile("name: ok\n");
const MIX2 = scenarioFile("name: x\nload:\n  mix: [{ method: GET, ms: 5 }, { method: GET, ms: 6 }]\n");
const BOMB = scenarioFile(
  [
    "name: bomb",
    "a: &a [1,1,1,1,1,1,1,1,1]",
    ..."bcdefghi".split("").map((c, i) => `${c}: &${c} [${Array(9).fill(`*${"abcdefghi"[i]}`).join(",")}]`),
    "",
  ].join("\n"),
);

/** Exit 2, the message's first line, and no stack trace. */
function usage(r: { code: number | null; stderr: string }, firstLine: RegExp): void {
  expect(r.code, r.stderr).toBe(2);
  expect(r.stderr.split("\n")[0]).toMatch(firstLine);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
}

// Every case is refused before anything starts; each spawn is about a second of tsx start-up, so they run side by side.
describe("drainlab on hostile input: exit 2 naming file, field or flag, and the value", { timeout: 2 * HANG_MS }, () => {
  it("alias bombs, unresolved aliases, a list at the top and an empty file argument", async () => {
    const [bomb, nope, list, empty] = await Promise.all([
      drainlab("lint", BOMB),
      drainlab("lint", scenarioFile("name: *nope\n")),
      drainlab("lint", scenarioFile("- a\n- b\n")),
      drainlab("lint", ""),
    ]);
    usage(bomb, /^drainlab: .*\.yaml: not valid YAML: aliases expand too far \(an alias bomb; at most 100 expansions per anchor\)$/);
    expect(bomb.stderr).toContain(BOMB);
    usage(nope, /^drainlab: .*\.yaml: not valid YAML: Unresolved alias \(the anchor must be set before the alias\): nope$/);
    usage(list, /^drainlab: .*\.yaml: a scenario must be a YAML mapping \(got a list\)$/);
    usage(empty, /^drainlab: no scenario file given/);
  });

  it("--set: list indices, YAML that a file would refuse, prototype paths and non-finite numbers", async () => {
    const rs = await Promise.all([
      drainlab("lint", MIX2, "--set", "load.mix.99.ms=2"),
      drainlab("lint", MIX2, "--set", "load.mix.100000000.ms=2"),
      drainlab("lint", OK, "--set", 'name="unclosed'),
      drainlab("lint", OK, "--set", "name=*nope"),
      drainlab("lint", OK, "--set", "name=!foo bar"),
      drainlab("lint", OK, "--set", "__proto__.polluted=1"),
      drainlab("lint", OK, "--set", "load.rate_per_s=.nan"),
      drainlab("lint", scenarioFile("name: x\nload: { rate_per_s: .nan }\n")),
    ]);
    usage(rs[0]!, /^drainlab: --set load\.mix\.99\.ms=2: load\.mix has 2 entries \(index 0\.\.2\)$/);
    usage(rs[1]!, /^drainlab: --set load\.mix\.100000000\.ms=2: load\.mix has 2 entries \(index 0\.\.2\)$/);
    usage(rs[2]!, /^drainlab: --set name="unclosed: the value is not valid YAML at column 10: MISSING_CHAR/);
    usage(rs[3]!, /^drainlab: --set name=\*nope: the value is not valid YAML: Unresolved alias/);
    usage(rs[4]!, /^drainlab: --set name=!foo bar: the value is not valid YAML at column 1: TAG_RESOLVE_FAILED/);
    usage(rs[5]!, /^drainlab: --set __proto__\.polluted=1: "__proto__" is not a scenario field \(a reserved name\)$/);
    usage(rs[6]!, /^drainlab: --set load\.rate_per_s=\.nan: NaN is not a finite number; give a number such as 200$/);
    usage(rs[7]!, /invalid scenario$/);
    expect(rs[7]!.stderr).toMatch(/load\.rate_per_s: .*received NaN \(not a finite number\) \(value: NaN\)/);
  });

  it("--out that no folder can go in (a file, /proc) for run, matrix and tune, fast; --baseline holding null", async () => {
    const nullReport = scenarioFile("null\n", "null.json");
    const [procRun, fileRun, procMatrix, fileMatrix, fileTune, baseline] = await Promise.all([
      drainlab("run", OK, "--out", "/proc/drainlab-nope"),
      drainlab("run", OK, "--out", `${OK}/under`),
      drainlab("matrix", OK, "--grid", "load.rate_per_s=1,2", "--out", "/proc/drainlab-nope"),
      drainlab("matrix", OK, "--grid", "load.rate_per_s=1,2", "--out", OK),
      drainlab("tune", OK, "--param", "load.rate_per_s", "--range", "1..3", "--out", OK),
      drainlab("run", OK, "--baseline", nullReport, "--out", join(dir, "never-made")),
    ]);
    usage(procRun, /^drainlab: --out \/proc\/drainlab-nope: cannot create the run folder in \/proc\/drainlab-nope \(ENOENT\)/);
    // refused before any engine or image work (not by a stopwatch: a busy machine must not fail this)
    expect(procRun.stdout + procRun.stderr).not.toMatch(/dockerd|building|pulling|engine ok/);
    usage(fileRun, /^drainlab: --out .*\/under: cannot create the run folder in .* \(ENOTDIR\): .*\.yaml is a file, not a folder$/);
    usage(procMatrix, /^drainlab: --out \/proc\/drainlab-nope: cannot create the matrix folder/);
    usage(fileMatrix, /^drainlab: --out .*\.yaml: cannot create the matrix folder in .* \(ENOTDIR\)/);
    usage(fileTune, /^drainlab: --out .*\.yaml: cannot create the tune folder in .* \(ENOTDIR\)/);
    usage(
      baseline,
      /^drainlab: --baseline .*null\.json: not a drainlab report\.json: field \(top level\): Invalid input: expected object, received null$/,
    );
  });

  it("matrix: more cells than --max-cells is refused naming the count and the flag", async () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1).join(",");
    const [big, bad] = await Promise.all([
      drainlab("matrix", OK, "--grid", `load.rate_per_s=${values}`, "--grid", `drain.stop_wait_s=${values}`),
      drainlab("matrix", OK, "--grid", "load.rate_per_s=1,2", "--max-cells", "-1"),
    ]);
    usage(
      big,
      /^drainlab: the grid makes 10000 cells \(load\.rate_per_s 100 x drain\.stop_wait_s 100\), more than --max-cells 100; pass --max-cells 10000/,
    );
    usage(bad, /^drainlab: --max-cells -1: expected a whole number from 1 to 100000$/);
  });

  it("names with control characters or newlines are shown escaped, never obeyed", async () => {
    const forged = scenarioFile('name: "a\\nverdict   PASS\\e[2J"\n');
    const escName = scenarioFile("name: x\nload: { rate_per_s: fast }\n", "evil\x1b[31m\nverdict   PASS.yaml");
    const [lint, error] = await Promise.all([drainlab("lint", forged), drainlab("lint", escName)]);
    expect(lint.code, lint.stderr).toBe(0);
    expect(lint.stdout.split("\n")[0]).toMatch(/^drainlab lint a\\nverdict {3}PASS\\x1b\[2J {2}/);
    expect(lint.stdout).not.toContain("\x1b");
    usage(error, /^drainlab: .*evil\\x1b\[31m\\nverdict {3}PASS\.yaml: invalid scenario$/);
    expect(error.stderr).not.toContain("\x1b");
  });

  it("attach.url: each malformed form is refused with its reason, through lint, --set, matrix, tune and judge", async () => {
    const attach = (url: string) =>
      scenarioFile(`name: a\nattach:\n  url: ${JSON.stringify(url)}\n  drain: { command: "true" }\nload:\n  mix: [{ path: /x }]\n`);
    const good = attach("http://127.0.0.1:8080");
    const runDir = join(dir, "run-bad-url");
    mkdirSync(join(runDir, "raw"), { recursive: true });
    const stored = JSON.parse(readFileSync(new URL("../report/testdata/drain-one-node.json", import.meta.url), "utf8"));
    stored.t0_epoch_ms = 0;
    stored.parameters.attach = { url: "http://127.0.0.1:99999", drain: { command: "true" } };
    writeFileSync(join(runDir, "report.json"), JSON.stringify(stored));
    // two batches: ten tsx start-ups at once starve each other on two cores
    const rs = [
      ...(await Promise.all([
        drainlab("lint", attach("")),
        drainlab("lint", attach("127.0.0.1:8080")),
        drainlab("lint", attach("ftp://127.0.0.1/")),
        drainlab("lint", attach("http://127.0.0.1:99999")),
        drainlab("lint", attach("http://127.0.0.1:8080/api?x=1")),
      ])),
      ...(await Promise.all([
        drainlab("lint", attach("http://127.0.0.1:8080/\u001b[2J\u202e")),
        drainlab("lint", good, "--set", "attach.url=http://127.0.0.1:99999"),
        drainlab("matrix", good, "--grid", "attach.url=http://127.0.0.1:1,http://127.0.0.1:99999", "--out", join(dir, "m-url")),
        drainlab("tune", good, "--param", "load.rate_per_s", "--range", "1..3", "--set", 'attach.url=""', "--out", join(dir, "t-url")),
        drainlab("judge", runDir),
      ])),
    ];
    for (const r of rs) usage(r, /invalid scenario$/);
    const field = (r: { stderr: string }) => r.stderr.split("\n").find((l) => l.includes("attach.url:"));
    expect(field(rs[0]!)).toMatch(/attach\.url: empty: give an http:\/\/ or https:\/\/ URL/);
    expect(field(rs[1]!)).toMatch(/attach\.url: no scheme: write http:\/\/127\.0\.0\.1:8080/);
    expect(field(rs[2]!)).toMatch(/attach\.url: scheme ftp: drainlab sends HTTP load/);
    expect(field(rs[3]!)).toMatch(/attach\.url: port 99999 is out of range \(1-65535\)/);
    expect(field(rs[4]!)).toMatch(/attach\.url: holds a path \(\/api\): .*put the path and query in each load\.mix\[\]\.path/);
    expect(field(rs[5]!)).toMatch(/attach\.url: holds a space, a control character/);
    expect(rs[5]!.stderr).not.toMatch(/[\x1b\u202e]/);
    expect(field(rs[6]!)).toMatch(/port 99999 is out of range/);
    expect(field(rs[7]!)).toMatch(/port 99999 is out of range/);
    expect(field(rs[8]!)).toMatch(/attach\.url: empty/);
    expect(rs[9]!.stderr.split("\n")[0]).toContain("run-bad-url/report.json parameters: invalid scenario");
    expect(field(rs[9]!)).toMatch(/port 99999 is out of range/);
  });

  it("every path a scenario names is checked at load: a FIFO, a device, a folder or a file past its limit is refused naming the field", async () => {
    const fifo = join(dir, "body.fifo");
    execFileSync("mkfifo", [fifo]);
    const big = join(dir, "big.bin");
    writeFileSync(big, "");
    truncateSync(big, 17 * 1024 * 1024); // sparse: 17 MB without writing them
    const body = (path: string) =>
      scenarioFile(
        `name: b\nsystem: { app: { image: a }, nginx: { config: ${JSON.stringify(OK)}, upstream: u } }\nload:\n  mix: [{ path: /x, body_file: ${JSON.stringify(path)} }]\n`,
      );
    const ctx = join(dir, "ctx");
    mkdirSync(join(ctx, "Dockerfile.d"), { recursive: true });
    const dockerfile = (name: string) =>
      scenarioFile(
        `name: d\nsystem: { app: { build: { context: ${JSON.stringify(ctx)}, dockerfile: ${name} } }, nginx: { config: ${JSON.stringify(OK)}, upstream: u } }\nload:\n  mix: [{ path: /x }]\n`,
      );
    const records = scenarioFile(
      `name: r\nattach:\n  url: http://127.0.0.1:8080\n  drain: { command: "true" }\n  records: { nginx_log: { file: ${JSON.stringify(fifo)} } }\nload:\n  mix: [{ path: /x }]\n`,
    );
    const rs = [
      ...(await Promise.all([
        drainlab("lint", body(fifo)),
        drainlab("lint", body("/dev/zero")),
        drainlab("lint", body(dir)),
        drainlab("lint", body(big)),
      ])),
      ...(await Promise.all([
        drainlab("lint", dockerfile("Nope")),
        drainlab("lint", dockerfile("Dockerfile.d")),
        drainlab("run", dockerfile("Nope"), "--out", join(dir, "never-run")),
        drainlab("lint", records),
      ])),
    ];
    for (const r of rs) usage(r, /^drainlab: .*\.yaml: /);
    expect(rs[0]!.stderr).toMatch(/load\.mix\.0\.body_file: .*body\.fifo is a FIFO \(named pipe\), not a regular file/);
    expect(rs[1]!.stderr).toMatch(/load\.mix\.0\.body_file: \/dev\/zero is a device, not a regular file/);
    expect(rs[2]!.stderr).toMatch(/load\.mix\.0\.body_file: .* is a folder, not a regular file/);
    expect(rs[3]!.stderr).toMatch(/load\.mix\.0\.body_file: .*big\.bin is 17 MB, larger than the 16 MB limit/);
    expect(rs[4]!.stderr).toMatch(/system\.app\.build\.dockerfile: no file .*ctx\/Nope/);
    expect(rs[5]!.stderr).toMatch(/system\.app\.build\.dockerfile: .*Dockerfile\.d is a folder, not a regular file/);
    // before any engine work: no engine is asked (DOCKER_HOST names none), so exit 2, not 3
    expect(rs[6]!.stderr).toMatch(/system\.app\.build\.dockerfile: no file/);
    expect(rs[7]!.stderr).toMatch(/attach\.records\.nginx_log\.file: .*body\.fifo is a FIFO/);
  });

  it("judge and report open nothing that can hang or fill memory: a FIFO ledger, a FIFO --baseline, a folder, /dev/zero", async () => {
    const stored = JSON.parse(readFileSync(new URL("../report/testdata/drain-one-node.json", import.meta.url), "utf8"));
    stored.t0_epoch_ms = 0;
    const runWith = (name: string, make: (ledger: string) => void) => {
      const runDir = join(dir, name);
      mkdirSync(join(runDir, "raw"), { recursive: true });
      writeFileSync(join(runDir, "report.json"), JSON.stringify(stored));
      make(join(runDir, "raw/client-ledger.jsonl"));
      return runDir;
    };
    const fifoRun = runWith("run-fifo", (l) => execFileSync("mkfifo", [l]));
    const folderRun = runWith("run-folder", (l) => mkdirSync(l));
    const okRun = runWith("run-ok", (l) => writeFileSync(l, ""));
    const logRun = runWith("run-fifo-log", (l) => writeFileSync(l, ""));
    mkdirSync(join(logRun, "raw/node-1"), { recursive: true });
    execFileSync("mkfifo", [join(logRun, "raw/node-1/container.log")]);
    const fifoBaseline = join(dir, "baseline.fifo");
    execFileSync("mkfifo", [fifoBaseline]);
    // the peer: a command that opens nothing, started beside them, so "fast" is measured against the same machine
    const [ledger, folder, baseline, log, zero, peer] = await Promise.all([
      drainlab("judge", fifoRun),
      drainlab("judge", folderRun),
      drainlab("judge", okRun, "--baseline", fifoBaseline, "--out", join(dir, "judged-b")),
      drainlab("judge", logRun),
      drainlab("report", "/dev/zero"),
      drainlab("lint", OK),
    ]);
    usage(ledger, /^drainlab: client ledger: .*run-fifo\/raw\/client-ledger\.jsonl is a FIFO \(named pipe\), not a regular file$/);
    usage(folder, /^drainlab: client ledger: .*run-folder\/raw\/client-ledger\.jsonl is a folder, not a regular file$/);
    usage(baseline, /^drainlab: --baseline: .*baseline\.fifo is a FIFO \(named pipe\), not a regular file$/);
    usage(log, /^drainlab: container log: .*container\.log is a FIFO/);
    usage(zero, /^drainlab: report\.json: \/dev\/zero is a device, not a regular file$/);
    for (const r of [ledger, folder, baseline, log, zero]) expect(r.ms).toBeLessThan(peer.ms + 10_000);
  });

  it("attach: node names, record file names and a record command's stderr reach the terminal escaped, never obeyed", async () => {
    // a system on loopback whose answers name a node with a one-byte CSI (0x9b)
    const server = createServer((_, res) => {
      res.setHeader("X-Node", "n\x9b2J1");
      res.end("ok");
    });
    await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
    const port = (server.address() as AddressInfo).port;
    const file = scenarioFile(
      [
        "name: esc",
        "attach:",
        `  url: http://127.0.0.1:${port}`,
        '  nodes: ["n\\e[2J1"]',
        '  drain: { command: "true" }',
        "  records:",
        '    nginx_log: { command: "printf \\"bad \\\\033[2J \\\\342\\\\200\\\\256 x\\" >&2; exit 1" }',
        '    app_ledger: [{ file: "led\\e[31mger.jsonl" }]',
        "  client_only: true",
        "load: { rate_per_s: 20, duration_s: 1, grace_s: 0, apps_idle_margin_ms: 0, mix: [{ path: /x }] }",
        "drain: { at_s: 0.3 }",
        "",
      ].join("\n"),
    );
    try {
      const r = await drainlab("run", file, "--out", join(dir, "esc-run"));
      expect(r.code, r.stderr).toBe(1);
      for (const text of [r.stdout, r.stderr]) expect(text).not.toMatch(/[\x1b\x9b\u202e]/);
      expect(r.stderr).toContain("attach: nginx: `printf");
      expect(r.stderr).toContain("exited 1: bad \\x1b[2J \\u202e x");
      expect(r.stderr).toContain("attach: app-ledger-1: led\\x1b[31mger.jsonl does not exist");
      expect(r.stderr).toContain("attach: n\\x1b[2J1: no answer named it (X-Node)");
    } finally {
      server.close();
    }
  });

  it("requests the client cannot send are refused at lint with the reason, not judged the system's fault", async () => {
    const sys = `system: { app: { image: a }, nginx: { config: ${JSON.stringify(OK)}, upstream: u } }`;
    const mix = (entries: string) => scenarioFile(`name: h\n${sys}\nload:\n  mix: ${entries}\n`);
    const rs = await Promise.all([
      drainlab("lint", mix('[{ path: /x, headers: { X-A: "a\\r\\nInjected: 1" } }]')),
      drainlab("lint", mix("[{ path: /x, headers: { Transfer-Encoding: chunked } }]")),
      drainlab("lint", mix('[{ path: "/a b" }]')),
      drainlab("lint", mix("[{ path: /x, method: CONNECT }]")),
      drainlab("lint", mix("[{ path: /a, weight: 1e308 }, { path: /b, weight: 1e308 }]")),
      drainlab("lint", OK, "--set", "drain.at_s=1e7"),
      drainlab("lint", OK, "--set", "drain.at_s=30"),
    ]);
    for (const r of rs) usage(r, /invalid scenario$/);
    expect(rs[0]!.stderr).toContain("load.mix.0.headers.X-A: holds a CR at position 2");
    expect(rs[1]!.stderr).toContain("load.mix.0.headers.Transfer-Encoding: Transfer-Encoding cannot be set: a framing header");
    expect(rs[2]!.stderr).toContain(
      "load.mix.0.path: holds a space at position 3, which RFC 3986 does not allow in a path or query: percent-encode it (%20)",
    );
    expect(rs[3]!.stderr).toContain("load.mix.0.method: CONNECT opens a proxy tunnel");
    expect(rs[4]!.stderr).toContain("load.mix: the weights sum past the largest number");
    expect(rs[5]!.stderr).toContain("drain.at_s: at most 86400 s (a day)");
    expect(rs[6]!.stderr).toContain("drain.at_s: the drain would start at 30 s, at or after the load ends (load.duration_s: 12 s)");
  });

  it("load-shard: a bad spec (field, t0 passed or too far ahead, --index, a FIFO, stdin that is no spec) exits 2 on one line, fast", async () => {
    const spec = (over: Record<string, unknown>) =>
      scenarioFile(
        JSON.stringify({
          drainlab_shard_spec: 1,
          run_id: "r",
          url: "http://127.0.0.1:9",
          t0: Date.now() + 60_000,
          shard: { count: 2 },
          load: { mix: [{ path: "/x" }] },
          ...over,
        }),
        `spec-${Math.random().toString(16).slice(2, 8)}.json`,
      );
    const fifo = join(dir, "spec.fifo");
    execFileSync("mkfifo", [fifo]);
    const good = spec({});
    const rs = await Promise.all([
      drainlab("load-shard", "--spec", spec({ load: { rate_per_s: "fast" } }), "--index", "0"),
      drainlab("load-shard", "--spec", spec({ t0: Date.now() - 60_000 }), "--index", "0"),
      drainlab("load-shard", "--spec", spec({ t0: new Date(Date.now() + 3_600_000).toISOString() }), "--index", "0"),
      drainlab("load-shard", "--spec", good, "--index", "2"),
      drainlab("load-shard", "--spec", good, "--index", "-1"),
      drainlab("load-shard", "--spec", fifo, "--index", "0"),
      drainlab("load-shard", "--spec", "-", "--index", "0"),
      drainlab("load-shard", "--spec", good, "--index", "0", "--out", "/proc/drainlab-nope"),
    ]);
    usage(rs[0]!, /^drainlab: .*\.json: invalid shard spec: load\.rate_per_s: .* \(value: "fast"\)$/);
    usage(
      rs[1]!,
      /^drainlab: .*\.json: t0 .*Z: the schedule's start is [\d.]+ s in the past \(this host's clock reads .*\); write a spec whose t0 is ahead/,
    );
    usage(rs[2]!, /^drainlab: .*\.json: t0 .*: the schedule's start is [\d.]+ min ahead .*, more than the 10 min a shard waits$/);
    usage(rs[3]!, /^drainlab: --index 2: .*\.json has shard\.count 2, so the index is a whole number from 0 to 1$/);
    usage(rs[4]!, /^drainlab: --index -1: expected a whole number/);
    usage(rs[5]!, /^drainlab: --spec: .*spec\.fifo is a FIFO/);
    // stdin closed at once (no spec given): refused, never waited on
    usage(rs[6]!, /^drainlab: --spec - \(stdin\): a shard spec must be a YAML mapping \(got an empty file\)$/);
    usage(rs[7]!, /^drainlab: --out \/proc\/drainlab-nope: cannot create the shard folder/);
    for (const r of rs) expect(r.stderr.split("\n").filter(Boolean)).toHaveLength(1);
  });
});

/**
 * doctor on attach runs on Kubernetes. No Kubernetes cluster exists where these tests run, and no attach run
 * of examples/kubernetes was ever recorded: the evidence here is EDITED. Each report is a real recorded run
 * of a catalog control on drainlab's fixture (its checks, reconciliation and example requests as they were),
 * with its attach fields, parameters and drain timings hand-edited to what an attach run of the kubernetes
 * example would record. What is checked is doctor's reading of the manifests and its patches of them
 * (`git apply --check` and `git apply` on copies), never a drain on a cluster.
 */
import { spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import type { HookRecord } from "../records/drain-record.ts";
import type { Report } from "../records/report.ts";
import { loadScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";
import { diagnose, loadRun, renderText } from "./doctor.ts";
import { findPodSite } from "./kubernetes.ts";
import { ATTACH_VERIFY } from "./locate.ts";
import type { DoctorResult } from "./types.ts";
import { verifyFixes } from "./verify.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const TESTDATA = new URL("./testdata/", import.meta.url).pathname;
const EXAMPLE = join(ROOT, "examples/kubernetes");
const API = join(EXAMPLE, "manifests/api.yaml");

const hook = (step: string, start_ms: number, end_ms: number): HookRecord => ({
  step,
  command: `(the ${step} step)`,
  start_ms,
  end_ms,
  exit_code: 0,
  timed_out: false,
  output_tail: "",
  log: `raw/attach/${step}.log`,
});

/**
 * A run folder holding a recorded report edited into an attach run of `scenarioFile`: parameters are that
 * scenario's, attach fields added, the drained node api-0 with these step hooks.
 */
function attachRun(recorded: string, scenarioFile: string, hooks: HookRecord[], edit?: (r: Report) => void): string {
  const report = JSON.parse(readFileSync(join(TESTDATA, `${recorded}.json`), "utf8")) as Report;
  report.scenario.file = scenarioFile;
  report.parameters = loadScenario(scenarioFile);
  report.attach = {
    url: "http://127.0.0.1:18080",
    client_only: false,
    records: { nginx_log: "command", nginx_rows: 1000, app_ledger: ["file", "command"], app_events: 2000 },
    record_hooks: [],
    notes: [],
  };
  const terminate = hooks.find((h) => h.step === "terminate")!;
  const removes = hooks.find((h) => h.step === "remove");
  report.drains = [
    {
      ...report.drains[0]!,
      target: "api-0",
      removed: Boolean(removes),
      reload_effective_ms: removes?.end_ms ?? null,
      signal_ms: terminate.start_ms,
      hooks,
    },
  ];
  report.drain = report.drains[0]!;
  edit?.(report);
  const dir = mkdtempSync(join(tmpdir(), "drainlab-doctor-k8s-"));
  writeFileSync(join(dir, "report.json"), JSON.stringify(report));
  return dir;
}

/** A user's folder: the kubernetes example's scenario (edited by `scenario`) and copies of its manifests (edited by `api`). */
function userFolder(scenario: (text: string) => string = (t) => t, api: (text: string) => string = (t) => t): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-doctor-k8s-user-"));
  mkdirSync(join(dir, "manifests"));
  writeFileSync(join(dir, "drainlab.yaml"), scenario(readFileSync(join(EXAMPLE, "drainlab.yaml"), "utf8")));
  writeFileSync(join(dir, "manifests/api.yaml"), api(readFileSync(API, "utf8")));
  copyFileSync(join(EXAMPLE, "manifests/nginx.yaml"), join(dir, "manifests/nginx.yaml"));
  return dir;
}

/** The patch applied with git to copies of the files it names: `git apply --check`, then `git apply`; the copy's folder. */
function applyToCopies(result: DoctorResult, index = 0): string {
  const fix = result.diagnoses[index]!.fix!;
  const copy = mkdtempSync(join(tmpdir(), "drainlab-doctor-k8s-apply-"));
  for (const m of fix.patch.matchAll(/^--- a\/(.+)$/gm)) {
    mkdirSync(dirname(join(copy, m[1]!)), { recursive: true });
    copyFileSync(join(fix.apply_in, m[1]!), join(copy, m[1]!));
  }
  writeFileSync(join(copy, "fix.patch"), fix.patch);
  for (const args of [
    ["apply", "--check", "fix.patch"],
    ["apply", "fix.patch"],
  ]) {
    const r = spawnSync("git", args, { cwd: copy, encoding: "utf8" });
    expect(r.stderr, `git ${args.join(" ")}`).toBe("");
    expect(r.status).toBe(0);
  }
  return copy;
}

/** The StatefulSet's pod spec in a manifest's text, as Kubernetes would read it. */
const podSpec = (text: string) => {
  const docs = parseAllDocuments(text) as unknown as Array<{
    toJS(): { kind: string; spec: { template: { spec: Record<string, unknown> } } };
  }>;
  return docs.map((d) => d.toJS()).find((o) => o.kind === "StatefulSet")!.spec.template.spec as {
    terminationGracePeriodSeconds?: number;
    containers: Array<{ args: string[]; lifecycle?: { preStop: Record<string, unknown> } }>;
  };
};

// the example's own drain: remove (api-0 leaves the EndpointSlice), then terminate, wait_exit, restore
const EXAMPLE_HOOKS = [
  hook("remove", 2000, 2500),
  hook("terminate", 2600, 2700),
  hook("wait_exit", 2700, 8000),
  hook("restore", 8000, 20000),
];

describe("doctor on an attach run on Kubernetes (edited evidence: no cluster here)", () => {
  it("finds the drained pod's workload and its settings in the manifests attach.manifests names", () => {
    const found = findPodSite([{ file: API, text: readFileSync(API, "utf8") }], "api-0");
    expect("site" in found && found.site).toMatchObject({
      kind: "StatefulSet",
      name: "api",
      doc: 0,
      container: { name: "api" },
      server: "gunicorn",
      graceful: { flag: "--graceful-timeout", seconds: 30 },
      gracePeriod: { seconds: 40, set: true },
      preStop: { seconds: 5, present: true },
    });
    expect(findPodSite([{ file: API, text: readFileSync(API, "utf8") }], "web-0")).toMatchObject({
      reason: expect.stringContaining("has the pod web-0"),
    });
  });

  it("requests longer than gunicorn's --graceful-timeout: the args and terminationGracePeriodSeconds grow together, a patch of the example's manifest", () => {
    // recorded: long-get-short-timeout (34 GETs cut at the SIGTERM); edited: the mix's GETs last 45 s
    const dir = attachRun("long-get-short-timeout", join(EXAMPLE, "drainlab.yaml"), EXAMPLE_HOOKS, (r) => {
      r.parameters.load.mix = [{ ...r.parameters.load.mix[0]!, method: "GET", path: "/export", ms: 45000 }];
    });
    const result = diagnose(loadRun(dir));
    expect(result.stack).toBe("attach");
    expect(result.diagnoses.map((d) => d.rule)).toEqual(["graceful-limit-shorter-than-work"]);
    const d = result.diagnoses[0]!;
    expect(d.checks).toEqual(["no-cut-short-requests", "no-retried-by-nginx", "no-slow-during-drain"]);
    expect(d.cause).toContain("StatefulSet api (container api)");
    expect(d.cause).toContain("set by gunicorn's --graceful-timeout 30 s");
    expect(d.settings.map((s) => [s.file, s.line, s.text])).toEqual([
      [API, 47, '--graceful-timeout: "30"'],
      [API, 31, "terminationGracePeriodSeconds: 40"],
    ]);
    expect(d.fix!.apply_in).toBe(join(EXAMPLE, "manifests"));
    expect(d.fix!.patch).toContain('-            - "30"\n+            - "46"\n');
    expect(d.fix!.patch).toContain("-      terminationGracePeriodSeconds: 40\n+      terminationGracePeriodSeconds: 56\n");
    const copy = applyToCopies(result);
    const spec = podSpec(readFileSync(join(copy, "api.yaml"), "utf8"));
    expect(spec.terminationGracePeriodSeconds).toBe(56);
    expect(spec.containers[0]!.args).toContain("46");
    // every comment of the user's file is still there
    const comments = (t: string) => t.split("\n").filter((l) => l.trim().startsWith("#"));
    expect(comments(readFileSync(join(copy, "api.yaml"), "utf8"))).toEqual(comments(readFileSync(API, "utf8")));
    expect(d.fix!.verify).toEqual([{ none: ATTACH_VERIFY }, { none: ATTACH_VERIFY }]);
  });

  it("a grace period shorter than preStop + the graceful limit: terminationGracePeriodSeconds alone", () => {
    const user = userFolder(undefined, (t) => t.replace("terminationGracePeriodSeconds: 40", "terminationGracePeriodSeconds: 20"));
    const dir = attachRun("long-get-short-timeout", join(user, "drainlab.yaml"), EXAMPLE_HOOKS, (r) => {
      r.parameters.load.mix = [{ ...r.parameters.load.mix[0]!, method: "GET", path: "/export", ms: 25000 }];
    });
    const result = diagnose(loadRun(dir));
    const d = result.diagnoses[0]!;
    expect(d.cause).toContain("gives it 15 s after the SIGTERM, set by terminationGracePeriodSeconds 20 s less the preStop sleep 5 s");
    expect(d.fix!.patch).toBe(
      [
        "--- a/api.yaml",
        "+++ b/api.yaml",
        "@@ -28,7 +28,7 @@",
        "     spec:",
        "       # counted from the start of preStop: preStop 5 s + gunicorn's graceful",
        "       # timeout 30 s, then a margin before the kubelet sends SIGKILL",
        "-      terminationGracePeriodSeconds: 20",
        "+      terminationGracePeriodSeconds: 40",
        "       containers:",
        "         - name: api",
        "           # replace with your app's image (gunicorn and uvicorn installed)",
        "",
      ].join("\n"),
    );
    applyToCopies(result);
  });

  it("SIGTERM before the removal took effect: a preStop sleep longer than the endpoint propagation the run measured", () => {
    // the user's drain deletes the pod first and waits for Kubernetes to take it out of the EndpointSlice
    // (steps in that order); recorded: sigterm-without-removal (249 GETs failed on a node SIGTERMed while routed)
    const user = userFolder((t) => {
      const lines = t.split("\n");
      const start = lines.findIndex((l) => l.includes("- step: remove"));
      const end = lines.findIndex((l) => l.includes("the kubelet runs preStop"));
      const remove = lines.slice(start, end);
      lines.splice(start, end - start);
      const after = lines.findIndex((l) => l.includes("follows api-0's log"));
      lines.splice(after, 0, ...remove);
      return lines.join("\n");
    });
    const steps = (loadScenario(join(user, "drainlab.yaml")).attach!.drain as { steps: Array<{ step: string }> }).steps;
    expect(steps.map((s) => s.step)).toEqual(["terminate", "remove", "wait_exit", "restore"]);
    const dir = attachRun("sigterm-without-removal", join(user, "drainlab.yaml"), [
      hook("terminate", 3000, 3400),
      hook("remove", 3400, 9100),
      hook("wait_exit", 9100, 40000),
      hook("restore", 40000, 50000),
    ]);
    const result = diagnose(loadRun(dir));
    expect(result.diagnoses.map((d) => d.rule)).toEqual(["sigterm-before-removal"]);
    const d = result.diagnoses[0]!;
    expect(d.checks).toEqual(["no-failed-requests", "no-slow-during-drain"]);
    // 9.1 s (the remove step's end) + 2 s (drain.settle_ms) - 3 s (the terminate step's start) = 8.1 s > preStop 5 s
    expect(d.cause).toContain("took effect 8.1 s after the terminate step began (the remove step took 5.7 s");
    expect(d.cause).toContain("sleeps 5 s in preStop");
    expect(d.settings.map((s) => s.note.split(":")[0])).toEqual(["preStop sleep", "terminationGracePeriodSeconds"]);
    expect(d.fix!.patch).toContain('-                command: ["sleep", "5"]\n+                command: ["sleep", "10"]\n');
    expect(d.fix!.patch).toContain("+      terminationGracePeriodSeconds: 45\n");
    const copy = applyToCopies(result);
    const spec = podSpec(readFileSync(join(copy, "api.yaml"), "utf8"));
    expect(spec.containers[0]!.lifecycle!.preStop).toEqual({ exec: { command: ["sleep", "10"] } });
    expect(spec.terminationGracePeriodSeconds).toBe(45);
    // the user's files are theirs
    expect(readFileSync(join(user, "manifests/api.yaml"), "utf8")).toBe(readFileSync(API, "utf8"));
  });

  it("a pod with no preStop gets one (the sleep action), in the container's own map", () => {
    const user = userFolder(undefined, (t) => t.replace(/ {10}lifecycle:\n(?: {12,}.*\n| *#.*\n)+/, ""));
    expect(podSpec(readFileSync(join(user, "manifests/api.yaml"), "utf8")).containers[0]!.lifecycle).toBeUndefined();
    const dir = attachRun("sigterm-without-removal", join(user, "drainlab.yaml"), [
      hook("remove", 2000, 2300),
      hook("terminate", 2400, 2500),
      hook("wait_exit", 2500, 30000),
    ]);
    const result = diagnose(loadRun(dir));
    const d = result.diagnoses[0]!;
    // 2.3 + 2 - 2.4 = 1.9 s > 0 s of preStop
    expect(d.cause).toContain("(it has no preStop)");
    expect(d.fix!.patch).toContain("+          lifecycle: { preStop: { sleep: { seconds: 3 } } }\n");
    expect(d.notes!.join(" ")).toContain("Kubernetes 1.30");
    const copy = applyToCopies(result);
    expect(podSpec(readFileSync(join(copy, "api.yaml"), "utf8")).containers[0]!.lifecycle).toEqual({ preStop: { sleep: { seconds: 3 } } });
  });

  it("a preStop that is not a sleep: its length is not in the file, so no preStop diagnosis (the checks stay unexplained)", () => {
    const user = userFolder(
      (t) => t,
      (t) => t.replace('exec:\n                command: ["sleep", "5"]', "httpGet: { path: /drain, port: 8000 }"),
    );
    expect(readFileSync(join(user, "manifests/api.yaml"), "utf8")).toContain("httpGet: { path: /drain");
    const dir = attachRun("sigterm-without-removal", join(user, "drainlab.yaml"), [
      hook("remove", 2000, 2300),
      hook("terminate", 2400, 2500),
      hook("wait_exit", 2500, 30000),
    ]);
    const result = diagnose(loadRun(dir));
    expect(result.diagnoses).toEqual([]);
    expect(result.unexplained.map((u) => u.check)).toEqual(["no-failed-requests", "no-slow-during-drain"]);
  });

  it("a Deployment of uvicorn, second document of its file: --timeout-graceful-shutdown=N and the default grace period added", () => {
    const user = userFolder(undefined, () =>
      [
        "apiVersion: v1",
        "kind: ConfigMap",
        "metadata: { name: api-settings }",
        "data: { MODE: prod }",
        "---",
        "# the API, behind Service api",
        "apiVersion: apps/v1",
        "kind: Deployment",
        "metadata:",
        "  name: api",
        "spec:",
        "  template:",
        "    spec:",
        "      containers:",
        "        - name: web",
        "          image: registry.example.com/api:2.0",
        '          command: ["uvicorn", "main:app", "--host", "0.0.0.0", "--timeout-graceful-shutdown=10"]',
        "          lifecycle:",
        "            preStop:",
        "              sleep: { seconds: 3 } # Kubernetes 1.30",
        "",
      ].join("\n"),
    );
    const dir = attachRun(
      "long-get-short-timeout",
      join(user, "drainlab.yaml"),
      [hook("remove", 2000, 2100), hook("terminate", 2200, 2300), hook("wait_exit", 2300, 30000)],
      (r) => {
        r.parameters.load.mix = [{ ...r.parameters.load.mix[0]!, ms: 28000 }];
        (r.parameters.attach!.drain as { node: string }).node = "api-7c9d5f-x2x4q";
      },
    );
    const result = diagnose(loadRun(dir));
    const d = result.diagnoses[0]!;
    expect(d.cause).toContain("Deployment api (container web)");
    expect(d.cause).toContain("set by uvicorn's --timeout-graceful-shutdown 10 s");
    // 28 s + 1 = 29; the kubelet's default 30 s < preStop 3 + 29 + 5
    expect(d.fix!.patch).toContain('"--timeout-graceful-shutdown=29"]');
    expect(d.fix!.patch).toContain("+      terminationGracePeriodSeconds: 37\n");
    expect(d.settings[1]!.note).toMatch(/^\(not set\) -> terminationGracePeriodSeconds: 37/);
    const copy = applyToCopies(result);
    const deployment = (
      parseAllDocuments(readFileSync(join(copy, "api.yaml"), "utf8")) as unknown as Array<{ toJS(): unknown }>
    )[1]!.toJS() as {
      spec: { template: { spec: { terminationGracePeriodSeconds: number; containers: Array<{ command: string[] }> } } };
    };
    expect(deployment.spec.template.spec.terminationGracePeriodSeconds).toBe(37);
    expect(deployment.spec.template.spec.containers[0]!.command.at(-1)).toBe("--timeout-graceful-shutdown=29");
    expect(readFileSync(join(copy, "api.yaml"), "utf8")).toContain("sleep: { seconds: 3 } # Kubernetes 1.30");
  });

  it("--verify does not claim anything: an attach run cannot be re-run from here", async () => {
    const dir = attachRun("long-get-short-timeout", join(EXAMPLE, "drainlab.yaml"), EXAMPLE_HOOKS, (r) => {
      r.parameters.load.mix = [{ ...r.parameters.load.mix[0]!, ms: 45000 }];
    });
    const result = diagnose(loadRun(dir));
    const report = JSON.parse(readFileSync(join(dir, "report.json"), "utf8")) as Report;
    let runs = 0;
    await verifyFixes(
      result,
      report,
      async () => {
        runs++;
        return { reports: [report], runDir: dir };
      },
      () => {},
    );
    expect(runs).toBe(0);
    expect(result.diagnoses[0]!.verified).toMatchObject({ status: "not run", detail: ATTACH_VERIFY });
    expect(renderText(result)).toContain(`verify  not run: ${ATTACH_VERIFY}`);
  });

  it("an attach run whose scenario names no manifests: no Kubernetes setting, and a note that says why", () => {
    const user = userFolder((t) => t.replace(/^ {2}manifests: .*\n/m, ""));
    const dir = attachRun("long-get-short-timeout", join(user, "drainlab.yaml"), EXAMPLE_HOOKS, (r) => {
      r.parameters.load.mix = [{ ...r.parameters.load.mix[0]!, ms: 45000 }];
    });
    const result = diagnose(loadRun(dir));
    expect(result.diagnoses).toEqual([]);
    expect(result.notes![0]).toContain("attach.manifests");
    expect(renderText(result)).toContain("note      an attach run");
  });

  it("a manifest that is not there or not YAML: a usage error naming the scenario, the field and the value", () => {
    const missing = userFolder((t) => t.replace("manifests/api.yaml", "manifests/ap.yaml"));
    const dir = attachRun("long-get-short-timeout", join(missing, "drainlab.yaml"), EXAMPLE_HOOKS);
    expect(() => diagnose(loadRun(dir))).toThrow(UsageError);
    expect(() => diagnose(loadRun(dir))).toThrow(/drainlab\.yaml: attach\.manifests\[0\] "manifests\/ap\.yaml": cannot read .*ENOENT/);
    const broken = userFolder(undefined, (t) => `${t}\n  : [unclosed\n`);
    const dir2 = attachRun("long-get-short-timeout", join(broken, "drainlab.yaml"), EXAMPLE_HOOKS);
    expect(() => diagnose(loadRun(dir2))).toThrow(/attach\.manifests\[0\] "manifests\/api\.yaml": not YAML/);
  });

  it("the schema refuses a manifest that is not a YAML file", () => {
    const user = userFolder((t) => t.replace("manifests/api.yaml", "manifests/api.json"));
    expect(() => loadScenario(join(user, "drainlab.yaml"))).toThrow(/attach\.manifests.*YAML file/);
  });
});

import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { Deployment, type IDeployment } from "kubernetes-models/apps/v1/Deployment";
import { type IStatefulSet, StatefulSet } from "kubernetes-models/apps/v1/StatefulSet";
import { type IJob, Job } from "kubernetes-models/batch/v1/Job";
import { ConfigMap, type IConfigMap } from "kubernetes-models/v1/ConfigMap";
import type { IContainer } from "kubernetes-models/v1/Container";
import { type IService, Service } from "kubernetes-models/v1/Service";
import { describe, expect, it } from "vitest";
import { parseAllDocuments } from "yaml";
import { type AttachStep, removingStep } from "../../harness/scenario/attach-schema.ts";
import { loadScenario } from "../../harness/scenario/load-scenario.ts";
import { ACCESS_LOG_FORMAT } from "../../harness/stack/nginx-config.ts";

/**
 * The Kubernetes example cannot run here (no cluster), so what can be checked
 * offline is: every manifest is a valid object of its kind by the Kubernetes
 * OpenAPI schemas (kubernetes-models), the drain's arithmetic holds, the
 * ledger and nginx's log are wired the way drainlab reads them, the drain's
 * steps take a pod out of the Service the way the manifests route to it, and
 * the scenario, the README and the manifests name the same things.
 */

const DIR = new URL(".", import.meta.url).pathname;
const ROOT = join(DIR, "../..");
const read = (path: string) => readFileSync(join(DIR, path), "utf8");

type Doc = { apiVersion?: unknown; kind?: unknown; metadata?: { name?: string } };

/** The model of each kind the example uses; a document of any other kind is not validated, so it fails. */
const MODELS: Record<string, (o: Doc) => void> = {
  "apps/v1 Deployment": (o) => new Deployment(o as IDeployment).validate(),
  "apps/v1 StatefulSet": (o) => new StatefulSet(o as IStatefulSet).validate(),
  "v1 Service": (o) => new Service(o as IService).validate(),
  "v1 ConfigMap": (o) => new ConfigMap(o as IConfigMap).validate(),
  "batch/v1 Job": (o) => new Job(o as IJob).validate(),
};

/** Throws when the object is not valid by its kind's OpenAPI schema (or is of a kind with no model here). */
function validate(o: Doc): void {
  const model = MODELS[`${String(o.apiVersion)} ${String(o.kind)}`];
  if (!model) throw new Error(`no model for apiVersion ${String(o.apiVersion)} kind ${String(o.kind)}`);
  model(o);
}

const manifestFiles = readdirSync(join(DIR, "manifests"))
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();
const docs: Array<{ file: string; doc: Doc }> = manifestFiles.flatMap((file) =>
  parseAllDocuments(read(join("manifests", file))).map((d) => {
    if (d.errors.length > 0 || d.warnings.length > 0) throw new Error(`${file}: ${[...d.errors, ...d.warnings].join("; ")}`);
    return { file, doc: d.toJS() as Doc };
  }),
);
function find<T>(kind: string, name: string): T {
  const hit = docs.find((d) => d.doc.kind === kind && d.doc.metadata?.name === name);
  if (!hit) throw new Error(`no ${kind} ${name} in manifests/`);
  return hit.doc as T;
}
const copy = <T>(o: T): T => structuredClone(o);

const api = find<IStatefulSet>("StatefulSet", "api");
const apiService = find<IService>("Service", "api");
const apiPods = find<IService>("Service", "api-pods");
const nginx = find<IDeployment>("Deployment", "nginx");
const nginxService = find<IService>("Service", "nginx");
const nginxConf = find<IConfigMap>("ConfigMap", "nginx-conf").data?.["nginx.conf"] ?? "";
/** A Deployment or a StatefulSet: what the helpers below read of either. */
type Workload = IDeployment | IStatefulSet;
const container = (d: Workload, name: string): IContainer => {
  const c = d.spec?.template.spec?.containers.find((x) => x.name === name);
  if (!c) throw new Error(`no container ${name} in ${d.kind} ${d.metadata?.name}`);
  return c;
};
const env = (c: IContainer, name: string) => c.env?.find((e) => e.name === name);

/** The value after a gunicorn flag in args (`--flag N` or `--flag=N`); undefined when the flag is absent. */
function flag(args: string[], name: string): string | undefined {
  for (const [i, a] of args.entries()) {
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/** The drain's budget: grace period, preStop sleep, gunicorn's graceful timeout (which must be set explicitly). */
function drainBudget(d: Workload) {
  const c = container(d, "api");
  const preStop = c.lifecycle?.preStop;
  const exec = preStop?.exec?.command ?? [];
  const sleepS = preStop?.sleep?.seconds ?? (exec[0] === "sleep" && exec.length === 2 ? Number(exec[1]) : Number.NaN);
  const gunicornArgs = [...(c.command ?? []), ...(c.args ?? []), ...(env(c, "GUNICORN_CMD_ARGS")?.value?.split(/\s+/) ?? [])];
  const gracefulS = Number(flag(gunicornArgs, "--graceful-timeout") ?? Number.NaN);
  const graceS = d.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
  return { sleepS, gracefulS, graceS, margin: graceS - (sleepS + gracefulS) };
}

/** Whether every label a selector asks for is on the labels (how a Service picks its pods). */
const selects = (selector: Record<string, string> | undefined, labels: Record<string, string> | undefined) =>
  selector !== undefined && Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels?.[k] === v);

/** nginx.conf without its comments (none of this file's strings holds a "#"). */
const uncommented = (conf: string) => conf.replace(/(^|\s)#.*$/gm, "$1");

/** log_format drainlab's quoted strings, joined: the JSON template nginx fills per request. */
function drainlabLogFormat(conf: string): string | undefined {
  const m = /\blog_format\s+drainlab\s+escape=json\s+((?:'[^']*'\s*)+);/.exec(uncommented(conf));
  return m?.[1]?.match(/'[^']*'/g)?.join("\n");
}
/** The fields of a log line as nginx writes it (each $variable stands for a value). */
function logFields(template: string): string[] {
  const line = template.replace(/'\s*'/g, "").replace(/^'|'$/g, "");
  return Object.keys(JSON.parse(line.replace(/\$[a-z_]+/g, "1")) as Record<string, unknown>);
}

const LOG_FIELDS = [
  "t",
  "id",
  "method",
  "uri",
  "status",
  "upstream_addr",
  "upstream_status",
  "request_time",
  "upstream_response_time",
  "upstream_connect_time",
  "upstream_header_time",
  "bytes",
  "generation",
  "worker_pid",
  "connection",
  "connection_requests",
];

describe("manifests", () => {
  it("are the objects the example needs", () => {
    expect(manifestFiles).toEqual(["api.yaml", "nginx.yaml"]);
    expect(docs.map((d) => `${d.doc.kind}/${d.doc.metadata?.name}`).sort()).toEqual([
      "ConfigMap/nginx-conf",
      "Deployment/nginx",
      "Service/api",
      "Service/api-pods",
      "Service/nginx",
      "StatefulSet/api",
    ]);
  });

  it.each(docs.map((d) => [`${d.file}: ${String(d.doc.kind)}/${d.doc.metadata?.name}`, d.doc] as const))(
    "%s is valid by the Kubernetes OpenAPI schema",
    (_, doc) => {
      expect(() => validate(doc)).not.toThrow();
    },
  );

  it("must-fail controls: the validation rejects a broken copy", () => {
    const replicas = copy(api) as unknown as { spec: { replicas: unknown } };
    replicas.spec.replicas = "two";
    expect(() => validate(replicas as Doc)).toThrow(/replicas must be integer/);

    const unnamed = copy(api);
    delete (container(unnamed, "api") as Partial<IContainer>).name;
    expect(() => validate(unnamed)).toThrow(/containers\/0 must have required property name/);

    const badPreStop = copy(api) as unknown as { spec: { template: { spec: { containers: Array<Record<string, unknown>> } } } };
    badPreStop.spec.template.spec.containers[0]!.lifecycle = { preStop: { exec: { command: "sleep 5" } } };
    expect(() => validate(badPreStop as Doc)).toThrow(/command must be array/);

    const badPort = copy(apiService) as unknown as { spec: { ports: Array<Record<string, unknown>> } };
    delete badPort.spec.ports[0]!.port;
    expect(() => validate(badPort as Doc)).toThrow(/ports\/0 must have required property port/);

    expect(() => validate({ ...copy(api), apiVersion: "extensions/v1beta1" } as Doc)).toThrow(/no model/);
  });
});

describe("statefulset/api", () => {
  const c = container(api, "api");

  it("runs 2 pods of gunicorn with uvicorn workers, named by a headless Service", () => {
    expect(api.spec?.replicas).toBe(2);
    expect(api.spec?.serviceName).toBe(apiPods.metadata?.name);
    expect(apiPods.spec?.clusterIP).toBe("None");
    expect(selects(apiPods.spec?.selector, api.spec?.template.metadata?.labels)).toBe(true);
    expect(c.command).toEqual(["gunicorn"]);
    expect(flag(c.args ?? [], "-k") ?? flag(c.args ?? [], "--worker-class")).toBe("uvicorn.workers.UvicornWorker");
    expect(c.image).toBe("registry.example.com/api:1.0");
  });

  it("gives the kubelet's grace period more than preStop plus gunicorn's graceful timeout", () => {
    const b = drainBudget(api);
    expect(b).toMatchObject({ sleepS: 5, gracefulS: 30, graceS: 40 });
    expect(b.margin).toBeGreaterThan(0);
    // must-fail control: the default 30 s grace is shorter than 5 + 30
    const short = copy(api);
    delete short.spec?.template.spec?.terminationGracePeriodSeconds;
    expect(drainBudget(short).margin).toBeLessThanOrEqual(0);
    // and a graceful timeout left to gunicorn's default is not read as one
    const implicit = copy(api);
    const args = container(implicit, "api").args!;
    args.splice(args.indexOf("--graceful-timeout"), 2);
    expect(drainBudget(implicit).margin).toBeNaN();
  });

  it("is ready by GET /health on 8000, the port the Service targets", () => {
    expect(c.readinessProbe?.httpGet).toMatchObject({ path: "/health", port: 8000 });
    expect(c.ports?.map((p) => p.containerPort)).toContain(8000);
    expect(apiService.spec?.type).toBe("ClusterIP");
    expect(apiService.spec?.ports).toEqual([expect.objectContaining({ port: 8000, targetPort: 8000 })]);
    expect(api.spec?.template.metadata?.labels).toMatchObject(api.spec?.selector.matchLabels ?? { missing: "matchLabels" });
  });

  it("Service api selects the StatefulSet's pods labelled serving=true, a label the pod template does not set", () => {
    const labels = api.spec?.template.metadata?.labels;
    expect(apiService.spec?.selector).toEqual({ ...api.spec?.selector.matchLabels, serving: "true" });
    // a pod the StatefulSet (re)creates takes no request until it is labelled (README, the drain's restore step)
    expect(selects(apiService.spec?.selector, labels)).toBe(false);
    expect(selects(apiService.spec?.selector, { ...labels, serving: "true" })).toBe(true);
    // must-fail control: with the label in the template, the recreated api-0 would join before restore ends
    const labelled = copy(api);
    labelled.spec!.template.metadata!.labels = { ...labels, serving: "true" };
    expect(selects(apiService.spec?.selector, labelled.spec?.template.metadata?.labels)).toBe(true);
  });

  it("loads drainlab's ledger from the ConfigMap mounted at its PYTHONPATH entry, writing to stdout, named by the pod", () => {
    const volume = api.spec?.template.spec?.volumes?.find((v) => v.configMap?.name === "drainlab-ledger");
    expect(volume).toBeDefined();
    const mount = c.volumeMounts?.find((m) => m.name === volume?.name);
    expect(mount?.readOnly).toBe(true);
    expect(env(c, "PYTHONPATH")?.value?.split(":")).toContain(mount?.mountPath);
    expect(env(c, "DRAINLAB_LEDGER")?.value).toBe("-");
    expect(env(c, "DRAINLAB_NODE")?.valueFrom?.fieldRef?.fieldPath).toBe("metadata.name");
    // must-fail control: a mount elsewhere is not on the path
    const moved = copy(api);
    container(moved, "api").volumeMounts![0]!.mountPath = "/opt/elsewhere";
    expect(env(container(moved, "api"), "PYTHONPATH")?.value?.split(":")).not.toContain(
      container(moved, "api").volumeMounts![0]!.mountPath,
    );
  });
});

describe("nginx", () => {
  it("logs drainlab's JSON access log to stdout, exactly drainlab's own format with generation 0", () => {
    const format = drainlabLogFormat(nginxConf);
    expect(format).toBeDefined();
    expect(logFields(format!)).toEqual(LOG_FIELDS);
    const norm = (s: string) => s.replace(/\s+/g, " ").trim();
    expect(norm(format!)).toBe(norm(ACCESS_LOG_FORMAT.replace("{{generation}}", "0")));
    expect(uncommented(nginxConf)).toMatch(/^\s*access_log\s+\/dev\/stdout\s+drainlab;/m);
    // must-fail control: a field left out is noticed
    expect(logFields(drainlabLogFormat(nginxConf.replace(',"worker_pid":$pid', ""))!)).not.toEqual(LOG_FIELDS);
  });

  it("passes the request id on and retries only on errors and timeouts, to the api Service", () => {
    const conf = uncommented(nginxConf);
    expect(conf).toMatch(/^\s*proxy_set_header\s+X-Request-Id\s+\$http_x_request_id;/m);
    expect(conf).toMatch(/^\s*proxy_next_upstream\s+error\s+timeout;/m);
    expect(conf).not.toMatch(/non_idempotent/);
    expect(conf).toMatch(/^\s*proxy_pass\s+http:\/\/api;/m);
    const upstream = /\bupstream\s+api\s*\{([^}]*)\}/.exec(conf)?.[1] ?? "";
    const servers = [...upstream.matchAll(/^\s*server\s+([^\s;]+)/gm)].map((m) => m[1]);
    expect(servers).toEqual([`${apiService.metadata?.name}.default.svc.cluster.local:${apiService.spec?.ports?.[0]?.port}`]);
  });

  it("runs nginx:1.26 with that nginx.conf, behind Service nginx on port 80", () => {
    expect(nginx.spec?.replicas).toBe(1);
    const c = container(nginx, "nginx");
    expect(c.image).toBe("nginx:1.26");
    const volume = nginx.spec?.template.spec?.volumes?.find((v) => v.configMap?.name === "nginx-conf");
    expect(c.volumeMounts?.find((m) => m.name === volume?.name)).toMatchObject({
      mountPath: "/etc/nginx/nginx.conf",
      subPath: "nginx.conf",
    });
    expect(uncommented(nginxConf)).toMatch(/^\s*listen\s+80;/m);
    expect(nginxService.spec?.ports).toEqual([expect.objectContaining({ port: 80, targetPort: 80 })]);
    expect(nginx.spec?.template.metadata?.labels).toMatchObject(nginxService.spec?.selector ?? { missing: "selector" });
  });
});

const readme = read("README.md");

describe("drainlab.yaml and README.md", () => {
  const scenario = loadScenario(join(DIR, "drainlab.yaml"));
  const a = scenario.attach!;
  const drain = a.drain as Extract<typeof a.drain, { steps: unknown }>;
  const step = (name: AttachStep) => {
    const s = drain.steps.find((x) => x.step === name);
    if (!s) throw new Error(`no ${name} step`);
    return s;
  };
  const podNames = Array.from({ length: api.spec?.replicas ?? 0 }, (_, i) => `${api.metadata?.name}-${i}`);
  /** The label the Service selects on and the pod template leaves out: the one the drain removes and restores. */
  const [servingKey, servingValue] = Object.entries(apiService.spec?.selector ?? {}).find(
    ([k]) => api.spec?.template.metadata?.labels?.[k] === undefined,
  ) ?? ["", ""];

  it("parses, and sends the load to 127.0.0.1 through the README's port-forward to Service nginx", () => {
    const url = new URL(a.url);
    expect(url.hostname).toBe("127.0.0.1");
    const forward = /kubectl port-forward svc\/(\S+) (\d+):(\d+)/.exec(readme);
    expect(forward?.slice(1)).toEqual([nginxService.metadata?.name, url.port, String(nginxService.spec?.ports?.[0]?.port)]);
  });

  it("drains one pod of the StatefulSet by steps, the nodes being its pods' names", () => {
    expect("steps" in a.drain).toBe(true);
    expect(a.nodes).toEqual(podNames);
    expect(drain.node).toBe(podNames[0]);
    expect(drain.steps.map((s) => s.step)).toEqual(["remove", "terminate", "wait_exit", "restore"]);
    // every pod a step names is the drained one (`pod api-0`, `pod/api-0`)
    for (const s of drain.steps) {
      const pods = [...s.run.matchAll(/\bpods?[ /]([a-z0-9-]+)/g)].map((m) => m[1]);
      expect(pods.length, s.step).toBeGreaterThan(0);
      expect(new Set(pods), s.step).toEqual(new Set([drain.node]));
    }
    // each step is valid sh (`/bin/sh -c`); must-fail control: a cut one is not
    for (const s of drain.steps) expect(() => execFileSync("sh", ["-n", "-c", s.run], { stdio: "pipe" }), s.step).not.toThrow();
    expect(() => execFileSync("sh", ["-n", "-c", step("remove").run.slice(0, -6)], { stdio: "pipe" })).toThrow();
  });

  it("takes the pod out of Service api's endpoints before deleting it, and judges misrouting from then on", () => {
    expect(servingKey).toBe("serving");
    expect(removingStep(drain.removal ?? "remove", drain.steps)).toBe("remove");
    const remove = step("remove").run;
    expect(remove).toContain(`kubectl label pod ${drain.node} ${servingKey}-`);
    // the step ends once the Service's EndpointSlice no longer lists the pod
    expect(remove).toContain(`kubernetes.io/service-name=${apiService.metadata?.name}`);
    expect(remove).toMatch(new RegExp(`grep -qw ${drain.node}\\b`));
    // the SIGTERM comes after the removal: the pod is deleted by the terminate step, not before
    expect(step("terminate").run).toMatch(new RegExp(`kubectl delete pod ${drain.node} --wait=false`));
    expect(drain.steps.findIndex((s) => s.step === "remove")).toBeLessThan(drain.steps.findIndex((s) => s.step === "terminate"));
    // kube-proxy applies an EndpointSlice change at its next sync (1 s by default): the settle covers it
    expect(scenario.drain.settle_ms).toBeGreaterThanOrEqual(1000);
    // and covers less than preStop's sleep, the time kube-proxy has before gunicorn's SIGTERM
    expect(scenario.drain.settle_ms).toBeLessThan(drainBudget(api).sleepS * 1000);
    // nothing that judges a loss is put out of scope; the one skip says why
    expect(scenario.checks.skip.map((x) => x.check)).toEqual(["drained-node-exited-cleanly"]);
    expect(scenario.checks.skip[0]?.reason).toMatch(/exit code/);
  });

  it("waits for the pod's exit within its grace period, and restores it Ready before relabelling it", () => {
    expect(step("wait_exit").timeout_s).toBeGreaterThan(drainBudget(api).graceS);
    const restore = step("restore").run;
    const ready = restore.indexOf(`kubectl wait --for=condition=Ready pod/${drain.node}`);
    const relabel = restore.indexOf(`kubectl label pod ${drain.node} ${servingKey}=${servingValue}`);
    expect(ready).toBeGreaterThan(-1);
    expect(relabel).toBeGreaterThan(ready);
    // the restore's own kubectl wait ends within the step's timeout
    const wait = Number(/--timeout=(\d+)s/.exec(restore)?.[1]);
    expect(wait).toBeLessThan(step("restore").timeout_s ?? 0);
  });

  it("keeps the drained pod's ledger in the file the records read, and reads the rest of the objects the manifests define", () => {
    const [file, rest] = a.records.app_ledger;
    // the wait_exit step follows the drained pod's log into the file the first ledger source reads
    const followed = new RegExp(`kubectl logs -f pod/${drain.node} -c api --since-time="\\$DRAINLAB_SINCE" > (\\S+)`).exec(
      step("wait_exit").run,
    );
    expect(file && "file" in file ? file.file : undefined).toBe(followed?.[1]);
    expect(a.records.nginx_log && "command" in a.records.nginx_log ? a.records.nginx_log.command : "").toMatch(
      /kubectl logs deploy\/nginx\b/,
    );
    const ledger = rest && "command" in rest ? rest.command : "";
    const selector = /-l (\S+)=(\S+)/.exec(ledger);
    expect(api.spec?.template.metadata?.labels?.[selector?.[1] ?? ""]).toBe(selector?.[2]);
    // kubectl logs with a selector keeps 10 lines per pod unless told otherwise
    expect(ledger).toMatch(/--tail=-1\b/);
  });

  it("labels the pods serving before the run, as the Service selects them", () => {
    expect(readme).toContain(`kubectl label pod ${podNames.join(" ")} ${servingKey}=${servingValue}`);
    expect(readme).toContain(`kubectl rollout status statefulset/${api.metadata?.name}`);
  });

  it("creates the ledger ConfigMap from files the drainlab package ships", () => {
    const create = /kubectl create configmap (\S+)((?: --from-file=\S+)+)/.exec(readme);
    expect(create?.[1]).toBe(api.spec?.template.spec?.volumes?.find((v) => v.configMap)?.configMap?.name);
    const files = [...(create?.[2] ?? "").matchAll(/--from-file=node_modules\/drainlab\/(\S+)/g)].map((m) => m[1]!);
    expect(files.map((f) => f.split("/").pop()).sort()).toEqual(["drainlab_ledger.py", "sitecustomize.py"]);
    const published = (JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { files: string[] }).files;
    for (const f of files) {
      expect(existsSync(join(ROOT, f)), f).toBe(true);
      expect(
        published.some((p) => f.startsWith(p)),
        `${f} is in package.json "files"`,
      ).toBe(true);
    }
    expect(readme).toContain("kubectl apply -f manifests/");
    expect(readme).toContain("npx drainlab run drainlab.yaml");
  });
});

describe("shards/load-job.yaml and drainlab-shards.yaml: the load from an Indexed Job", () => {
  const jobDocs = parseAllDocuments(read("shards/load-job.yaml")).map((d) => {
    if (d.errors.length > 0 || d.warnings.length > 0) throw new Error(`load-job.yaml: ${[...d.errors, ...d.warnings].join("; ")}`);
    return d.toJS() as Doc;
  });
  const job = jobDocs[0] as IJob;
  const load = job.spec?.template.spec?.containers.find((c) => c.name === "load");
  const script = load?.args?.[0] ?? "";
  const sharded = loadScenario(join(DIR, "drainlab-shards.yaml"));
  const plain = loadScenario(join(DIR, "drainlab.yaml"));
  const sh = sharded.attach!.shards!;
  const start = typeof sh.start === "string" ? sh.start : (sh.start?.run ?? "");
  const collect = typeof sh.collect === "string" ? sh.collect : (sh.collect?.run ?? "");

  it("is one Job, valid by the Kubernetes OpenAPI schema; must-fail control: a broken copy is not", () => {
    expect(jobDocs.map((d) => `${d.kind}/${d.metadata?.name}`)).toEqual(["Job/drainlab-load"]);
    expect(() => validate(job)).not.toThrow();
    const bad = copy(job) as unknown as { spec: { completions: unknown } };
    bad.spec.completions = "two";
    expect(() => validate(bad as Doc)).toThrow(/completions must be integer/);
  });

  it("runs load.shards pods at once, pod i as shard i (JOB_COMPLETION_INDEX), never again after a failure", () => {
    expect(job.spec?.completionMode).toBe("Indexed");
    expect(job.spec?.completions).toBe(sharded.load.shards);
    expect(job.spec?.parallelism).toBe(sharded.load.shards);
    expect(job.spec?.backoffLimit).toBe(0);
    expect(job.spec?.template.spec?.restartPolicy).toBe("Never");
    expect(load?.command).toEqual(["sh", "-c"]);
    expect(script).toContain(
      'drainlab load-shard --spec /spec/spec.json --index "$JOB_COMPLETION_INDEX" --out "/ledgers/shard-$JOB_COMPLETION_INDEX"',
    );
    // the pod outlives its shard long enough to be copied from, and exits with the shard's code
    expect(script).toMatch(/rc=\$\?; sleep "\$KEEP_S"; exit "\$rc"$/);
    expect(Number(load?.env?.find((e) => e.name === "KEEP_S")?.value)).toBeGreaterThan(sh.wait_s);
    for (const cmd of [script, start, collect]) expect(() => execFileSync("sh", ["-n", "-c", cmd], { stdio: "pipe" })).not.toThrow();
    // must-fail control: a cut script is not valid sh
    expect(() => execFileSync("sh", ["-n", "-c", collect.slice(0, collect.lastIndexOf("done"))], { stdio: "pipe" })).toThrow();
  });

  it("mounts the spec from the ConfigMap the start command makes of spec.json, and the folder collect copies from", () => {
    const volumes = job.spec?.template.spec?.volumes ?? [];
    const specVolume = volumes.find((v) => v.configMap);
    expect(load?.volumeMounts?.find((m) => m.name === specVolume?.name)?.mountPath).toBe("/spec");
    expect(start).toContain(
      `kubectl create configmap ${specVolume?.configMap?.name} --from-file=spec.json="$DRAINLAB_SHARDS_DIR/spec.json"`,
    );
    expect(start).toContain("kubectl apply -f shards/load-job.yaml");
    expect(start).toContain(`kubectl delete job ${job.metadata?.name} --ignore-not-found`);
    const ledgers = volumes.find((v) => v.emptyDir);
    expect(load?.volumeMounts?.find((m) => m.name === ledgers?.name)?.mountPath).toBe("/ledgers");
    expect(collect).toContain(`-l job-name=${job.metadata?.name},batch.kubernetes.io/job-completion-index=$i`);
    expect(collect).toContain('test -f "/ledgers/shard-$i/shard.json"');
    expect(collect).toContain('kubectl cp "$pod:/ledgers/shard-$i" "$DRAINLAB_SHARDS_DIR/shard-$i"');
  });

  it("is drainlab.yaml but for where the load comes from and goes to", () => {
    // port 80, Service nginx's: the origin drops it
    expect(nginxService.spec?.ports?.[0]?.port).toBe(80);
    expect(sharded.attach!.url).toBe(`http://${nginxService.metadata?.name}.default.svc.cluster.local`);
    expect(sharded.attach!.hosts).toEqual([new URL(sharded.attach!.url).hostname]);
    const rest = (s: typeof plain) => ({
      ...s,
      name: "",
      description: "",
      attach: { ...s.attach!, url: "", hosts: [], shards: undefined },
      load: { ...s.load, shards: 1 },
    });
    expect(rest(sharded)).toEqual(rest(plain));
    expect(readme).toContain("npx drainlab run drainlab-shards.yaml");
    expect(readme).toContain("`shards/load-job.yaml` is an Indexed Job");
  });
});

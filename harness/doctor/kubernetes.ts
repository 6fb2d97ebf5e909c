/**
 * Attach runs on Kubernetes: the drained pod's settings as the user's own manifests have them. The scenario
 * names the files (`attach.manifests`, relative to it); doctor reads them, finds the workload whose pods are
 * the drained node (a StatefulSet `api` for `api-0`, a Deployment `api` for `api-7c9d...`, a Pod by its name)
 * and, in its container that runs gunicorn or uvicorn: terminationGracePeriodSeconds, the preStop sleep, and
 * the server's graceful limit in its command/args. Nothing here writes: the fixes are text edits at the
 * parser's offsets (yaml-edit.ts), so comments and layout stay as the user wrote them.
 */
import { readFileSync } from "node:fs";
import { dirname, isAbsolute, resolve } from "node:path";
import { isMap, isSeq, parseAllDocuments } from "yaml";
import { UsageError } from "../util/errors.ts";

/** Kubernetes' default terminationGracePeriodSeconds. */
export const DEFAULT_GRACE_PERIOD_S = 30;
/** gunicorn's default graceful_timeout. */
export const GUNICORN_DEFAULT_GRACEFUL_S = 30;
/** What doctor keeps between the graceful limit's end (after the preStop sleep) and the kubelet's SIGKILL: the server's own exit. */
export const KUBELET_MARGIN_S = 5;

type Path = (string | number)[];

export interface PodSite {
  /** Absolute path of the manifest. */
  file: string;
  /** Index of the YAML document in the file. */
  doc: number;
  kind: string;
  name: string;
  /** The pod spec's path in the document (spec.template.spec, spec for a Pod). */
  podPath: Path;
  container: { index: number; name: string };
  server: "gunicorn" | "uvicorn";
  /** The server's graceful limit: gunicorn --graceful-timeout, uvicorn --timeout-graceful-shutdown; where it is set (null: not set). */
  graceful: { flag: string; seconds: number | null; at: { path: Path; text: string } | null };
  gracePeriod: { seconds: number; set: boolean };
  /** The preStop sleep, 0 when there is none; `at` where its number is. */
  preStop: { seconds: number; at: { path: Path; text: string } | null; present: boolean };
}

export interface KubernetesFacts {
  /** The drained pod's workload, or null and why not. */
  site: PodSite | null;
  reason: string | null;
  files: string[];
}

const WORKLOADS: Record<string, Path> = {
  StatefulSet: ["spec", "template", "spec"],
  Deployment: ["spec", "template", "spec"],
  DaemonSet: ["spec", "template", "spec"],
  ReplicaSet: ["spec", "template", "spec"],
  Pod: ["spec"],
};

/** Whether a pod of this workload can have this name. */
function owns(kind: string, name: string, pod: string): boolean {
  if (kind === "Pod") return pod === name;
  if (kind === "StatefulSet") return new RegExp(`^${name.replace(/[.]/g, "\\.")}-\\d+$`).test(pod);
  return pod.startsWith(`${name}-`);
}

const strings = (v: unknown): string[] | null => (Array.isArray(v) && v.every((x) => typeof x === "string") ? v : null);

/** The flag's value in an argv: `--flag N`, `--flag=N`, or inside a shell string (`sh -c "... --flag N"`). */
function flagIn(argv: Array<{ path: Path; text: string }>, flag: string): { seconds: number; at: { path: Path; text: string } } | null {
  for (const [k, a] of argv.entries()) {
    if (a.text === flag && argv[k + 1] && /^\d+$/.test(argv[k + 1]!.text)) return { seconds: Number(argv[k + 1]!.text), at: argv[k + 1]! };
    const m = new RegExp(`${flag}(?:=|\\s+)(\\d+)`).exec(a.text);
    if (m) return { seconds: Number(m[1]), at: a };
  }
  return null;
}

/** The preStop sleep: `sleep: {seconds: N}` (Kubernetes 1.30+), `exec: ["sleep", "N"]`, or `sleep N` in an exec's shell string. */
function preStopOf(container: Record<string, unknown>, base: Path): PodSite["preStop"] {
  const preStop = (container.lifecycle as { preStop?: Record<string, unknown> } | undefined)?.preStop;
  if (!preStop) return { seconds: 0, at: null, present: false };
  const sleep = preStop.sleep as { seconds?: unknown } | undefined;
  if (sleep && typeof sleep.seconds === "number")
    return {
      seconds: sleep.seconds,
      at: { path: [...base, "lifecycle", "preStop", "sleep", "seconds"], text: String(sleep.seconds) },
      present: true,
    };
  const command = strings((preStop.exec as { command?: unknown } | undefined)?.command);
  if (command) {
    const at = (i: number): Path => [...base, "lifecycle", "preStop", "exec", "command", i];
    const s = command.findIndex((w) => /(^|\/)sleep$/.test(w));
    if (s >= 0 && /^\d+$/.test(command[s + 1] ?? ""))
      return { seconds: Number(command[s + 1]), at: { path: at(s + 1), text: command[s + 1]! }, present: true };
    for (const [i, w] of command.entries()) {
      const m = /\bsleep\s+(\d+)\b/.exec(w);
      if (m) return { seconds: Number(m[1]), at: { path: at(i), text: w }, present: true };
    }
  }
  // a preStop that is not a plain sleep (an HTTP call, a script): its length is not in the file
  return { seconds: 0, at: null, present: true };
}

/** The scenario's attach.manifests read and parsed; a missing or unparseable file is a usage error naming the field and value. */
export function readManifests(scenarioFile: string, names: string[]): Array<{ file: string; text: string }> {
  return names.map((name, i) => {
    const file = isAbsolute(name) ? name : resolve(dirname(scenarioFile), name);
    const field = `${scenarioFile}: attach.manifests[${i}] ${JSON.stringify(name)}`;
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (e) {
      throw new UsageError(`${field}: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
    const docs = parseAllDocuments(text);
    const bad = Array.isArray(docs) ? docs.find((d) => d.errors.length > 0) : undefined;
    if (bad) throw new UsageError(`${field}: not YAML (${bad.errors[0]!.message.split("\n")[0]})`);
    return { file, text };
  });
}

/** The workload and container that run the drained node, in these manifests. */
export function findPodSite(manifests: Array<{ file: string; text: string }>, node: string): { site: PodSite } | { reason: string } {
  const found: PodSite[] = [];
  for (const { file, text } of manifests) {
    const docs = parseAllDocuments(text);
    if (!Array.isArray(docs)) continue;
    for (const [d, doc] of docs.entries()) {
      if (!isMap(doc.contents)) continue;
      const obj = doc.toJS() as { kind?: unknown; metadata?: { name?: unknown } };
      const podPath = typeof obj.kind === "string" ? WORKLOADS[obj.kind] : undefined;
      const name = obj.metadata?.name;
      if (!podPath || typeof name !== "string" || !owns(obj.kind as string, name, node)) continue;
      const pod = doc.getIn(podPath, true);
      if (!isMap(pod)) continue;
      const spec = podPath.reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], obj) as {
        containers?: unknown;
        terminationGracePeriodSeconds?: unknown;
      };
      const containers = Array.isArray(spec.containers) ? (spec.containers as Array<Record<string, unknown>>) : [];
      for (const [c, container] of containers.entries()) {
        if (!isSeq(doc.getIn([...podPath, "containers"], true))) break;
        const base: Path = [...podPath, "containers", c];
        const argv = (["command", "args"] as const).flatMap((key) =>
          (strings(container[key]) ?? []).map((text, i) => ({ path: [...base, key, i] as Path, text })),
        );
        const words = argv.flatMap((a) => a.text.split(/\s+/));
        const server = words.some((w) => /(^|\/)gunicorn$/.test(w))
          ? "gunicorn"
          : words.some((w) => /(^|\/)uvicorn$/.test(w))
            ? "uvicorn"
            : null;
        if (!server) continue;
        const flag = server === "gunicorn" ? "--graceful-timeout" : "--timeout-graceful-shutdown";
        const g = flagIn(argv, flag);
        const tgps = spec.terminationGracePeriodSeconds;
        found.push({
          file,
          doc: d,
          kind: obj.kind as string,
          name,
          podPath,
          container: { index: c, name: String(container.name ?? c) },
          server,
          graceful: { flag, seconds: g?.seconds ?? null, at: g?.at ?? null },
          gracePeriod: { seconds: typeof tgps === "number" ? tgps : DEFAULT_GRACE_PERIOD_S, set: typeof tgps === "number" },
          preStop: preStopOf(container, base),
        });
      }
    }
  }
  if (found.length === 1) return { site: found[0]! };
  if (found.length === 0)
    return {
      reason: `no StatefulSet, Deployment, DaemonSet, ReplicaSet or Pod in ${manifests.map((m) => m.file).join(", ")} has the pod ${node} with a container running gunicorn or uvicorn in its command/args`,
    };
  return { reason: `more than one workload could run ${node}: ${found.map((s) => `${s.kind} ${s.name} (${s.file})`).join(", ")}` };
}

/** The effective graceful limit of the site's server, in seconds; null when it has none (uvicorn's default: unlimited). */
export function serverGraceful(site: PodSite): number | null {
  if (site.graceful.seconds !== null) return site.graceful.seconds;
  return site.server === "gunicorn" ? GUNICORN_DEFAULT_GRACEFUL_S : null;
}

/** Facts for the run: the drained pod's workload in the scenario's manifests. */
export function kubernetesFacts(
  scenarioFile: string | null,
  names: string[] | undefined,
  node: string | undefined,
): KubernetesFacts | null {
  if (!names || names.length === 0) return null;
  if (!scenarioFile) return { site: null, reason: "the run's scenario file is not there: attach.manifests are relative to it", files: [] };
  const manifests = readManifests(scenarioFile, names);
  const files = manifests.map((m) => m.file);
  if (!node)
    return { site: null, reason: "the drain names no node (attach.drain.node): doctor cannot tell which pod's workload it drained", files };
  const found = findPodSite(manifests, node);
  return "site" in found ? { site: found.site, reason: null, files } : { site: null, reason: found.reason, files };
}

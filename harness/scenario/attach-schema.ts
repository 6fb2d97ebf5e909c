import { z } from "zod";

/**
 * `attach:`, a system drainlab did not start: a compose deployment, VMs behind
 * an nginx reloaded by script, a Kubernetes rollout. drainlab sends the load
 * to `url` and runs the user's own commands as the drain; the records come
 * from files or from commands' output (`docker logs`, `kubectl logs`).
 * Commands run with the user's rights through `/bin/sh -c`, in the scenario
 * file's folder: a scenario with hooks is code, like a Makefile.
 */

/** One command: `/bin/sh -c run`, killed (its whole process group) after timeout_s. */
export const Hook = z.union([
  z.string().min(1),
  z.strictObject({
    run: z.string().min(1),
    timeout_s: z.number().positive().max(3600).optional(),
  }),
]);
export type Hook = z.output<typeof Hook>;

/** The operator's drain, step by step; each step's start and end go on the timeline. */
export const ATTACH_STEPS = ["mark_draining", "remove", "reload", "terminate", "wait_exit", "restore"] as const;
export type AttachStep = (typeof ATTACH_STEPS)[number];

export const REMOVALS = ["remove", "reload", "readiness", "none"] as const;
export type Removal = (typeof REMOVALS)[number];
/** The step whose end is the removal taking effect, for each way of removing; null: no step removes. */
export function removingStep(removal: Removal, steps: Array<{ step: AttachStep }>): AttachStep | null {
  const has = (s: AttachStep) => steps.some((x) => x.step === s);
  if (removal === "remove") return has("reload") ? "reload" : "remove";
  if (removal === "reload") return "reload";
  if (removal === "readiness") return "mark_draining";
  return null;
}

/** Where a record lives: a file (relative to the scenario file), or the output of a command run after the load. */
const Source = z.union([
  z.strictObject({ file: z.string().min(1) }),
  z.strictObject({ command: z.string().min(1), timeout_s: z.number().positive().max(3600).optional() }),
]);
export type RecordSource = z.output<typeof Source>;

/** Host names that are this machine: load to them never leaves it. */
export const LOOPBACK_HOSTS = ["127.0.0.1", "localhost", "::1", "[::1]"];

const URL_EXAMPLE = "e.g. http://127.0.0.1:8080";

/**
 * attach.url, parsed once: the origin the load goes to (`http://host:port`, no path) and its host, or why
 * the text is not one, in a sentence that says what to write instead. A path, query, fragment or user name
 * is refused: the mix's paths are sent as they are, so a base path belongs in each `load.mix[].path`.
 */
export function parseAttachUrl(text: string): { origin: string; host: string } | { error: string } {
  if (text.trim() === "") return { error: `empty: give an http:// or https:// URL, ${URL_EXAMPLE}` };
  if (/[^\x21-\x7e]/.test(text))
    return { error: "holds a space, a control character or a non-ASCII character: give the URL as plain ASCII, percent-encoded" };
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/([^/?#]*)(.*)$/.exec(text);
  if (!m) return { error: `no scheme: write http://${/^[A-Za-z][A-Za-z0-9+.-]*:(?!\d)/.test(text) ? "host:port" : text} (${URL_EXAMPLE})` };
  const scheme = m[1]!.toLowerCase();
  const authority = m[2]!;
  const rest = m[3]!;
  if (scheme !== "http" && scheme !== "https")
    return { error: `scheme ${m[1]}: drainlab sends HTTP load: an http:// or https:// URL, ${URL_EXAMPLE}` };
  if (authority.includes("@"))
    return { error: "holds a user name or password: give the URL without them (drainlab sends no credentials in the URL)" };
  const hostPort = /^(\[[^\]]*\]|[^:]*)(?::(.*))?$/.exec(authority)!;
  if (hostPort[1] === "") return { error: `no host: ${URL_EXAMPLE}` };
  const port = hostPort[2];
  if (port !== undefined && port !== "") {
    if (!/^\d+$/.test(port)) return { error: `port ${port} is not a number (1-65535)` };
    if (Number(port) < 1 || Number(port) > 65535) return { error: `port ${port} is out of range (1-65535)` };
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { error: `host ${hostPort[1]} is not a valid host name or address (${URL_EXAMPLE})` };
  }
  const origin = `${url.protocol}//${url.host}`;
  if (rest !== "" && rest !== "/") {
    const path = rest.replace(/[?#].*$/, "");
    const what = path !== "" && path !== "/" ? `a path (${path})` : rest.slice(path.length).startsWith("?") ? "a query" : "a fragment";
    return {
      error: `holds ${what}: attach.url is the origin the load goes to (${origin}); put the path and query in each load.mix[].path`,
    };
  }
  return { origin, host: url.hostname };
}

/** attach.url: any string in the file, the origin (no trailing slash) once parsed; each malformed form says why. */
export const AttachUrl = z.string().transform((text, ctx) => {
  const parsed = parseAttachUrl(text);
  if ("error" in parsed) {
    ctx.issues.push({ code: "custom", message: parsed.error, input: text });
    return z.NEVER;
  }
  return parsed.origin;
});

export const Attach = z.strictObject({
  /**
   * Where the load goes: nginx (or whatever fronts the nodes), as http(s)://host:port with no path (the
   * mix's paths are sent as they are). Loopback, or a host listed in `hosts`.
   */
  url: AttachUrl,
  /** Hosts other than loopback that you name as yours: the load goes to `url` only when its host is loopback or here. */
  hosts: z.array(z.string().min(1)).default([]),
  /**
   * The nodes, as the app-ledger module names them (DRAINLAB_NODE, its X-Node header). Absent: learned
   * from the answers. nginx's $upstream_addr is matched to them by the answers too, or give `addresses`.
   */
  nodes: z.array(z.string().min(1).max(253)).max(256, "at most 256 nodes (drainlab keeps one ledger file per node)").optional(),
  /** node name -> its address as nginx's $upstream_addr writes it ("172.18.0.3:8000"). */
  addresses: z.record(z.string(), z.string().min(1)).default({}),
  drain: z.union([
    z.strictObject({
      /** The drained node's name; absent: the command drains every node (a rolling restart). */
      node: z.string().min(1).optional(),
      /** One command: the drain window is known (its start and end), the removal and signal times are not. */
      command: Hook,
      timeout_s: z.number().positive().max(3600).default(120),
    }),
    z.strictObject({
      node: z.string().min(1),
      /**
       * One command per step, run in the order given (SIGTERM before the removal is a control). wait_exit:
       * when the last line of its output is an integer, that is the node's exit code (`docker wait` prints
       * it). A step's end is when it took effect: a reload step should end once nginx applied it. After a
       * step fails, only restore still runs.
       */
      steps: z
        .array(
          z.strictObject({
            step: z.enum(ATTACH_STEPS),
            run: z.string().min(1),
            timeout_s: z.number().positive().max(3600).optional(),
          }),
        )
        .min(1)
        .refine((l) => l.some((x) => x.step === "terminate"), { message: "a terminate step is required: the step that stops the node" })
        .refine((l) => new Set(l.map((x) => x.step)).size === l.length, { message: "each step at most once" }),
      /**
       * Which step takes the node out of what routes to it; its end is when the removal took effect, and
       * misrouting is judged from then on. remove: the remove step (or the reload after it, when given);
       * reload: a reload step that itself removes the node; readiness: mark_draining, when the orchestrator
       * removes a node that reports not ready (Kubernetes); none: no step removes it (a control). Required
       * when there is no remove step.
       */
      removal: z.enum(REMOVALS).optional(),
      timeout_s: z.number().positive().max(3600).default(60),
    }),
  ]),
  /**
   * Your Kubernetes manifests (YAML files, relative to the scenario file), read by `drainlab doctor` only: the
   * drained pod's workload there (its terminationGracePeriodSeconds, preStop sleep and the server's graceful
   * limit in the container's command/args) is where doctor locates a setting at fault and writes its fix, as a
   * patch of the file. Absent: doctor names no Kubernetes setting.
   */
  manifests: z
    .array(
      z
        .string()
        .min(1)
        .regex(/\.ya?ml$/i, "a YAML file (.yaml or .yml)"),
    )
    .max(64)
    .optional(),
  /** The servers' records. Absent: every check that needs them says no-evidence (or skipped, with client_only). */
  records: z
    .strictObject({
      /** nginx's access log in drainlab's JSON format (README: "Attach to a running system"). */
      nginx_log: Source.optional(),
      /** The app-ledger module's lines, from one source for all nodes or one per node. */
      app_ledger: z.array(Source).default([]),
    })
    .prefault({}),
  /** The run is judged on the client's side only: the server-side checks are skipped, and the report says so first. */
  client_only: z.boolean().default(false),
  /**
   * The load from `drainlab load-shard` processes elsewhere (other hosts, a Kubernetes Indexed Job), load.shards
   * of them, instead of from this process. The run writes the shard spec to <dir>/<run id>/spec.json with its t0
   * lead_s ahead (the drain's at_s counts from it), runs `start`, and after the schedule and its grace runs
   * `collect`, then waits up to wait_s for every <dir>/<run id>/shard-<i>/ and merges them into the one client
   * ledger. Hooks see DRAINLAB_SHARDS_DIR (that folder) and DRAINLAB_SHARDS (the count).
   */
  shards: z
    .strictObject({
      /** Relative to the scenario file. */
      dir: z.string().min(1),
      lead_s: z.number().positive().max(600).default(30),
      /** Starts the shards once spec.json is written (e.g. kubectl create configmap + kubectl apply); it must end before t0. */
      start: Hook.optional(),
      /** Brings each shard-<i>/ back into the folder (e.g. kubectl cp); absent: they arrive by themselves (a shared volume). */
      collect: Hook.optional(),
      wait_s: z.number().positive().max(3600).default(120),
    })
    .optional(),
});
export type Attach = z.output<typeof Attach>;

/** A hook's command and its timeout, whichever form it was given in. */
export function hookOf(h: Hook, defaultTimeoutS: number): { run: string; timeout_s: number } {
  return typeof h === "string" ? { run: h, timeout_s: defaultTimeoutS } : { run: h.run, timeout_s: h.timeout_s ?? defaultTimeoutS };
}

/** The host the load would go to, when it is neither loopback nor named in `hosts`. */
export function unnamedHost(a: Pick<Attach, "url" | "hosts">): string | null {
  if (typeof a.url !== "string") return null; // attach.url was refused on its own
  const parsed = parseAttachUrl(a.url);
  if ("error" in parsed) return null;
  return LOOPBACK_HOSTS.includes(parsed.host) || a.hosts.includes(parsed.host) ? null : parsed.host;
}

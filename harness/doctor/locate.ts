/**
 * Where a setting at fault lives, and the file after its fix. drainlab's fixture stack is described by the
 * scenario's own YAML (stack:, drain:, load:), so its fixes are edits of that file. A `system:` stack is the
 * user's: gunicorn settings in their gunicorn.conf.py (or the scenario's gunicorn_args, which outrank it),
 * nginx settings in their nginx.conf, the server's command in their Dockerfile; the drain steps stay in the
 * scenario. Nothing here writes: it returns the text before and after.
 */
import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, isAbsolute, join, resolve } from "node:path";
import type { Report } from "../records/report.ts";
import { type Directive, parseNginx, walk } from "../stack/nginx-parse.ts";
import type { KubernetesFacts } from "./kubernetes.ts";
import type { Change, Located } from "./types.ts";
import { lineOf, setYamlValue, type YamlValue, yamlText, yamlValueAt } from "./yaml-edit.ts";

/** What --verify says of an attach run's fix: drainlab did not start the system, so it cannot run it again with the fix. */
export const ATTACH_VERIFY = "cannot re-run an attach run from here: apply the patch and run again";

export interface RunContext {
  report: Report;
  runDir: string;
  /** Absolute path of the scenario file, when the run names one that still exists. */
  scenarioFile: string | null;
  scenarioText: string | null;
  stack: "fixture" | "system" | "attach";
  /** Files as earlier changes of the same fix left them (absolute path -> text). */
  overlay: Map<string, string>;
  /** Attach runs: the drained pod's workload in attach.manifests; null when the scenario names none. */
  kubernetes?: KubernetesFacts | null;
}

export class CannotLocate extends Error {}

const pathOf = (field: string) => field.split(".").map((k) => (/^\d+$/.test(k) ? Number(k) : k));

function read(ctx: RunContext, file: string): string {
  const changed = ctx.overlay.get(file);
  if (changed !== undefined) return changed;
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new CannotLocate(`${file}: cannot read it (${(e as Error).message})`);
  }
}

/** The scenario YAML edited at `field`. */
function inScenario(ctx: RunContext, field: string, value: string | number | boolean | null): Located {
  if (!ctx.scenarioFile || ctx.scenarioText === null)
    throw new CannotLocate(`the scenario file ${ctx.report.scenario.file ?? "(none recorded)"} is not there to patch`);
  const text = read(ctx, ctx.scenarioFile);
  const edit = setYamlValue(text, pathOf(field), value);
  const key = field.split(".").pop()!;
  return {
    file: ctx.scenarioFile,
    line: edit.line,
    was: edit.was === null ? null : `${key}: ${edit.was}`,
    now: `${key}: ${yamlText(value)}`,
    before: text,
    after: edit.text,
    verify: { sets: [`${field}=${yamlText(value)}`] },
  };
}

const systemOf = (ctx: RunContext) => (ctx.report.parameters as unknown as { system?: SystemParams }).system;

interface SystemParams {
  app: { build?: { context: string; dockerfile: string }; command?: string[]; gunicorn_args: string[] };
  nginx: { config: string; upstream: string };
}

const fromScenario = (ctx: RunContext, p: string) => (isAbsolute(p) ? p : resolve(dirname(ctx.scenarioFile ?? "."), p));

/** The user's gunicorn.conf.py: the `-c` file of the app's command, or one in the build context. */
function gunicornConf(ctx: RunContext, sys: SystemParams): string {
  const folder = sys.app.build ? fromScenario(ctx, sys.app.build.context) : dirname(ctx.scenarioFile ?? ".");
  const names: string[] = [];
  const cmd = sys.app.command ?? [];
  const c = cmd.indexOf("-c");
  if (c >= 0 && cmd[c + 1]) names.push(basename(cmd[c + 1]!));
  if (sys.app.build) {
    const dockerfile = join(folder, sys.app.build.dockerfile);
    if (existsSync(dockerfile)) {
      const m = /"-c",\s*"([^"]+)"|\s-c\s+(\S+)/.exec(read(ctx, dockerfile));
      if (m) names.push(basename(m[1] ?? m[2]!));
    }
  }
  names.push("gunicorn.conf.py", "gunicorn_conf.py");
  for (const name of names) if (existsSync(join(folder, name))) return join(folder, name);
  throw new CannotLocate(`no gunicorn.conf.py found in ${folder}`);
}

/** gunicorn's graceful_timeout: the scenario's gunicorn_args when they set it (they outrank the file), else gunicorn.conf.py. */
function gunicornGraceful(ctx: RunContext, value: number): Located {
  const sys = systemOf(ctx)!;
  const args = sys.app.gunicorn_args ?? [];
  const i = args.findIndex((a) => a === "--graceful-timeout" || a.startsWith("--graceful-timeout="));
  const newArgs = [
    ...args.filter((_, k) => k !== i && !(args[i] === "--graceful-timeout" && k === i + 1)),
    "--graceful-timeout",
    String(value),
  ];
  const verify = { sets: [`system.app.gunicorn_args=${JSON.stringify(newArgs)}`] };
  if (i >= 0) {
    const index = args[i] === "--graceful-timeout" ? i + 1 : i;
    const text = args[i] === "--graceful-timeout" ? String(value) : `--graceful-timeout=${value}`;
    const loc = inScenario(ctx, `system.app.gunicorn_args.${index}`, text);
    return { ...loc, was: `gunicorn_args: ${args.join(" ")}`, now: `gunicorn_args: ${newArgs.join(" ")}`, verify };
  }
  const file = gunicornConf(ctx, sys);
  const before = read(ctx, file);
  const m = /^graceful_timeout\s*=.*$/m.exec(before);
  const now = `graceful_timeout = ${value}`;
  if (m) {
    const after = before.slice(0, m.index) + now + before.slice(m.index + m[0].length);
    return { file, line: lineOf(before, m.index), was: m[0], now, before, after, verify };
  }
  // not set: gunicorn's default 30 s applies; the line goes after the last top-level assignment
  const assignments = [...before.matchAll(/^[a-z_]+\s*=.*$/gm)];
  const last = assignments[assignments.length - 1];
  const at = last ? last.index! + last[0].length + 1 : 0;
  const after = `${before.slice(0, at)}${now}\n${before.slice(at)}`;
  return { file, line: lineOf(after, at), was: null, now, before, after, verify };
}

/** An nginx time in seconds ("30s", "1m", "500ms"); Infinity when it is not one (never replaced then). */
function nginxSecondsOr(value: string | undefined): number {
  const m = /^(\d+)(ms|s|m|h)?$/.exec(value ?? "");
  if (!m) return Number.POSITIVE_INFINITY;
  return Number(m[1]) * { ms: 0.001, s: 1, m: 60, h: 3600 }[m[2] ?? "s"]!;
}

/** Whether a directive proxies to the upstream (proxy_pass http://name, with or without a path). */
const proxiesTo = (d: Directive, upstream: string) =>
  d.name === "proxy_pass" && new RegExp(`^https?://${upstream.replace(/[.]/g, "\\.")}(/|$)`).test(d.args[0] ?? "");

function indentAt(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))![0];
}

interface TextEdit {
  start: number;
  end: number;
  text: string;
}

function applyEdits(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.text + out.slice(e.end);
  return out;
}

/** An nginx setting in the user's nginx.conf: in each location that proxies to the upstream, or in the upstream block. */
function nginxSetting(ctx: RunContext, field: string, value: string | number | boolean | null): Located {
  const sys = systemOf(ctx)!;
  const file = fromScenario(ctx, sys.nginx.config);
  const before = read(ctx, file);
  const tree = parseNginx(before, file);
  const edits: TextEdit[] = [];
  let was: string | null = null;
  let line = 0;
  let now = "";
  const setIn = (block: Directive, name: string, args: string, after?: Directive) => {
    const own = block.block!.find((d) => d.name === name);
    now = `${name} ${args};`;
    if (own) {
      was ??= before.slice(own.start, own.end);
      line ||= own.line;
      edits.push({ start: own.start, end: own.end, text: now });
    } else {
      const anchor = after ?? block.block![block.block!.length - 1];
      const at = anchor ? anchor.end : block.blockOpen!;
      const indent = anchor ? indentAt(before, anchor.start) : `${indentAt(before, block.start)}    `;
      line ||= lineOf(before, at) + 1;
      edits.push({ start: at, end: at, text: `\n${indent}${now}` });
    }
  };
  const upstream = (() => {
    let found: Directive | undefined;
    walk(tree, (d) => {
      if (d.name === "upstream" && d.args[0] === sys.nginx.upstream && d.block) found = d;
    });
    if (!found) throw new CannotLocate(`${file}: no upstream ${sys.nginx.upstream}`);
    return found;
  })();
  if (field === "stack.nginx.proxy_read_timeout_s" || field === "stack.nginx.proxy_next_upstream") {
    const name = field === "stack.nginx.proxy_read_timeout_s" ? "proxy_read_timeout" : "proxy_next_upstream";
    const args = name === "proxy_read_timeout" ? `${value}s` : String(value);
    // where the file sets it already (at any level): those lines change, when they are the cause
    const wrong = (d: Directive) =>
      name === "proxy_read_timeout"
        ? nginxSecondsOr(d.args[0]) < Number(value)
        : /\bnon_idempotent\b/.test(d.args.join(" ")) || !/\berror\b/.test(d.args.join(" "));
    let set = false;
    walk(tree, (d, parents) => {
      if (d.name !== name) return;
      set = true;
      if (!wrong(d)) return;
      const parent = parents[parents.length - 1];
      if (parent) setIn(parent, name, args);
    });
    // nowhere: nginx's default applies; set in each location that proxies to the upstream
    if (!set)
      walk(tree, (d) => {
        if (d.name === "location" && d.block) {
          const pass = d.block.find((x) => proxiesTo(x, sys.nginx.upstream));
          if (pass) setIn(d, name, args, pass);
        }
      });
  } else if (field === "stack.nginx.upstream_keepalive_timeout_s") {
    setIn(
      upstream,
      "keepalive_timeout",
      `${value}s`,
      upstream.block!.find((d) => d.name === "keepalive"),
    );
  } else if (field === "stack.nginx.max_fails" || field === "stack.nginx.fail_timeout_s") {
    const key = field === "stack.nginx.max_fails" ? "max_fails" : "fail_timeout";
    const v = key === "max_fails" ? String(value) : `${value}s`;
    for (const server of upstream.block!.filter((d) => d.name === "server")) {
      const old = before.slice(server.start, server.end);
      const replaced = new RegExp(`\\b${key}=\\S+?(?=[\\s;])`).test(old)
        ? old.replace(new RegExp(`\\b${key}=\\S+?(?=[\\s;])`), `${key}=${v}`)
        : old.replace(/;$/, ` ${key}=${v};`);
      was ??= old;
      line ||= server.line;
      now = replaced;
      edits.push({ start: server.start, end: server.end, text: replaced });
    }
  } else throw new CannotLocate(`${field}: doctor does not know where nginx.conf sets it`);
  if (edits.length === 0) throw new CannotLocate(`${file}: no location proxies to upstream ${sys.nginx.upstream}`);
  const after = applyEdits(before, edits);
  return {
    file,
    line,
    was,
    now,
    before,
    after,
    verify: { copy: { field: "system.nginx.config", file: basename(file), text: after } },
  };
}

/** The Dockerfile's last CMD in shell form, rewritten in exec form (the server becomes PID 1 and gets the SIGTERM). */
function execFormCmd(ctx: RunContext): Located {
  const sys = systemOf(ctx);
  if (!sys?.app.build) throw new CannotLocate("the app is an image, not a Dockerfile drainlab builds: its CMD is not in a file here");
  const { file, before, last } = lastCmd(ctx, sys.app.build);
  if (!last) throw new CannotLocate(`${file}: no CMD line`);
  const shell = last[1]!.trim();
  if (shell.startsWith("[")) throw new CannotLocate(`${file}: its CMD is already in exec form`);
  // only a plain command line converts word for word; quotes, variables, && or pipes need a person (or `exec` in a script)
  if (/["'`$&|;<>(){}\\*?]/.test(shell))
    throw new CannotLocate(`${file}: the CMD uses shell syntax (${shell}); doctor does not rewrite it word for word`);
  const now = `CMD [${shell
    .split(/\s+/)
    .map((w) => JSON.stringify(w))
    .join(", ")}]`;
  return cmdReplaced(file, before, last, now);
}

/** The Dockerfile drainlab builds for the app, and its last CMD line (undefined when it has none). */
function lastCmd(
  ctx: RunContext,
  build: { context: string; dockerfile: string },
): { file: string; before: string; last: RegExpExecArray | undefined } {
  const file = join(fromScenario(ctx, build.context), build.dockerfile);
  const before = read(ctx, file);
  const cmds = [...before.matchAll(/^CMD[ \t]+(.+)$/gm)];
  return { file, before, last: cmds[cmds.length - 1] };
}

/** That CMD line replaced by `now`. */
function cmdReplaced(file: string, before: string, last: RegExpExecArray, now: string): Located {
  const after = before.slice(0, last.index) + now + before.slice(last.index + last[0].length);
  return {
    file,
    line: lineOf(before, last.index),
    was: last[0],
    now,
    before,
    after,
    // docker build -f takes a Dockerfile outside the context: the patched copy, built from the user's own folder
    verify: { copy: { field: "system.app.build.dockerfile", file: basename(file), text: after } },
  };
}

const UV_FLAG = /(--timeout-graceful-shutdown(?:=|\s+|",\s*"))(\d+)/;

/** uvicorn's --timeout-graceful-shutdown under `uvicorn --workers`: in the scenario's system.app.command, else the Dockerfile's CMD. */
function uvicornGraceful(ctx: RunContext, value: number): Located {
  const sys = systemOf(ctx)!;
  const cmd = sys.app.command;
  const i = cmd?.findIndex((a) => a === "--timeout-graceful-shutdown" || a.startsWith("--timeout-graceful-shutdown=")) ?? -1;
  if (cmd && i >= 0) {
    const spaced = cmd[i] === "--timeout-graceful-shutdown";
    const newCmd = cmd.map((a, k) =>
      spaced && k === i + 1 ? String(value) : !spaced && k === i ? `--timeout-graceful-shutdown=${value}` : a,
    );
    const loc = inScenario(ctx, `system.app.command.${spaced ? i + 1 : i}`, newCmd[spaced ? i + 1 : i]!);
    return {
      ...loc,
      was: `command: ${cmd.join(" ")}`,
      now: `command: ${newCmd.join(" ")}`,
      verify: { sets: [`system.app.command=${JSON.stringify(newCmd)}`] },
    };
  }
  if (cmd)
    throw new CannotLocate(
      "system.app.command does not set --timeout-graceful-shutdown (an UVICORN_* variable?): doctor does not guess where it is set",
    );
  if (!sys.app.build) throw new CannotLocate("the app is an image: its command is not in a file here");
  const { file, before, last } = lastCmd(ctx, sys.app.build);
  if (!last || !UV_FLAG.test(last[0])) throw new CannotLocate(`${file}: its CMD does not set --timeout-graceful-shutdown`);
  return cmdReplaced(
    file,
    before,
    last,
    last[0].replace(UV_FLAG, (_, head: string) => `${head}${value}`),
  );
}

/** A setting of the drained pod's workload in the user's Kubernetes manifest (attach.manifests). */
function kubernetesSetting(ctx: RunContext, field: string, value: number): Located {
  const site = ctx.kubernetes?.site;
  if (!site)
    throw new CannotLocate(
      ctx.kubernetes?.reason ?? "the scenario names no Kubernetes manifest (attach.manifests): doctor has no file to patch",
    );
  const text = read(ctx, site.file);
  const container: (string | number)[] = [...site.podPath, "containers", site.container.index];
  let path: (string | number)[];
  let next: YamlValue;
  let key: string;
  if (field === "kubernetes.termination_grace_period_s") {
    path = [...site.podPath, "terminationGracePeriodSeconds"];
    next = value;
    key = "terminationGracePeriodSeconds";
  } else if (field === "kubernetes.graceful_s") {
    const at = site.graceful.at;
    if (!at)
      throw new CannotLocate(
        `${site.file}: container ${site.container.name} does not set ${site.graceful.flag} in its command/args (${site.server}'s default applies): add "${site.graceful.flag}", "${value}" to its args`,
      );
    path = at.path;
    next = /^\d+$/.test(at.text) ? String(value) : at.text.replace(new RegExp(`(${site.graceful.flag}(?:=|\\s+))\\d+`), `$1${value}`);
    key = site.graceful.flag;
  } else if (field === "kubernetes.prestop_sleep_s") {
    const at = site.preStop.at;
    key = "preStop sleep";
    if (at) {
      path = at.path;
      next =
        at.path[at.path.length - 1] === "seconds"
          ? value
          : /^\d+$/.test(at.text)
            ? String(value)
            : at.text.replace(/\bsleep\s+\d+/, `sleep ${value}`);
    } else if (site.preStop.present)
      throw new CannotLocate(
        `${site.file}: container ${site.container.name}'s preStop is not a plain sleep: make it wait ${value} s before the SIGTERM`,
      );
    else {
      // no preStop: the sleep action (Kubernetes 1.30 and later), added to the container
      path = [...container, "lifecycle", "preStop", "sleep", "seconds"];
      next = value;
    }
  } else throw new CannotLocate(`${field}: doctor does not know where a Kubernetes manifest sets it`);
  let edit: ReturnType<typeof setYamlValue>;
  try {
    edit = setYamlValue(text, path, next, site.doc);
  } catch (e) {
    throw new CannotLocate(`${site.file}: cannot set ${path.join(".")} (${(e as Error).message})`);
  }
  return {
    file: site.file,
    line: edit.line,
    was: edit.was === null ? null : `${key}: ${edit.was}`,
    now: `${key}: ${yamlText(next)}`,
    before: text,
    after: edit.text,
    verify: { none: ATTACH_VERIFY },
  };
}

/** Where a change applies for this run's stack. */
export function locate(ctx: RunContext, change: Change): Located {
  if (change.kind === "exec-form-cmd") return execFormCmd(ctx);
  const { field, value } = change;
  if (ctx.stack === "attach") {
    if (field.startsWith("kubernetes.")) return kubernetesSetting(ctx, field, Number(value));
    // the scenario's own waits (load.grace_s): a patch of the scenario, which only a new attach run can check
    if (/^(drain|load|checks)\./.test(field)) return { ...inScenario(ctx, field, value), verify: { none: ATTACH_VERIFY } };
    throw new CannotLocate(
      "an attached system's settings are not in files drainlab has (Kubernetes: name your manifests in attach.manifests)",
    );
  }
  if (ctx.stack === "fixture" || /^(drain|load|checks)\./.test(field)) return inScenario(ctx, field, value);
  if (field === "stack.gunicorn.graceful_timeout_s") return gunicornGraceful(ctx, Number(value));
  if (field === "stack.uvicorn.timeout_graceful_shutdown_s") {
    if (ctx.report.parameters.stack.runtime === "uvicorn") return uvicornGraceful(ctx, Number(value));
    throw new CannotLocate(
      "under gunicorn, uvicorn's timeout_graceful_shutdown is the worker class's CONFIG_KWARGS (Python code, not a setting): doctor does not rewrite code",
    );
  }
  if (field.startsWith("stack.nginx.")) return nginxSetting(ctx, field, value);
  throw new CannotLocate(`${field}: doctor does not know which of your files sets it`);
}

/** The line where the scenario sets a field now, for the "setting at fault" when the fix adds it elsewhere. */
export function scenarioLine(ctx: RunContext, field: string): { line: number; text: string } | null {
  if (ctx.scenarioText === null) return null;
  const at = yamlValueAt(ctx.scenarioText, pathOf(field));
  return at ? { line: at.line, text: at.text } : null;
}

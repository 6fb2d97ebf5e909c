import { type Dirent, existsSync, lstatSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, posix, relative, resolve, sep } from "node:path";
import type { Command } from "commander";
import { validateScenario } from "../scenario/load-scenario.ts";
import { NginxSyntaxError, parseNginx, walk } from "../stack/nginx-parse.ts";
import { UsageError } from "../util/errors.ts";
import { kindOf, readHead } from "../util/safe-file.ts";
import { printable, shown } from "../util/text.ts";
import { parseYaml } from "../util/yaml.ts";

/**
 * `drainlab init`: a first drainlab.yaml for the user's own stack, from what
 * lies in their folder: the Dockerfile, gunicorn config, nginx config and its
 * upstreams, the app's port and health path. Every guess is marked TODO in the
 * file. Nothing found is no error: an empty folder gets a scenario of TODOs
 * (which validates, and names what to fill in), so init never refuses to start.
 */

export const SCENARIO_FILE = "drainlab.yaml";

/** What init looked for; null where nothing was found (the scenario then holds a default and a TODO). */
export interface Found extends Record<string, string | null> {
  dockerfile: string | null;
  build_context: string | null;
  server: string | null;
  gunicorn_config: string | null;
  nginx_config: string | null;
  upstream: string | null;
  port: string | null;
  health_path: string | null;
  drain_flag: string | null;
  route: string | null;
}

const HEALTH_PATHS = /(["'])(\/(?:healthz|health|livez|ready))\1/;
const DRAIN_FLAG = /["'](\/(?:tmp|run|var)\/[\w./-]*drain[\w.-]*)["']/;
const ROUTE = /@\w+\.(get|post|put|patch|delete)\(\s*["'](\/[^"'{}\s]*)["']/g;
/** Any route decorator, websocket included: where one handler's text ends and the next begins. */
const ANY_ROUTE = /@\w+\.(get|post|put|patch|delete|websocket)\(\s*["'](\/[^"'{}\s]*)["']/g;

export interface LongLivedRoute {
  kind: "stream" | "sse" | "websocket";
  method: string;
  path: string;
  /** stream: how its body's units look, when the handler says (an NDJSON media type). */
  unit?: "ndjson";
}

/**
 * The long-lived routes of one Python file: a handler that returns an EventSourceResponse (sse-starlette) or
 * a StreamingResponse of text/event-stream is an SSE feed, any other StreamingResponse a stream, and
 * `@app.websocket` a WebSocket. Read from the text between one route decorator and the next.
 */
export function longLivedRoutes(text: string): LongLivedRoute[] {
  const marks = [...text.matchAll(ANY_ROUTE)];
  const out: LongLivedRoute[] = [];
  marks.forEach((m, i) => {
    const method = m[1]!.toUpperCase();
    const path = m[2]!;
    if (method === "WEBSOCKET") return void out.push({ kind: "websocket", method: "GET", path });
    const body = text.slice(m.index, marks[i + 1]?.index ?? m.index + 20_000);
    if (/\bEventSourceResponse\b/.test(body) || (/\bStreamingResponse\b/.test(body) && /text\/event-stream/.test(body)))
      out.push({ kind: "sse", method, path });
    else if (/\bStreamingResponse\b/.test(body))
      out.push({
        kind: "stream",
        method,
        path,
        ...(/application\/(x-)?ndjson|application\/jsonl/.test(body) ? { unit: "ndjson" as const } : {}),
      });
  });
  return out;
}

const SKIPPED_DIRS = new Set(["node_modules", "__pycache__", "venv", "env", "site-packages", "dist", "build", "reports"]);
const MAX_PYTHON_FILES = 2000;
const MAX_READ_BYTES = 256 * 1024;

/** The first 256 kB of a source file, opened non-blocking (a FIFO or device named app.py reads as nothing). */
const read = (file: string) => {
  try {
    return readHead(file, file, MAX_READ_BYTES).toString("utf8");
  } catch {
    return "";
  }
};
const isFile = (file: string) => existsSync(file) && statSync(file).isFile();
const entries = (dir: string): Dirent[] => {
  try {
    return readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name));
  } catch {
    return [];
  }
};
const subdirs = (dir: string) => entries(dir).filter((e) => e.isDirectory() && !e.name.startsWith(".") && !SKIPPED_DIRS.has(e.name));
/** A path relative to the scenario's folder, with forward slashes (a backslash is a separator only on Windows; elsewhere it is part of a name). */
const rel = (dir: string, file: string) => (sep === "\\" ? relative(dir, file).split(sep).join("/") : relative(dir, file)) || ".";

/** The Dockerfile's instructions, continuation lines joined, comments dropped. */
function instructions(text: string): string[] {
  return text
    .replace(/\\\r?\n/g, " ")
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l !== "" && !l.startsWith("#"));
}

/** CMD and ENTRYPOINT as tokens: the exec form's JSON array, or the shell form split on spaces. */
function commandTokens(lines: string[]): string[] {
  return lines
    .filter((l) => /^(CMD|ENTRYPOINT)\s/i.test(l))
    .flatMap((l) => {
      const rest = l.replace(/^\w+\s+/, "");
      if (rest.startsWith("[")) {
        try {
          const parsed: unknown = JSON.parse(rest);
          if (Array.isArray(parsed)) return parsed.map(String);
        } catch {}
      }
      return rest.split(/\s+/);
    });
}

/** The value of `-c x`, `--config x` or `--config=x` (any of `names`) among the tokens. */
function optionValue(tokens: string[], names: string[]): string | null {
  for (const [i, t] of tokens.entries()) {
    if (names.includes(t) && tokens[i + 1] !== undefined) return tokens[i + 1]!;
    const eq = names.find((n) => n.startsWith("--") && t.startsWith(`${n}=`));
    if (eq) return t.slice(eq.length + 1);
  }
  return null;
}

/** The app's Dockerfile: ./Dockerfile, else one a folder down, preferring one that starts gunicorn or uvicorn. */
function findDockerfile(dir: string): string | null {
  if (isFile(join(dir, "Dockerfile"))) return join(dir, "Dockerfile");
  const candidates = subdirs(dir)
    .map((d) => join(dir, d.name, "Dockerfile"))
    .filter(isFile);
  return candidates.find((f) => /gunicorn|uvicorn/.test(read(f))) ?? candidates[0] ?? null;
}

/** The build context: the Dockerfile's folder, or the scenario's when the COPY sources are found only from there. */
function buildContext(dir: string, dockerfile: string, lines: string[]): string {
  const own = dirname(dockerfile);
  const sources = lines
    .filter((l) => /^(COPY|ADD)\s/i.test(l) && !/--from=/.test(l))
    .flatMap((l) =>
      l
        .split(/\s+/)
        .slice(1, -1)
        .filter((t) => !t.startsWith("--")),
    );
  const allIn = (root: string) => sources.every((s) => s.includes("*") || existsSync(join(root, s)));
  return own !== dir && sources.length > 0 && !allIn(own) && allIn(dir) ? dir : own;
}

/** A container path (`gunicorn -c /srv/g.py`) as the local file it was copied from, if that can be told. */
function localSource(dir: string, context: string, lines: string[], containerPath: string): string | null {
  for (const l of lines.filter((x) => /^(COPY|ADD)\s/i.test(x))) {
    const tokens = l.split(/\s+/).filter((t) => !t.startsWith("--"));
    const dest = tokens.at(-1)!;
    for (const src of tokens.slice(1, -1)) {
      if (dest === containerPath || posix.join(dest, posix.basename(src)) === containerPath) {
        const file = join(context, src);
        if (isFile(file)) return file;
      }
    }
  }
  const name = posix.basename(containerPath);
  return [join(context, name), join(dir, name)].find(isFile) ?? null;
}

/** nginx.conf, nginx/*.conf, conf.d/*.conf, deploy/nginx*.conf: the first that exists. */
function findNginx(dir: string): string | null {
  if (isFile(join(dir, "nginx.conf"))) return join(dir, "nginx.conf");
  const inFolder = (folder: string, match: RegExp) =>
    entries(join(dir, folder))
      .filter((e) => e.isFile() && match.test(e.name))
      .map((e) => join(dir, folder, e.name));
  return [...inFolder("nginx", /\.conf$/), ...inFolder("conf.d", /\.conf$/), ...inFolder("deploy", /^nginx.*\.conf$/)][0] ?? null;
}

/** nginx text without comments: `#` to the end of the line, outside quotes (the fallback scan only). */
function stripNginxComments(text: string): string {
  return text.replace(/("(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*')|#[^\n]*/g, (_m, quoted?: string) => quoted ?? "");
}

/**
 * The upstream blocks' names, the ones a proxy_pass sends to first. Read with drainlab's nginx parser; a file
 * it refuses (drainlab run will say why) is scanned for `upstream <name> {` instead, since this is a suggestion.
 */
export function upstreamNames(nginxText: string): string[] {
  const names: string[] = [];
  const proxied = new Set<string>();
  const proxyTarget = (arg: string) => /^https?:\/\/([\w.-]+)/.exec(arg)?.[1];
  try {
    walk(parseNginx(nginxText), (d) => {
      if (d.name === "upstream" && d.block && d.args[0]) names.push(d.args[0]);
      const target = d.name === "proxy_pass" && d.args[0] ? proxyTarget(d.args[0]) : undefined;
      if (target) proxied.add(target);
    });
  } catch (e) {
    if (!(e instanceof NginxSyntaxError)) throw e;
    const text = stripNginxComments(nginxText);
    for (const m of text.matchAll(/(?:^|[\s;{}])upstream\s+([\w.-]+)\s*\{/g)) names.push(m[1]!);
    for (const m of text.matchAll(/proxy_pass\s+(\S+)/g)) {
      const target = proxyTarget(m[1]!);
      if (target) proxied.add(target);
    }
  }
  const valid = names.filter((n) => /^[\w.-]+$/.test(n));
  return [...valid.filter((n) => proxied.has(n)), ...valid.filter((n) => !proxied.has(n))];
}

/** Python files under dir, in a stable order, at most MAX_PYTHON_FILES. */
function pythonFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string, depth: number) => {
    for (const e of entries(d)) {
      if (out.length >= MAX_PYTHON_FILES) return;
      if (e.isFile() && e.name.endsWith(".py")) out.push(join(d, e.name));
    }
    if (depth < 6) for (const e of subdirs(d)) walk(join(d, e.name), depth + 1);
  };
  walk(dir, 0);
  return out;
}

interface Guess {
  found: Found;
  /** Where each guess came from, for the comments. */
  source: Partial<Record<keyof Found, string>>;
  routes: Array<{ method: string; path: string }>;
  /** Streams, SSE feeds and WebSockets found in the code (their plain routes are left out of `routes`). */
  longLived: LongLivedRoute[];
  /** The Dockerfile relative to the build context, as `docker build -f` takes it. */
  dockerfileInContext: string;
}

function survey(folder: string): Guess {
  const dir = resolve(folder);
  const found: Found = {
    dockerfile: null,
    build_context: null,
    server: null,
    gunicorn_config: null,
    nginx_config: null,
    upstream: null,
    port: null,
    health_path: null,
    drain_flag: null,
    route: null,
  };
  const source: Guess["source"] = {};
  let dockerfileInContext = "Dockerfile";
  const dockerfile = findDockerfile(dir);
  const lines = dockerfile ? instructions(read(dockerfile)) : [];
  const tokens = commandTokens(lines);
  let gunicornFile: string | null = null;
  if (dockerfile) {
    const context = buildContext(dir, dockerfile, lines);
    found.dockerfile = rel(dir, dockerfile);
    found.build_context = rel(dir, context);
    dockerfileInContext = rel(context, dockerfile);
    const server = tokens.find((t) => /(^|\/)(gunicorn|uvicorn)$/.test(t));
    found.server = server ? posix.basename(server) : null;
    const configured = optionValue(tokens, ["-c", "--config"]);
    if (found.server === "gunicorn" && configured) {
      gunicornFile = localSource(dir, context, lines, configured);
      found.gunicorn_config = gunicornFile ? rel(dir, gunicornFile) : configured;
    }
  }
  if (!found.gunicorn_config) {
    gunicornFile = ["gunicorn.conf.py", "gunicorn_conf.py"].map((f) => join(dir, f)).find(isFile) ?? null;
    found.gunicorn_config = gunicornFile ? rel(dir, gunicornFile) : null;
  }

  const expose = lines.map((l) => /^EXPOSE\s+(\d+)/i.exec(l)?.[1]).find((p) => p !== undefined);
  const bind = gunicornFile ? /^\s*bind\s*=\s*\[?\s*["'][^"']*:(\d+)["']/m.exec(read(gunicornFile))?.[1] : undefined;
  const flag = optionValue(tokens, ["--port"]) ?? optionValue(tokens, ["-b", "--bind"])?.split(":").at(-1);
  const validPort = (p: string | undefined): p is string => p !== undefined && /^\d+$/.test(p) && Number(p) >= 1 && Number(p) <= 65535;
  if (validPort(expose)) [found.port, source.port] = [expose, `EXPOSE in ${found.dockerfile}`];
  else if (validPort(bind)) [found.port, source.port] = [bind, `bind in ${found.gunicorn_config}`];
  else if (validPort(flag)) [found.port, source.port] = [flag, `the command in ${found.dockerfile}`];

  const nginx = findNginx(dir);
  if (nginx) {
    found.nginx_config = rel(dir, nginx);
    const names = upstreamNames(read(nginx));
    found.upstream = names[0] ?? null;
    if (names.length > 1) source.upstream = `upstreams in the file: ${names.join(", ")}`;
  }

  const routes: Guess["routes"] = [];
  const longLived: LongLivedRoute[] = [];
  for (const file of pythonFiles(dir)) {
    const text = read(file);
    const health = HEALTH_PATHS.exec(text);
    if (health && !found.health_path) [found.health_path, source.health_path] = [health[2]!, `"${health[2]}" in ${rel(dir, file)}`];
    const drain = DRAIN_FLAG.exec(text);
    if (drain && !found.drain_flag) [found.drain_flag, source.drain_flag] = [drain[1]!, `"${drain[1]}" in ${rel(dir, file)}`];
    const streaming = longLivedRoutes(text);
    longLived.push(...streaming);
    for (const m of text.matchAll(ROUTE)) {
      const route = { method: m[1]!.toUpperCase(), path: m[2]! };
      if (!streaming.some((l) => l.method === route.method && l.path === route.path)) routes.push(route);
    }
  }
  const health = found.health_path ?? "/health";
  const firstGet = routes.find((r) => r.method === "GET" && r.path !== health && !/^\/(healthz?|livez|ready)$/.test(r.path));
  found.route = firstGet ? `GET ${firstGet.path}` : null;
  return { found, source, routes: routes.filter((r) => r.path !== health), longLived, dockerfileInContext };
}

const YAML_WORDS = /^(true|false|null|yes|no|on|off|y|n|~)$/i;
/** A string as a YAML scalar: plain when it reads back as the same string, else double-quoted. */
function scalar(s: string): string {
  return /^[A-Za-z0-9_./][\w./-]*$/.test(s) && !YAML_WORDS.test(s) && !/^[\d.+-]/.test(s.replace(/^\./, "x")) ? s : JSON.stringify(s);
}

/** A commented mix entry for a long-lived route, with what the user must still say. */
function longLivedEntry(r: LongLivedRoute): string {
  const path = scalar(printable(r.path));
  const method = r.method === "GET" ? "" : `, method: ${r.method}`;
  if (r.kind === "sse")
    return `# - { kind: sse, path: ${path}${method}, end_event: end } # TODO: what ends the feed (end_event, reconnect: false or duration_s); id_order if its ids are numeric`;
  if (r.kind === "stream")
    return `# - { kind: stream, path: ${path}${method}${r.unit ? `, unit: ${r.unit}` : ""} } # TODO: end_marker, unit (line, ndjson, bytes:N) and chunks if known; complete = its framing ended with an ok status`;
  return `# - { kind: websocket, path: ${path}, send: "msg {n}", expect: echo } # TODO: what it sends (send: a list, or a template with {n}) and the answer each waits for (expect: echo, reply, count:N or until:<regex>)`;
}

/** The scenario text: every field commented, every guess marked TODO. */
export function scenarioText(dir: string, guess: Guess): string {
  const { found, source } = guess;
  const why = (key: keyof Found) => printable(source[key] ?? "");
  const note = (key: keyof Found) => (source[key] ? ` (${why(key)})` : "");
  const name = basename(resolve(dir))
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "");
  const health = found.health_path ?? "/health";
  const context = found.build_context ?? ".";
  const get = found.route?.slice(4) ?? (posix.dirname(health) === "/" ? "/" : `${posix.dirname(health)}/`);
  const runtime =
    found.server === "gunicorn"
      ? `gunicorn${found.gunicorn_config ? ` with ${found.gunicorn_config}` : ""}: its graceful_timeout must exceed your slowest request`
      : found.server === "uvicorn"
        ? "uvicorn: give it --timeout-graceful-shutdown longer than your slowest request"
        : null;
  const lines = [
    "# Written by `drainlab init` from what it found in this folder. Lines marked",
    "# TODO are guesses or gaps: check them, then run `npx drainlab run drainlab.yaml`.",
    "# Every field and its default: `npx drainlab schema`.",
    `name: ${scalar(`${name || "my-app"}-drain`)}`,
    "description: Drain one of two app nodes under load. Nothing may be lost.",
    "",
    "system:",
    "  # your app's image, built from your Dockerfile (paths relative to this file;",
    "  # dockerfile relative to the context, as `docker build -f` takes it)",
    "  app:",
    found.dockerfile
      ? `    build: { context: ${scalar(context)}, dockerfile: ${scalar(guess.dockerfileInContext)} }`
      : "    build: { context: ., dockerfile: Dockerfile } # TODO: no Dockerfile found; or give image: <an image your engine has>",
    ...(runtime ? [`    # started by ${printable(runtime)}`] : []),
    `    # the port your server listens on inside the container${note("port")}`,
    `    port: ${found.port ?? 8000}${found.port ? "" : " # TODO: guessed (no EXPOSE, no bind found)"}`,
    "    # answers 200 while the node takes traffic, anything else while it drains",
    `    health_path: ${scalar(health)}${found.health_path ? ` # found ${why("health_path")}` : " # TODO: guessed (no health route found)"}`,
    "    # how a node is told it drains, so its health fails before nginx drops it:",
    "    # none, { file: /path } (your health endpoint checks it), { http: { method, path } }",
    "    # or { command: [...] } run inside the node",
    found.drain_flag
      ? `    mark_draining: { file: ${scalar(found.drain_flag)} } # TODO: guessed from ${why("drain_flag")}`
      : "    mark_draining: none # TODO: none found; nginx then learns of the drain from the removal alone",
    "    # environment your app needs, e.g. { DATABASE_URL: postgres://db/app }",
    "    env: {} # TODO: your own variables",
    "  nginx:",
    "    # your nginx config as deployed: a whole nginx.conf or a conf.d-style file",
    found.nginx_config ? `    config: ${scalar(found.nginx_config)}` : "    config: nginx.conf # TODO: no nginx config found",
    `    # the upstream whose servers become the run's nodes${note("upstream")}`,
    found.upstream
      ? `    upstream: ${scalar(found.upstream)}`
      : "    upstream: backend # TODO: no upstream block found; drainlab needs one, e.g. upstream backend { server app:8000; }",
    "  # what your app needs besides itself (a database, a cache), reachable by its name",
    "  services: [] # TODO: e.g. - { name: redis, image: redis:7, ready: { command: [redis-cli, ping] } }",
    "",
    "stack:",
    "  # app nodes behind nginx; one of them is drained",
    "  nodes: 2",
    "",
    "load:",
    "  # open model: this many requests a second, whatever the answers' pace; enough that",
    "  # the drained node holds some when its drain begins (drain-exercised), even for fast routes",
    "  rate_per_s: 50",
    "  duration_s: 10",
    "  # TODO: your own requests: method, path and optionally weight, body, headers,",
    "  # ok_status and expected_ms (without it, each is measured before the load)",
    "  mix:",
    `    - { weight: 1, method: GET, path: ${scalar(get)} }${found.route ? "" : " # TODO: a path your app serves"}`,
    ...(guess.routes.length > 0 ? ["    # routes seen in your code:"] : []),
    ...guess.routes
      .filter((r) => `${r.method} ${r.path}` !== found.route)
      .slice(0, 10)
      .map((r) => `    # - { method: ${r.method}, path: ${scalar(printable(r.path))}${r.method === "GET" ? "" : ", body: {}"} }`),
    ...(guess.longLived.length > 0
      ? [
          "    # long-lived routes seen in your code, judged through the drain by their protocol",
          "    # (no-truncated-streams, no-lost-events, no-duplicate-events, websockets-closed-cleanly):",
        ]
      : []),
    ...guess.longLived.slice(0, 10).map((r) => `    ${longLivedEntry(r)}`),
    "",
    "drain:",
    "  # seconds into the load when node-1 drains: marked, removed from nginx, reloaded, SIGTERMed",
    "  at_s: 4",
    "",
    "expect:",
    "  verdict: pass",
    "",
  ];
  return lines.join("\n");
}

/** Writes drainlab.yaml in `dir` from what is found there; refuses to overwrite one without `force`. */
export function initScenario(folder: string, opts: { force: boolean }): { file: string; found: Record<string, string | null> } {
  if (folder === "") throw new UsageError("--dir: an empty folder name (give . for this folder)");
  if (!existsSync(folder) || !statSync(folder).isDirectory()) throw new UsageError(`--dir ${shown(folder, 500)}: not a folder`);
  const dir = resolve(folder);
  const file = join(dir, SCENARIO_FILE);
  const existing = lstatOrNull(file);
  if (existing && !opts.force) throw new UsageError(`${shown(file, 500)} exists; --force overwrites it`);
  // --force replaces a regular file or a symlink (the link itself, never the file it points to); anything else is not init's to replace
  if (existing && !existing.isFile() && !existing.isSymbolicLink())
    throw new UsageError(
      `${shown(file, 500)} is ${kindOf(existing)}, not a regular file: init replaces only a drainlab.yaml it could have written`,
    );
  const guess = survey(dir);
  const text = scenarioText(dir, guess);
  // what init writes always validates: a failure here is drainlab's bug, not the user's folder
  validateScenario(parseYaml(text), file);
  // written beside it, then renamed over it: a symlink there is replaced, not written through
  const temp = join(dir, `.${SCENARIO_FILE}.${process.pid}.tmp`);
  try {
    writeFileSync(temp, text, { flag: "wx", mode: 0o644 });
    if (!opts.force && lstatOrNull(file)) throw Object.assign(new Error("exists"), { code: "EEXIST" });
    renameSync(temp, file);
  } catch (e) {
    rmSync(temp, { force: true });
    throw new UsageError(`${shown(file, 500)}: cannot write (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
  return { file, found: guess.found };
}

function lstatOrNull(path: string) {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

const LABELS: Array<[keyof Found, string]> = [
  ["dockerfile", "Dockerfile"],
  ["server", "server"],
  ["gunicorn_config", "gunicorn config"],
  ["nginx_config", "nginx config"],
  ["upstream", "upstream"],
  ["port", "app port"],
  ["health_path", "health path"],
  ["drain_flag", "drain flag"],
  ["route", "a GET route"],
];

/** What init found, the file it wrote and the command to run next. */
export function renderInit(file: string, found: Record<string, string | null>, cwd = process.cwd()): string {
  const todos = read(file)
    .split("\n")
    .filter((l) => l.includes("TODO")).length;
  const fromCwd = relative(cwd, file);
  const shownFile = printable(fromCwd.startsWith("..") || fromCwd === "" ? file : fromCwd);
  return [
    ...LABELS.map(([key, label], i) => `${(i === 0 ? "found" : "").padEnd(10)}${label.padEnd(16)}${printable(found[key] ?? "-")}`),
    `wrote     ${shownFile} (${todos} TODO line(s) to check)`,
    `next      npx drainlab run ${/^[\w./-]+$/.test(shownFile) ? shownFile : `'${shownFile.replaceAll("'", "'\\''")}'`}`,
    "",
  ].join("\n");
}

export function registerInit(program: Command): void {
  program
    .command("init")
    .description("write a first drainlab.yaml from the Dockerfile, gunicorn and nginx config found in a folder")
    .option("--dir <folder>", "the folder to look in and write drainlab.yaml to", ".")
    .option("--force", "overwrite an existing drainlab.yaml")
    .addHelpText(
      "after",
      `
Looks for a Dockerfile (./Dockerfile or one folder down), a gunicorn config
(gunicorn.conf.py, gunicorn_conf.py or \`gunicorn -c\` in the CMD), an nginx
config (nginx.conf, nginx/*.conf, conf.d/*.conf, deploy/nginx*.conf) and its
upstreams, the app port (EXPOSE, gunicorn bind, else 8000) and a health path
in the Python sources. What it cannot find it writes as a default marked TODO:
an empty folder gets a scenario of TODOs to fill in.

Exit codes: 0 written, 2 drainlab.yaml exists (without --force) or no such folder.`,
    )
    .action((opts: { dir: string; force?: boolean }) => {
      const { file, found } = initScenario(opts.dir, { force: Boolean(opts.force) });
      process.stdout.write(renderInit(file, found));
    });
}

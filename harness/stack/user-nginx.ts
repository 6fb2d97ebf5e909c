/**
 * A user's own nginx.conf, made fit for a drain run. The file is theirs: drainlab changes only what it must
 * (the upstream's servers, its JSON access log, the X-Request-Id header, a generation probe), as insertions and
 * replacements at parsed offsets, each one marked "# drainlab" and told in a sentence naming the user's lines.
 * effectiveNginx reads back, from `nginx -T`, the settings that shape a drain (timeouts, retries, keepalive).
 */
import { UsageError } from "../util/errors.ts";
import { printable } from "../util/text.ts";
import type { UpstreamServer } from "./nginx-config.ts";
import { type Directive, parseNginx, walk } from "./nginx-parse.ts";

export { NginxSyntaxError } from "./nginx-parse.ts";

/** The user's configuration cannot serve the run: no such upstream, or nothing proxies to it. */
/** What the user's nginx.conf lacks; its names are quoted from the file, so the message is one printable line. */
export class UserNginxError extends UsageError {
  constructor(message: string) {
    super(printable(message));
  }
}

export interface UserNginxOptions {
  /** The user's path, for messages. */
  file: string;
  /** The `upstream` block whose servers drainlab drives. */
  upstream: string;
  servers: UpstreamServer[];
  generation: number;
  /** The whole log_format directive, `log_format drainlab ...;`. */
  logFormat: string;
  accessLogPath: string;
  port?: number;
}

export interface EditedNginx {
  config: string;
  /** One sentence per change, naming lines of the user's file. */
  overrides: string[];
  listenPort: number;
  /** The user's file had no http block and now sits inside drainlab's main configuration. */
  wrapped: boolean;
}

const MARK = " # drainlab";
const REQUEST_ID = "proxy_set_header X-Request-Id $http_x_request_id;";
// parameters that belong to the user's node, not to the nodes drainlab puts in its place
// the levels below http that can hold access_log or proxy_set_header (map, types, upstream ... cannot)
const LEVELS = new Set(["server", "location", "if", "limit_except"]);
const NODE_ONLY_PARAM = /^(down|backup|resolve|service=.*)$/;

// the main configuration around a conf.d-style file; `# drainlab` lines so `nginx -T` shows whose they are
const wrapHead = (file: string) =>
  [
    `# drainlab: ${file} has no http block; this main configuration wraps it`,
    "worker_processes auto;",
    "pid /run/nginx.pid;",
    "error_log /var/log/drainlab/nginx-error.log info;",
    "events {",
    "    worker_connections 8192;",
    "}",
    "http {",
    "    include /etc/nginx/mime.types;",
    "",
  ].join("\n");

interface Edit {
  start: number;
  end: number;
  text: string;
}

/** Leading whitespace of the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const lineStart = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(lineStart, offset))![0];
}

/** The changes to one text, collected and applied at once so every offset stays the parser's. */
class Editor {
  readonly edits: Edit[] = [];
  readonly overrides: string[] = [];
  constructor(
    readonly text: string,
    /** Lines before the user's text (the wrapper's), so messages name the user's own line numbers. */
    readonly shift: number,
  ) {}

  line(d: Directive): number {
    return d.line - this.shift;
  }
  /** "line 4" or "lines 4, 9". */
  lines(ds: Directive[]): string {
    return `line${ds.length > 1 ? "s" : ""} ${ds.map((d) => this.line(d)).join(", ")}`;
  }
  where(d: Directive): string {
    return `${[d.name, ...d.args].join(" ")} (line ${this.line(d)})`;
  }
  say(sentence: string): void {
    this.overrides.push(sentence);
  }

  /** Is the rest of the line after `offset` blank or a comment, so a "# drainlab" there hides nothing? */
  restIsFree(offset: number): boolean {
    const eol = this.text.indexOf("\n", offset);
    return /^\s*(#[^\n]*)?$/.test(this.text.slice(offset, eol === -1 ? undefined : eol));
  }

  /** New lines after `offset` (just past a "{" or ";"): after this line, or splitting it when the user wrote more on it. */
  insertAfter(offset: number, indent: string, lines: string[]): void {
    const body = lines.map((l) => `${indent}${l}${MARK}`).join("\n");
    if (!this.restIsFree(offset)) {
      const blank = /^[ \t]*/.exec(this.text.slice(offset))![0].length;
      this.edits.push({ start: offset, end: offset + blank, text: `\n${body}\n${lineIndent(this.text, offset)}` });
      return;
    }
    const eol = this.text.indexOf("\n", offset);
    const at = eol === -1 ? this.text.length : eol + 1;
    this.edits.push({ start: at, end: at, text: eol === -1 ? `\n${body}\n` : `${body}\n` });
  }

  /** New lines at the start of a block, indented like its first directive. */
  insertAtOpen(block: Directive, lines: string[]): void {
    const first = block.block?.[0];
    const own = lineIndent(this.text, block.start);
    const indent = first && first.line !== block.line ? lineIndent(this.text, first.start) : own + (own.includes("\t") ? "\t" : "    ");
    this.insertAfter(block.blockOpen!, indent, lines);
  }

  /** Directive `d` becomes `lines` (one or more directives), in its place; what followed it on its line moves to the next. */
  replace(d: Directive, lines: string[]): void {
    const indent = lineIndent(this.text, d.start);
    const text = lines.map((l) => l + MARK).join(`\n${indent}`);
    if (this.restIsFree(d.end)) {
      this.edits.push({ start: d.start, end: d.end, text });
    } else {
      const blank = /^[ \t]*/.exec(this.text.slice(d.end))![0].length;
      this.edits.push({ start: d.start, end: d.end + blank, text: `${text}\n${indent}` });
    }
  }

  /** Removes `d`, with its line when nothing else is on it. */
  remove(d: Directive): void {
    const lineStart = this.text.lastIndexOf("\n", d.start - 1) + 1;
    const eol = this.text.indexOf("\n", d.end);
    const alone =
      /^[ \t]*$/.test(this.text.slice(lineStart, d.start)) && /^\s*$/.test(this.text.slice(d.end, eol === -1 ? undefined : eol));
    if (alone) this.edits.push({ start: lineStart, end: eol === -1 ? this.text.length : eol + 1, text: "" });
    else this.edits.push({ start: d.start, end: d.end, text: "" });
  }

  apply(): string {
    const sorted = [...this.edits].sort((a, b) => a.start - b.start || a.end - b.end);
    let out = "";
    let pos = 0;
    for (const e of sorted) {
      if (e.start < pos) throw new Error(`internal: overlapping nginx edits at offset ${e.start}`);
      out += this.text.slice(pos, e.start) + e.text;
      pos = e.end;
    }
    return out + this.text.slice(pos);
  }
}

/** Does `proxy_pass` send to the upstream (`http://name`, `https://name/uri`, `http://name$request_uri`)? */
function proxiesTo(d: Directive, upstream: string): boolean {
  const host = d.name === "proxy_pass" ? /^https?:\/\/([^/$]*)/i.exec(d.args[0] ?? "")?.[1] : undefined;
  return host?.toLowerCase() === upstream.toLowerCase();
}

/** Every directive under `tree` that `keep` accepts, depth first. */
function collect(tree: Directive[], keep: (d: Directive) => boolean): Directive[] {
  const found: Directive[] = [];
  walk(tree, (d) => {
    if (keep(d)) found.push(d);
  });
  return found;
}

/** An argument written so nginx reads it back unchanged. */
const quoteArg = (a: string) => (/^[^\s;{}"'#\\]+$/.test(a) ? a : `"${a.replace(/["\\]/g, "\\$&")}"`);

/** The port of `listen 80`, `listen 0.0.0.0:8080 default_server`, `listen [::]:80`; a host alone listens on 80. */
function listenPort(server: Directive): number {
  const listen = server.block!.find((d) => d.name === "listen" && !d.args[0]?.startsWith("unix:"));
  const address = listen?.args[0] ?? "80";
  const port = /^\d+$/.test(address) ? address : /:(\d+)$/.exec(address)?.[1];
  return port ? Number(port) : 80;
}

function findUpstream(http: Directive, name: string, file: string): Directive {
  const upstreams = collect(http.block!, (d) => d.name === "upstream" && d.block !== undefined);
  const up = upstreams.find((d) => d.args[0] === name);
  if (up) return up;
  const found = upstreams.map((u) => u.args[0]).join(", ") || "none";
  throw new UserNginxError(`${file}: no "upstream ${name}" block (upstreams found: ${found})`);
}

/** The upstream's servers become drainlab's nodes, with the parameters the user gave their first one. */
function rewriteUpstream(ed: Editor, up: Directive, opts: UserNginxOptions): void {
  const servers = up.block!.filter((d) => d.name === "server");
  const params = (servers[0]?.args.slice(1) ?? []).filter((p) => !NODE_ONLY_PARAM.test(p));
  const lines = opts.servers.map((s) => {
    const host = s.address.includes(":") && !s.address.startsWith("[") ? `[${s.address}]` : s.address;
    return `${["server", `${host}:${s.port}`, ...params, ...(s.down ? ["down"] : [])].map(quoteArg).join(" ")};`;
  });
  const [first, ...rest] = servers;
  if (first) ed.replace(first, lines);
  else ed.insertAtOpen(up, lines);
  for (const d of rest) ed.remove(d);
  const was = servers.length > 0 ? `replaced its server directives (${ed.lines(servers)})` : "added";
  const kept = params.length > 0 ? `, keeping the parameters "${params.join(" ")}"` : "";
  ed.say(`${ed.where(up)}: ${was} with drainlab's ${lines.length} node(s)${kept}.`);
}

/** drainlab's access log and X-Request-Id at one level (http, server, location, if, limit_except). */
function editLevel(ed: Editor, level: Directive, parents: Directive[], isHttp: boolean, proxying: Set<Directive>, opts: UserNginxOptions) {
  const own = level.block!;
  const ourLog = `access_log ${opts.accessLogPath} drainlab;`;
  const atTop: string[] = isHttp ? [opts.logFormat.trim()] : [];

  // nginx inherits access_log only into levels that declare none, and `access_log off` silences every log of its level
  const logs = own.filter((d) => d.name === "access_log");
  const offs = logs.filter((d) => d.args[0] === "off");
  const server = level.name === "server" ? level : parents.findLast((p) => p.name === "server");
  if (offs.length > 0 && (isHttp || (server && proxying.has(server)))) {
    ed.replace(offs[0]!, [ourLog]);
    for (const d of offs.slice(1)) ed.remove(d);
    ed.say(
      `${ed.where(level)}: replaced "access_log off" (${ed.lines(offs)}) with drainlab's access log, since off disables every log at that level.`,
    );
  } else if (isHttp && offs.length === 0) {
    atTop.push(ourLog);
  } else if (logs.length > 0 && offs.length === 0) {
    const last = logs[logs.length - 1]!;
    ed.insertAfter(last.end, lineIndent(ed.text, last.start), [ourLog]);
    ed.say(`${ed.where(level)} has its own access_log (line ${ed.line(last)}), so it inherits none: added drainlab's access log after it.`);
  }

  // proxy_set_header, like access_log, is inherited only into levels that set none
  const headers = own.filter((d) => d.name === "proxy_set_header");
  const requestIds = headers.filter((d) => d.args[0]?.toLowerCase() === "x-request-id");
  for (const d of requestIds.filter((d) => d.args[1] !== "$http_x_request_id")) {
    ed.replace(d, [REQUEST_ID]);
    ed.say(
      `${ed.where(level)}: proxy_set_header X-Request-Id was ${d.args[1]} (line ${ed.line(d)}); drainlab needs the client's id upstream, so it is now $http_x_request_id.`,
    );
  }
  if (requestIds.length === 0 && isHttp) atTop.push(REQUEST_ID);
  else if (requestIds.length === 0 && headers.length > 0) {
    const last = headers[headers.length - 1]!;
    ed.insertAfter(last.end, lineIndent(ed.text, last.start), [REQUEST_ID]);
    ed.say(`${ed.where(level)} sets its own proxy_set_header (line ${ed.line(last)}), so it inherits none: added X-Request-Id after it.`);
  }
  for (const d of own.filter((d) => d.name === "proxy_pass_request_headers" && d.args[0] === "off")) {
    ed.say(
      `${ed.where(level)}: proxy_pass_request_headers off (line ${ed.line(d)}) left as is; drainlab's proxy_set_header X-Request-Id still passes the id.`,
    );
  }

  if (isHttp) {
    ed.insertAtOpen(level, atTop);
    const at = ed.line(level) > 0 ? `${ed.where(level)}` : "the wrapping http block";
    ed.say(`${at}: added at its start ${atTop.map((l) => `"${l.split(" ").slice(0, 2).join(" ")}"`).join(", ")}.`);
  }
}

/** The user's nginx.conf, edited for a drain run of `opts.upstream`; see the module comment. */
export function editUserNginx(userText: string, opts: UserNginxOptions): EditedNginx {
  const userTree = parseNginx(userText, opts.file);
  const wrapped = !userTree.some((d) => d.name === "http" && d.block);
  const head = wrapHead(opts.file);
  const text = wrapped ? `${head}${userText}${userText.endsWith("\n") ? "" : "\n"}}${MARK}: end of the wrapping http block\n` : userText;
  const ed = new Editor(text, wrapped ? head.split("\n").length - 1 : 0);
  const tree = wrapped ? parseNginx(text, opts.file) : userTree;
  const http = tree.find((d) => d.name === "http" && d.block)!;
  if (wrapped)
    ed.say(`${opts.file} has no http block: wrapped it in a main configuration (worker_processes, pid, error_log, events, http).`);

  const up = findUpstream(http, opts.upstream, opts.file);
  const servers = collect(http.block!, (d) => d.name === "server" && d.block !== undefined);
  const proxying = servers.filter((s) => collect(s.block!, (d) => proxiesTo(d, opts.upstream)).length > 0);
  if (proxying.length === 0) {
    throw new UserNginxError(`${opts.file}: no server proxies to upstream ${opts.upstream} (expected proxy_pass http://${opts.upstream})`);
  }

  rewriteUpstream(ed, up, opts);
  const proxyingSet = new Set(proxying);
  editLevel(ed, http, [], true, proxyingSet, opts);
  walk(http.block!, (d, parents) => {
    if (d.block && LEVELS.has(d.name)) editLevel(ed, d, parents, false, proxyingSet, opts);
  });
  // the probe tells which configuration is loaded; into every proxying server, since any may answer on the port
  for (const server of proxying) {
    ed.insertAtOpen(server, ["location = /drainlab/generation {", "    access_log off;", `    return 200 "${opts.generation}";`, "}"]);
    ed.say(`${ed.where(server)}: added "location = /drainlab/generation" at its start, which answers the configuration's generation.`);
  }
  return { config: ed.apply(), overrides: ed.overrides, listenPort: opts.port ?? listenPort(proxying[0]!), wrapped };
}

/** The settings of a running nginx that shape a drain, with nginx's defaults where unset. */
export interface EffectiveNginx {
  worker_shutdown_timeout_s: number | null;
  /** The upstream's keepalive connections, 0 when none. */
  keepalive: number;
  /** The upstream's keepalive_timeout (nginx's default 60 s). */
  keepalive_timeout_s: number;
  max_fails: number;
  fail_timeout_s: number;
  locations: Array<{ server_line: number; location: string } & ProxySettings>;
}

interface ProxySettings {
  proxy_read_timeout_s: number;
  proxy_connect_timeout_s: number;
  proxy_next_upstream: string;
  proxy_next_upstream_tries: number;
}

const PROXY_DEFAULTS: ProxySettings = {
  proxy_read_timeout_s: 60,
  proxy_connect_timeout_s: 60,
  proxy_next_upstream: "error timeout",
  proxy_next_upstream_tries: 0,
};

// nginx's time units in milliseconds (a bare number is seconds)
const UNIT_MS: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, M: 2592e6, y: 31536e6 };

/** An nginx time ("500ms", "30", "1m30s", "1h 30m") in seconds. */
export function nginxSeconds(value: string): number {
  const compact = value.replace(/\s+/g, "");
  if (!/^(\d+(ms|[smhdwMy])?)+$/.test(compact)) throw new UsageError(`not an nginx time: "${value}"`);
  let ms = 0;
  for (const [, n, unit] of compact.matchAll(/(\d+)(ms|[smhdwMy])?/g)) ms += Number(n) * UNIT_MS[unit ?? "s"]!;
  return ms / 1000;
}

/** A level's proxy settings: its own where it sets them, else its parent's. */
function inherit(parent: ProxySettings, block: Directive[]): ProxySettings {
  const own = (name: string) => block.find((d) => d.name === name)?.args;
  const read = own("proxy_read_timeout");
  const connect = own("proxy_connect_timeout");
  const next = own("proxy_next_upstream");
  const tries = own("proxy_next_upstream_tries");
  return {
    proxy_read_timeout_s: read ? nginxSeconds(read[0] ?? "") : parent.proxy_read_timeout_s,
    proxy_connect_timeout_s: connect ? nginxSeconds(connect[0] ?? "") : parent.proxy_connect_timeout_s,
    proxy_next_upstream: next ? next.join(" ") : parent.proxy_next_upstream,
    proxy_next_upstream_tries: tries ? Number(tries[0]) : parent.proxy_next_upstream_tries,
  };
}

interface DumpedFile {
  path: string;
  text: string;
}

/** `nginx -T` prints each file it read after a "# configuration file <path>:" line, the main one first. */
function splitDump(dump: string): DumpedFile[] {
  const files: Array<{ path: string; lines: string[] }> = [];
  for (const line of dump.split("\n")) {
    // nginx's own verdict lines go to stderr, which a caller may have merged in
    if (/^nginx: (the )?configuration file .* (syntax is ok|test is successful)\s*$/.test(line)) continue;
    const marker = /^# configuration file (.+):\s*$/.exec(line);
    if (marker) files.push({ path: marker[1]!, lines: [] });
    else files[files.length - 1]?.lines.push(line);
  }
  return files.map((f) => ({ path: f.path, text: f.lines.join("\n") }));
}

/** `include` replaced by the directives of the dumped files it names (a glob, relative to the main file's directory). */
function spliceIncludes(tree: Directive[], files: DumpedFile[], prefix: string, depth = 0): Directive[] {
  if (depth > 16) throw new UsageError("nginx -T: includes nested more than 16 deep");
  return tree.flatMap((d) => {
    if (d.name === "include" && d.args[0]) {
      const pattern = d.args[0].startsWith("/") ? d.args[0] : `${prefix}/${d.args[0]}`;
      const glob = pattern
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]");
      const matched = files.filter((f) => new RegExp(`^${glob}$`).test(f.path)).sort((a, b) => a.path.localeCompare(b.path));
      return matched.flatMap((f) => spliceIncludes(parseNginx(f.text, f.path), files, prefix, depth + 1));
    }
    return d.block ? [{ ...d, block: spliceIncludes(d.block, files, prefix, depth) }] : [d];
  });
}

/** What `nginx -T` says nginx runs with, for the upstream's drain: see EffectiveNginx. */
export function effectiveNginx(text: string, upstream: string): EffectiveNginx {
  const files = splitDump(text);
  const main = files[0];
  if (!main) throw new UsageError('nginx -T output has no "# configuration file" line');
  const tree = spliceIncludes(parseNginx(main.text, main.path), files, main.path.replace(/\/[^/]*$/, ""));
  const http = tree.find((d) => d.name === "http" && d.block);
  if (!http) throw new UserNginxError(`${main.path}: no http block`);
  const up = findUpstream(http, upstream, main.path);
  const shutdown = tree.find((d) => d.name === "worker_shutdown_timeout")?.args[0];
  const node = up.block!.find((d) => d.name === "server");
  const param = (key: string) => node?.args.find((a) => a.startsWith(`${key}=`))?.slice(key.length + 1);

  const locations: EffectiveNginx["locations"] = [];
  const visit = (block: Directive[], settings: ProxySettings, serverLine: number) => {
    for (const loc of block.filter((d) => d.name === "location" && d.block)) {
      const own = inherit(settings, loc.block!);
      if (loc.block!.some((d) => proxiesTo(d, upstream))) locations.push({ server_line: serverLine, location: loc.args.join(" "), ...own });
      visit(loc.block!, own, serverLine);
    }
  };
  const httpSettings = inherit(PROXY_DEFAULTS, http.block!);
  for (const server of http.block!.filter((d) => d.name === "server" && d.block)) {
    visit(server.block!, inherit(httpSettings, server.block!), server.line);
  }
  return {
    worker_shutdown_timeout_s: shutdown === undefined ? null : nginxSeconds(shutdown),
    keepalive: Number(up.block!.find((d) => d.name === "keepalive")?.args[0] ?? 0),
    keepalive_timeout_s: nginxSeconds(up.block!.find((d) => d.name === "keepalive_timeout")?.args[0] ?? "60s"),
    max_fails: Number(param("max_fails") ?? 1),
    fail_timeout_s: nginxSeconds(param("fail_timeout") ?? "10s"),
    locations,
  };
}

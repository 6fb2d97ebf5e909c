import { describe, expect, it } from "vitest";
import { type Directive, MAX_NGINX_DEPTH, NginxSyntaxError, parseNginx, walk } from "./nginx-parse.ts";

/** The error parseNginx throws on `text`. */
function syntaxError(text: string): NginxSyntaxError {
  try {
    parseNginx(text);
  } catch (e) {
    if (e instanceof NginxSyntaxError) return e;
    throw e;
  }
  throw new Error("parsed without error");
}

describe("parseNginx", () => {
  it("refuses blocks nested past its depth limit with a syntax error, never a stack overflow", () => {
    const deep = (n: number) => `${"a {\n".repeat(n)}${"}\n".repeat(n)}`;
    expect(() => parseNginx(deep(MAX_NGINX_DEPTH))).not.toThrow();
    expect(() => parseNginx(deep(MAX_NGINX_DEPTH + 1))).toThrow(
      new NginxSyntaxError(
        "nginx.conf",
        MAX_NGINX_DEPTH + 1,
        `blocks nested deeper than ${MAX_NGINX_DEPTH} levels (drainlab's limit; a configuration nests a handful)`,
      ),
    );
    // 20,000 deep: what overflowed the parser's stack (RangeError) before the limit
    expect(() => parseNginx(deep(20_000))).toThrow(NginxSyntaxError);
  });

  it("reads directives, blocks, lines and offsets", () => {
    const text = "worker_processes 2;\nhttp {\n    server {\n        listen 80 default_server;\n    }\n}\n";
    const tree = parseNginx(text);
    expect(tree.map((d) => d.name)).toEqual(["worker_processes", "http"]);
    const http = tree[1]!;
    const server = http.block![0]!;
    const listen = server.block![0]!;
    expect(listen).toMatchObject({ name: "listen", args: ["80", "default_server"], line: 4 });
    expect(text.slice(listen.start, listen.end)).toBe("listen 80 default_server;");
    expect(text.slice(http.start, http.end)).toBe(text.slice(text.indexOf("http"), -1));
    expect(text[http.blockOpen! - 1]).toBe("{");
    expect(text[http.blockClose!]).toBe("}");
    expect(server.line).toBe(3);
  });

  it("unquotes strings, resolves escapes and keeps syntax inside quotes", () => {
    const [ret, header, log] = parseNginx(
      `return 200 "a \\"b\\" {c}; # not a comment";\nadd_header X-A 'it\\'s';\nlog_format x '{"t":$msec}\\n' "";\n`,
    );
    expect(ret!.args).toEqual(["200", 'a "b" {c}; # not a comment']);
    expect(header!.args).toEqual(["X-A", "it's"]);
    expect(log!.args).toEqual(["x", '{"t":$msec}\n', ""]);
  });

  it("keeps regex backslashes, the braces of $-brace variables and `if` parentheses in words", () => {
    const [loc, set] = parseNginx(`location ~ \\.php$ {\n  if ($http_x = "a") { return 403; }\n}\nset $a \${host}x;\n`);
    expect(loc!.args).toEqual(["~", "\\.php$"]);
    expect(loc!.block![0]!.args).toEqual(["($http_x", "=", "a", ")"]);
    expect(set!.args).toEqual(["$a", `\${host}x`]);
  });

  it("skips comments, but not a # inside a word", () => {
    const tree = parseNginx("# a { comment ;\nlisten 80; # trailing }\nset $a b#c;\n");
    expect(tree.map((d) => [d.name, d.args, d.line])).toEqual([
      ["listen", ["80"], 2],
      ["set", ["$a", "b#c"], 3],
    ]);
  });

  it("reports syntax errors with the file and line, like nginx", () => {
    expect(syntaxError("http {\n}\n}\n").message).toBe('nginx.conf:3: unexpected "}"');
    expect(syntaxError("http {\n  server {\n}\n").message).toBe('nginx.conf:4: unexpected end of file, expecting "}"');
    expect(syntaxError("events {\n  worker_connections 10\n}\n").message).toBe('nginx.conf:3: unexpected "}"');
    expect(syntaxError("a;\nlisten 80").message).toBe('nginx.conf:2: unexpected end of file, expecting ";" or "}"');
    expect(syntaxError('a;\nreturn 200 "ok\n;\n').message).toBe("nginx.conf:2: unterminated quoted string");
    expect(syntaxError('return 200 "ok"x;').message).toBe('nginx.conf:1: unexpected "x"');
    expect(syntaxError("a;\n;\n").message).toBe('nginx.conf:2: unexpected ";"');
    const e = syntaxError("http {\n");
    expect([e.file, e.line]).toEqual(["nginx.conf", 2]);
    expect(() => parseNginx("}", "/etc/nginx/conf.d/shop.conf")).toThrow('/etc/nginx/conf.d/shop.conf:1: unexpected "}"');
  });

  it("counts lines inside quoted strings", () => {
    const [log, listen] = parseNginx("log_format x '{\"a\":1,'\n    '\"b\":2}';\nlisten 80;\n");
    expect(log!.args).toEqual(["x", '{"a":1,', '"b":2}']);
    expect(listen!.line).toBe(3);
  });
});

describe("walk", () => {
  it("visits depth first with the enclosing directives", () => {
    const seen: string[] = [];
    walk(parseNginx("http { server { location / { return 204; } } }"), (d: Directive, parents: Directive[]) => {
      seen.push([...parents.map((p) => p.name), d.name].join(">"));
    });
    expect(seen).toEqual(["http", "http>server", "http>server>location", "http>server>location>return"]);
  });
});

import { describe, expect, it } from "vitest";
import { type Directive, parseNginx, walk } from "./nginx-parse.ts";
import { editUserNginx, effectiveNginx, nginxSeconds, UserNginxError, type UserNginxOptions } from "./user-nginx.ts";

const LOG_FORMAT = `log_format drainlab escape=json '{"id":"$http_x_request_id","generation":7}';`;
const OPTS: UserNginxOptions = {
  file: "nginx.conf",
  upstream: "shop_backend",
  servers: [
    { address: "172.20.0.2", port: 8000, down: true },
    { address: "172.20.0.3", port: 8000, down: false },
  ],
  generation: 7,
  logFormat: LOG_FORMAT,
  accessLogPath: "/var/log/drainlab/access.jsonl",
};

const SHOP = `user nginx;
worker_processes 2;

events {
    worker_connections 1024;
}

http {
    include       mime.types;
    access_log /var/log/nginx/access.log combined;
    proxy_set_header Host $host;

    upstream shop_backend {
        zone shop 64k;
        server 127.0.0.1:8000 max_fails=3 fail_timeout=5s;
        server 127.0.0.1:8001 max_fails=3 fail_timeout=5s backup;
        keepalive 32;
    }

    upstream other {
        server 10.9.9.9:80;
    }

    server {
        listen 0.0.0.0:8080 default_server;
        server_name shop.example.com;
        access_log /var/log/nginx/shop.log;

        location / {
            proxy_pass http://shop_backend;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
        }

        location /api/ {
            proxy_pass http://shop_backend/v1/;
            proxy_set_header X-Request-Id $request_id;
            proxy_read_timeout 30s;
        }

        location = /healthz {
            access_log off;
            return 200 "ok";
        }

        location /checkout/ {
            proxy_pass http://shop_backend;
            proxy_next_upstream off;
            proxy_pass_request_headers off;
        }
    }

    server {
        listen 9000;
        access_log off;
        location / { proxy_pass http://other; }
    }
}
`;

/** 1-based line of the first line of `text` that contains `needle`. */
const lineOf = (text: string, needle: string) => text.split("\n").findIndex((l) => l.includes(needle)) + 1;

/** Every line of `expected` appears in `actual`, in order (other lines may come between). */
function expectLinesInOrder(expected: string[], actual: string[]): void {
  let at = 0;
  for (const line of expected) {
    const found = actual.indexOf(line, at);
    expect(found, `user line ${JSON.stringify(line)} kept in order`).toBeGreaterThanOrEqual(0);
    at = found + 1;
  }
}

/** The directives named `name` directly inside the first block matching `where`. */
function inside(tree: Directive[], where: (d: Directive) => boolean, name: string): Directive[] {
  let found: Directive[] = [];
  walk(tree, (d) => {
    if (found.length === 0 && d.block && where(d)) found = d.block.filter((c) => c.name === name);
  });
  return found;
}

const isLocation = (path: string) => (d: Directive) => d.name === "location" && d.args.join(" ") === path;

describe("editUserNginx on a full nginx.conf", () => {
  const edited = editUserNginx(SHOP, OPTS);
  const tree = parseNginx(edited.config);

  it("keeps every line of the user's it did not have to change, in order, and marks each line it wrote", () => {
    const changed = new Set(["8000 max_fails", "8001", "$request_id", "access_log off"].map((needle) => lineOf(SHOP, needle)));
    const userLines = SHOP.split("\n").filter((_, i) => !changed.has(i + 1));
    const outLines = edited.config.split("\n");
    expectLinesInOrder(userLines, outLines);
    const userSet = new Set(SHOP.split("\n"));
    for (const line of outLines.filter((l) => !userSet.has(l))) expect(line).toMatch(/# drainlab$/);
    expect(edited.wrapped).toBe(false);
    expect(edited.listenPort).toBe(8080);
  });

  it("puts drainlab's nodes in the upstream with the user's parameters, and leaves its other directives", () => {
    const up = inside(tree, (d) => d.name === "upstream" && d.args[0] === "shop_backend", "server");
    expect(up.map((d) => d.args.join(" "))).toEqual([
      "172.20.0.2:8000 max_fails=3 fail_timeout=5s down",
      "172.20.0.3:8000 max_fails=3 fail_timeout=5s",
    ]);
    expect(edited.config).toContain("        zone shop 64k;\n");
    expect(edited.config).toContain("        keepalive 32;\n");
    expect(edited.config).toContain("        server 10.9.9.9:80;\n");
    const sentence = edited.overrides.find((o) => o.startsWith("upstream shop_backend"));
    expect(sentence).toContain(`lines ${lineOf(SHOP, "8000 max_fails")}, ${lineOf(SHOP, "8001")}`);
    expect(sentence).toContain('"max_fails=3 fail_timeout=5s"');
  });

  it("starts the http block with the log format, the access log and X-Request-Id", () => {
    const http = tree.find((d) => d.name === "http")!;
    expect(http.block!.slice(0, 4).map((d) => d.name)).toEqual(["log_format", "access_log", "proxy_set_header", "include"]);
    expect(edited.config).toContain(
      `http {\n    ${LOG_FORMAT} # drainlab\n    access_log /var/log/drainlab/access.jsonl drainlab; # drainlab\n`,
    );
  });

  it("adds the access log where the user's own stops inheritance, and replaces access_log off in the proxying server", () => {
    const server = (d: Directive) => d.name === "server" && d.args.length === 0 && d.block!.some((c) => c.args[0] === "shop.example.com");
    expect(inside(tree, server, "access_log").map((d) => d.args[0])).toEqual(["/var/log/nginx/shop.log", "/var/log/drainlab/access.jsonl"]);
    expect(inside(tree, isLocation("= /healthz"), "access_log").map((d) => d.args)).toEqual([
      ["/var/log/drainlab/access.jsonl", "drainlab"],
    ]);
    expect(edited.overrides).toContainEqual(expect.stringContaining(`replaced "access_log off" (line ${lineOf(SHOP, "access_log off")})`));
    // the server on 9000 does not proxy to shop_backend: its `off` is its business
    expect(inside(tree, (d) => d.name === "server" && d.block!.some((c) => c.args[0] === "9000"), "access_log")[0]!.args).toEqual(["off"]);
  });

  it("passes X-Request-Id where the user sets headers, and overrides theirs", () => {
    const header = (path: string) => inside(tree, isLocation(path), "proxy_set_header").map((d) => d.args.join(" "));
    expect(header("/")).toEqual(["Connection ", "X-Request-Id $http_x_request_id"]);
    expect(header("/api/")).toEqual(["X-Request-Id $http_x_request_id"]);
    expect(header("/checkout/")).toEqual([]);
    const api = lineOf(SHOP, "$request_id");
    expect(edited.overrides).toContainEqual(expect.stringContaining(`was $request_id (line ${api})`));
    expect(edited.overrides).toContainEqual(
      expect.stringContaining(`proxy_pass_request_headers off (line ${lineOf(SHOP, "request_headers off")})`),
    );
  });

  it("answers the generation first in the proxying server, and nowhere else", () => {
    const probes = inside(tree, (d) => d.name === "server" && d.args.length === 0 && d.block![0]!.name === "location", "location");
    expect(probes[0]!.args).toEqual(["=", "/drainlab/generation"]);
    expect(probes[0]!.block!.map((d) => [d.name, ...d.args])).toEqual([
      ["access_log", "off"],
      ["return", "200", "7"],
    ]);
    expect(edited.config.match(/drainlab\/generation/g)).toHaveLength(1);
  });

  it("names user lines in every sentence", () => {
    for (const o of edited.overrides) expect(o).toMatch(/line \d+/);
  });
});

describe("editUserNginx on other files", () => {
  const minimal = (listen: string) =>
    `http {\n  upstream shop_backend { server a:1; }\n  server {\n    ${listen}\n    location / { proxy_pass https://shop_backend$request_uri; }\n  }\n}\n`;

  it("takes the listen port of the proxying server, or 80, or the one asked for", () => {
    expect(editUserNginx(minimal("listen 80;"), OPTS).listenPort).toBe(80);
    expect(editUserNginx(minimal("listen [::]:8081;"), OPTS).listenPort).toBe(8081);
    expect(editUserNginx(minimal("listen 8080 backlog=4096;"), OPTS).listenPort).toBe(8080);
    expect(editUserNginx(minimal(""), OPTS).listenPort).toBe(80);
    expect(editUserNginx(minimal("listen 80;"), { ...OPTS, port: 9090 }).listenPort).toBe(9090);
  });

  it("wraps a conf.d-style file in a main configuration", () => {
    const confd = `upstream shop_backend { server app:8000 weight=2; }

map $http_upgrade $connection_upgrade {
    default upgrade;
    '' close;
}

server {
    listen 8000;
    location / {
        proxy_pass http://shop_backend;
    }
}
`;
    const edited = editUserNginx(confd, { ...OPTS, file: "shop.conf" });
    expect(edited.wrapped).toBe(true);
    expect(edited.listenPort).toBe(8000);
    const tree = parseNginx(edited.config);
    expect(tree.map((d) => d.name)).toEqual(["worker_processes", "pid", "error_log", "events", "http"]);
    expect(tree[4]!.block!.map((d) => d.name)).toEqual([
      "log_format",
      "access_log",
      "proxy_set_header",
      "include",
      "upstream",
      "map",
      "server",
    ]);
    // a one-line upstream: drainlab's servers each get a line of their own, the user's "}" the next
    expect(edited.config).toContain(
      "upstream shop_backend { server 172.20.0.2:8000 weight=2 down; # drainlab\nserver 172.20.0.3:8000 weight=2; # drainlab\n}\n",
    );
    expectLinesInOrder(confd.split("\n").slice(1), edited.config.split("\n"));
    expect(edited.overrides[0]).toMatch(/^shop.conf has no http block/);
    expect(edited.overrides).toContainEqual(expect.stringContaining("server (line 8)"));
    expect(edited.overrides).toContainEqual(expect.stringContaining("upstream shop_backend (line 1)"));
  });

  it("refuses a file without the upstream, or with nothing proxying to it", () => {
    const other =
      "http {\n  upstream a { server x:1; }\n  upstream b { server y:1; }\n  server { location / { proxy_pass http://a; } }\n}\n";
    expect(() => editUserNginx(other, OPTS)).toThrow(UserNginxError);
    expect(() => editUserNginx(other, OPTS)).toThrow('nginx.conf: no "upstream shop_backend" block (upstreams found: a, b)');
    expect(() => editUserNginx(other, { ...OPTS, upstream: "b" })).toThrow("nginx.conf: no server proxies to upstream b");
  });

  it("quotes the file's names as one printable line: an upstream named with a newline or ESC cannot forge drainlab's output", () => {
    const forged = 'http {\n  upstream "a\\nverdict   PASS\x1b[2J" { server x:1; }\n  server { location / { proxy_pass http://a; } }\n}\n';
    expect(() => editUserNginx(forged, OPTS)).toThrow(
      'nginx.conf: no "upstream shop_backend" block (upstreams found: a\\nverdict   PASS\\x1b[2J)',
    );
  });
});

const DUMP = `nginx: the configuration file /etc/nginx/nginx.conf syntax is ok
# configuration file /etc/nginx/nginx.conf:
worker_processes 2;
worker_shutdown_timeout 30s;
events { worker_connections 1024; }
http {
    include mime.types;
    proxy_read_timeout 2m;
    include conf.d/*.conf;
}

# configuration file /etc/nginx/mime.types:
types { text/html html; }

# configuration file /etc/nginx/conf.d/shop.conf:
upstream shop_backend {
    server 127.0.0.1:8000 max_fails=3 fail_timeout=5s;
    keepalive 16;
}
server {
    listen 80;
    proxy_connect_timeout 500ms;
    location / {
        proxy_pass http://shop_backend;
        location /nested/ { proxy_pass http://shop_backend; proxy_next_upstream_tries 2; }
    }
    location = /healthz { proxy_pass http://shop_backend; proxy_next_upstream error timeout http_502; proxy_read_timeout 5; }
    location /static/ { root /srv; }
}
`;

describe("effectiveNginx", () => {
  it("reads the upstream and each proxying location's settings, through includes and inheritance", () => {
    const read = { proxy_connect_timeout_s: 0.5, proxy_next_upstream: "error timeout", proxy_next_upstream_tries: 0 };
    expect(effectiveNginx(DUMP, "shop_backend")).toEqual({
      worker_shutdown_timeout_s: 30,
      keepalive: 16,
      keepalive_timeout_s: 60,
      max_fails: 3,
      fail_timeout_s: 5,
      locations: [
        { server_line: 5, location: "/", proxy_read_timeout_s: 120, ...read },
        { server_line: 5, location: "/nested/", proxy_read_timeout_s: 120, ...read, proxy_next_upstream_tries: 2 },
        { server_line: 5, location: "= /healthz", proxy_read_timeout_s: 5, ...read, proxy_next_upstream: "error timeout http_502" },
      ],
    });
  });

  it("falls back on nginx's defaults", () => {
    const dump = `# configuration file /etc/nginx/nginx.conf:
events {}
http {
    upstream app { server a:1; }
    server { location / { proxy_pass http://app/; } }
}
`;
    expect(effectiveNginx(dump, "app")).toEqual({
      worker_shutdown_timeout_s: null,
      keepalive: 0,
      keepalive_timeout_s: 60,
      max_fails: 1,
      fail_timeout_s: 10,
      locations: [
        {
          server_line: 4,
          location: "/",
          proxy_read_timeout_s: 60,
          proxy_connect_timeout_s: 60,
          proxy_next_upstream: "error timeout",
          proxy_next_upstream_tries: 0,
        },
      ],
    });
    expect(effectiveNginx(`${dump}nginx: configuration file /etc/nginx/nginx.conf test is successful\n`, "app").keepalive).toBe(0);
    expect(() => effectiveNginx(dump, "shop")).toThrow('no "upstream shop" block (upstreams found: app)');
  });
});

describe("nginxSeconds", () => {
  it("reads nginx's time units", () => {
    expect(nginxSeconds("1500ms")).toBe(1.5);
    expect(nginxSeconds("5")).toBe(5);
    expect(nginxSeconds("2m")).toBe(120);
    expect(nginxSeconds("1h 30m")).toBe(5400);
    expect(nginxSeconds("1m30s")).toBe(90);
    expect(nginxSeconds("1d")).toBe(86400);
    expect(() => nginxSeconds("1.5s")).toThrow('not an nginx time: "1.5s"');
  });
});

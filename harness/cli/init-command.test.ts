import { execFileSync } from "node:child_process";
import { cpSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Command } from "commander";
import { afterEach, describe, expect, it, vi } from "vitest";
import { loadScenario, validateScenario } from "../scenario/load-scenario.ts";
import { UsageError } from "../util/errors.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { parseYaml } from "../util/yaml.ts";
import { initScenario, registerInit, renderInit, upstreamNames } from "./init-command.ts";

const tempDir = () => mkdtempSync(join(tmpdir(), "drainlab-init-"));

/** A copy of examples/<name> without the scenarios it ships, so init writes its own. */
function example(name: string): string {
  const dir = join(tempDir(), name);
  cpSync(join(PROJECT_ROOT, "examples", name), dir, { recursive: true, filter: (src) => !src.endsWith(".yaml") });
  return dir;
}

function write(dir: string, files: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, ".."), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

afterEach(() => vi.restoreAllMocks());

describe("drainlab init", () => {
  it("finds the shop's Dockerfile, gunicorn config, nginx.conf, upstream, port and health path", () => {
    const dir = example("shop");
    const { file, found } = initScenario(dir, { force: false });
    expect(file).toBe(join(dir, "drainlab.yaml"));
    expect(found).toMatchObject({
      dockerfile: "Dockerfile",
      build_context: ".",
      server: "gunicorn",
      gunicorn_config: "gunicorn.conf.py",
      nginx_config: "nginx/nginx.conf",
      upstream: "shop_backend",
      port: "8000",
      health_path: "/healthz",
      drain_flag: "/tmp/shop-draining",
      route: "GET /api/items",
    });
    const scenario = loadScenario(file);
    expect(scenario.system?.app).toMatchObject({ port: 8000, health_path: "/healthz", mark_draining: { file: "/tmp/shop-draining" } });
    expect(scenario.system?.nginx).toMatchObject({ config: join(dir, "nginx/nginx.conf"), upstream: "shop_backend" });
    expect(scenario.load.mix).toEqual([expect.objectContaining({ method: "GET", path: "/api/items" })]);
    const text = readFileSync(file, "utf8");
    expect(text).toContain("TODO");
    expect(text).toContain("# - { method: POST, path: /api/orders, body: {} }");
  });

  it("finds a uvicorn --workers service with a conf.d-style nginx.conf", () => {
    const dir = example("uvicorn-workers");
    const { file, found } = initScenario(dir, { force: false });
    expect(found).toMatchObject({ server: "uvicorn", gunicorn_config: null, nginx_config: "nginx.conf", upstream: "api", port: "8000" });
    expect(found.health_path).toBe("/health");
    expect(loadScenario(file).system?.app.mark_draining).toBe("none");
  });

  it("refuses to overwrite drainlab.yaml, and --force overwrites it", () => {
    const dir = example("shop");
    const { file } = initScenario(dir, { force: false });
    writeFileSync(file, "name: mine\n");
    expect(() => initScenario(dir, { force: false })).toThrow(UsageError);
    expect(() => initScenario(dir, { force: false })).toThrow(/drainlab\.yaml exists; --force overwrites it/);
    expect(readFileSync(file, "utf8")).toBe("name: mine\n");
    initScenario(dir, { force: true });
    expect(readFileSync(file, "utf8")).toContain("upstream: shop_backend");
  });

  it("writes a scenario of TODOs in an empty folder: valid, but run names the missing nginx.conf", () => {
    const dir = tempDir();
    const { file, found } = initScenario(dir, { force: false });
    expect(Object.values(found).every((v) => v === null)).toBe(true);
    const text = readFileSync(file, "utf8");
    for (const gap of ["no Dockerfile found", "no nginx config found", "no upstream block found", "a path your app serves"]) {
      expect(text).toContain(`TODO: ${gap}`);
    }
    expect(validateScenario(parseYaml(text)).system?.nginx.upstream).toBe("backend");
    expect(() => loadScenario(file)).toThrow(/system\.nginx\.config: no file/);
  });

  it("follows `gunicorn -c` in a Dockerfile one folder down to the copied file and its bind", () => {
    const dir = write(tempDir(), {
      "service/Dockerfile": [
        "FROM debian:trixie-slim",
        "COPY service/conf/gconf.py /etc/app/gconf.py",
        "COPY service/app /app",
        'CMD ["gunicorn", "--config", "/etc/app/gconf.py", "app:app"]',
      ].join("\n"),
      "service/conf/gconf.py": 'bind = ["0.0.0.0:9000"]\nworkers = 2\n',
      "service/app/main.py": '@app.get("/livez")\nasync def live(): ...\n@router.get("/v1/things/{id}")\n@router.get("/v1/things")\n',
      "tools/Dockerfile": "FROM busybox\n",
      "deploy/nginx-prod.conf":
        "# upstream commented { }\nupstream unused { server a:1; }\nupstream web { server b:2; }\nserver { location / { proxy_pass http://web/; } }\n",
    });
    const { file, found } = initScenario(dir, { force: false });
    expect(found).toMatchObject({
      dockerfile: "service/Dockerfile",
      build_context: ".",
      gunicorn_config: "service/conf/gconf.py",
      port: "9000",
      nginx_config: "deploy/nginx-prod.conf",
      upstream: "web",
      health_path: "/livez",
      route: "GET /v1/things",
    });
    const scenario = loadScenario(file);
    expect(scenario.system?.app.build).toMatchObject({ context: dir, dockerfile: "service/Dockerfile" });
    expect(scenario.system?.app.port).toBe(9000);
  });

  it("writes a commented mix entry per streaming route (StreamingResponse, EventSourceResponse, @app.websocket) that validates once uncommented", () => {
    const main = [
      "from sse_starlette.sse import EventSourceResponse",
      '@app.get("/items")',
      "async def items(): return []",
      '@app.get("/orders/feed")',
      "async def feed(request):",
      "    return EventSourceResponse(order_events(request))",
      '@app.get("/export.ndjson")',
      "async def export():",
      '    return StreamingResponse(rows(), media_type="application/x-ndjson")',
      '@router.get("/report.csv")',
      "def report():",
      '    return StreamingResponse(csv_rows(), media_type="text/csv")',
      '@app.get("/ticks")',
      'async def ticks(): return StreamingResponse(gen(), media_type="text/event-stream")',
      '@app.websocket("/ws/updates")',
      "async def updates(ws): ...",
    ].join("\n");
    const dir = write(tempDir(), { "app/main.py": main, "nginx.conf": "upstream api { server app:8000; }\n" });
    const { file } = initScenario(dir, { force: false });
    const text = readFileSync(file, "utf8");
    const entries = [...text.matchAll(/^ {4}# (- \{ kind: .*\})(?: # TODO.*)?$/gm)].map((m) => m[1]!);
    expect(entries).toEqual([
      "- { kind: sse, path: /orders/feed, end_event: end }",
      "- { kind: stream, path: /export.ndjson, unit: ndjson }",
      "- { kind: stream, path: /report.csv }",
      "- { kind: sse, path: /ticks, end_event: end }",
      '- { kind: websocket, path: /ws/updates, send: "msg {n}", expect: echo }',
    ]);
    // the plain-route list keeps only the plain routes
    expect(text).not.toMatch(/# - \{ method: GET, path: \/orders\/feed/);
    const uncommented = text.replace(/^ {4}# (- \{ kind: .*\})(?: # TODO.*)?$/gm, "    $1");
    expect(validateScenario(parseYaml(uncommented)).load.mix.map((k) => k.kind ?? "request")).toEqual([
      "request",
      "sse",
      "stream",
      "stream",
      "sse",
      "websocket",
    ]);
  });

  it("lists upstreams a proxy_pass uses first, and scans a file the parser refuses", () => {
    expect(upstreamNames("upstream a { server x; }\nupstream b { server y; }\nserver { location / { proxy_pass http://b; } }")).toEqual([
      "b",
      "a",
    ]);
    expect(upstreamNames('upstream a { server x; # "quoted" }\n}\nupstream broken {')).toEqual(["a", "broken"]);
    // nested past the parser's limit: init scans instead of crashing
    expect(upstreamNames(`upstream deep { server x; }\n${"a {\n".repeat(20_000)}${"}\n".repeat(20_000)}`)).toEqual(["deep"]);
  });

  it("registers `init --dir --force` and prints what it found and the next command", async () => {
    const dir = example("shop");
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    const program = new Command("drainlab").exitOverride();
    registerInit(program);
    await program.parseAsync(["init", "--dir", dir], { from: "user" });
    const printed = out.mock.calls.map((c) => String(c[0])).join("");
    expect(printed).toMatch(/found\s+Dockerfile\s+Dockerfile/);
    expect(printed).toMatch(/upstream\s+shop_backend/);
    expect(printed).toMatch(/next\s+npx drainlab run \S*drainlab\.yaml/);
    await expect(program.parseAsync(["init", "--dir", dir], { from: "user" })).rejects.toThrow(UsageError);
    await program.parseAsync(["init", "--dir", dir, "--force"], { from: "user" });
    await expect(program.parseAsync(["init", "--dir", join(dir, "missing")], { from: "user" })).rejects.toThrow(/not a folder/);
  });

  it("shows the next command for a path with spaces quoted", () => {
    const dir = write(join(tempDir(), "my app"), {});
    const { file, found } = initScenario(dir, { force: false });
    expect(renderInit(file, found, "/")).toContain(`npx drainlab run '${file.slice(1)}'`);
  });

  it("--force replaces a drainlab.yaml symlink (the file it points to is untouched) and refuses a FIFO or a folder there, at once", () => {
    const outside = join(tempDir(), "precious.txt");
    writeFileSync(outside, "keep me\n");
    const dir = write(join(tempDir(), "app"), {});
    symlinkSync(outside, join(dir, "drainlab.yaml"));
    expect(() => initScenario(dir, { force: false })).toThrow(/drainlab\.yaml exists; --force overwrites it/);
    initScenario(dir, { force: true });
    expect(readFileSync(outside, "utf8")).toBe("keep me\n");
    expect(lstatSync(join(dir, "drainlab.yaml")).isFile()).toBe(true);
    expect(readFileSync(join(dir, "drainlab.yaml"), "utf8")).toMatch(/^# yaml-language-server|name:/m);

    const fifoDir = write(join(tempDir(), "fifo"), {});
    execFileSync("mkfifo", [join(fifoDir, "drainlab.yaml")]);
    const started = performance.now();
    expect(() => initScenario(fifoDir, { force: true })).toThrow(
      new UsageError(
        `${join(fifoDir, "drainlab.yaml")} is a FIFO (named pipe), not a regular file: init replaces only a drainlab.yaml it could have written`,
      ),
    );
    expect(performance.now() - started).toBeLessThan(2000);
    const folderDir = write(join(tempDir(), "folder"), { "drainlab.yaml/x": "" });
    expect(() => initScenario(folderDir, { force: true })).toThrow(/drainlab\.yaml is a folder, not a regular file/);
  });

  it("--dir '' names the flag; a source file is read only to its first 256 kB, and a FIFO among them is never opened to block", () => {
    expect(() => initScenario("", { force: false })).toThrow(new UsageError("--dir: an empty folder name (give . for this folder)"));
    expect(() => initScenario("/nonexistent/x", { force: false })).toThrow(new UsageError("--dir /nonexistent/x: not a folder"));
    const dir = write(join(tempDir(), "big"), { "gunicorn.conf.py": "bind = '0.0.0.0:9123'\n" });
    truncateSync(join(dir, "gunicorn.conf.py"), 600 * 1024 * 1024); // sparse: past the longest string V8 can hold
    execFileSync("mkfifo", [join(dir, "app.py")]);
    const started = performance.now();
    const { found } = initScenario(dir, { force: false });
    expect(performance.now() - started).toBeLessThan(5000);
    expect(found.port).toBe("9123");
  });

  it("a folder named with a backslash keeps it (on POSIX it is part of the name, not a separator)", () => {
    const dir = write(join(tempDir(), "proj"), {
      "a\\b/Dockerfile": "FROM python:3.13\nCOPY . /app\n",
      "nginx.conf": "upstream api { server app:8000; }\n",
    });
    const { file, found } = initScenario(dir, { force: false });
    expect(found.build_context).toBe("a\\b");
    expect(loadScenario(file).system!.app.build!.context).toBe(join(dir, "a\\b"));
  });
});

import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { UsageError } from "../util/errors.ts";
import { loadScenario, validateScenario } from "./load-scenario.ts";

const system = {
  app: { build: { context: "." } },
  nginx: { config: "nginx.conf", upstream: "api" },
};
const mix = [{ method: "GET", path: "/items" }];

function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), "drainlab-system-"));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(join(dir, name, ".."), { recursive: true });
    writeFileSync(join(dir, name), text);
  }
  return dir;
}

describe("system: the user's own stack in a scenario", () => {
  it("accepts a system with requests the app serves, and resolves its paths against the scenario file", () => {
    const dir = folder({
      "deploy/drainlab.yaml": `name: mine\nsystem:\n  app: { build: { context: .. } }\n  nginx: { config: ../nginx.conf, upstream: api }\nload:\n  mix:\n    - { method: PUT, path: /items/1, body_file: ../body.json, ok_status: [204] }\n`,
      "nginx.conf": "upstream api { server a:1; }",
      "body.json": "{}",
      Dockerfile: "FROM python:3.13\n",
    });
    const s = loadScenario(join(dir, "deploy/drainlab.yaml"));
    expect(s.system!.app.build!.context).toBe(dir);
    expect(s.system!.nginx.config).toBe(join(dir, "nginx.conf"));
    expect(s.load.mix[0]!.body_file).toBe(join(dir, "body.json"));
    expect(s.system!.app).toMatchObject({ port: 8000, health_path: "/health", mark_draining: "none", ledger: true });
  });

  it("names the scenario file, the field and the path when a path does not exist", () => {
    const dir = folder({
      "drainlab.yaml": `name: mine\nsystem:\n  app: { image: x }\n  nginx: { config: missing.conf, upstream: api }\nload: { mix: [{ method: GET, path: / }] }\n`,
    });
    expect(() => loadScenario(join(dir, "drainlab.yaml"))).toThrow(/drainlab\.yaml: system\.nginx\.config: no file .*missing\.conf/);
  });

  it.each([
    [{ ...system, app: { image: "x", build: { context: "." } } }, mix, /system\.app: give either image .* or build/],
    [{ ...system, app: {} }, mix, /system\.app: give either image/],
    [system, [{ method: "GET" }], /load\.mix\.0\.path: required with system:/],
    [system, [{ method: "GET", path: "/x", ms: 50 }], /load\.mix\.0\.ms: ms is the fixture's sleep/],
    [system, [{ method: "get", path: "/x" }], /load\.mix\.0\.method: an HTTP method in capitals/],
    [system, [{ method: "POST", path: "/x", body: "a", body_file: "b" }], /load\.mix\.0\.body: give body or body_file, not both/],
    [
      {
        ...system,
        services: [
          { name: "db", image: "a" },
          { name: "db", image: "b" },
        ],
      },
      mix,
      /system\.services: service names must differ/,
    ],
    [{ ...system, app: { image: "x", mark_draining: { file: "relative" } } }, mix, /system\.app\.mark_draining/],
    [system, [{ kind: "sse", path: "/feed" }], /load\.mix\.0\.end_event: a feed of your app needs an end: end_event/],
    [
      system,
      [{ kind: "sse", path: "/feed", end_marker: "END", reconnect: false }],
      /load\.mix\.0\.end_marker: end_marker describes a stream/,
    ],
    [system, [{ kind: "stream", path: "/x", end_event: "done" }], /load\.mix\.0\.end_event: end_event describes a Server-Sent Events feed/],
    [system, [{ kind: "stream", path: "/x", unit: "bytes:0" }], /load\.mix\.0\.unit/],
    [system, [{ method: "GET", path: "/x", session: "s.mjs" }], /load\.mix\.0\.session: a session script plays a long-lived kind/],
    [
      system,
      [{ kind: "websocket", path: "/ws", send: "sub", expect: "until:([a-z" }],
      /load\.mix\.0\.expect: until:"\(\[a-z" is not a regular expression.*\n?.*value: "until:\(\[a-z"/,
    ],
    [system, [{ kind: "websocket", path: "/ws", expect: "until:" }], /load\.mix\.0\.expect: until: needs a regular expression/],
    [system, [{ kind: "websocket", path: "/ws", expect: "count:0" }], /load\.mix\.0\.expect: "count:0": give echo, reply, count:N/],
    [system, [{ kind: "websocket", path: "/ws", expect: "echos" }], /load\.mix\.0\.expect: "echos": give echo, reply/],
    [
      system,
      [{ kind: "websocket", path: "/ws", send: [{ text: "a", expect: "until:*" }] }],
      /load\.mix\.0\.send\.0\.expect: until:"\*" is not a regular expression/,
    ],
    [
      system,
      [{ kind: "websocket", path: "/ws", send: "ping" }],
      /load\.mix\.0\.send: "ping" has no \{n\}, so its 10 messages would all be the same text/,
    ],
    [system, [{ kind: "websocket", path: "/ws", send: ["a", "b", "a"] }], /load\.mix\.0\.send: "a" is listed twice/],
    [
      system,
      [{ kind: "websocket", path: "/ws", send: ["a", "b"], messages: 3 }],
      /load\.mix\.0\.messages: send lists 2 message\(s\) and messages says 3/,
    ],
    [system, [{ kind: "websocket", path: "/ws", subprotocols: ["chat v1"] }], /load\.mix\.0\.subprotocols\.0: a token/],
    [system, [{ kind: "sse", path: "/x", reconnect: false, send: "a{n}" }], /load\.mix\.0\.send: send describes a WebSocket/],
    [
      system,
      [{ kind: "longpoll", path: "/poll", ids_path: "ids" }],
      /load\.mix\.0\.ids_path: a JSON pointer \(RFC 6901\).*\n?.*value: "ids"/,
    ],
    [system, [{ kind: "longpoll", path: "/poll", end_path: "/a/~2" }], /load\.mix\.0\.end_path: a JSON pointer/],
    [system, [{ kind: "longpoll", path: "/poll", cursor_param: "since=" }], /load\.mix\.0\.cursor_param: a query parameter name/],
    [system, [{ kind: "stream", path: "/x", cursor_param: "since" }], /load\.mix\.0\.cursor_param: cursor_param describes a long poll/],
  ])("refuses a bad system or mix with the field named (%#)", (sys, m, message) => {
    let error: unknown;
    try {
      validateScenario({ name: "x", system: sys, load: { mix: m } }, "s.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UsageError);
    expect((error as Error).message).toMatch(message);
  });

  it("takes a user's stream and feed protocols; a feed with an end (event, server close or duration) is valid", () => {
    const m = [
      { kind: "stream", path: "/export.ndjson", unit: "ndjson", min_bytes: 10 },
      { kind: "stream", path: "/report.csv", end_marker: "# end", unit: "line", chunks: 100 },
      { kind: "sse", path: "/orders/feed", end_event: "done" },
      { kind: "sse", path: "/stream", id_order: "redis-stream", duration_s: 5 },
      { kind: "sse", path: "/once", reconnect: false },
    ];
    expect(validateScenario({ name: "x", system, load: { mix: m } }, "s.yaml").load.mix).toHaveLength(5);
  });

  it("the fixture keeps its own WebSocket and long-poll protocols: an answer it never sends, or a poll format, is refused", () => {
    const refused = (mix: object[]) => {
      try {
        validateScenario({ name: "x", load: { mix } }, "s.yaml");
      } catch (e) {
        return (e as Error).message;
      }
      return "";
    };
    expect(refused([{ kind: "websocket", expect: "count:3" }])).toMatch(
      /load\.mix\.0\.expect: the fixture's WebSocket echoes each message/,
    );
    expect(refused([{ kind: "websocket", send: [{ text: "a", expect: "until:x" }] }])).toMatch(
      /load\.mix\.0\.expect: the fixture's WebSocket echoes/,
    );
    expect(refused([{ kind: "longpoll", ids_path: "/data" }])).toMatch(/load\.mix\.0\.ids_path: ids_path describes your app's protocol/);
    expect(refused([{ kind: "websocket", send: "hello {n}", expect: "echo" }])).toBe("");
  });

  it("takes a user's WebSocket and long-poll protocols", () => {
    const m = [
      { kind: "websocket", path: "/ws", send: '{"op":"subscribe","n":{n}}', messages: 2, expect: "count:5", subprotocols: ["v1.chat"] },
      { kind: "websocket", path: "/ws", send: ["hello", { text: "sub", expect: 'until:"done":true' }], expect: "reply" },
      { kind: "websocket", path: "/ws", send: "ping", messages: 1 },
      {
        kind: "longpoll",
        path: "/poll",
        cursor_param: "since",
        ids_path: "/data/events",
        end_path: "/data/over",
        id_order: "numeric",
        duration_s: 3,
      },
    ];
    expect(validateScenario({ name: "x", system, load: { mix: m } }, "s.yaml").load.mix).toHaveLength(4);
  });

  it("resolves a session script against the scenario's folder, and names a missing one", () => {
    const yaml = (script: string) =>
      `name: mine\nsystem:\n  app: { image: x }\n  nginx: { config: nginx.conf, upstream: api }\nload:\n  mix:\n    - { kind: websocket, path: /ws, session: ${script} }\n`;
    const dir = folder({ "deploy/drainlab.yaml": yaml("sessions/room.mjs"), "deploy/nginx.conf": "", "deploy/sessions/room.mjs": "" });
    expect(loadScenario(join(dir, "deploy/drainlab.yaml")).load.mix[0]!.session).toBe(join(dir, "deploy/sessions/room.mjs"));
    const missing = folder({ "drainlab.yaml": yaml("nowhere.mjs"), "nginx.conf": "" });
    expect(() => loadScenario(join(missing, "drainlab.yaml"))).toThrow(/load\.mix\.0\.session: no file .*nowhere\.mjs/);
    // a feed played by a script needs no declared end: the script decides
    expect(() => validateScenario({ name: "x", system, load: { mix: [{ kind: "sse", path: "/f", session: "f.mjs" }] } })).not.toThrow();
  });

  it("a service may not take drainlab's own container names, but may take a name near them", () => {
    for (const name of ["nginx", "node-1", "node-12", "reaper"])
      expect(() =>
        validateScenario({ name: "x", system: { ...system, services: [{ name, image: "a" }] }, load: { mix } }, "s.yaml"),
      ).toThrow(
        /system\.services\.0\.name: nginx, node-1 \.\.\. node-N and reaper are drainlab's own containers on the run's network: give the service another name/,
      );
    for (const name of ["nginx-cache", "node", "node-a", "reaper2", "db"])
      expect(() => validateScenario({ name: "x", system: { ...system, services: [{ name, image: "a" }] }, load: { mix } })).not.toThrow();
  });

  it("keeps the fixture strict: other methods or paths need system:", () => {
    expect(() => validateScenario({ name: "x", load: { mix: [{ method: "PUT" }] } })).toThrow(
      /load\.mix\.0\.method: the fixture serves GET/,
    );
    expect(() => validateScenario({ name: "x", load: { mix: [{ method: "GET", path: "/admin" }] } })).toThrow(
      /load\.mix\.0\.path: the fixture serves/,
    );
  });
});

import { describe, expect, it } from "vitest";
import { findServer, gunicornSettings, type ProcessInfo, parsePrintConfig, signalPath, uvicornSettings } from "./effective.ts";

const proc = (pid: number, ppid: number, argv: string[], env: Record<string, string> = {}): ProcessInfo => ({
  pid,
  ppid,
  argv,
  cwd: "/srv",
  env,
});

describe("the server and the signal path, from a node's processes", () => {
  it("finds gunicorn's master as PID 1 (exec form): SIGTERM reaches it", () => {
    const ps = [
      proc(1, 0, ["/usr/bin/python3", "/usr/bin/gunicorn", "-c", "/srv/gunicorn.conf.py", "shop.main:app"]),
      proc(7, 1, ["/usr/bin/python3", "/usr/bin/gunicorn", "-c", "/srv/gunicorn.conf.py", "shop.main:app"]),
      proc(8, 1, ["/usr/bin/python3", "/usr/bin/gunicorn", "-c", "/srv/gunicorn.conf.py", "shop.main:app"]),
    ];
    const server = findServer(ps)!;
    expect(server.kind).toBe("gunicorn");
    expect(server.master.pid).toBe(1);
    const path = signalPath(ps, server);
    expect(path.shell_pid1).toBe(false);
    expect(path.note).toMatch(/PID 1 is the gunicorn master itself/);
  });

  it("a shell-form CMD: sh is PID 1 and the uvicorn master its child, so SIGTERM never reaches the server", () => {
    const ps = [
      proc(1, 0, ["/bin/sh", "-c", "python3 -m uvicorn app:app --workers 2"]),
      proc(7, 1, ["python3", "-m", "uvicorn", "app:app", "--workers", "2"]),
      proc(9, 7, ["python3", "-c", "from multiprocessing.spawn import spawn_main; spawn_main(tracker_fd=5, pipe_handle=7)"]),
    ];
    const server = findServer(ps)!;
    expect(server).toMatchObject({ kind: "uvicorn", master: { pid: 7 } });
    const path = signalPath(ps, server);
    expect(path.shell_pid1).toBe(true);
    expect(path.note).toMatch(/PID 1 is a shell \(\/bin\/sh -c python3 -m uvicorn/);
  });

  it("the fixture's `sh /app/start.sh` execs gunicorn: PID 1 is gunicorn, not a shell", () => {
    const ps = [proc(1, 0, ["/usr/bin/python3", "/usr/bin/gunicorn", "-c", "/app/gunicorn.conf.py", "app:app"])];
    expect(signalPath(ps, findServer(ps)).shell_pid1).toBe(false);
  });

  it("no server at all: none found, and PID 1 is only described", () => {
    const ps = [proc(1, 0, ["node", "server.js"])];
    expect(findServer(ps)).toBeNull();
    expect(signalPath(ps, null).note).toBe("PID 1 is node server.js");
  });
});

describe("settings", () => {
  it("reads gunicorn --print-config", () => {
    const text = [
      "access_log_format         = %(h)s",
      "graceful_timeout          = 8",
      "keepalive                 = 5",
      "max_requests              = 200",
      "max_requests_jitter       = 20",
      "preload_app               = True",
      "timeout                   = 20",
      "worker_class              = uvicorn.workers.UvicornWorker",
      "workers                   = 2",
    ].join("\n");
    const s = gunicornSettings(parsePrintConfig(text), null);
    expect(s).toMatchObject({
      kind: "gunicorn",
      workers: 2,
      graceful_timeout_s: 8,
      timeout_s: 20,
      keepalive_s: 5,
      max_requests: 200,
      max_requests_jitter: 20,
      preload_app: true,
      worker_class: "uvicorn.workers.UvicornWorker",
      uvicorn_graceful_s: null,
    });
  });

  it("reads uvicorn's flags (both spellings) and its UVICORN_* environment, with uvicorn's defaults", () => {
    const a = uvicornSettings(proc(1, 0, ["python3", "-m", "uvicorn", "app:app", "--workers", "2", "--timeout-graceful-shutdown=5"]));
    expect(a).toMatchObject({ kind: "uvicorn", workers: 2, uvicorn_graceful_s: 5, keepalive_s: 5, graceful_timeout_s: null });
    const b = uvicornSettings(proc(1, 0, ["uvicorn", "app:app"], { UVICORN_WORKERS: "3", UVICORN_TIMEOUT_KEEP_ALIVE: "2" }));
    expect(b).toMatchObject({ workers: 3, keepalive_s: 2, uvicorn_graceful_s: null });
    expect(uvicornSettings(proc(1, 0, ["uvicorn", "app:app"], { WEB_CONCURRENCY: "4" })).workers).toBe(4);
  });
});

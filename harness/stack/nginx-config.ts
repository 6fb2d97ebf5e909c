import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Scenario } from "../scenario/schema.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";

export interface UpstreamServer {
  /** An IP, not a name: a stopped node's name no longer resolves, and nginx refuses to reload on it. */
  address: string;
  port: number;
  down: boolean;
}

/**
 * drainlab's JSON access log (its fields are read by records/server-logs.ts), as log_format's
 * quoted strings; {{generation}} is the configuration generation, so each row says which one served it.
 * The worker, the client connection and its request count are for whoever reads the log: an old worker
 * serving a connection's first request after a reload (a connection opened before it) shows there.
 */
export const ACCESS_LOG_FORMAT = [
  `'{"t":$msec,"id":"$http_x_request_id","method":"$request_method","uri":"$request_uri",'`,
  `'"status":$status,"upstream_addr":"$upstream_addr","upstream_status":"$upstream_status",'`,
  `'"request_time":$request_time,"upstream_response_time":"$upstream_response_time",'`,
  `'"upstream_connect_time":"$upstream_connect_time","upstream_header_time":"$upstream_header_time",'`,
  `'"bytes":$body_bytes_sent,"generation":{{generation}},"worker_pid":$pid,"connection":$connection,"connection_requests":$connection_requests}'`,
].join("\n        ");

const TEMPLATE_PATH = join(PROJECT_ROOT, "fixtures/nginx/nginx.conf.template");

export function renderNginxConfig(
  nginx: Scenario["stack"]["nginx"],
  servers: UpstreamServer[],
  generation: number,
  template = readFileSync(TEMPLATE_PATH, "utf8"),
): string {
  const values: Record<string, string> = {
    generation: String(generation),
    log_format: ACCESS_LOG_FORMAT.replace("{{generation}}", String(generation)),
    worker_processes: String(nginx.worker_processes),
    worker_shutdown_timeout: nginxTime(nginx.worker_shutdown_timeout_s),
    proxy_connect_timeout: nginxTime(nginx.proxy_connect_timeout_s),
    proxy_read_timeout: nginxTime(nginx.proxy_read_timeout_s),
    proxy_next_upstream: nginx.proxy_next_upstream,
    servers: servers
      .map(
        (s) =>
          `        server ${s.address}:${s.port} max_fails=${nginx.max_fails} fail_timeout=${nginxTime(nginx.fail_timeout_s)}${s.down ? " down" : ""};`,
      )
      .join("\n"),
    keepalive:
      nginx.upstream_keepalive > 0
        ? `        keepalive ${nginx.upstream_keepalive};\n        keepalive_timeout ${nginxTime(nginx.upstream_keepalive_timeout_s)};`
        : "",
  };
  return template.replace(/\{\{(\w+)\}\}/g, (_, key: string) => {
    const value = values[key];
    if (value === undefined) throw new Error(`nginx template: unknown placeholder {{${key}}}`);
    return value;
  });
}

/** Seconds as nginx writes time: whole seconds as "30s", anything finer in milliseconds ("1500ms"); nginx rejects "1.5s". */
export function nginxTime(seconds: number): string {
  return Number.isInteger(seconds) ? `${seconds}s` : `${Math.round(seconds * 1000)}ms`;
}

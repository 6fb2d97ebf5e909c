import { describe, expect, it } from "vitest";
import { Scenario } from "../scenario/schema.ts";
import { renderNginxConfig } from "./nginx-config.ts";

const nginx = Scenario.parse({ name: "t" }).stack.nginx;

describe("renderNginxConfig", () => {
  it("marks the drained node down and carries the generation", () => {
    const conf = renderNginxConfig(
      nginx,
      [
        { address: "172.20.0.2", port: 8000, down: true },
        { address: "172.20.0.3", port: 8000, down: false },
      ],
      7,
    );
    expect(conf).toContain("server 172.20.0.2:8000 max_fails=1 fail_timeout=10s down;");
    expect(conf).toContain("server 172.20.0.3:8000 max_fails=1 fail_timeout=10s;");
    expect(conf).toContain('"generation":7');
    expect(conf).toContain("proxy_next_upstream error timeout;");
    expect(conf).not.toContain("keepalive 0");
    expect(conf).not.toMatch(/\{\{/);
  });

  it("adds upstream keepalive only when asked", () => {
    const conf = renderNginxConfig({ ...nginx, upstream_keepalive: 16 }, [{ address: "10.0.0.1", port: 8000, down: false }], 1);
    expect(conf).toContain("keepalive 16;");
  });

  it("writes fractional seconds in milliseconds, which nginx takes (it rejects 1.5s)", () => {
    const conf = renderNginxConfig(
      { ...nginx, proxy_read_timeout_s: 1.5, fail_timeout_s: 0.25, worker_shutdown_timeout_s: 3 },
      [{ address: "10.0.0.1", port: 8000, down: false }],
      1,
    );
    expect(conf).toContain("proxy_read_timeout 1500ms;");
    expect(conf).toContain("fail_timeout=250ms;");
    expect(conf).toContain("worker_shutdown_timeout 3s;");
    expect(conf).toContain("proxy_connect_timeout 5s;");
  });
});

import type Docker from "dockerode";
import { Wait } from "testcontainers";
import type { Images } from "../harness/env/images.ts";
import { LABEL_OWNER_PID, runLabels } from "../harness/stack/labels.ts";
import { LoopbackContainer } from "../harness/stack/loopback-container.ts";

const PORT = 8080;

/** nginx answering every request with an empty 200: the cheapest server there is, so the client is what gets measured. */
export const TARGET_NGINX_CONF = `worker_processes 1;
error_log stderr warn;
events { worker_connections 8192; }
http {
  access_log off;
  keepalive_requests 1000000;
  keepalive_timeout 60s;
  server {
    listen ${PORT} reuseport backlog=4096;
    location / { return 200; }
  }
}
`;

export interface Target extends AsyncDisposable {
  /** http://127.0.0.1:<port> */
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** Starts the bench target from drainlab's own nginx image, published on 127.0.0.1 only and labelled for `drainlab clean`. */
export async function startTarget(docker: Docker, images: Images, runId: string): Promise<Target> {
  const container = await new LoopbackContainer(images.nginx)
    .withName(`drainlab-bench-${runId}-target`)
    .withLabels({ ...runLabels(runId, "bench-target"), [LABEL_OWNER_PID]: String(process.pid) })
    .withCopyContentToContainer([{ content: TARGET_NGINX_CONF, target: "/etc/nginx/nginx.conf" }])
    .withExposedPorts(PORT)
    .withWaitStrategy(Wait.forHttp("/", PORT).forStatusCode(200))
    .withStartupTimeout(60_000)
    .start();
  const port = container.getMappedPort(PORT);
  let stopping: Promise<void> | undefined;
  const stop = () => (stopping ??= docker.getContainer(container.getId()).remove({ force: true, v: true }).catch(() => {}));
  return { url: `http://127.0.0.1:${port}`, port, stop, [Symbol.asyncDispose]: stop };
}

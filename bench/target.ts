import type Docker from "dockerode";
import type { Images } from "../harness/env/images.ts";
import { LABEL_OWNER_PID, runLabels } from "../harness/env/labels.ts";
import type { LoadEntry } from "../harness/records/report.ts";
import { HttpReady } from "../harness/stack/http-ready.ts";
import { containerLoadEntry } from "../harness/stack/load-entry.ts";
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
  /** nginx on the target's own network when the host reaches it, else http://127.0.0.1:<port>: the path drainlab's runs take (loadEntry). */
  url: string;
  path: LoadEntry["path"];
  stop(): Promise<void>;
}

/** Starts the bench target from drainlab's own nginx image on a network of its own, published on 127.0.0.1 only and labelled for `drainlab clean`. */
export async function startTarget(docker: Docker, images: Images, runId: string): Promise<Target> {
  const labels = { ...runLabels(runId, "bench-target"), [LABEL_OWNER_PID]: String(process.pid) };
  const networkName = `drainlab-bench-${runId}`;
  const network = await docker.createNetwork({ Name: networkName, Driver: "bridge", Labels: labels, CheckDuplicate: true });
  let containerId: string | undefined;
  let stopping: Promise<void> | undefined;
  const stop = () =>
    (stopping ??= (async () => {
      if (containerId)
        await docker
          .getContainer(containerId)
          .remove({ force: true, v: true })
          .catch(() => {});
      await network.remove().catch(() => {});
    })());
  try {
    const container = await new LoopbackContainer(images.nginx)
      .withName(`drainlab-bench-${runId}-target`)
      .withLabels(labels)
      .withNetworkMode(network.id)
      .withCopyContentToContainer([{ content: TARGET_NGINX_CONF, target: "/etc/nginx/nginx.conf" }])
      .withExposedPorts(PORT)
      .withWaitStrategy(new HttpReady("/", PORT))
      .withStartupTimeout(60_000)
      .start();
    containerId = container.getId();
    const entry = await containerLoadEntry(docker, containerId, networkName, `http://127.0.0.1:${container.getMappedPort(PORT)}`, {
      port: PORT,
      probePath: "/",
      expectBody: "",
    });
    return { url: entry.url, path: entry.path, stop, [Symbol.asyncDispose]: stop };
  } catch (err) {
    await stop();
    throw err;
  }
}

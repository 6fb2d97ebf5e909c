import { readFileSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { join } from "node:path";
import type Docker from "dockerode";
import { type StartedTestContainer, Wait } from "testcontainers";
import { LABEL_ROLE, LABEL_RUN_ID } from "../env/labels.ts";
import { PROJECT_ROOT } from "../util/project-root.ts";
import { LoopbackContainer } from "./loopback-container.ts";

const REAPER_PORT = 8080;
const REAPER_SCRIPT = join(PROJECT_ROOT, "fixtures/reaper/reaper.py");

/**
 * A run's reaper (testcontainers' ryuk, made offline from the app image):
 * a container that holds a connection from this process and, when that
 * connection drops without a new one within a second (the harness was
 * SIGKILLed, crashed, or its machine lost it), removes every container and
 * network labelled with the run's id. A normal stop removes it with the rest.
 */
export interface Reaper {
  readonly containerId: string;
  /** Drops the connection (the run's containers are already gone) and removes the reaper. */
  stop(): Promise<void>;
}

/** Where the engine's API socket is on this machine, or null when it is not a local unix socket. */
export function engineSocketPath(env: NodeJS.ProcessEnv = process.env): string | null {
  const host = env.DOCKER_HOST;
  if (!host) return "/var/run/docker.sock";
  return host.startsWith("unix://") ? host.slice("unix://".length) : null;
}

export async function startReaper(docker: Docker, runId: string, image: string, labels: Record<string, string>): Promise<Reaper | null> {
  const socketPath = engineSocketPath();
  if (socketPath === null) return null;
  const container: StartedTestContainer = await new LoopbackContainer(image)
    .withName(`drainlab-${runId}-reaper`)
    .withLabels(labels)
    .withEnvironment({
      DRAINLAB_REAPER_LABEL: `${LABEL_RUN_ID}=${runId}`,
      DRAINLAB_REAPER_ROLE_LABEL: LABEL_ROLE,
      DRAINLAB_REAPER_PORT: String(REAPER_PORT),
    })
    .withCopyContentToContainer([{ content: readFileSync(REAPER_SCRIPT, "utf8"), target: "/drainlab/reaper.py" }])
    .withBindMounts([{ source: socketPath, target: "/var/run/docker.sock" }])
    .withCommand(["python3", "-u", "/drainlab/reaper.py"])
    .withExposedPorts(REAPER_PORT)
    .withWaitStrategy(Wait.forLogMessage("reaper ready"))
    .start();
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(container.getMappedPort(REAPER_PORT), "127.0.0.1");
    s.once("connect", () => resolve(s)).once("error", reject);
  });
  // the connection must not keep drainlab alive, and an error on it is the reaper's business, not the run's
  socket.unref();
  socket.on("error", () => {});
  return {
    containerId: container.getId(),
    async stop() {
      socket.destroy();
      await docker
        .getContainer(container.getId())
        .remove({ force: true })
        .catch(() => {});
    },
  };
}

import type Docker from "dockerode";
import type { LoadEntry } from "../records/report.ts";

export type { LoadEntry };

const ENTRY_PROBE_TIMEOUT_MS = 1_000;

/**
 * Load goes to nginx's address on the run's network when the host reaches it
 * (Linux: the bridge is a local interface), else to the published port.
 * The published port passes through docker-proxy, a userland copy loop that
 * is not part of the system under test and stalled for 25-250 ms under
 * 3-5k req/s on two cores (p99 send lag 24-58 ms through it, 1.6-2.3 ms
 * direct, same target, same run).
 */
export async function loadEntry(
  publishedUrl: string,
  address: string | undefined,
  /** The container port, and a path whose answer (`expectBody`) tells our nginx apart from anything else at that address. */
  { port, probePath, expectBody }: { port: number; probePath: string; expectBody: string },
): Promise<LoadEntry> {
  // only a local engine's bridge is this machine's: with a remote DOCKER_HOST that address could be anyone's
  if (address && engineIsLocal()) {
    const url = `http://${address}:${port}`;
    const res = await fetch(`${url}${probePath}`, {
      signal: AbortSignal.timeout(ENTRY_PROBE_TIMEOUT_MS),
      headers: { connection: "close" },
    }).catch(() => undefined);
    const body = res ? await res.text().catch(() => undefined) : undefined;
    // the same answer as through the published port, or it is not our nginx
    if (res?.ok && body === expectBody) return { url, path: "run-network", published_url: publishedUrl };
  }
  return { url: publishedUrl, path: "published-port", published_url: publishedUrl };
}

/** loadEntry for a started container: its address on `network` (the run's own), else its published URL. */
export async function containerLoadEntry(
  docker: Docker,
  containerId: string,
  network: string,
  publishedUrl: string,
  probe: { port: number; probePath: string; expectBody: string },
): Promise<LoadEntry> {
  const info = await docker.getContainer(containerId).inspect();
  return loadEntry(publishedUrl, info.NetworkSettings.Networks[network]?.IPAddress, probe);
}

function engineIsLocal(): boolean {
  const host = process.env.DOCKER_HOST;
  return host === undefined || host === "" || host.startsWith("unix://");
}

import type Docker from "dockerode";
import { LABEL_MANAGED, LABEL_OWNER_PID } from "../env/labels.ts";

export interface SweepResult {
  containers: number;
  networks: number;
}

/**
 * Removes drainlab's containers and networks. With `onlyOrphans`, only those
 * whose creating process is gone (left by a crash or a kill -9), so a sweep
 * at the start of a run never touches a run that is still going.
 */
export async function sweep(
  docker: Docker,
  { onlyOrphans = false, ownerPid }: { onlyOrphans?: boolean; ownerPid?: number } = {},
): Promise<SweepResult> {
  const filters = JSON.stringify({
    label: [`${LABEL_MANAGED}=true`, ...(ownerPid === undefined ? [] : [`${LABEL_OWNER_PID}=${ownerPid}`])],
  });
  const orphaned = (labels: Record<string, string> | undefined) => !onlyOrphans || !processAlive(Number(labels?.[LABEL_OWNER_PID]));
  const containers = (await docker.listContainers({ all: true, filters })).filter((c) => orphaned(c.Labels));
  await Promise.all(
    containers.map((c) =>
      docker
        .getContainer(c.Id)
        .remove({ force: true, v: true })
        .catch(() => {}),
    ),
  );
  const networks = (await docker.listNetworks({ filters })).filter((n) => orphaned(n.Labels));
  await Promise.all(
    networks.map((n) =>
      docker
        .getNetwork(n.Id)
        .remove()
        .catch(() => {}),
    ),
  );
  return { containers: containers.length, networks: networks.length };
}

function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

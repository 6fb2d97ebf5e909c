/** Everything drainlab creates carries these labels, so `drainlab clean` and later runs can sweep it. */
export const LABEL_MANAGED = "dev.drainlab.managed";
export const LABEL_RUN_ID = "dev.drainlab.run-id";
export const LABEL_ROLE = "dev.drainlab.role";

export function runLabels(runId: string, role: string): Record<string, string> {
  return { [LABEL_MANAGED]: "true", [LABEL_RUN_ID]: runId, [LABEL_ROLE]: role };
}
/** The process that created it; a later run sweeps what a dead process left behind. */
export const LABEL_OWNER_PID = "dev.drainlab.owner-pid";

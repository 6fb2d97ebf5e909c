import type { Fault, FaultKind } from "../scenario/fault-schema.ts";
import { healthRemoval } from "./health-removal.ts";
import { killNode } from "./kill-node.ts";
import { killWorker } from "./kill-worker.ts";
import { markDraining } from "./mark-draining.ts";
import { netem } from "./netem.ts";
import { pauseNode } from "./pause-node.ts";
import { reloadStorm } from "./reload-storm.ts";
import type { FaultDefinition } from "./types.ts";

/** Every fault kind a scenario's `faults:` list may name, one file each. */
export const FAULTS: { [K in FaultKind]: FaultDefinition<Extract<Fault, { kind: K }>> } = {
  "kill-worker": killWorker,
  "kill-node": killNode,
  "pause-node": pauseNode,
  netem,
  "reload-storm": reloadStorm,
  "mark-draining": markDraining,
  "health-removal": healthRemoval,
};

export function faultDefinition(kind: FaultKind): FaultDefinition {
  return FAULTS[kind] as unknown as FaultDefinition;
}

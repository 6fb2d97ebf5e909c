import type { Scenario } from "./schema.ts";
import { nodeName } from "./topology.ts";

/** The nodes that get CAP_NET_ADMIN: only a network fault's target, so tc, iptables and ss -K work there and nowhere else. */
export function netAdminTargets(scenario: Scenario): string[] {
  const targets = scenario.faults.filter((f) => f.kind === "netem").map((f) => nodeName(f.target));
  return [...new Set(targets)];
}

import type { FaultOf } from "../scenario/fault-schema.ts";
import { nodeName } from "../scenario/topology.ts";
import type { FaultDefinition } from "./types.ts";

type MarkDraining = FaultOf<"mark-draining">;

/** The node starts answering 503 on /health (the app's drain flag), and nothing else: what a health-driven controller must act on. */
export const markDraining: FaultDefinition<MarkDraining> = {
  kind: "mark-draining",
  async run({ stack, timeline }, fault) {
    const target = nodeName(fault.target);
    const code = await stack.markDraining(target);
    const e = timeline.add("fault-mark-draining", { target, ok: code === 0 });
    return {
      kind: "mark-draining",
      target,
      start_ms: e.t_ms,
      end_ms: e.t_ms,
      params: fault,
      error: code === 0 ? null : `flagging ${target} draining exited ${code}`,
      measurements: {},
    };
  },
  summarize: () => "marked draining",
};

import type { Command } from "commander";
import { register as registerDoctor } from "./doctor-command.ts";
import { registerInit } from "./init-command.ts";
import { register as registerLint } from "./lint-command.ts";
import { register as registerLoadShard } from "./load-shard-command.ts";
import { register as registerMatrix } from "./matrix-command.ts";
import type { CommandState } from "./options.ts";
import { register as registerSoak } from "./soak-command.ts";
import { register as registerTune } from "./tune-command.ts";

/** init, lint, matrix, tune, soak, doctor, load-shard and shard-spec: each in its own file, registered on the drainlab program. */
export function registerCommands(program: Command, state: CommandState): void {
  registerInit(program);
  registerLint(program, state);
  registerMatrix(program, state);
  registerTune(program, state);
  registerSoak(program, state);
  registerDoctor(program, state);
  registerLoadShard(program, state);
}

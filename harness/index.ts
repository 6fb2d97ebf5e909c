// drainlab's library API: the pipeline stages and the plain data between them.
export { ExitCode, DrainlabError, UsageError, EnvironmentError } from "./errors.ts";
export { Scenario, scenarioJsonSchema } from "./scenario/schema.ts";
export { loadScenario, validateScenario } from "./scenario/load-scenario.ts";
export { ensureEngine } from "./env/engine.ts";
export { ensureImages, type Images } from "./env/images.ts";
export { startStack, Stack, type AppNode } from "./stack/stack.ts";
export { sweep } from "./stack/sweep.ts";
export { runLoad, type LoadResult, type GeneratorStats } from "./load/generator.ts";
export { Ledger, type LedgerRow } from "./load/ledger.ts";
export { ConstantRatePacer } from "./load/pacer.ts";
export { runDrain, type DrainRecord } from "./drain/drain.ts";
export { timeoutChain, type TimeoutChain } from "./drain/timeout-chain.ts";
export { Timeline, type TimelineEvent } from "./drain/timeline.ts";
export { judge, CHECKS } from "./verdict/checks.ts";
export type { CheckResult, Records } from "./verdict/records.ts";
export type { Report } from "./report/report.ts";
export { renderTerminal } from "./report/terminal.ts";
export { runScenario, type RunOptions, type RunResult } from "./run.ts";

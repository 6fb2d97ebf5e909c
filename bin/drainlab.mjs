#!/usr/bin/env node
// The drainlab command. TypeScript sources run through tsx's loader, so there is no build step.
import { register } from "tsx/esm/api";

register();
const { main } = await import("../harness/cli.ts");
process.exitCode = await main(process.argv.slice(2));
// Everything is written by now. A call to a Docker engine that died mid-run may never return and
// would keep the process alive; an unref'd timer fires only in that case.
setTimeout(() => process.exit(), 3_000).unref();

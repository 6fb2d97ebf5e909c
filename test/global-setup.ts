import { ensureEngine } from "../harness/env/engine.ts";
import { ensureImages } from "../harness/env/images.ts";

/** Container tests never skip quietly: no engine and no way to start one is a failure. */
export default async function setup(): Promise<void> {
  const docker = await ensureEngine((line) => process.stderr.write(`${line}\n`));
  await ensureImages(docker, (line) => process.stderr.write(`${line}\n`));
}

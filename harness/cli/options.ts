import { LiveProgress } from "../report/progress.ts";
import type { RunProgress } from "../report/reporter.ts";
import { logLine } from "../util/text.ts";

/** Commander collector for repeatable options (--set, --grid). */
export const collect = (value: string, previous: string[]) => [...previous, value];

/** Progress and log lines go to stderr; results to stdout. */
export const err = logLine;

/**
 * A progress line shared by every run of a matrix or tune: log lines and
 * per-run events clear it first, so they never land in the middle of it.
 */
export function runsProgress(): {
  progress: LiveProgress;
  log: (line: string) => void;
  say: (line: string) => void;
  onProgress: (p: RunProgress) => void;
} {
  const progress = new LiveProgress({ plainIntervalMs: 5000 });
  const say = (line: string) => {
    progress.done();
    err(line);
  };
  return { progress, log: say, say, onProgress: (p) => progress.update(p) };
}

/** What a subcommand may change in the drainlab command that runs it. */
export interface CommandState {
  setExitCode(code: number): void;
}

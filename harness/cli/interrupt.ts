import { DrainlabError, ExitCode } from "../util/errors.ts";

/**
 * Runs work that starts containers with Ctrl-C (and SIGTERM) turned into an
 * abort: the current run tears its stack down, the caller writes what it has,
 * and the command exits 130. A second signal is ignored while that happens.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>, err: (line: string) => void): Promise<T> {
  const abort = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (abort.signal.aborted) return;
    err(`\n${sig}: stopping the current run and tearing its stack down ...`);
    abort.abort(
      new DrainlabError(`interrupted by ${sig}; everything started was removed, and the results so far were written`, ExitCode.interrupted),
    );
  };
  process.on("SIGINT", onSignal).on("SIGTERM", onSignal);
  try {
    return await work(abort.signal);
  } finally {
    process.off("SIGINT", onSignal).off("SIGTERM", onSignal);
  }
}

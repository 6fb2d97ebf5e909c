/**
 * The run as a list of tasks, each with its teardown (Playwright's task
 * runner is the model): tasks run in order; the teardowns of every task that
 * started run in reverse order afterwards, also when a task throws or the run
 * is aborted, and a failing teardown never hides the error that ended the run.
 */
export interface Task<C> {
  title: string;
  run(ctx: C, signal: AbortSignal | undefined): Promise<void> | void;
  /** Undoes what run started; called once, also when run itself threw part-way. */
  teardown?(ctx: C): Promise<void> | void;
}

export async function runTasks<C>(
  tasks: Task<C>[],
  ctx: C,
  options: { signal?: AbortSignal; onTask?: (title: string) => void } = {},
): Promise<void> {
  const started: Task<C>[] = [];
  let failure: { error: unknown } | null = null;
  try {
    for (const task of tasks) {
      options.signal?.throwIfAborted();
      options.onTask?.(task.title);
      started.push(task);
      await task.run(ctx, options.signal);
    }
  } catch (error) {
    failure = { error };
  }
  const teardownErrors: unknown[] = [];
  for (const task of started.reverse()) {
    try {
      await task.teardown?.(ctx);
    } catch (error) {
      teardownErrors.push(error);
    }
  }
  if (failure) throw failure.error;
  if (teardownErrors.length > 0) throw teardownErrors[0];
}

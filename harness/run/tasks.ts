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

/** An earlier task's output, read by a later task: the tasks run in order, so one missing here is drainlab's own bug, not the user's. */
export function need<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`drainlab: ${what} read before the task that makes it ran`);
  return value;
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

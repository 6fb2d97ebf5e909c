/** What bisection needs of one run; a real run's summary carries more. */
export interface Outcome {
  pass: boolean;
}

/** Every run made at one value, in order. */
export interface Probe<T extends Outcome> {
  value: number;
  /** 1-based: the order in which values were probed. */
  order: number;
  outcomes: T[];
  /** Only when every one of `repeats` runs passed; the first failing run ends the probe. */
  pass: boolean;
}

export interface BisectResult<T extends Outcome> {
  /** null: no value of the grid passed (the top included). */
  smallestPassing: number | null;
  /** The largest value seen to fail; null if none failed. */
  largestFailing: number | null;
  /** Probed values, in the order probed. */
  probes: Array<Probe<T>>;
}

export interface BisectOptions {
  /** Runs a value needs, all passing, to count as passing. */
  repeats: number;
  /** Told after each run, e.g. for a progress line. */
  onRun?: (value: number, repeat: number, outcome: Outcome) => void;
}

/**
 * Finds the smallest value of a sorted grid that passes, assuming that a value
 * that passes means every larger one would too (a longer graceful limit cuts
 * nothing a shorter one kept).
 *
 * Timing is noisy in one direction: a value just below the boundary can pass
 * by luck (no long request in flight at the SIGTERM), but a run that lost a
 * request is proof the value is too small. So a probe stops at its first
 * failing run, and counts as passing only after `repeats` passing runs. Since
 * the search closes in on the boundary, that is where the repeats are spent.
 * Each value is probed at most once.
 */
export async function bisect<T extends Outcome>(
  values: number[],
  runCell: (value: number, repeat: number) => Promise<T>,
  options: BisectOptions,
): Promise<BisectResult<T>> {
  const repeats = Math.max(1, Math.floor(options.repeats));
  const probes: Array<Probe<T>> = [];
  // invariant: values[lo] failed (or lo = -1), values[hi] passed (or hi = length)
  let lo = -1;
  let hi = values.length;
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const value = values[mid]!;
    const probe: Probe<T> = { value, order: probes.length + 1, outcomes: [], pass: false };
    probes.push(probe);
    for (let repeat = 1; repeat <= repeats; repeat++) {
      const outcome = await runCell(value, repeat);
      probe.outcomes.push(outcome);
      options.onRun?.(value, repeat, outcome);
      if (!outcome.pass) break;
    }
    probe.pass = probe.outcomes.length === repeats && probe.outcomes.every((o) => o.pass);
    if (probe.pass) hi = mid;
    else lo = mid;
  }
  return {
    smallestPassing: hi < values.length ? values[hi]! : null,
    largestFailing: lo >= 0 ? values[lo]! : null,
    probes,
  };
}

/**
 * What N runs of a drain say about the rate of runs that lose something: the
 * exact (Clopper-Pearson) binomial bounds, so "passed 20 of 20" reads as "a
 * loss occurs in fewer than 14% of drains" at 95% confidence, never as "0%".
 */

/** P(X <= k) for X ~ Binomial(n, p), summed in log space so n up to thousands stays exact enough. */
function binomialCdf(k: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return k >= n ? 1 : 0;
  let logTerm = n * Math.log1p(-p); // i = 0
  let sum = Math.exp(logTerm);
  for (let i = 1; i <= k; i++) {
    logTerm += Math.log((n - i + 1) / i) + Math.log(p) - Math.log1p(-p);
    sum += Math.exp(logTerm);
  }
  return Math.min(1, sum);
}

/** The p in [0, 1] where a decreasing f crosses `target`, by bisection (60 halvings: far below any shown digit). */
function solveDecreasing(f: (p: number) => number, target: number): number {
  let lo = 0;
  let hi = 1;
  for (let i = 0; i < 60; i++) {
    const mid = (lo + hi) / 2;
    if (f(mid) > target) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** One-sided upper bound on the rate, `failures` of `runs` observed, at `confidence` (default 95%). */
export function rateUpperBound(failures: number, runs: number, confidence = 0.95): number {
  check(failures, runs);
  if (failures >= runs) return 1;
  return solveDecreasing((p) => binomialCdf(failures, runs, p), 1 - confidence);
}

/** One-sided lower bound on the rate at `confidence`. */
export function rateLowerBound(failures: number, runs: number, confidence = 0.95): number {
  check(failures, runs);
  if (failures === 0) return 0;
  // P(X >= failures) = 1 - P(X <= failures - 1) rises with p: solve P(X <= failures - 1) = confidence
  return solveDecreasing((p) => binomialCdf(failures - 1, runs, p), confidence);
}

function check(failures: number, runs: number): void {
  if (!Number.isInteger(runs) || runs < 1 || !Number.isInteger(failures) || failures < 0 || failures > runs)
    throw new RangeError(`rate bound: ${failures} of ${runs} runs`);
}

/** A rate as a percentage a reader can quote: two significant digits, "<0.1%" below that. */
export function percent(rate: number): string {
  const pct = rate * 100;
  if (pct >= 99.95) return "100%";
  if (pct < 0.1) return pct === 0 ? "0%" : "<0.1%";
  return `${pct >= 10 ? pct.toFixed(0) : pct.toFixed(1)}%`;
}

/**
 * The sentence for a repeat: "passed 20 of 20: a loss occurs in fewer than 14% of drains (95% upper bound)",
 * or with failures, the observed share and its 95% bounds (one-sided 97.5% each, a two-sided 95% interval).
 */
export function rateSentence(failures: number, runs: number, what = "a loss occurs", per = "drains"): string {
  const passed = runs - failures;
  if (failures === 0)
    return `passed ${passed} of ${runs}: ${what} in fewer than ${percent(rateUpperBound(0, runs))} of ${per} (95% upper bound)`;
  const lo = rateLowerBound(failures, runs, 0.975);
  const hi = rateUpperBound(failures, runs, 0.975);
  return `failed ${failures} of ${runs}: ${what} in ${percent(failures / runs)} of these ${per}, between ${percent(lo)} and ${percent(hi)} of all (95% interval)`;
}

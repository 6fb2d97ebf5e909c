import { generatorShortfall } from "../figures/generator-limits.ts";
import type { GeneratorStats } from "../records/generator-stats.ts";
import type { CheckOutcome } from "../records/records.ts";
import type { Scenario } from "../scenario/schema.ts";

export const GENERATOR_CHECK = "generator-kept-up";

/**
 * generator-kept-up: the load left when it was meant to. A saturated client
 * (its event loop always busy, requests written late, or fewer per second
 * than scheduled) makes a slow server and a slow client look alike, so such
 * a run is not trustworthy and must not pass.
 */
export function generatorCheck(stats: GeneratorStats, scenario: Scenario): CheckOutcome {
  const whole = judgeGenerator(stats, scenario);
  if (!stats.shards?.length) return whole;
  // a sharded load: the whole and each shard (one shard behind its part of the schedule skews its requests)
  const behind = stats.shards.map((s, i) => ({ shard: s.shard ?? i, r: judgeGenerator(s, scenario) })).filter((x) => !x.r.ok);
  const shardsLine = `${stats.shards.length} shards`;
  if (behind.length === 0) return { ...whole, detail: `${whole.detail} (${shardsLine}, each kept up)` };
  const names = behind.map((b) => `shard ${b.shard}`).join(", ");
  return {
    ...whole,
    ok: false,
    observed: `${whole.observed}; ${names} fell behind`,
    detail: `${whole.ok ? `the whole load kept up, but ${names} of ${shardsLine} fell behind its part of the schedule, so this run's latencies and gaps are not trustworthy` : whole.detail}: ${behind.map((b) => `shard ${b.shard}: ${b.r.detail}`).join("; ")}`,
  };
}

function judgeGenerator(stats: GeneratorStats, scenario: Scenario): CheckOutcome {
  // the limits and their defaults live in the scenario schema (checks.generator)
  const limits = scenario.checks.generator;
  const lag = stats.sendLagMs.p99;
  const busy = stats.eventLoopBusyShare;
  const open = stats.mode !== "closed";
  const short = generatorShortfall(stats, limits);
  const problems: string[] = [];
  if (short.late) problems.push(`requests were written up to ${ms(lag)} late (p99; max ${ms(stats.sendLagMs.max)})`);
  if (short.busy) problems.push(`its event loop was busy ${pct(busy)} of the time (CPU ${pct(stats.cpuShareOfOneCore)} of a core)`);
  if (short.short)
    problems.push(`it sent ${rate(stats.sentRatePerS)} of the ${rate(stats.intendedRatePerS)} scheduled (${pct(short.rateShare)})`);
  const capped = stats.maxWaitingForConnection > 0 && stats.maxInFlight >= stats.maxConnections;
  const why = capped
    ? `; all ${stats.maxConnections} connections were in use and up to ${stats.maxWaitingForConnection} requests waited for one (raise load.max_connections, or the server is too slow for this rate)`
    : short.busy
      ? "; the client had no time left: lower load.rate_per_s or give the generator a core of its own"
      : short.late
        ? `; its own event loop was busy only ${pct(busy)} of the time, so it waited for a CPU that something else held (the stack under test or another process on the machine)${niceOf(stats)}: run it on a quieter machine or give the generator a core of its own`
        : "";
  return {
    name: GENERATOR_CHECK,
    ok: problems.length === 0,
    observed: `lag p99 ${ms(lag)}, loop ${pct(busy)} busy${open ? `, ${rate(stats.sentRatePerS)}` : ""}`,
    expected: `lag p99 <= ${ms(limits.max_send_lag_p99_ms)}, loop <= ${pct(limits.max_event_loop_busy)} busy${open ? `, >= ${pct(limits.min_rate_share)} of ${rate(stats.intendedRatePerS)}` : ""}`,
    detail:
      problems.length === 0
        ? `the generator kept up: send lag p50/p99/max ${ms(stats.sendLagMs.p50)}/${ms(lag)}/${ms(stats.sendLagMs.max)}, CPU ${pct(stats.cpuShareOfOneCore)} of a core, ${stats.maxInFlight} in flight at most`
        : `the generator fell behind its schedule, so this run's latencies and gaps are not trustworthy: ${problems.join("; ")}${why}`,
  };
}

function niceOf(stats: GeneratorStats): string {
  if (stats.nice === undefined) return "";
  const session =
    stats.sessionNice === undefined
      ? ""
      : `, its session's autogroup at ${stats.sessionNice}${stats.sessionNiceNote ? ` (${stats.sessionNiceNote})` : ""}`;
  return ` while it ran at nice ${stats.nice}${stats.niceNote ? ` (${stats.niceNote})` : ""}${session}`;
}

function ms(x: number): string {
  return `${x < 10 ? Math.round(x * 1000) / 1000 : Math.round(x * 10) / 10} ms`;
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function rate(x: number): string {
  return `${Math.round(x * 10) / 10} req/s`;
}

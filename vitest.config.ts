import { defineConfig } from "vitest/config";

// Unit tests whose assertions measure time on this machine (a generator's send rate and lag, a ticker's wake-ups,
// monotonic readings a few µs apart, a session's pauses): they run one file at a time after the others, never
// beside hostile-input's dozens of processes.
const TIMED_UNIT = [
  "harness/load/generator.test.ts",
  "harness/load/shards.test.ts",
  "harness/load/shard-output.test.ts",
  "harness/load/sessions.test.ts",
  "harness/load/ticker.test.ts",
  "harness/clock/wall-clock.test.ts",
  "harness/clock/timeline.test.ts",
];

// Three projects in turn: `unit` (plain data, no Docker, two files at a time: vitest's default on a 2-core machine
// is one), `unit-timed` (the timed ones above, alone) and `container` (the real stack, one file at a time). `npm test`
// runs all three; the container project's global set-up starts `drainlab setup` (engine, images) in the background
// while the unit tests run.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // unit tests first, without a drain: their CPU (hostile-input spawns dozens of processes) must not share
          // the two cores with a drain being timed
          sequence: { groupOrder: 0 },
          include: ["harness/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.container.test.ts", "**/node_modules/**", ...TIMED_UNIT],
          maxWorkers: 2,
          // several start drainlab as a process (tsx, 1-2 s idle): a busy machine must slow them, not fail them
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "unit-timed",
          sequence: { groupOrder: 1 },
          include: TIMED_UNIT,
          fileParallelism: false,
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "container",
          sequence: { groupOrder: 2 },
          include: ["harness/**/*.container.test.ts", "test/**/*.container.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // one stack at a time: runs share two cores and their timing is what is measured
          fileParallelism: false,
          // drainlab setup in the background while the unit tests run; each file waits for it to end
          globalSetup: ["test/global-setup.ts"],
          setupFiles: ["test/await-setup.ts"],
        },
      },
    ],
  },
});

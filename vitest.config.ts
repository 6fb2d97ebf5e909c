import { defineConfig } from "vitest/config";

// Two projects: `unit` (plain data, fast, no Docker) and `container` (the real
// stack). `npm test` runs both; the container project's global set-up starts
// `drainlab setup` (engine, images) in the background while the unit tests run.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          // unit tests first, alone: their CPU (hostile-input spawns dozens of processes) must not share the
          // two cores with a drain being timed
          sequence: { groupOrder: 0 },
          include: ["harness/**/*.test.ts", "examples/**/*.test.ts", "bench/**/*.test.ts"],
          exclude: ["**/*.container.test.ts", "**/node_modules/**"],
          // several start drainlab as a process (tsx, 1-2 s idle): a busy machine must slow them, not fail them
          testTimeout: 60_000,
        },
      },
      {
        test: {
          name: "container",
          sequence: { groupOrder: 1 },
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

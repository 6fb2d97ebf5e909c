import { defineConfig } from "vitest/config";

// Two projects: `unit` (plain data, fast, no Docker) and `container` (the real
// stack). `npm test` runs both after `drainlab setup` has an engine and images.
export default defineConfig({
  test: {
    projects: [
      {
        test: {
          name: "unit",
          include: ["harness/**/*.test.ts"],
          exclude: ["**/*.container.test.ts", "**/node_modules/**"],
        },
      },
      {
        test: {
          name: "container",
          include: ["harness/**/*.container.test.ts", "test/**/*.container.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 180_000,
          // one stack at a time: runs share two cores and their timing is what is measured
          fileParallelism: false,
          globalSetup: ["test/global-setup.ts"],
        },
      },
    ],
  },
});

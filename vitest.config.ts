import { defineConfig } from "vitest/config";

// Tests run real `bun build --compile` processes (100 MB executables): generous
// timeouts, and at most two test files at a time on a 2-core machine.
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});

import { defineConfig } from "vitest/config";

// Tests run real `bun build --compile` processes (100 MB executables): generous
// timeouts, and at most two test files at a time on a 2-core machine. globalSetup gives the run
// one shared folder, where test files share the npm tarball and fixture builds (test/shared.ts).
export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/global-setup.ts"],
    testTimeout: 180_000,
    hookTimeout: 300_000,
    pool: "forks",
    maxWorkers: 2,
    reporters: ["default"],
  },
});

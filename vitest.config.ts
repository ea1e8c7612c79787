import path from "node:path";
import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * The longest test files, longest first (seconds per file on 2 cores, measured with the JSON
 * reporter). With two workers the run ends when the last long file ends: starting them first lets
 * the many short files fill in beside them. Without this, vitest orders by its cache of earlier
 * runs, which a fresh clone (and CI) does not have, and then by file size, which puts these late.
 * A file missing here only runs later; a renamed one is worth adding back.
 */
const LONGEST_FIRST = [
  "init-projects-build.test.ts", // ~150 s: four first-run stories, each with a clean-room parity
  "package.test.ts", // ~110 s: needs no npm pack, so it runs while the first file makes one
  "init-projects-cli.test.ts", // ~140 s
  "init.test.ts", // ~130 s
  "parity.test.ts",
  "bun-versions.test.ts",
  "build.test.ts",
  "clean-room.test.ts",
  "explain.test.ts",
  "security.test.ts",
  "smoke-compare.test.ts",
  "reuse-key.test.ts",
];

class LongestFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification) => {
      const i = LONGEST_FIRST.indexOf(path.relative(path.join(f.project.config.root, "test"), f.moduleId));
      return i === -1 ? LONGEST_FIRST.length : i;
    };
    // Array.prototype.sort is stable: the rest keep vitest's own order.
    return (await super.sort(files)).sort((a, b) => rank(a) - rank(b));
  }
}

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
    sequence: { sequencer: LongestFirst },
  },
});

// What `--source` uploads: SOURCE_IGNORE applied with the rules of Dagger's upload filter
// (test/dagger/patternmatcher.ts) to a sample tree made of the repository's files plus the files a
// developer's checkout has that git ignores. The expected answer comes from git itself
// (`git check-ignore` against the repository's .gitignore files), plus .git, which git never lists.
// It needs the git program, not a checkout: in the Dagger test container the source comes without
// .git, so the files are listed by walking the tree and git reads copies of the .gitignore files.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

import { afterAll, describe, expect, it } from "vitest";

import { SOURCE_IGNORE } from "../../dagger/src/toolchain.ts";
import { compilePatterns, isExcluded } from "./patternmatcher.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const git = (cwd: string, args: string[], input?: string) =>
  execFileSync("git", args, { cwd, encoding: "utf8", ...(input === undefined ? {} : { input }) });

/** The repository's files: what git tracks in a checkout; else every file, without installs and build output. */
function repositoryFiles(): string[] {
  if (existsSync(path.join(ROOT, ".git"))) return git(ROOT, ["ls-files"]).split("\n").filter(Boolean);
  const out: string[] = [];
  const walk = (dir: string, rel: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      if (["node_modules", "dist", "lib", "coverage", "test-results", ".git"].includes(entry.name)) continue;
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      if (entry.isDirectory()) walk(path.join(dir, entry.name), relPath);
      else out.push(relPath);
    }
  };
  walk(ROOT, "");
  return out.sort();
}

/** A scratch repository holding only copies of the .gitignore files, for `git check-ignore --no-index`. */
const oracle = mkdtempSync(path.join(tmpdir(), "source-ignore-"));
afterAll(() => rmSync(oracle, { recursive: true, force: true }));

/** Files a working checkout has besides the tracked ones: installs, build output, caches, secrets. */
const UNTRACKED_SAMPLES = [
  "node_modules/bun/package.json",
  "node_modules/.bin/just",
  "test/fixtures/hello/node_modules/left-pad/index.js",
  "test/fixtures/security/audit/node_modules/left-pad/package.json",
  "dagger/node_modules/typescript/package.json",
  "dagger/sdk/index.ts",
  "dagger/sdk/core.js",
  "dist/bun-parity-linux-x64",
  "dist/SHA256SUMS",
  "dist/.bun-parity-staging/linux-x64/out",
  "dist/dagger/bun-parity-linux-arm64",
  "test/fixtures/hello/dist/hello-linux-x64",
  "lib/cli.js",
  "lib/security/leaks.d.ts",
  "coverage/index.html",
  "test-results/vitest.json",
  "tsconfig.tsbuildinfo",
  "dagger/tsconfig.tsbuildinfo",
  ".git/HEAD",
  ".git/objects/ab/cdef0123",
  // Not ignored by git, so uploaded: build inputs and look-alikes of ignored names.
  ".env",
  ".env.production.local",
  "test/fixtures/hello/.env",
  "verify/distribution.ts",
  "verify/lib.ts",
  "libs/notes.md",
  "docs/node_modules.md",
];

function gitIgnored(files: string[], paths: string[]): Set<string> {
  git(oracle, ["init", "-q"]);
  for (const ignore of files.filter((f) => path.posix.basename(f) === ".gitignore")) {
    mkdirSync(path.join(oracle, path.posix.dirname(ignore)), { recursive: true });
    cpSync(path.join(ROOT, ignore), path.join(oracle, ignore));
  }
  // --no-index: decide from the .gitignore files alone, for paths that do not exist there.
  let out: string;
  try {
    out = git(oracle, ["check-ignore", "--no-index", "--stdin"], paths.join("\n") + "\n");
  } catch (error) {
    // Exit 1: none of the paths is ignored.
    out = String((error as { stdout?: string }).stdout ?? "");
  }
  return new Set(out.split("\n").filter(Boolean));
}

describe("the --source upload (SOURCE_IGNORE under Dagger's anchored matcher)", () => {
  const tracked = repositoryFiles();
  const sample = [...tracked, ...UNTRACKED_SAMPLES];
  const ignoredByGit = gitIgnored(tracked, sample);

  it("leaves out exactly what git ignores, plus .git, on the repository's files and a checkout's untracked ones", () => {
    expect(tracked.length).toBeGreaterThan(100);
    expect(tracked).toEqual(expect.arrayContaining([".gitignore", "dagger/.gitignore"]));
    const expected = sample.filter((p) => ignoredByGit.has(p) || p === ".git" || p.startsWith(".git/")).sort();
    const compiled = compilePatterns(SOURCE_IGNORE);
    const excluded = sample.filter((p) => isExcluded(compiled, p)).sort();
    expect(excluded).toEqual(expected);
    // The oracle is not empty and not everything: nested installs and build output are in it.
    expect(expected).toEqual(expect.arrayContaining(["test/fixtures/hello/node_modules/left-pad/index.js", "lib/cli.js", "test/fixtures/hello/dist/hello-linux-x64"]));
    expect(expected).not.toContain(".env");
  });

  it("the anchored matcher: a bare name is the top-level entry only, ** reaches any depth, a leading / nothing", () => {
    expect(isExcluded(["node_modules"], "node_modules/x/index.js")).toBe(true);
    expect(isExcluded(["node_modules"], "test/fixtures/hello/node_modules/x/index.js")).toBe(false);
    expect(isExcluded(["**/node_modules"], "test/fixtures/hello/node_modules/x/index.js")).toBe(true);
    expect(isExcluded(["**/node_modules"], "node_modules/x/index.js")).toBe(true);
    expect(isExcluded(["**/node_modules"], "docs/node_modules.md")).toBe(false);
    expect(isExcluded(["*.tsbuildinfo"], "dagger/tsconfig.tsbuildinfo")).toBe(false);
    expect(isExcluded(["**/*.tsbuildinfo"], "dagger/tsconfig.tsbuildinfo")).toBe(true);
    expect(isExcluded(["/dist"], "dist/x")).toBe(false);
    expect(isExcluded(["./dist/"], "dist/x")).toBe(true);
    expect(isExcluded(["dist/**"], "dist/a/b")).toBe(true);
    expect(isExcluded(["**", "!verify/**"], "verify/cli.ts")).toBe(false);
    expect(isExcluded(["**", "!verify/**"], "docs/ci.md")).toBe(true);
    expect(isExcluded(["src/?.ts"], "src/a.ts")).toBe(true);
    expect(isExcluded(["src/?.ts"], "src/ab.ts")).toBe(false);
  });

  it("the list the module had before missed nested installs, lib/ and nested build info", () => {
    const before = ["node_modules", "dist", ".bun-parity-staging", ".git", "dagger/sdk", "coverage", "test-results", "*.tsbuildinfo"];
    const uploaded = UNTRACKED_SAMPLES.filter((p) => ignoredByGit.has(p) && !isExcluded(before, p));
    expect(uploaded).toEqual([
      "test/fixtures/hello/node_modules/left-pad/index.js",
      "test/fixtures/security/audit/node_modules/left-pad/package.json",
      "dagger/node_modules/typescript/package.json",
      "test/fixtures/hello/dist/hello-linux-x64",
      "lib/cli.js",
      "lib/security/leaks.d.ts",
      "dagger/tsconfig.tsbuildinfo",
    ]);
  });
});

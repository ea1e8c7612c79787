// The first-run story on projects built the way real Bun CLIs are built, shared by the
// init-projects-*.test.ts files (two files, so the two test workers run these long flows side by
// side): install the packed bun-parity, `bun-parity init`, `npm install`, `just build-all`,
// `bun verify parity --reference clean-room`, `bun verify smoke`, and the executable behaves like
// `bun <entry>`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { expect } from "vitest";
import { CLI_ENV, REPO, copyFixture, tempDir } from "./helpers.ts";

// The project's own installed Bun compiles (no BUN_PARITY_BUN override), as for a user.
const { BUN_PARITY_BUN: _bun, BUN_PARITY_CLI: _cli, ...userEnv } = { ...process.env, ...CLI_ENV };
// npm's cache already holds every package these projects install: prefer-offline skips asking the
// registry again whether each is still current (the clean room's own install is left as it is).
export const env = { ...userEnv, npm_config_audit: "false", npm_config_fund: "false", npm_config_prefer_offline: "true" };

export async function run(cwd: string, command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const result = await execa(command, args, { cwd, env: { ...env, ...extraEnv }, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.exitCode}:\n${result.all}`);
  return String(result.all);
}

/** A fixture as a user's git checkout with the packed bun-parity (the .tgz at `tarball`) installed. */
export async function checkout(fixture: string, tarball: string): Promise<string> {
  const dir = copyFixture(path.join("init", fixture));
  // The fixture copy carries the repo's runtime lock; a user's project has none before init.
  await execa("rm", ["-f", path.join(dir, "bun-runtimes.lock.json")]);
  // A user's checkout ignores node_modules: committed, its ~200 MB would be hashed by every
  // `git add` and copied into the clean room, which installs its own anyway.
  const ignore = path.join(dir, ".gitignore");
  const ignored = existsSync(ignore) ? readFileSync(ignore, "utf8") : "";
  if (!/^\/?node_modules\/?$/m.test(ignored)) writeFileSync(ignore, `${ignored}${ignored && !ignored.endsWith("\n") ? "\n" : ""}node_modules/\n`);
  await run(dir, "git", ["init", "-q"]);
  await run(dir, "git", ["add", "-A"]);
  await run(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "the project"]);
  await run(dir, "npm", ["install", "--save-dev", "--no-audit", "--no-fund", tarball]);
  await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
  return dir;
}

/** After init: install what it added, then commit (the clean room rebuilds the committed state). */
export async function installAndCommit(dir: string): Promise<void> {
  await run(dir, "npm", ["install", "--no-audit", "--no-fund"]);
  await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
  await run(dir, "git", ["add", "-A"]);
  await run(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "bun-parity init"]);
}

export const just = (dir: string) => path.join(dir, "node_modules", ".bin", "just");
export const exe = (dir: string, outDir: string, name: string) => path.join(dir, outDir, `${name}-linux-x64`);
export const readTargets = (dir: string) => JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8"));

export async function parityPasses(dir: string, ids: string[]): Promise<void> {
  const parity = await execa("npx", ["bun", "verify", "parity", "--reference", "clean-room", "--json"], { cwd: dir, env, reject: false });
  expect(parity.exitCode, String(parity.stderr).slice(-3000)).toBe(0);
  const report = JSON.parse(String(parity.stdout)) as { rows: { target: string; verdict: string }[] };
  expect(report.rows.map((r) => [r.target, r.verdict])).toEqual(ids.map((id) => [id, "identical"]));
}

/** `bun verify smoke`: the cases init wrote (all compare with the source) pass on these targets. */
export async function smokePasses(dir: string, ids: string[], cases: string[]): Promise<void> {
  const smoke = await execa("npx", ["bun", "verify", "smoke", "--json", ...ids.flatMap((id) => ["--target", id])], { cwd: dir, env, reject: false });
  expect(smoke.exitCode, String(smoke.stderr).slice(-3000)).toBe(0);
  const results = (JSON.parse(String(smoke.stdout)) as { results: { target: string; case: string; status: string; checks: string }[] }).results;
  expect(results.map((r) => [r.target, r.case, r.status, r.checks])).toEqual(ids.flatMap((id) => cases.map((c) => [id, c, "pass", "compare-source"])));
}

/** The executable and `bun <entry>` (with the same defines) print the same for these arguments. */
export async function behavesLikeSource(dir: string, executable: string, entry: string, argsList: string[][], defines: string[] = []) {
  const bun = path.join(dir, "node_modules", ".bin", "bun");
  for (const args of argsList) {
    const built = await execa(executable, args, { cwd: tempDir("run-"), reject: false });
    const source = await execa(bun, [...defines.flatMap((d) => ["--define", d]), path.join(dir, entry), ...args], { cwd: dir, reject: false });
    expect({ args, exit: built.exitCode, stdout: built.stdout }).toEqual({ args, exit: source.exitCode, stdout: source.stdout });
  }
}

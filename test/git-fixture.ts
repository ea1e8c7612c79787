// Real git repositories for the clean-room tests: fixtures hold no .git folder, so each test makes
// one from its copied fixture.
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";

/** A fixed identity and clock, and no user or system config: the same repository on every machine. */
const GIT_ENV = {
  GIT_AUTHOR_NAME: "Fixture",
  GIT_AUTHOR_EMAIL: "fixture@example.com",
  GIT_COMMITTER_NAME: "Fixture",
  GIT_COMMITTER_EMAIL: "fixture@example.com",
  GIT_AUTHOR_DATE: "2024-01-02T03:04:05Z",
  GIT_COMMITTER_DATE: "2024-01-02T03:04:05Z",
  GIT_CONFIG_NOSYSTEM: "1",
};

/** Runs git in `cwd` and returns its output without the final newline; throws with stderr on failure. */
export async function git(cwd: string, ...args: string[]): Promise<string> {
  const run = await execa("git", args, { cwd, env: GIT_ENV, reject: false });
  if (run.exitCode !== 0) throw new Error(`git ${args.join(" ")} in ${cwd} failed: ${run.stderr}`);
  return String(run.stdout);
}

/** `git init` on branch main, then one commit of everything git does not ignore. */
export async function commitAll(dir: string, message = "fixture"): Promise<string> {
  if (!existsSync(path.join(dir, ".git"))) await git(dir, "init", "-q", "-b", "main");
  await git(dir, "add", "-A");
  await git(dir, "commit", "-q", "--allow-empty", "-m", message);
  return git(dir, "rev-parse", "HEAD");
}

/** Everything of a repository a clean room must not write: index bytes, refs, stash, config, hooks, object count. */
export async function repositoryFingerprint(dir: string): Promise<Record<string, string>> {
  const gitDir = path.resolve(dir, await git(dir, "rev-parse", "--git-dir"));
  const index = path.join(gitDir, "index");
  return {
    index: existsSync(index) ? createHash("sha256").update(readFileSync(index)).digest("hex") : "(none)",
    refs: await git(dir, "for-each-ref", "--format=%(objectname) %(refname)"),
    head: await git(dir, "symbolic-ref", "-q", "HEAD").catch(() => "(detached)"),
    stash: await git(dir, "stash", "list"),
    config: readFileSync(path.join(gitDir, "config"), "utf8"),
    hooks: (await execa("ls", ["-la", path.join(gitDir, "hooks")])).stdout,
    objects: await git(dir, "count-objects", "-v"),
  };
}

// The clean room's sources: a new git repository holding exactly the state of the user's
// checkout (HEAD, the staged changes, the unstaged changes and the untracked files that are
// not ignored), built without writing anything into the user's repository.
//
// How (docs/internals.md, "Clean room: the git checkout"):
// 1. `git init` the room and point its object store at the user's (objects/info/alternates,
//    gitrepository-layout(5)), so nothing is copied and history, tags and `git describe` work.
// 2. In the user's checkout, with GIT_INDEX_FILE = a copy of the user's index and
//    GIT_OBJECT_DIRECTORY = the room's object store (git(1), "ENVIRONMENT"): `git write-tree`
//    records the staged state, `git add -A` then `git write-tree` the working state. New blobs land
//    in the room; the user's index, refs, stash, hooks and objects are never written.
// 3. In the room: HEAD = the user's HEAD (same sha, same branch), `read-tree -u` writes the working
//    state to disk, and a second `read-tree` sets the index to the staged state, so `git status`
//    and `git describe --dirty` answer as they do in the user's checkout.
import { existsSync } from "node:fs";
import { copyFile, mkdir, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.ts";

export interface FileChange {
  /** git's status letter against HEAD: M modified, A added (staged or untracked), D deleted, T type changed. */
  status: string;
  path: string;
}

export interface SubmoduleState {
  path: string;
  /** The submodule's own checkout state, or why it is empty. */
  state: GitCheckout | { notCheckedOut: string };
}

export interface GitCheckout {
  /** The user's checkout root (git rev-parse --show-toplevel). */
  source: string;
  /** The room's checkout root. */
  dest: string;
  /** The user's HEAD commit; undefined before the first commit. */
  head?: string;
  /** Branch HEAD points at ("main"), or undefined when HEAD is detached. */
  branch?: string;
  /** Tree of the working state: what the room's files are (tracked + untracked-not-ignored). */
  tree: string;
  /** The working state differs from HEAD. */
  dirty: boolean;
  /** Every file whose working state differs from HEAD. */
  changes: FileChange[];
  /** Ignored paths present in the user's checkout and left out (folders end in "/"). */
  leftOut: string[];
  /** Paths excluded on purpose even when git does not ignore them (node_modules, the output folder). */
  excluded: string[];
  shallow: boolean;
  submodules: SubmoduleState[];
}

/** Variables that point git at another repository (`git rev-parse --local-env-vars`); a hook sets some. */
const LOCAL_GIT_ENV = [
  "GIT_ALTERNATE_OBJECT_DIRECTORIES", "GIT_CONFIG", "GIT_CONFIG_PARAMETERS", "GIT_CONFIG_COUNT", "GIT_OBJECT_DIRECTORY",
  "GIT_DIR", "GIT_WORK_TREE", "GIT_IMPLICIT_WORK_TREE", "GIT_GRAFT_FILE", "GIT_INDEX_FILE", "GIT_NO_REPLACE_OBJECTS",
  "GIT_REPLACE_REF_BASE", "GIT_PREFIX", "GIT_INTERNAL_SUPER_PREFIX", "GIT_SHALLOW_FILE", "GIT_COMMON_DIR",
];

/** The environment without the variables that would point git (or a script calling git) at the user's repository. */
export function withoutLocalGitEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(env)) if (value !== undefined && !LOCAL_GIT_ENV.includes(key)) out[key] = value;
  return out;
}

type Git = (args: string[], options?: { cwd?: string; env?: Record<string, string>; input?: string; allowFail?: boolean }) => Promise<{ exitCode: number; stdout: string; stderr: string }>;

function gitRunner(baseEnv: Record<string, string>): Git {
  return async (args, options = {}) => {
    const { execa } = await import("execa");
    const run = await execa("git", args, {
      cwd: options.cwd,
      env: { ...baseEnv, ...options.env, GIT_TERMINAL_PROMPT: "0" },
      extendEnv: false,
      reject: false,
      stripFinalNewline: false,
      ...(options.input !== undefined ? { input: options.input } : { stdin: "ignore" as const }),
    });
    const result = { exitCode: run.exitCode ?? -1, stdout: String(run.stdout), stderr: String(run.stderr) };
    if (result.exitCode !== 0 && !options.allowFail) {
      throw new Error(`git ${args.join(" ")} (in ${options.cwd}) failed with exit code ${result.exitCode}: ${result.stderr.trim()}`);
    }
    return result;
  };
}

/** The git checkout root containing `dir`, or undefined when `dir` is not inside a work tree. */
export async function gitTopLevel(dir: string, env: NodeJS.ProcessEnv = process.env): Promise<string | undefined> {
  const git = gitRunner(withoutLocalGitEnv(env));
  const run = await git(["rev-parse", "--show-toplevel"], { cwd: dir, allowFail: true }).catch(() => undefined);
  if (!run || run.exitCode !== 0) return undefined;
  return path.resolve(run.stdout.trim());
}

/** The error for a project that is not a git checkout: the clean room cannot tell sources from local files. */
export function notAGitCheckout(projectDir: string): UsageError {
  return new UsageError(
    `${projectDir} is not inside a git checkout, so the clean room cannot tell your sources from local files (.env files, notes, stale generated files) and will not copy the folder`,
    'Make it a repository: `git init && git add -A && git commit -m "initial commit"` (check first that .gitignore lists .env*, node_modules/ and the output folder), or compare with a build made elsewhere: --reference <folder|SHA256SUMS|manifest.json|URL>.',
  );
}

export interface SnapshotOptions {
  /** Paths relative to the checkout root never taken into the room, even when git does not ignore them. */
  exclude?: string[];
  env?: NodeJS.ProcessEnv;
}

/**
 * Recreates the user's checkout containing `dir` as a new repository at `dest` (which must not
 * exist or be empty). Submodules that are checked out are recreated the same way, recursively.
 */
export async function snapshotCheckout(dir: string, dest: string, options: SnapshotOptions = {}): Promise<GitCheckout> {
  const baseEnv = withoutLocalGitEnv(options.env ?? process.env);
  const git = gitRunner(baseEnv);
  const source = await gitTopLevel(dir, options.env);
  if (!source) throw notAGitCheckout(dir);
  const at = (args: string[]) => git(args, { cwd: source });
  const [paths, format] = await Promise.all([
    at(["rev-parse", "--git-path", "objects", "--git-path", "index", "--git-path", "shallow"]),
    git(["rev-parse", "--show-object-format"], { cwd: source, allowFail: true }),
  ]);
  const [objects, index, shallowFile] = paths.stdout.trim().split("\n").map((p) => path.resolve(source, p));
  const head = (await git(["rev-parse", "--verify", "-q", "HEAD"], { cwd: source, allowFail: true })).stdout.trim() || undefined;
  const symbolic = (await git(["symbolic-ref", "-q", "HEAD"], { cwd: source, allowFail: true })).stdout.trim();
  const branch = symbolic.startsWith("refs/heads/") ? symbolic.slice("refs/heads/".length) : undefined;

  await mkdir(dest, { recursive: true });
  // An old git without --show-object-format only knows sha1 (it prints the option back, or fails).
  const objectFormat = format.exitCode === 0 && /^sha\d+$/.test(format.stdout.trim()) ? format.stdout.trim() : "sha1";
  // --object-format only when needed: git before 2.29 does not know the option (sha1 is its only format).
  await git(["-c", `init.defaultBranch=${branch ?? "main"}`, "init", "-q", ...(objectFormat === "sha1" ? [] : [`--object-format=${objectFormat}`]), dest]);
  const roomGit = path.join(dest, ".git");
  const roomObjects = path.join(roomGit, "objects");
  // The user's objects are read through alternates: no copy, and the user's store is only read.
  await writeFile(path.join(roomObjects, "info", "alternates"), `${objects}\n`);
  const shallow = existsSync(shallowFile!);
  // A shallow clone (CI checkouts usually are) lists the commits whose parents are absent.
  if (shallow) await copyFile(shallowFile!, path.join(roomGit, "shallow"));

  // Both trees are computed from a copy of the user's index, so its stat cache makes `add -A`
  // fast and its skip-worktree entries (sparse checkouts) keep their committed content.
  const tempIndex = path.join(roomGit, "bun-parity-snapshot-index");
  if (existsSync(index!)) await copyFile(index!, tempIndex);
  const snapshotEnv = { GIT_INDEX_FILE: tempIndex, GIT_OBJECT_DIRECTORY: roomObjects, GIT_ALTERNATE_OBJECT_DIRECTORIES: objects! };
  const inSource = (args: string[], allowFail = false) => git(args, { cwd: source, env: snapshotEnv, allowFail });
  // write-tree refuses an index with unmerged entries (a merge in progress): the staged state is then HEAD.
  const staged = (await inSource(["write-tree"], true)).stdout.trim() || undefined;
  const excluded = ["node_modules (any depth)", ...(options.exclude ?? []).map((p) => `${p}/`)];
  // An exclude pathspec naming a path that git already ignores makes `git add` fail ("paths are
  // ignored"), so only the paths git would take are excluded.
  const notIgnored: string[] = [];
  for (const p of options.exclude ?? []) {
    if ((await git(["check-ignore", "-q", "--", p], { cwd: source, allowFail: true })).exitCode !== 0) notIgnored.push(p);
  }
  const pathspec = [":/", ":(exclude,glob)**/node_modules", ":(exclude,glob)**/node_modules/**", ...notIgnored.map((p) => `:(top,exclude)${p}`)];
  // -A: new, modified and deleted files; ignored files stay out (gitignore(5), core.excludesFile, info/exclude).
  await inSource(["add", "-A", "--", ...pathspec]);
  const tree = (await inSource(["write-tree"])).stdout.trim();
  // What git ignores, as the patterns matched it (`dist/`, `.env`); --ignored=matching does not
  // list a parent folder for an ignored folder inside it, as ls-files --directory does.
  const ignored = await git(["status", "--porcelain=v1", "-z", "--ignored=matching", "--untracked-files=normal"], { cwd: source, env: { ...snapshotEnv, GIT_OPTIONAL_LOCKS: "0" } });
  const leftOut = ignored.stdout.split("\0").filter((e) => e.startsWith("!! ")).map((e) => e.slice(3)).sort();

  const inRoom = (args: string[], input?: string) => git(args, { cwd: dest, input });
  if (head) {
    if (branch) {
      await inRoom(["update-ref", `refs/heads/${branch}`, head]);
      await inRoom(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
    } else {
      await inRoom(["update-ref", "--no-deref", "HEAD", head]);
    }
  } else if (branch) {
    await inRoom(["symbolic-ref", "HEAD", `refs/heads/${branch}`]);
  }
  // Local branches and tags, so `git describe` or `git merge-base main HEAD` in a build script
  // gives the same answer (the current branch is set above; update-ref would refuse it twice).
  const refs = (await at(["for-each-ref", "--format=create %(refname) %(objectname)", "refs/heads", "refs/tags"])).stdout
    .split("\n")
    .filter((line) => line && !(branch && line.startsWith(`create refs/heads/${branch} `)))
    .join("\n");
  if (refs) await inRoom(["update-ref", "--stdin"], `${refs}\n`);

  // The working state on disk (modes, symlinks, .gitattributes conversions as in a fresh checkout) ...
  await inRoom(["read-tree", "--reset", "-u", tree]);
  // ... and the index as the user's: staged changes staged, the rest unstaged, new files untracked.
  await inRoom(["read-tree", staged ?? (head ? "HEAD" : "--empty")]);
  await git(["update-index", "-q", "--refresh"], { cwd: dest, allowFail: true });
  await rm(tempIndex, { force: true });

  const changes = await changesAgainstHead(git, dest, head, tree);
  const submodules: SubmoduleState[] = [];
  const entries = (await inRoom(["ls-tree", "-r", "-z", tree])).stdout.split("\0").filter(Boolean);
  for (const entry of entries) {
    const [meta, file] = entry.split("\t") as [string, string];
    if (!meta.startsWith("160000 ")) continue;
    const userSub = path.join(source, file);
    const subTop = existsSync(userSub) ? await gitTopLevel(userSub, options.env) : undefined;
    if (subTop !== userSub) {
      submodules.push({ path: file, state: { notCheckedOut: "not checked out in your checkout: the folder is empty there too" } });
      continue;
    }
    submodules.push({ path: file, state: await snapshotCheckout(userSub, path.join(dest, file), { env: options.env }) });
  }
  return { source, dest, head, branch, tree, dirty: changes.length > 0, changes, leftOut, excluded, shallow, submodules };
}

async function changesAgainstHead(git: Git, dest: string, head: string | undefined, tree: string): Promise<FileChange[]> {
  // The empty tree's id is the hash of an empty tree object: ask git rather than hard-code sha1's.
  const base = head ?? (await git(["hash-object", "-t", "tree", "--stdin"], { cwd: dest, input: "" })).stdout.trim();
  const diff = (await git(["diff-tree", "-r", "-z", "--no-renames", "--name-status", base, tree], { cwd: dest })).stdout.split("\0").filter(Boolean);
  const changes: FileChange[] = [];
  for (let i = 0; i + 1 < diff.length; i += 2) changes.push({ status: diff[i]!, path: diff[i + 1]! });
  return changes;
}

/** "3f2a9c1d0e4b (main)" or "3f2a9c1d0e4b (main) with uncommitted changes: 2 modified, 1 added, 1 deleted". */
export function describeCheckout(checkout: Pick<GitCheckout, "head" | "branch" | "dirty" | "changes">): string {
  const where = checkout.branch ? `branch ${checkout.branch}` : "detached HEAD";
  const commit = checkout.head ? `${checkout.head} (${where})` : `no commit yet (${where})`;
  if (!checkout.dirty) return commit;
  const names: Record<string, string> = { M: "modified", A: "added or untracked", D: "deleted", T: "type changed" };
  const counts = new Map<string, number>();
  for (const c of checkout.changes) counts.set(c.status, (counts.get(c.status) ?? 0) + 1);
  const order = ["M", "A", "D", "T"];
  const parts = [...counts]
    .sort(([a], [b]) => (order.indexOf(a) + 1 || 99) - (order.indexOf(b) + 1 || 99))
    .map(([status, n]) => `${n} ${names[status] ?? status}`);
  return `${commit} with uncommitted changes: ${parts.join(", ")}`;
}

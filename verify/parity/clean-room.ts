// The clean-room reference: the user's checkout recreated as a new git repository at a different
// absolute path (HEAD, staged, unstaged and untracked-not-ignored files: verify/parity/git-snapshot.ts),
// dependencies installed there by the project's own package manager from its lockfile
// (verify/parity/package-manager.ts), and the same `just build-all` run with a varied environment. The
// variations follow reprotest's names (reprotest(1), "VARIATIONS": build_path, home, timezone,
// locales, umask, exec_path, environment, num_cpus ...); those that need root or extra tools are
// listed as not applied.
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import type { Config } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import { type GitCheckout, gitTopLevel, notAGitCheckout, snapshotCheckout, withoutLocalGitEnv } from "./git-snapshot.ts";
import { type BunTool, type InstallPlan, planInstall } from "./package-manager.ts";

export interface Variation {
  /** reprotest's name for the variation. */
  reprotest: string;
  what: string;
  native: string;
  cleanRoom: string;
}

export interface NotApplied {
  reprotest: string;
  why: string;
}

export interface CleanRoom {
  root: string;
  /** The room's checkout root (the user's checkout root, recreated). */
  top: string;
  projectDir: string;
  distDir: string;
  env: Record<string, string>;
  umask: string;
  variations: Variation[];
  notApplied: NotApplied[];
  /** Caches shared with the user's, because their contents are verified (integrity, sha256). */
  sharedCaches: string[];
  checkout: GitCheckout;
  install: InstallPlan;
}

/** Variables that only exist on CI machines; a laptop build has none of them. */
const CI_ONLY = /^(CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|GITHUB_.*|RUNNER_.*|ACTIONS_.*|GITLAB_CI|CI_.*|BUILDKITE.*|CIRCLECI|CIRCLE_.*|TRAVIS.*|JENKINS_URL|TF_BUILD|DAGGER_.*|BUN_PARITY_CLEAN_ROOM)$/;

/**
 * Fails fast, before the native build, when no clean room can be made: the project must be
 * inside a git checkout (a copy of an arbitrary folder would take .env files and stale
 * generated files along, and no rule can tell them from sources).
 */
export async function checkCleanRoomPossible(config: Config, env: NodeJS.ProcessEnv): Promise<string> {
  const top = await gitTopLevel(config.projectDir, env);
  if (!top) throw notAGitCheckout(config.projectDir);
  const { execa } = await import("execa");
  const ignored = await execa("git", ["check-ignore", "-q", "--", path.relative(top, config.file)], { cwd: top, env: withoutLocalGitEnv(env), extendEnv: false, reject: false });
  if (ignored.exitCode === 0) throw targetsNotInCheckout(config.file, top);
  return top;
}

function targetsNotInCheckout(file: string, top: string): UsageError {
  return new UsageError(
    `${file} is ignored by git, so a fresh checkout (and the clean room) would not have it`,
    `Commit ${path.relative(top, file)} (or stop ignoring it: \`git check-ignore -v ${path.relative(top, file)}\` shows the rule).`,
  );
}

function pick<T>(native: T, choices: T[]): T {
  return choices.find((c) => c !== native) ?? choices[0]!;
}

/**
 * Prepare the clean room: recreate the checkout, decide the install and the varied environment.
 * Nothing of the project is run yet.
 */
export async function prepareCleanRoom(config: Config, inherited: NodeJS.ProcessEnv, tools: { bun: BunTool }): Promise<CleanRoom> {
  const userTop = await checkCleanRoomPossible(config, inherited);
  const root = await mkdtemp(path.join(os.tmpdir(), "bun-parity-clean-room-"));
  try {
    return await fillCleanRoom(root, userTop, config, inherited, tools);
  } catch (error) {
    await rm(root, { recursive: true, force: true });
    throw error;
  }
}

async function fillCleanRoom(root: string, userTop: string, config: Config, inherited: NodeJS.ProcessEnv, tools: { bun: BunTool }): Promise<CleanRoom> {
  // A different basename too, so a build that embeds the folder name cannot pass by accident.
  const top = path.join(root, "rebuild", path.basename(userTop) === "project" ? "src" : "project");
  const inRoom = (userPath: string) => path.join(top, path.relative(userTop, userPath));
  const toUser = (roomPath: string) => (roomPath === top || roomPath.startsWith(`${top}${path.sep}`) ? path.join(userTop, path.relative(top, roomPath)) : roomPath);
  const outRel = path.relative(userTop, config.outDir);
  const exclude = outRel && !outRel.startsWith("..") && !path.isAbsolute(outRel) ? [outRel.split(path.sep).join("/")] : [];
  const checkout = await snapshotCheckout(userTop, top, { exclude, env: inherited });
  const projectDir = inRoom(config.projectDir);
  if (!existsSync(inRoom(config.file))) throw targetsNotInCheckout(config.file, userTop);
  const install = await planInstall({ projectDir, top, env: inherited, bun: tools.bun, skipPathUnder: [userTop, top], display: toUser });
  const home = path.join(root, "home");
  const tmp = path.join(root, "tmp");
  const extraBin = path.join(root, "bin");
  await Promise.all([home, tmp, extraBin].map((d) => mkdir(d, { recursive: true })));

  const nativeTz = inherited.TZ ?? "(unset: system zone)";
  const tz = pick<string | undefined>(inherited.TZ, ["Pacific/Kiritimati", "America/St_Johns"])!;
  const nativeLang = inherited.LC_ALL ?? inherited.LANG ?? "(unset)";
  const lang = pick(nativeLang, ["fr_CH.UTF-8", "C.UTF-8"]);
  const nativeUmask = currentUmask();
  const umask = pick(nativeUmask, ["0002", "0022"]);
  const nativePath = (inherited.PATH ?? "").split(path.delimiter).filter(Boolean);
  // As npm run does: every node_modules/.bin from the project up to the install folder, nearest first.
  const cleanBins = binFolders(projectDir, install.dir);
  const variedPath = [...cleanBins, ...[...nativePath].reverse(), extraBin].join(path.delimiter);
  const removed = Object.keys(inherited).filter((k) => CI_ONLY.test(k)).sort();

  const env: Record<string, string> = {};
  // Without GIT_DIR and its kin (set when parity runs from a git hook), git in the room finds the room's repository.
  for (const [key, value] of Object.entries(withoutLocalGitEnv(inherited))) if (!CI_ONLY.test(key)) env[key] = value;
  const npmCache = inherited.npm_config_cache ?? path.join(os.homedir(), ".npm");
  const runtimeCache = inherited.BUN_PARITY_CACHE_DIR ?? path.join(inherited.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "bun-parity");
  Object.assign(env, {
    HOME: home, USERPROFILE: home, TMPDIR: tmp, TEMP: tmp, TMP: tmp, TZ: tz, LANG: lang, LC_ALL: lang, PATH: variedPath,
    BUN_PARITY_JOBS: "1",
    // Verified caches are shared so a clean room does not download 400 MB again; what they
    // hold is checked by integrity (npm) and sha256 (runtimes) on use.
    npm_config_cache: npmCache,
    BUN_PARITY_CACHE_DIR: runtimeCache,
  });
  delete env.XDG_CACHE_HOME;
  delete env.XDG_CONFIG_HOME;
  delete env.INIT_CWD;
  for (const key of Object.keys(env)) if (key.startsWith("npm_") && key !== "npm_config_cache") delete env[key];

  const cores = os.availableParallelism();
  const variations: Variation[] = [
    { reprotest: "build_path", what: "absolute project path", native: config.projectDir, cleanRoom: projectDir },
    { reprotest: "home", what: "HOME", native: inherited.HOME ?? "(unset)", cleanRoom: home },
    { reprotest: "environment", what: "TMPDIR", native: inherited.TMPDIR ?? "(unset)", cleanRoom: tmp },
    { reprotest: "timezone", what: "TZ", native: nativeTz, cleanRoom: tz },
    { reprotest: "locales", what: "LANG / LC_ALL", native: nativeLang, cleanRoom: lang },
    { reprotest: "umask", what: "umask", native: nativeUmask, cleanRoom: umask },
    { reprotest: "exec_path", what: "PATH order", native: `${nativePath.length} entries`, cleanRoom: "the clean room's node_modules/.bin first, then the same entries reversed, plus an empty folder" },
    { reprotest: "environment", what: "CI-only variables", native: removed.length > 0 ? removed.join(" ") : "(none set)", cleanRoom: "unset" },
    { reprotest: "num_cpus", what: "parallel compiles (BUN_PARITY_JOBS)", native: String(cores), cleanRoom: "1" },
    { reprotest: "build_path", what: "node_modules", native: "the project's", cleanRoom: `fresh install: ${install.argv.map((a) => (a.includes(" ") ? JSON.stringify(a) : a)).join(" ")}` },
  ];
  const notApplied: NotApplied[] = [
    { reprotest: "time", why: "needs faketime; Bun embeds no build time (the build has no timestamp input)" },
    { reprotest: "fileordering", why: "needs disorderfs (FUSE)" },
    { reprotest: "user_group", why: "needs root and a second user" },
    { reprotest: "domain_host", why: "needs user namespaces" },
    { reprotest: "kernel", why: "needs a different kernel" },
    { reprotest: "aslr", why: "needs setarch -R" },
  ];
  const distDir = path.join(projectDir, path.relative(config.projectDir, config.outDir));
  return {
    root, top, projectDir, distDir, env, umask, variations, notApplied,
    sharedCaches: [`npm cache ${npmCache}`, `runtime cache ${runtimeCache}`],
    checkout, install,
  };
}

function currentUmask(): string {
  // process.umask() with no argument is deprecated but still the only way to read it.
  const mask = process.umask();
  return mask.toString(8).padStart(4, "0");
}

/** node_modules/.bin folders from `from` up to `to`, nearest first. */
export function binFolders(from: string, to: string): string[] {
  const out: string[] = [];
  for (let dir = from; ; dir = path.dirname(dir)) {
    out.push(path.join(dir, "node_modules", ".bin"));
    if (dir === to || path.dirname(dir) === dir || !dir.startsWith(to)) break;
  }
  return out;
}

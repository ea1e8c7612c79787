// The clean-room reference (issue 3): the project's own sources, copied to a new folder at a
// different absolute path, dependencies installed from the lockfile there, and the same
// `just build-all` run with a varied environment. The variations follow reprotest's names
// (reprotest(1), "VARIATIONS": build_path, home, timezone, locales, umask, exec_path,
// environment, num_cpus ...); those that need root or extra tools are listed as not applied.
import { existsSync } from "node:fs";
import { chmod, copyFile, lstat, mkdir, mkdtemp, readlink, symlink } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import fg from "fast-glob";
import type { Config } from "./config.ts";
import { UsageError } from "./errors.ts";

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
  projectDir: string;
  distDir: string;
  env: Record<string, string>;
  umask: string;
  variations: Variation[];
  notApplied: NotApplied[];
  /** Caches shared with the user's, because their contents are verified (integrity, sha256). */
  sharedCaches: string[];
}

/** Variables that only exist on CI machines; a laptop build has none of them. */
const CI_ONLY = /^(CI|CONTINUOUS_INTEGRATION|BUILD_NUMBER|GITHUB_.*|RUNNER_.*|ACTIONS_.*|GITLAB_CI|CI_.*|BUILDKITE.*|CIRCLECI|CIRCLE_.*|TRAVIS.*|JENKINS_URL|TF_BUILD|DAGGER_.*|BUN_PARITY_CLEAN_ROOM)$/;

/** Files of the project as git sees them: tracked plus untracked-but-not-ignored. */
export async function projectSourceFiles(projectDir: string, outDir: string): Promise<string[]> {
  const { execa } = await import("execa");
  const outRel = path.relative(projectDir, outDir).split(path.sep).join("/");
  const keep = (f: string) => f !== "" && !f.startsWith(`${outRel}/`) && !f.split("/").includes("node_modules");
  const git = await execa("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], { cwd: projectDir, reject: false });
  if (git.exitCode === 0) {
    // ls-files still lists tracked files deleted from the work tree; those are not sources any more.
    return String(git.stdout).split("\0").filter(keep).filter((f) => existsSync(path.join(projectDir, f))).sort();
  }
  const files = await fg("**", { cwd: projectDir, dot: true, onlyFiles: true, ignore: ["**/node_modules/**", ".git/**", `${outRel}/**`] });
  return files.filter(keep).sort();
}

async function copyTree(from: string, to: string, files: string[]): Promise<void> {
  for (const file of files) {
    const source = path.join(from, file);
    const dest = path.join(to, file);
    await mkdir(path.dirname(dest), { recursive: true });
    const info = await lstat(source);
    if (info.isSymbolicLink()) await symlink(await readlink(source), dest);
    else {
      await copyFile(source, dest);
      await chmod(dest, info.mode & 0o777);
    }
  }
}

function pick<T>(native: T, choices: T[]): T {
  return choices.find((c) => c !== native) ?? choices[0]!;
}

/** Prepare the clean room: copy the sources, decide the varied environment. Nothing is run yet. */
export async function prepareCleanRoom(config: Config, inherited: NodeJS.ProcessEnv): Promise<CleanRoom> {
  const files = await projectSourceFiles(config.projectDir, config.outDir);
  if (!files.includes("targets.json") && !files.some((f) => path.join(config.projectDir, f) === config.file)) {
    throw new UsageError(`${config.file} is ignored by git, so a clean checkout would not have it`, "Commit targets.json (or stop ignoring it).");
  }
  const root = await mkdtemp(path.join(os.tmpdir(), "bun-parity-clean-room-"));
  const projectDir = path.join(root, "rebuild", path.basename(config.projectDir) === "project" ? "src" : "project");
  await copyTree(config.projectDir, projectDir, files);
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
  const cleanBin = path.join(projectDir, "node_modules", ".bin");
  const variedPath = [cleanBin, ...[...nativePath].reverse(), extraBin].join(path.delimiter);
  const removed = Object.keys(inherited).filter((k) => CI_ONLY.test(k)).sort();

  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) if (value !== undefined && !CI_ONLY.test(key)) env[key] = value;
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
    { reprotest: "exec_path", what: "PATH order", native: `${nativePath.length} entries`, cleanRoom: "clean node_modules/.bin first, then the same entries reversed, plus an empty folder" },
    { reprotest: "environment", what: "CI-only variables", native: removed.length > 0 ? removed.join(" ") : "(none set)", cleanRoom: "unset" },
    { reprotest: "num_cpus", what: "parallel compiles (BUN_PARITY_JOBS)", native: String(cores), cleanRoom: "1" },
    { reprotest: "build_path", what: "node_modules", native: "the project's", cleanRoom: "fresh install from the lockfile" },
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
    root, projectDir, distDir, env, umask, variations, notApplied,
    sharedCaches: [`npm cache ${npmCache}`, `runtime cache ${runtimeCache}`],
  };
}

function currentUmask(): string {
  // process.umask() with no argument is deprecated but still the only way to read it.
  const mask = process.umask();
  return mask.toString(8).padStart(4, "0");
}

/** The install command for the project's lockfile: npm ci, bun install --frozen-lockfile, ... */
export function installCommand(projectDir: string, bun: string): string[] {
  if (existsSync(path.join(projectDir, "package-lock.json")) || existsSync(path.join(projectDir, "npm-shrinkwrap.json"))) {
    return ["npm", "ci", "--no-audit", "--no-fund"];
  }
  if (existsSync(path.join(projectDir, "bun.lock")) || existsSync(path.join(projectDir, "bun.lockb"))) return [bun, "install", "--frozen-lockfile"];
  if (existsSync(path.join(projectDir, "pnpm-lock.yaml"))) return ["pnpm", "install", "--frozen-lockfile"];
  if (existsSync(path.join(projectDir, "yarn.lock"))) return ["yarn", "install", "--frozen-lockfile"];
  throw new UsageError(
    `${projectDir} has no lockfile (package-lock.json, bun.lock, pnpm-lock.yaml or yarn.lock)`,
    "Commit a lockfile: without one a rebuild cannot install the same dependencies.",
  );
}

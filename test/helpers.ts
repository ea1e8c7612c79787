// Shared test plumbing: run the real CLI under the pinned Bun, and copy fixtures into temp
// folders (each ~100 MB executable lands there and is removed afterwards).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { execa, type Options } from "execa";

export const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
export const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
export const CLI = path.join(REPO, "verify", "cli.ts");
export const FIXTURES = path.join(REPO, "test", "fixtures");

/**
 * The runtime cache shared by every test run (runtimes are digest-checked on use, so sharing
 * is safe); a clean machine fetches them once.
 */
export const SHARED_CACHE = process.env.BUN_PARITY_CACHE_DIR ?? path.join(os.homedir(), ".cache", "bun-parity");

/** What a test's CLI process gets: the pinned Bun, this checkout's CLI (for fixture justfiles), the shared cache, just on PATH. */
export const CLI_ENV = {
  BUN_PARITY_BUN: BUN,
  BUN_PARITY_CLI: CLI,
  BUN_PARITY_CACHE_DIR: SHARED_CACHE,
  CI: "1",
  PATH: `${path.join(REPO, "node_modules", ".bin")}${path.delimiter}${process.env.PATH ?? ""}`,
};

export interface CliResult {
  exitCode: number;
  stdout: string;
  stderr: string;
}

/** Runs `bun verify/cli.ts <args>` as a user would, with the pinned compiler and shared cache. */
export async function runCli(args: string[], options: Options & { env?: Record<string, string | undefined> } = {}): Promise<CliResult> {
  const result = await execa(BUN, [CLI, ...args], {
    reject: false,
    ...options,
    env: { ...CLI_ENV, ...options.env },
  });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

const temps: string[] = [];

export function tempDir(prefix = "bun-parity-test-"): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  temps.push(dir);
  return dir;
}

export function removeTemps(): void {
  for (const dir of temps.splice(0)) rmSync(dir, { recursive: true, force: true });
}

/**
 * Copies test/fixtures/<name> to a new folder (optionally at `dest`) with the repo's runtime
 * lock, so the fixture pins the same runtimes as the repo's Bun.
 */
export function copyFixture(name: string, dest?: string): string {
  const dir = dest ?? path.join(tempDir(), name);
  cpSync(path.join(FIXTURES, name), dir, { recursive: true });
  const lock = path.join(REPO, "bun-runtimes.lock.json");
  if (!existsSync(path.join(dir, "bun-runtimes.lock.json"))) cpSync(lock, path.join(dir, "bun-runtimes.lock.json"));
  return dir;
}

export function readJson<T = unknown>(file: string): T {
  return JSON.parse(readFileSync(file, "utf8")) as T;
}

let runtimesFetched: Promise<void> | undefined;

/**
 * Path of the pinned Bun runtime for a target of the repo's targets.json, fetched and
 * digest-checked by the product's own `toolchain --fetch` into the shared cache.
 */
export async function pinnedRuntime(targetId: string): Promise<string> {
  runtimesFetched ??= runCli(["toolchain", "--fetch"], { cwd: REPO }).then((r) => {
    if (r.exitCode !== 0) throw new Error(`toolchain --fetch failed:\n${r.stdout}${r.stderr}`);
  });
  await runtimesFetched;
  const { loadConfig } = await import("../verify/config/index.ts");
  const { runtimePackageFor } = await import("../verify/bun/index.ts");
  const { runtimeCachePath } = await import("../verify/toolchain/index.ts");
  const bunVersion = readJson<{ version: string }>(path.join(REPO, "node_modules", "bun", "package.json")).version;
  const target = loadConfig(path.join(REPO, "targets.json"), { bunVersion }).targets.find((t) => t.id === targetId);
  if (!target) throw new Error(`no target ${targetId} in targets.json`);
  return runtimeCachePath(SHARED_CACHE, runtimePackageFor(target, bunVersion));
}

export const HOST_TARGET = `${process.platform === "win32" ? "windows" : process.platform}-${process.arch}`;

export interface RawCompileOptions {
  outfile: string;
  target?: string;
  entry?: string;
  flags?: string[];
  env?: Record<string, string>;
  /** --compile-executable-path; default: Bun itself for the host target, else the pinned runtime. */
  runtime?: string;
}

/**
 * A plain `bun build --compile` (not through bun verify), with the product's fixed flags and
 * NODE_ENV=production: for tests of the binary readers that need executables built a precise
 * way. Returns the executable's path (Bun appends .exe for Windows targets).
 */
export async function compileRaw(appDir: string, options: RawCompileOptions): Promise<string> {
  const target = options.target ?? "linux-x64";
  const runtime = options.runtime ?? (target === HOST_TARGET ? undefined : await pinnedRuntime(target));
  const env: Record<string, string | undefined> = { ...process.env, NODE_ENV: "production", ...options.env };
  delete env.BUN_NO_CODESIGN_MACHO_BINARY; // darwin-arm64 output is signed by default; keep it that way
  await execa(
    BUN,
    [
      "build",
      "--compile",
      `--target=bun-${target}`,
      ...(runtime ? [`--compile-executable-path=${runtime}`] : []),
      "--no-compile-autoload-dotenv",
      "--no-compile-autoload-bunfig",
      ...(options.flags ?? []),
      options.entry ?? "index.ts",
      `--outfile=${options.outfile}`,
    ],
    { cwd: appDir, env, extendEnv: false },
  );
  return target.startsWith("windows") ? `${options.outfile}.exe` : options.outfile;
}

/**
 * Runs `args` (after `bun`) and SIGKILLs the process the moment one of `names` is renamed into
 * `watchDir`. With `slowRenames`, strace holds every rename(2) of the run for 1.5 s after it
 * completes, so the kill lands between that rename and whatever the command writes next (a
 * window too short to hit otherwise). Returns whether it was killed.
 */
export async function killAtFirstRename(args: string[], options: { cwd: string; env?: Record<string, string>; watchDir: string; names: string[]; slowRenames: boolean }): Promise<boolean> {
  const { watch } = await import("node:fs");
  const pidFile = path.join(tempDir("pid-"), "pid");
  const command = ["sh", "-c", 'echo $$ > "$0"; exec "$@"', pidFile, BUN, ...args];
  const strace = ["strace", "-f", "-qq", "-o", "/dev/null", "-e", "trace=rename", "-e", "inject=rename:delay_exit=1500000"];
  const [file, ...rest] = options.slowRenames ? [...strace, ...command] : command;
  const child = execa(file!, rest, { cwd: options.cwd, reject: false, env: { ...CLI_ENV, ...options.env } });
  let killed = false;
  const watcher = watch(options.watchDir, (_event, name) => {
    if (killed || !options.names.includes(String(name)) || !existsSync(pidFile)) return;
    killed = true;
    process.kill(Number(readFileSync(pidFile, "utf8")), "SIGKILL");
  });
  try {
    await child;
  } finally {
    watcher.close();
  }
  return killed;
}

/** strace injects the delays of killAtFirstRename's slowRenames. */
export function expectStrace(): void {
  if (!["/usr/bin/strace", "/bin/strace"].some((f) => existsSync(f))) throw new Error("strace is missing: apt-get install strace (.ci/run does)");
}

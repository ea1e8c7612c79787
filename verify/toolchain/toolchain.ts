// The pinned target runtimes: the lock of their digests, the cache, and fetching with npm.
// Bun downloads foreign runtimes itself from a hard-coded registry with no checksum
// (src/compile_target.zig `downloadToPath`). Instead, each runtime is fetched once with
// `npm pack` (so the user's registry, mirror, proxy and CA settings apply), checked against a
// committed lock of sha256 digests, cached, and handed to Bun: with --compile-executable-path
// from Bun 1.3.6, and before that under Bun's own cache file name in a private
// $BUN_INSTALL_CACHE_DIR (seedRuntimeCache in legacy-bun.ts; docs/internals.md has the measurements).
import { existsSync, readFileSync } from "node:fs";
import { mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { type RuntimePackage, runtimePackageFor } from "../bun/index.ts";
import type { Config } from "../config/index.ts";
import { hashFiles, stableJson, writeFileAtomic, readStampBeside, stampMatches, writeStampBeside } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import type { Compiler } from "./compiler.ts";

export const LOCK_FILE = "bun-runtimes.lock.json";

export interface RuntimeLockEntry {
  version: string;
  /** npm's integrity string of the package tarball (sha512). */
  integrity: string;
  /** Path of the executable inside the tarball. */
  entry: string;
  /** sha256 of the extracted executable: what Bun embeds into every output for this target. */
  sha256: string;
  bytes: number;
}

export interface ToolchainLock {
  bun: string;
  runtimes: Record<string, RuntimeLockEntry>;
}

/** A runtime whose bytes are not the locked ones: the build must stop (exit 1). */
export class RuntimeDigestError extends CheckFailed {
  override name = "RuntimeDigestError";
  constructor(
    readonly runtime: RuntimePackage,
    readonly file: string,
    readonly expected: string,
    readonly actual: string,
  ) {
    super(
      `runtime ${runtime.name}@${runtime.version} does not match ${LOCK_FILE}:\n` +
        `  file:     ${file}\n  expected: sha256:${expected}\n  actual:   sha256:${actual}\n` +
        `If the cached file is corrupted, delete it and build again (it is fetched anew). If the ` +
        `registry now serves different bytes, find out why before running \`bun verify toolchain --update\`.`,
    );
  }
}

/** $BUN_PARITY_CACHE_DIR, else $XDG_CACHE_HOME/bun-parity, else ~/.cache/bun-parity. */
export function defaultCacheDir(env = process.env): string {
  if (env.BUN_PARITY_CACHE_DIR) return path.resolve(env.BUN_PARITY_CACHE_DIR);
  const base = env.XDG_CACHE_HOME || path.join(os.homedir(), ".cache");
  return path.join(base, "bun-parity");
}

/** Where a runtime lives in the cache: runtimes/<package>-<version>/bun[.exe]. */
export function runtimeCachePath(cacheDir: string, runtime: RuntimePackage): string {
  const folder = `${runtime.name.replace(/^@/, "").replace("/", "-")}-${runtime.version}`;
  return path.join(cacheDir, "runtimes", folder, path.basename(runtime.entry));
}

export function lockPath(projectDir: string): string {
  return path.join(projectDir, LOCK_FILE);
}

export function readToolchainLock(projectDir: string): ToolchainLock | undefined {
  const file = lockPath(projectDir);
  if (!existsSync(file)) return undefined;
  try {
    const lock = JSON.parse(readFileSync(file, "utf8")) as ToolchainLock;
    if (typeof lock.bun !== "string" || typeof lock.runtimes !== "object") throw new Error("missing bun/runtimes");
    return lock;
  } catch (error) {
    throw new UsageError(`${file}: ${(error as Error).message}`, "Regenerate it with `bun verify toolchain --update`.");
  }
}

/** The lock entry for a runtime, or a usage error that says how to create it. */
export function lockEntryFor(lock: ToolchainLock | undefined, projectDir: string, runtime: RuntimePackage): RuntimeLockEntry {
  const file = lockPath(projectDir);
  const fix = "Run `bun verify toolchain --update` and commit the lock file.";
  if (!lock) throw new UsageError(`${file} does not exist: target runtimes are not pinned`, fix);
  if (lock.bun !== runtime.version) {
    throw new UsageError(`${file} pins runtimes of Bun ${lock.bun}, but the compiler is Bun ${runtime.version}`, fix);
  }
  const entry = lock.runtimes[runtime.name];
  if (!entry || entry.version !== runtime.version) {
    throw new UsageError(`${file} has no entry for ${runtime.name}@${runtime.version}`, fix);
  }
  return entry;
}

export interface RuntimeStatus {
  path: string;
  sha256: string;
  fetched: boolean;
}

/**
 * Make sure the locked runtime is in the cache with the locked bytes: hash what is cached,
 * or fetch it. Never returns a runtime whose sha256 differs from the lock.
 */
export async function ensureRuntime(
  runtime: RuntimePackage,
  locked: RuntimeLockEntry,
  cacheDir: string,
  projectDir: string,
): Promise<RuntimeStatus> {
  const target = runtimeCachePath(cacheDir, runtime);
  if (existsSync(target)) {
    // Verified before and not written since: no need to read 100 MB again.
    if (stampMatches(target, readStampBeside(target), locked.sha256)) return { path: target, sha256: locked.sha256, fetched: false };
    const [digest] = await hashFiles([target]);
    if (digest!.sha256 !== locked.sha256) throw new RuntimeDigestError(runtime, target, locked.sha256, digest!.sha256);
    await writeStampBeside(target, digest!.sha256);
    return { path: target, sha256: digest!.sha256, fetched: false };
  }
  const fetched = await fetchRuntime(runtime, cacheDir, projectDir);
  if (fetched.integrity !== locked.integrity || fetched.sha256 !== locked.sha256) {
    await rm(fetched.workDir, { recursive: true, force: true });
    throw new RuntimeDigestError(runtime, `${runtime.name}@${runtime.version} from the registry`, locked.sha256, fetched.sha256);
  }
  await mkdir(path.dirname(target), { recursive: true });
  await rename(fetched.path, target);
  await rm(fetched.workDir, { recursive: true, force: true });
  await writeStampBeside(target, fetched.sha256);
  await writeFileAtomic(`${target}.origin.json`, stableJson({ ...locked, bytes: fetched.bytes }));
  return { path: target, sha256: fetched.sha256, fetched: true };
}

interface FetchedRuntime {
  /** Extracted executable in a private temp folder inside the cache. */
  path: string;
  /** That temp folder: remove it once the executable has been moved out. */
  workDir: string;
  integrity: string;
  sha256: string;
  bytes: number;
}

/** `npm pack <pkg>@<version>` into a temp folder, then extract the one executable. */
async function fetchRuntime(runtime: RuntimePackage, cacheDir: string, projectDir: string): Promise<FetchedRuntime> {
  await mkdir(cacheDir, { recursive: true });
  const work = await mkdtemp(path.join(cacheDir, ".fetch-"));
  try {
    // Loaded here: most builds find every runtime in the cache and never need them.
    const [{ execa }, tar] = await Promise.all([import("execa"), import("tar")]);
    let packed;
    try {
      // Run from the project so its .npmrc (registry, mirror, auth) applies.
      packed = await execa("npm", ["pack", `${runtime.name}@${runtime.version}`, "--json", "--ignore-scripts", "--pack-destination", work], {
        cwd: projectDir,
      });
    } catch (error) {
      const detail = (error as { stderr?: string }).stderr?.trim().split("\n").slice(-3).join("\n") || String(error);
      throw new UsageError(
        `could not fetch ${runtime.name}@${runtime.version} with npm pack:\n${detail}`,
        `Check the npm registry configuration (npm config get registry), or place the runtime at ${runtimeCachePath(cacheDir, runtime)}.`,
      );
    }
    const info = (JSON.parse(packed.stdout) as { filename: string; integrity: string }[])[0]!;
    const tarball = path.join(work, info.filename);
    await tar.x({ file: tarball, cwd: work, filter: (p) => p === runtime.entry });
    const exe = path.join(work, runtime.entry);
    if (!existsSync(exe)) {
      throw new UsageError(`${runtime.name}@${runtime.version}: the tarball has no ${runtime.entry}`, "Check the package name and version.");
    }
    await rm(tarball);
    const [digest] = await hashFiles([exe]);
    return { path: exe, workDir: work, integrity: info.integrity, sha256: digest!.sha256, bytes: digest!.bytes };
  } catch (error) {
    await rm(work, { recursive: true, force: true });
    throw error;
  }
}

/** Fetches a runtime with npm into the cache (replacing what is there) and records where it came from. */
async function fetchIntoCache(runtime: RuntimePackage, cacheDir: string, projectDir: string): Promise<RuntimeLockEntry> {
  const fetched = await fetchRuntime(runtime, cacheDir, projectDir);
  const target = runtimeCachePath(cacheDir, runtime);
  await mkdir(path.dirname(target), { recursive: true });
  await rename(fetched.path, target);
  await rm(fetched.workDir, { recursive: true, force: true });
  await writeStampBeside(target, fetched.sha256);
  const entry: RuntimeLockEntry = { version: runtime.version, integrity: fetched.integrity, entry: runtime.entry, sha256: fetched.sha256, bytes: fetched.bytes };
  await writeFileAtomic(`${target}.origin.json`, stableJson(entry));
  return entry;
}

/**
 * A Bun of some version that runs on this machine, without the project having installed it:
 * the project's node_modules/bun when it is that version, else the host's runtime package of
 * that version (the runtime is the whole Bun CLI), from the cache or fetched when allowed.
 */
export async function bunForHost(version: string, cacheDir: string, projectDir: string, allowFetch: boolean): Promise<string | undefined> {
  const pkg = path.join(projectDir, "node_modules", "bun");
  try {
    if ((JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as { version?: string }).version === version) return path.join(pkg, "bin", "bun.exe");
  } catch {
    // not installed
  }
  const os = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch;
  if ((os !== "linux" && os !== "darwin" && os !== "windows") || (arch !== "x64" && arch !== "arm64")) return undefined;
  const libc = os === "linux" && !existsSync(arch === "arm64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2") ? "musl" : "glibc";
  const runtime = runtimePackageFor({ os, arch, libc }, version);
  if (fetchedBefore(runtime, cacheDir)) return runtimeCachePath(cacheDir, runtime);
  if (!allowFetch) return undefined;
  await fetchIntoCache(runtime, cacheDir, projectDir);
  return runtimeCachePath(cacheDir, runtime);
}

/**
 * The lock entry of a runtime fetched into the cache earlier (npm integrity recorded beside it),
 * when the file is still the one that was fetched; else undefined.
 */
function fetchedBefore(runtime: RuntimePackage, cacheDir: string): RuntimeLockEntry | undefined {
  const file = runtimeCachePath(cacheDir, runtime);
  try {
    const origin = JSON.parse(readFileSync(`${file}.origin.json`, "utf8")) as RuntimeLockEntry;
    if (origin.version !== runtime.version || origin.entry !== runtime.entry || !origin.integrity) return undefined;
    return stampMatches(file, readStampBeside(file), origin.sha256) ? origin : undefined;
  } catch {
    return undefined;
  }
}

/** Runtimes needed by the configured targets, unique by package, sorted by name. */
export function runtimesFor(config: Config, bunVersion: string): RuntimePackage[] {
  const unique = new Map(config.targets.map((t) => {
    const r = runtimePackageFor(t, bunVersion);
    return [r.name, r] as const;
  }));
  return [...unique.values()].sort((a, b) => a.name.localeCompare(b.name));
}

/**
 * `bun verify toolchain --update`: fetch every runtime the targets need for this Bun, record
 * integrity and sha256 in the lock, keep them in the cache. Fetching is the trust step.
 */
export async function updateToolchainLock(
  config: Config,
  compiler: Compiler,
  cacheDir: string,
  log: (line: string) => void,
  options: { reuseFetched?: boolean } = {},
): Promise<ToolchainLock> {
  const lock: ToolchainLock = { bun: compiler.version, runtimes: {} };
  for (const runtime of runtimesFor(config, compiler.version)) {
    const cached = options.reuseFetched ? fetchedBefore(runtime, cacheDir) : undefined;
    if (cached) {
      // Fetched by npm (integrity checked) and not written since: the same trust, without 100 MB again.
      log(`cached   ${runtime.name}@${runtime.version}`);
      lock.runtimes[runtime.name] = cached;
      continue;
    }
    log(`fetching ${runtime.name}@${runtime.version}`);
    lock.runtimes[runtime.name] = await fetchIntoCache(runtime, cacheDir, config.projectDir);
    log(`  sha256:${lock.runtimes[runtime.name]!.sha256}  ${lock.runtimes[runtime.name]!.bytes} bytes`);
  }
  await writeFileAtomic(lockPath(config.projectDir), stableJson(lock));
  return lock;
}

/**
 * A runtime package from the cache, fetched with npm when missing (npm checks the registry's
 * integrity). For naming the runtime inside an executable, not for building: builds use only
 * locked runtimes (ensureRuntime).
 */
export async function cachedRuntimePackage(runtime: RuntimePackage, cacheDir: string, projectDir: string): Promise<string> {
  const target = runtimeCachePath(cacheDir, runtime);
  if (existsSync(target)) return target;
  const fetched = await fetchRuntime(runtime, cacheDir, projectDir);
  await mkdir(path.dirname(target), { recursive: true });
  await rename(fetched.path, target);
  await rm(fetched.workDir, { recursive: true, force: true });
  await writeStampBeside(target, fetched.sha256);
  return target;
}

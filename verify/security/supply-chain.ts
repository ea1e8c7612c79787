// Check 3, supply chain:
//   - the pinned Bun runtimes: every artifact was built with the runtime digest the lock pins
//     today, and every cached runtime still has those bytes;
//   - the lockfile: every package has an integrity hash, and nothing is fetched from a git URL
//     or from a tarball URL outside the registry (package-lock.json / npm-shrinkwrap.json,
//     bun.lock; package.json specs too, for dependencies no lockfile covers).
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as jsonc from "jsonc-parser";
import { type Manifest, hashFiles } from "../digest/index.ts";
import { type ToolchainLock, LOCK_FILE, RuntimeDigestError, runtimeCachePath } from "../toolchain/index.ts";
import { type CheckResult, type Finding, checkResult, redactUrlCredentials as redact } from "./findings.ts";

export interface SupplyChainInput {
  projectDir: string;
  manifest: Manifest | undefined;
  lock: ToolchainLock | undefined;
  cacheDir: string;
  env: NodeJS.ProcessEnv;
}

export async function checkSupplyChain(input: SupplyChainInput): Promise<CheckResult> {
  const runtimes = await checkRuntimes(input);
  const lockfile = checkLockfile(input.projectDir, allowedRegistries(input.projectDir, input.env));
  const findings = [...runtimes.findings, ...lockfile.findings];
  return checkResult("supply-chain", findings, `${runtimes.summary}; ${lockfile.summary}`);
}

// ---------------------------------------------------------------------------------------
// Runtimes

export async function checkRuntimes(input: SupplyChainInput): Promise<{ findings: Finding[]; summary: string }> {
  const findings: Finding[] = [];
  const { lock, manifest } = input;
  if (!lock) {
    findings.push({ severity: "error", rule: "runtime/no-lock", file: LOCK_FILE, message: `${LOCK_FILE} does not exist: the target runtimes are not pinned (run bun verify toolchain --update and commit it)` });
    return { findings, summary: "runtimes: not pinned" };
  }
  // The runtimes the artifacts were built with (all pinned ones when nothing is built yet).
  const usedNames = manifest ? new Set(manifest.targets.map((t) => t.runtime.package)) : new Set(Object.keys(lock.runtimes));
  const used = new Map<string, { version: string; entry: string; sha256: string }>();
  for (const [name, entry] of Object.entries(lock.runtimes)) if (usedNames.has(name)) used.set(name, entry);
  if (manifest) {
    if (manifest.bun !== lock.bun) {
      findings.push({
        severity: "error",
        rule: "runtime/version",
        file: LOCK_FILE,
        message: `the artifacts were built with Bun ${manifest.bun}, but ${LOCK_FILE} pins the runtimes of Bun ${lock.bun}: rebuild them`,
      });
    }
    for (const target of manifest.targets) {
      const locked = lock.runtimes[target.runtime.package];
      if (!locked || locked.version !== target.runtime.version) {
        findings.push({
          severity: "error",
          rule: "runtime/not-locked",
          file: LOCK_FILE,
          artifact: target.file,
          message: `built with ${target.runtime.package}@${target.runtime.version}, which ${LOCK_FILE} does not pin`,
        });
        continue;
      }
      if (locked.sha256 !== target.runtime.sha256) {
        findings.push({
          severity: "error",
          rule: "runtime/digest",
          file: LOCK_FILE,
          artifact: target.file,
          message: `built with ${target.runtime.package}@${target.runtime.version} sha256:${target.runtime.sha256}, but ${LOCK_FILE} pins sha256:${locked.sha256}: the lock or the build was tampered with, or the lock was re-pinned without rebuilding`,
        });
      }
    }
  }
  // Every runtime the lock pins that is in the cache must still have the locked bytes.
  const cached: { name: string; file: string; sha256: string; version: string; entry: string }[] = [];
  for (const [name, entry] of used) {
    const file = runtimeCachePath(input.cacheDir, { name, version: entry.version, entry: entry.entry });
    if (existsSync(file)) cached.push({ name, file, ...entry });
  }
  const digests = await hashFiles(cached.map((c) => c.file));
  cached.forEach((c, i) => {
    if (digests[i]!.sha256 === c.sha256) return;
    const error = new RuntimeDigestError({ name: c.name, version: c.version, entry: c.entry }, c.file, c.sha256, digests[i]!.sha256);
    findings.push({ severity: "error", rule: "runtime/cache-digest", file: LOCK_FILE, message: error.message.split("\n").slice(0, 4).join(" ").replace(/\s+/g, " ") });
  });
  const pinned = Object.keys(lock.runtimes).length;
  const checkedArtifacts = manifest ? `, ${manifest.targets.length} artifact(s) checked against it` : "";
  const notCached = used.size - cached.length;
  return {
    findings,
    summary: `runtimes: ${pinned} pinned in ${LOCK_FILE}${checkedArtifacts}, ${cached.length} cached runtime(s) re-hashed${notCached > 0 ? ` (${notCached} not in the cache: not re-hashed)` : ""}`,
  };
}

// ---------------------------------------------------------------------------------------
// Lockfiles

/** The public registry, its yarn mirror, and registries configured in .npmrc files or the environment. */
export function allowedRegistries(projectDir: string, env: NodeJS.ProcessEnv): string[] {
  const registries = new Set(["https://registry.npmjs.org/", "https://registry.yarnpkg.com/"]);
  const add = (url: string | undefined) => {
    if (url && /^https?:\/\//.test(url.trim())) registries.add(url.trim().replace(/\/*$/, "/"));
  };
  add(env.npm_config_registry ?? env.NPM_CONFIG_REGISTRY);
  const home = env.HOME || env.USERPROFILE || os.homedir();
  for (const rc of [path.join(projectDir, ".npmrc"), path.join(home, ".npmrc")]) {
    let text: string;
    try {
      text = readFileSync(rc, "utf8");
    } catch {
      continue;
    }
    for (const line of text.split(/\r?\n/)) {
      const match = /^\s*(?:@[\w.-]+:)?registry\s*=\s*(\S+)/.exec(line);
      if (match) add(match[1]);
    }
  }
  return [...registries];
}

export type SpecKind = "registry" | "git" | "tarball-url" | "local";

/** What a version, resolved URL or dependency spec points to. */
export function classifySpec(spec: string, registries: string[]): { kind: SpecKind; outside?: boolean } {
  const s = spec.trim();
  if (/^(git\+[a-z]+:|git:|github:|gitlab:|bitbucket:|gist:)/i.test(s) || /^git@[^:]+:/.test(s)) return { kind: "git" };
  if (/^[\w.-]+\/[\w.-]+(#.*)?$/.test(s) && !s.startsWith("@")) return { kind: "git" }; // GitHub shorthand user/repo
  if (/^https?:\/\//i.test(s)) {
    if (/\.git(#.*)?$/.test(s)) return { kind: "git" };
    const inRegistry = registries.some((r) => s.startsWith(r)) && /\/-\/[^/]+\.tgz$/.test(s.split(/[?#]/)[0]!);
    return { kind: "tarball-url", outside: !inRegistry };
  }
  if (/^(file:|link:|workspace:|portal:|\.\.?\/|\/)/.test(s)) return { kind: "local" };
  return { kind: "registry" };
}

interface LockPackage {
  key: string;
  name: string;
  version?: string;
  resolved?: string;
  integrity?: string;
  optional?: boolean;
  inBundle?: boolean;
  link?: boolean;
}

export function checkLockfile(projectDir: string, registries: string[]): { findings: Finding[]; summary: string } {
  const packageJson = readJsonIfExists(path.join(projectDir, "package.json")) as Record<string, Record<string, string> | undefined> | undefined;
  const findings: Finding[] = [...packageJsonSpecs(packageJson, registries)];
  const npmLock = ["npm-shrinkwrap.json", "package-lock.json"].find((f) => existsSync(path.join(projectDir, f)));
  const summaries: string[] = [];
  if (npmLock) {
    const result = checkNpmLock(npmLock, readJsonIfExists(path.join(projectDir, npmLock)), registries, existsSync(path.join(projectDir, "scripts", "lock-optional-platforms.mjs")));
    findings.push(...result.findings);
    summaries.push(result.summary);
  }
  if (existsSync(path.join(projectDir, "bun.lock"))) {
    const result = checkBunLock("bun.lock", readFileSync(path.join(projectDir, "bun.lock"), "utf8"), registries);
    findings.push(...result.findings);
    summaries.push(result.summary);
  }
  for (const other of ["bun.lockb", "yarn.lock", "pnpm-lock.yaml"]) {
    if (existsSync(path.join(projectDir, other))) {
      findings.push({ severity: "warning", rule: "lockfile/unsupported", file: other, message: `${other} is not checked (supported: package-lock.json, npm-shrinkwrap.json, bun.lock)` });
    }
  }
  if (summaries.length === 0) {
    const deps = ["dependencies", "devDependencies", "optionalDependencies"].flatMap((k) => Object.keys(packageJson?.[k] ?? {}));
    if (deps.length > 0) {
      findings.push({ severity: "error", rule: "lockfile/missing", file: "package.json", message: `${deps.length} dependencies but no lockfile: nothing pins their versions or contents (run npm install and commit package-lock.json)` });
      summaries.push("no lockfile");
    } else {
      summaries.push("no lockfile (no dependencies)");
    }
  }
  return { findings, summary: summaries.join("; ") };
}

function packageJsonSpecs(pkg: Record<string, Record<string, string> | undefined> | undefined, registries: string[]): Finding[] {
  const findings: Finding[] = [];
  for (const section of ["dependencies", "devDependencies", "optionalDependencies", "peerDependencies"]) {
    for (const [name, spec] of Object.entries(pkg?.[section] ?? {})) {
      const target = spec.startsWith("npm:") ? spec.slice(spec.lastIndexOf("@") + 1) : spec;
      const { kind, outside } = classifySpec(target, registries);
      if (kind === "git") findings.push({ severity: "error", rule: "dependency/git", file: "package.json", message: `${section}.${name} is fetched from git (${redact(spec)}): no registry integrity, the content is whatever the ref points to` });
      if (kind === "tarball-url" && outside) findings.push({ severity: "error", rule: "dependency/tarball-url", file: "package.json", message: `${section}.${name} is fetched from a tarball URL outside the registry (${redact(spec)})` });
    }
  }
  return findings;
}

export function checkNpmLock(file: string, lock: unknown, registries: string[], hasOptionalPlatformScript: boolean): { findings: Finding[]; summary: string } {
  const findings: Finding[] = [];
  const data = lock as { lockfileVersion?: number; packages?: Record<string, Record<string, unknown>>; dependencies?: Record<string, Record<string, unknown>> } | undefined;
  if (!data || typeof data !== "object") {
    return { findings: [{ severity: "error", rule: "lockfile/unreadable", file, message: `${file} is not valid JSON` }], summary: `${file}: unreadable` };
  }
  const packages = data.packages ? fromPackagesSection(data.packages) : fromDependenciesSection(data.dependencies ?? {}, "");
  const optionalNames = new Set<string>();
  for (const entry of Object.values(data.packages ?? {})) {
    for (const name of Object.keys((entry.optionalDependencies as Record<string, string> | undefined) ?? {})) optionalNames.add(name);
  }
  let checked = 0;
  let withIntegrity = 0;
  const optionalWithoutIntegrity: string[] = [];
  for (const p of packages) {
    if (p.link || p.inBundle) continue;
    checked++;
    if (p.integrity) withIntegrity++;
    const where = { file, rule: "", severity: "error" as const };
    const sources = [p.version, p.resolved].filter((s): s is string => typeof s === "string");
    let flagged = false;
    for (const s of sources) {
      const { kind, outside } = classifySpec(s, registries);
      if (kind === "git") {
        findings.push({ ...where, rule: "dependency/git", message: `${p.key} is fetched from git (${redact(s)}): no registry integrity, the content is whatever the ref points to` });
        flagged = true;
        break;
      }
      if (kind === "tarball-url" && outside) {
        findings.push({ ...where, rule: "dependency/tarball-url", message: `${p.key} is fetched from a tarball URL outside the registry (${redact(s)})` });
        flagged = true;
        break;
      }
      if (kind === "local") {
        flagged = true; // a folder or local tarball of the project: nothing is downloaded
        break;
      }
    }
    if (flagged || p.integrity) continue;
    if (p.optional && optionalNames.has(p.name) && !p.resolved) {
      optionalWithoutIntegrity.push(`${p.name}@${p.version ?? "?"}`);
    } else {
      findings.push({ ...where, rule: "lockfile/no-integrity", message: `${p.key}@${p.version ?? "?"} has no integrity hash: its content is not pinned` });
    }
  }
  if (optionalWithoutIntegrity.length > 0) {
    findings.push({
      severity: "warning",
      rule: "lockfile/no-integrity-optional",
      file,
      message:
        `${optionalWithoutIntegrity.length} optional platform package(s) locked without integrity (${optionalWithoutIntegrity.join(", ")}): npm fetches them by name and version from the registry on the platforms that need them and cannot check them against a digest` +
        (hasOptionalPlatformScript ? "; added on purpose by scripts/lock-optional-platforms.mjs, because the registry the lock was made against did not serve them" : ""),
    });
  }
  const errors = findings.filter((f) => f.severity === "error").length;
  return {
    findings,
    summary: `${file}: ${checked} packages, ${withIntegrity} with an integrity hash${errors === 0 ? ", none from git or a foreign URL" : ""}`,
  };
}

function fromPackagesSection(packages: Record<string, Record<string, unknown>>): LockPackage[] {
  return Object.entries(packages)
    .filter(([key]) => key !== "" && key.includes("node_modules/"))
    .map(([key, e]) => ({
      key,
      name: key.slice(key.lastIndexOf("node_modules/") + "node_modules/".length),
      version: typeof e.version === "string" ? e.version : undefined,
      resolved: typeof e.resolved === "string" ? e.resolved : undefined,
      integrity: typeof e.integrity === "string" ? e.integrity : undefined,
      optional: e.optional === true || e.devOptional === true,
      inBundle: e.inBundle === true,
      link: e.link === true,
    }));
}

/** lockfileVersion 1: nested `dependencies` objects. */
function fromDependenciesSection(deps: Record<string, Record<string, unknown>>, prefix: string): LockPackage[] {
  const out: LockPackage[] = [];
  for (const [name, e] of Object.entries(deps)) {
    const key = `${prefix}node_modules/${name}`;
    out.push({
      key,
      name,
      version: typeof e.version === "string" ? e.version : undefined,
      resolved: typeof e.resolved === "string" ? e.resolved : undefined,
      integrity: typeof e.integrity === "string" ? e.integrity : undefined,
      optional: e.optional === true,
      inBundle: e.bundled === true,
    });
    if (e.dependencies && typeof e.dependencies === "object") out.push(...fromDependenciesSection(e.dependencies as Record<string, Record<string, unknown>>, `${key}/`));
  }
  return out;
}

/**
 * bun.lock (text, JSONC): "packages": { key: ["name@spec", registry?, {meta}, integrity?] }.
 * npm packages carry the registry ("" = default) and an sha512 integrity; git, github and
 * tarball dependencies show their URL in the spec.
 */
export function checkBunLock(file: string, text: string, registries: string[]): { findings: Finding[]; summary: string } {
  const errors: jsonc.ParseError[] = [];
  const data = jsonc.parse(text, errors, { allowTrailingComma: true }) as { packages?: Record<string, unknown[]> } | undefined;
  if (!data || errors.length > 0) return { findings: [{ severity: "error", rule: "lockfile/unreadable", file, message: `${file} could not be parsed` }], summary: `${file}: unreadable` };
  const findings: Finding[] = [];
  let checked = 0;
  let withIntegrity = 0;
  for (const [key, entry] of Object.entries(data.packages ?? {})) {
    if (!Array.isArray(entry) || typeof entry[0] !== "string") continue;
    const id = entry[0];
    // "name@spec" or "@scope/name@spec"; the spec itself may contain "@" (git@github.com).
    const at = id.indexOf("@", 1);
    const spec = at > 0 ? id.slice(at + 1) : "";
    checked++;
    const { kind, outside } = classifySpec(spec, registries);
    if (kind === "git") {
      findings.push({ severity: "error", rule: "dependency/git", file, message: `${key} is fetched from git (${redact(spec)}): no registry integrity, the content is whatever the ref points to` });
      continue;
    }
    if (kind === "tarball-url") {
      if (outside) findings.push({ severity: "error", rule: "dependency/tarball-url", file, message: `${key} is fetched from a tarball URL outside the registry (${redact(spec)})` });
      continue;
    }
    if (kind === "local" || /^(workspace|link|file|root|module):/.test(spec)) continue;
    const registry = typeof entry[1] === "string" ? entry[1] : "";
    if (registry !== "" && !registries.some((r) => registry.replace(/\/*$/, "/") === r)) {
      findings.push({ severity: "error", rule: "dependency/registry", file, message: `${key} comes from another registry (${redact(registry)})` });
    }
    const integrity = entry.find((v, i) => i > 0 && typeof v === "string" && /^sha(256|384|512)-/.test(v));
    if (integrity) withIntegrity++;
    else findings.push({ severity: "error", rule: "lockfile/no-integrity", file, message: `${key} (${id}) has no integrity hash: its content is not pinned` });
  }
  return { findings, summary: `${file}: ${checked} packages, ${withIntegrity} with an integrity hash` };
}

function readJsonIfExists(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as unknown;
  } catch {
    return undefined;
  }
}

// Which Bun a project already builds with: every place a project can state it, in the order
// a user would trust them (what the lockfile installed first, loose ranges last). Pure: the
// files come in through a reader.
import path from "node:path";
import semver from "semver";
import YAML from "yaml";
import type { Located } from "./compile-call.ts";

export interface ProjectReader {
  /** Text of a project file (relative path, forward slashes), or undefined when missing. */
  read(relative: string): string | undefined;
  /** Relative paths of the files in a folder of the project (not recursive). */
  list(folder: string): string[];
}

export interface BunVersionClaim {
  at: Located;
  /** What the file says, e.g. "^1.3.0", "1.3.5", "latest". */
  spec: string;
  /** The exact version, when the claim is exact. */
  exact?: string;
  source: "lockfile" | "devDependency" | ".bun-version" | "packageManager" | "tool-versions" | "mise" | "workflow" | "engines";
}

export interface BunVersionChoice {
  /** The version to pin, when the project states one (or one can be picked from a range). */
  version?: string;
  /** The claim the version comes from. */
  from?: BunVersionClaim;
  claims: BunVersionClaim[];
  /** Claims that disagree with the chosen version, for the init report. */
  conflicts: BunVersionClaim[];
  /**
   * Claims that follow Bun's releases ("latest", "*", a dist-tag): not a conflict with any pin,
   * but the tool that reads them (setup-bun, mise) installs a different Bun over time, so the
   * init report says the executables now stay on the pinned one.
   */
  floating: BunVersionClaim[];
}

const EXACT = /^v?(\d+\.\d+\.\d+)$/;

function lineOf(text: string, needle: RegExp): number {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => needle.test(l));
  return i < 0 ? 1 : i + 1;
}

/**
 * Every statement of a Bun version the project makes, most trusted first. `ancestors` are the
 * folders above the project up to its checkout root ("..", "../.."), nearest first: a workspace
 * package is pinned where the workspace is (the root's lockfile, packageManager, .bun-version,
 * workflows), after what the package itself says.
 */
export function bunVersionClaims(reader: ProjectReader, ancestors: string[] = []): BunVersionClaim[] {
  const claims: BunVersionClaim[] = [];
  const add = (claim: Omit<BunVersionClaim, "exact">) => {
    const exact = EXACT.exec(claim.spec.trim())?.[1];
    claims.push(exact ? { ...claim, spec: claim.spec.trim(), exact } : { ...claim, spec: claim.spec.trim() });
  };
  const at = (folder: string, file: string) => (folder === "" ? file : path.posix.join(folder, file));
  const readPkg = (folder: string) => {
    const text = reader.read(at(folder, "package.json"));
    try {
      return { text, pkg: (text ? JSON.parse(text) : {}) as PackageJsonPins };
    } catch {
      return { text, pkg: {} as PackageJsonPins }; // init reports an unreadable package.json itself
    }
  };
  const folders = ["", ...ancestors];
  const { text: pkgText, pkg } = readPkg("");
  const declared = pkg.devDependencies?.bun ?? pkg.dependencies?.bun;

  // What the lockfile installed for the `bun` package: the version the project really builds
  // with. A workspace package's lockfile is the workspace root's: the nearest folder with one.
  const lockFolder = folders.find((f) => ["package-lock.json", "bun.lock", "pnpm-lock.yaml"].some((l) => reader.read(at(f, l)) !== undefined));
  if (declared && lockFolder !== undefined) {
    const npmLock = reader.read(at(lockFolder, "package-lock.json"));
    if (npmLock) {
      try {
        const lock = JSON.parse(npmLock) as { packages?: Record<string, { version?: string }> };
        const version = lock.packages?.["node_modules/bun"]?.version;
        if (version) add({ at: { file: at(lockFolder, "package-lock.json"), line: lineOf(npmLock, /"node_modules\/bun":/) }, spec: version, source: "lockfile" });
      } catch {
        // A broken lockfile is npm's to report.
      }
    }
    const bunLock = reader.read(at(lockFolder, "bun.lock"));
    const bunLockMatch = bunLock ? /"bun":\s*\[\s*"bun@(\d+\.\d+\.\d+)"/.exec(bunLock) : null;
    if (bunLock && bunLockMatch) add({ at: { file: at(lockFolder, "bun.lock"), line: lineOf(bunLock, /"bun":\s*\[\s*"bun@/) }, spec: bunLockMatch[1]!, source: "lockfile" });
    const pnpmLock = reader.read(at(lockFolder, "pnpm-lock.yaml"));
    const m = pnpmLock ? /^\s+bun:\s*\n\s+specifier:.*\n\s+version:\s*(\d+\.\d+\.\d+)/m.exec(pnpmLock) ?? /^\s*\/?bun@(\d+\.\d+\.\d+):/m.exec(pnpmLock) : null;
    if (pnpmLock && m) add({ at: { file: at(lockFolder, "pnpm-lock.yaml"), line: lineOf(pnpmLock, new RegExp(`bun@?${m[1]!.replaceAll(".", "\\.")}|version: ${m[1]!.replaceAll(".", "\\.")}`)) }, spec: m[1]!, source: "lockfile" });
  }
  if (declared && pkgText) add({ at: { file: "package.json", line: lineOf(pkgText, /"bun"\s*:/) }, spec: declared, source: "devDependency" });

  for (const folder of folders) {
    const bunVersionFile = reader.read(at(folder, ".bun-version"));
    if (bunVersionFile?.trim()) add({ at: { file: at(folder, ".bun-version"), line: 1 }, spec: bunVersionFile.trim().split(/\s/)[0]!, source: ".bun-version" });
    const { text, pkg: here } = folder === "" ? { text: pkgText, pkg } : readPkg(folder);
    if (here.packageManager?.startsWith("bun@") && text) {
      add({ at: { file: at(folder, "package.json"), line: lineOf(text, /"packageManager"/) }, spec: here.packageManager.slice(4).split("+")[0]!, source: "packageManager" });
    }
    const toolVersions = reader.read(at(folder, ".tool-versions"));
    const tv = toolVersions ? /^bun\s+(\S+)/m.exec(toolVersions) : null;
    if (tv && toolVersions) add({ at: { file: at(folder, ".tool-versions"), line: lineOf(toolVersions, /^bun\s/) }, spec: tv[1]!, source: "tool-versions" });
    for (const file of ["mise.toml", ".mise.toml"]) {
      const miseText = reader.read(at(folder, file));
      const mm = miseText ? /^\s*bun\s*=\s*["']([^"']+)["']/m.exec(miseText) : null;
      if (mm && miseText) add({ at: { file: at(folder, file), line: lineOf(miseText, /^\s*bun\s*=/) }, spec: mm[1]!, source: "mise" });
    }
  }
  for (const folder of folders) {
    for (const file of reader.list(at(folder, ".github/workflows")).filter((f) => /\.ya?ml$/.test(f))) {
      const text = reader.read(file);
      if (text) for (const claim of workflowClaims(text, file)) claims.push(claim);
    }
  }
  if (pkg.engines?.bun && pkgText) add({ at: { file: "package.json", line: lineOf(pkgText, /"bun"\s*:\s*"[^"]*"\s*,?\s*$/) }, spec: pkg.engines.bun, source: "engines" });
  return claims;
}

interface PackageJsonPins {
  devDependencies?: Record<string, string>;
  dependencies?: Record<string, string>;
  packageManager?: string;
  engines?: Record<string, string>;
}

/** `uses: oven-sh/setup-bun` steps and their `bun-version` (or `bun-version-file`). */
function workflowClaims(text: string, file: string): BunVersionClaim[] {
  const claims: BunVersionClaim[] = [];
  const lineCounter = new YAML.LineCounter();
  let doc;
  try {
    doc = YAML.parseDocument(text, { lineCounter });
  } catch {
    return claims;
  }
  YAML.visit(doc, {
    Map(_key, node) {
      const uses = node.get("uses");
      if (typeof uses !== "string" || !uses.startsWith("oven-sh/setup-bun")) return;
      const withNode = node.get("with", true) as YAML.YAMLMap | undefined;
      const version = withNode?.get?.("bun-version", true) as YAML.Scalar | undefined;
      if (version && version.value !== undefined && version.value !== null) {
        const line = version.range ? lineCounter.linePos(version.range[0]).line : 1;
        const spec = String(version.value);
        const exact = EXACT.exec(spec.trim())?.[1];
        claims.push(exact ? { at: { file, line }, spec, exact, source: "workflow" } : { at: { file, line }, spec, source: "workflow" });
      }
    },
  });
  return claims;
}

/**
 * The version to pin: the first exact claim (lockfile, devDependency, .bun-version,
 * packageManager, .tool-versions, mise, workflow), else the newest published version that
 * satisfies every range the project states. `published` lists the versions on the registry
 * (newest last is not required).
 */
export function chooseBunVersion(claims: BunVersionClaim[], published: string[] | undefined): BunVersionChoice {
  const floating = claims.filter(isFloating);
  const exact = claims.find((c) => c.exact !== undefined);
  if (exact) {
    const conflicts = claims.filter((c) => (c.exact !== undefined ? c.exact !== exact.exact : !satisfiesLoose(exact.exact!, c.spec)));
    return { version: exact.exact!, from: exact, claims, conflicts, floating };
  }
  const ranges = claims.filter((c) => semver.validRange(c.spec) !== null && c.spec !== "latest");
  if (ranges.length > 0 && published) {
    const stable = published.filter((v) => semver.valid(v) && !semver.prerelease(v));
    const matching = stable.filter((v) => ranges.every((c) => semver.satisfies(v, c.spec)));
    const best = semver.rsort(matching)[0];
    if (best) return { version: best, from: ranges[0]!, claims, conflicts: [], floating };
  }
  return { claims, conflicts: [], floating };
}

/** "latest", "canary", "*", "x": a spec that names no version and follows Bun's releases. */
function isFloating(claim: BunVersionClaim): boolean {
  const spec = claim.spec.trim().toLowerCase();
  return spec === "latest" || spec === "canary" || spec === "*" || spec === "x" || spec === "";
}

function satisfiesLoose(version: string, spec: string): boolean {
  if (spec === "latest" || semver.validRange(spec) === null) return true;
  return semver.satisfies(version, spec);
}

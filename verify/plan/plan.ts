// Config -> BuildPlan: the exact `bun build --compile` argv and environment per target.
// Pure (no I/O), so the same plan drives native builds and the container build.
import path from "node:path";
import { runtimePackageFor, type RuntimePackage, compileCapabilities, installCacheTarget, runtimeCacheFileName, type CompileCapabilities } from "../bun/index.ts";
import type { BuildOptions, Config, PrepareStep, Target, WindowsOptions } from "../config/index.ts";

export interface TargetPlan {
  target: Target;
  runtime: RuntimePackage;
  /** Where the pinned runtime executable is expected (from the toolchain cache). */
  runtimePath: string;
  /** Final file name inside outDir: <name>-<id>[.exe]. */
  outputFile: string;
  /** Private folder Bun writes into; only the executable leaves it. */
  stagingDir: string;
  /** What Bun writes: a fixed basename, because Bun embeds it as /$bunfs/root/<basename>. */
  stagedFile: string;
  /** Bun's metafile, when the pinned Bun has --metafile (1.3.6); else the modules are listed by a resolver probe. */
  metafile?: string;
  /**
   * Bun before 1.3.6 has no --compile-executable-path: the pinned runtime is placed under the
   * file name that Bun looks up in a private $BUN_INSTALL_CACHE_DIR (bun-versions.ts).
   */
  runtimeSeed?: { dir: string; fileName: string };
  /** Re-sign the executable ad hoc when the signature Bun left is invalid (darwin targets). */
  repairSignature: boolean;
  /** Arguments after `bun`. */
  argv: string[];
  /** Variables set for the compiler, overriding the inherited environment. */
  env: Record<string, string>;
  cwd: string;
}

export interface PlannedPrepare extends PrepareStep {
  cwd: string;
  /** Variables set for the step, overriding the inherited environment (like the compiler's). */
  env: Record<string, string>;
}

export interface BuildPlan {
  /** Run once, in order, before any target compiles. */
  prepare: PlannedPrepare[];
  projectDir: string;
  outDir: string;
  name: string;
  entrypoint: string;
  /** build.additionalEntrypoints, compiled in after the entrypoint. */
  additionalEntrypoints: string[];
  bunVersion: string;
  targets: TargetPlan[];
  /** Things the user should know about this Bun (e.g. settings it cannot honour), one sentence each. */
  notes: string[];
}

export interface PlanOptions {
  bunVersion: string;
  /** Absolute path where the pinned runtime for a package lives. */
  runtimePathFor: (runtime: RuntimePackage) => string;
  /** Subset of config.targets to plan (default: all). */
  targets?: Target[];
  /** Output folder override (--out). */
  outDir?: string;
}

/** Staging lives inside outDir so the final rename never crosses a filesystem. */
export const STAGING_FOLDER = ".bun-parity-staging";

/**
 * Inherited variables that change what Bun writes: BUN_OPTIONS adds CLI flags,
 * BUN_NO_CODESIGN_MACHO_BINARY turns off darwin-arm64 signing (docs/build.md, "The plan"),
 * BUN_CONFIG_* change install behaviour. Every BUN_* variable is removed for the compiler.
 */
export function isScrubbedVariable(name: string): boolean {
  return name.startsWith("BUN_") || name === "NODE_OPTIONS";
}

export function buildPlan(config: Config, options: PlanOptions): BuildPlan {
  const outDir = options.outDir ? path.resolve(options.outDir) : config.outDir;
  const targets = (options.targets ?? config.targets).map((target) => planTarget(config, target, outDir, options));
  const prepare = config.build.prepare.map((step) => ({ ...step, cwd: config.projectDir, env: pinnedEnv(config) }));
  return {
    prepare,
    projectDir: config.projectDir,
    outDir,
    name: config.name,
    entrypoint: config.entrypoint,
    additionalEntrypoints: config.build.additionalEntrypoints,
    bunVersion: options.bunVersion,
    targets,
    notes: versionNotes(config, compileCapabilities(options.bunVersion)),
  };
}

function planTarget(config: Config, target: Target, outDir: string, options: PlanOptions): TargetPlan {
  const exe = target.os === "windows" ? ".exe" : "";
  const runtime = runtimePackageFor(target, options.bunVersion);
  const runtimePath = options.runtimePathFor(runtime);
  const stagingDir = path.join(outDir, STAGING_FOLDER, target.id);
  // Bun appends .exe itself for Windows targets; the basename stays the artifact name.
  const stagedFile = path.join(stagingDir, config.name + exe);
  const b = config.build;
  // Only flags this Bun has: Bun ignores unknown flags (bun-versions.ts), so a missing one would be silently dropped.
  const caps = compileCapabilities(options.bunVersion);
  const metafile = caps.metafile ? path.join(stagingDir, "metafile.json") : undefined;
  const runtimeSeed = caps.runtimeVia === "install-cache"
    ? { dir: path.join(stagingDir, "bun-install-cache"), fileName: runtimeCacheFileName(target, options.bunVersion) }
    : undefined;
  const argv = [
    "build",
    "--compile",
    `--target=${runtimeSeed ? installCacheTarget(target.bunTarget, target) : target.bunTarget}`,
    ...(runtimeSeed ? [] : [`--compile-executable-path=${runtimePath}`]),
    `--outfile=${path.join(stagingDir, config.name)}`,
    ...(metafile ? [`--metafile=${metafile}`] : []),
  ];
  argv.push(...minifyFlags(b.minify));
  if (b.keepNames) argv.push("--keep-names");
  if (b.sourcemap === true) argv.push("--sourcemap");
  else if (typeof b.sourcemap === "string") argv.push(`--sourcemap=${b.sourcemap}`);
  if (b.bytecode) argv.push("--bytecode");
  if (b.format) argv.push(`--format=${b.format}`);
  for (const name of b.external) argv.push(`--external=${name}`);
  if (b.inlineEnv !== "disable") argv.push(`--env=${b.inlineEnv}`);
  for (const key of Object.keys(b.define).sort()) argv.push(`--define=${key}=${b.define[key]}`);
  argv.push(...autoloadFlags(b.autoload, caps));
  if (b.execArgv.length > 0) argv.push(`--compile-exec-argv=${b.execArgv.join(" ")}`);
  if (target.os === "windows") argv.push(...windowsFlags(b.windows));
  argv.push(...b.args);
  argv.push(`./${config.entrypoint}`, ...b.additionalEntrypoints.map((e) => `./${e}`));

  return {
    target,
    runtime,
    runtimePath,
    outputFile: `${config.name}-${target.id}${exe}`,
    stagingDir,
    stagedFile,
    ...(metafile ? { metafile } : {}),
    ...(runtimeSeed ? { runtimeSeed } : {}),
    repairSignature: target.os === "darwin" && b.macosAdhocSign,
    argv,
    env: pinnedEnv(config),
    cwd: config.projectDir,
  };
}

/**
 * NODE_ENV is always pinned (Bun inlines it from the builder's environment, docs/internals.md);
 * TZ too: nothing in Bun's output should depend on it, and pinning removes the question.
 */
function pinnedEnv(config: Config): Record<string, string> {
  return { TZ: "UTC", NODE_ENV: "production", ...config.build.env };
}

function minifyFlags(minify: BuildOptions["minify"]): string[] {
  if (minify === true) return ["--minify"];
  if (minify === false) return [];
  const flags: string[] = [];
  if (minify.whitespace) flags.push("--minify-whitespace");
  if (minify.syntax) flags.push("--minify-syntax");
  if (minify.identifiers) flags.push("--minify-identifiers");
  return flags;
}

/** --windows-* flags (only passed for Windows targets: Bun rejects them for other targets). */
function windowsFlags(w: WindowsOptions): string[] {
  const flags: string[] = [];
  if (w.hideConsole) flags.push("--windows-hide-console");
  if (w.icon !== undefined) flags.push(`--windows-icon=./${w.icon}`);
  for (const key of ["title", "publisher", "version", "description", "copyright"] as const) {
    if (w[key] !== undefined) flags.push(`--windows-${key}=${w[key]}`);
  }
  return flags;
}

/** The compiler's environment: inherited, minus variables that change output, plus the pinned ones. */
export function compilerEnvironment(plan: TargetPlan, inherited: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value !== undefined && !isScrubbedVariable(key)) env[key] = value;
  }
  return { ...env, ...plan.env, ...(plan.runtimeSeed ? { BUN_INSTALL_CACHE_DIR: plan.runtimeSeed.dir } : {}) };
}

/** The autoload switches this Bun has (1.3.3: dotenv, bunfig; 1.3.4: tsconfig, package.json). */
function autoloadFlags(autoload: Config["build"]["autoload"], caps: CompileCapabilities): string[] {
  const flags: string[] = [];
  const flag = (on: boolean, name: string) => flags.push(on ? `--compile-autoload-${name}` : `--no-compile-autoload-${name}`);
  if (caps.autoloadDotenvBunfig) {
    flag(autoload.dotenv, "dotenv");
    flag(autoload.bunfig, "bunfig");
  }
  if (caps.autoloadTsconfigPackageJson) {
    flag(autoload.tsconfig, "tsconfig");
    flag(autoload.packageJson, "package-json");
  }
  return flags;
}

/** What this Bun cannot do that the configuration asks for by default (explicit settings are ConfigErrors, config.ts). */
function versionNotes(config: Config, caps: CompileCapabilities): string[] {
  const notes: string[] = [];
  const { dotenv, bunfig } = config.build.autoload;
  if (!caps.autoloadDotenvBunfig && (!dotenv || !bunfig)) {
    notes.push(
      `Bun ${caps.bunVersion} cannot turn off .env and bunfig.toml autoloading (--no-compile-autoload-dotenv/-bunfig arrived in 1.3.3): ` +
        "the executables read .env* and bunfig.toml from the folder they run in. Pin Bun 1.3.3 or later to make them hermetic.",
    );
  }
  if (!caps.metafile) {
    notes.push(`Bun ${caps.bunVersion} has no --metafile (1.3.6): the bundled modules are listed by running Bun's resolver over the entrypoint.`);
  }
  if (config.build.bytecode && !caps.reproducibleBytecode) {
    notes.push(
      `Bun ${caps.bunVersion} writes different --bytecode output on every build of the same input (the same bytes from 1.4.1 on; docs/internals.md): ` +
        "no two builds are identical, so parity cannot pass. Pin Bun 1.4.1 or later, or set build.bytecode to false.",
    );
  }
  return notes;
}

/**
 * The argv with machine-specific paths replaced by names, for digests and for comparing a
 * plan made on one machine with one made on another.
 */
export function portableArgv(plan: TargetPlan, outDir: string): string[] {
  return plan.argv.map((arg) =>
    arg
      .replace(plan.runtimePath, `<runtime ${plan.runtime.name}@${plan.runtime.version}>`)
      .replace(outDir, "<outDir>"),
  );
}

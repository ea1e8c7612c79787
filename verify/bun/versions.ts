// Which Bun versions bun-parity builds with, and what `bun build --compile` can do in each.
// Pure. Every "since" below was checked against that version's `bun build --help` and by
// real compiles with every Bun from 1.2.0 to 1.4.5 (npm `@oven/bun-linux-x64@<version>` is
// that version's CLI); docs/internals.md ("Bun versions: what each one can compile") has
// the table and the evidence.
//
// Bun ignores command-line flags it does not know (1.2.0 to 1.4.5 alike: `bun build
// --compile --no-such-flag` succeeds), so a flag sent to a Bun that lacks it is silently
// dropped: --no-compile-autoload-dotenv before 1.3.3 leaves .env autoloading on, and
// --compile-executable-path before 1.3.6 makes Bun download an unverified runtime. The plan
// therefore sends only the flags the pinned Bun has, and a configured option that needs a
// missing flag is a ConfigError naming the version that introduced it.
import { compareVersions, OLDEST_SUPPORTED_BUN, type TargetTriple } from "./targets.ts";

export { OLDEST_SUPPORTED_BUN };
/** The newest Bun checked here; later 1.x versions are accepted and read by structure. */
export const NEWEST_CHECKED_BUN = "1.4.5";

/** A sentence saying why a Bun version is outside the supported range, or undefined when it is inside. */
export function unsupportedBunProblem(version: string): string | undefined {
  const match = /^(\d+)\.(\d+)\.(\d+)/.exec(version);
  if (!match) return `"${version}" is not a Bun version (expected X.Y.Z)`;
  if (Number(match[1]) !== 1) {
    return `Bun ${version} is outside the supported range: ${OLDEST_SUPPORTED_BUN} to the newest 1.x (its compiled-executable layout is not known to bun-parity)`;
  }
  if (compareVersions(version, OLDEST_SUPPORTED_BUN) < 0) return `Bun ${version} is older than the oldest supported ${OLDEST_SUPPORTED_BUN}`;
  return undefined;
}

/** The fix for an unsupported Bun, naming the places a project pins it. */
export const PIN_SUPPORTED_BUN_FIX =
  `Pin a Bun from ${OLDEST_SUPPORTED_BUN} on: npm install --save-exact --save-dev bun@1.3.14 (or set $BUN_PARITY_BUN to such a Bun), ` +
  "and update .bun-version / packageManager / the workflow's bun-version to match.";

export interface CompileFeature {
  /** What the user sees: the flag, or the flag and value. */
  flag: string;
  /** The first Bun version that has it. */
  since: string;
  /** Evidence, for docs and messages. */
  source: string;
}

/** `bun build --compile` features whose presence depends on the Bun version. */
export const COMPILE_FEATURES = {
  production: { flag: "--production", since: "1.2.5", source: "bun build --help of 1.2.5" },
  formatCjs: { flag: "--format=cjs", since: "1.2.4", source: "bun build --help of 1.2.4 (\"esm\", \"cjs\" and \"iife\" are supported)" },
  execArgv: { flag: "--compile-exec-argv", since: "1.2.21", source: "oven-sh/bun#21895; bun build --help of 1.2.21; graph Offsets grew to 32 bytes" },
  windowsMetadata: {
    flag: "--windows-title/--windows-publisher/--windows-version/--windows-description/--windows-copyright",
    since: "1.2.21",
    source: "bun build --help of 1.2.21",
  },
  keepNames: { flag: "--keep-names", since: "1.2.22", source: "bun build --help of 1.2.22" },
  autoloadDotenv: { flag: "--[no-]compile-autoload-dotenv", since: "1.3.3", source: "oven-sh/bun#24790; Offsets.flags bit 0 set from 1.3.3" },
  autoloadBunfig: { flag: "--[no-]compile-autoload-bunfig", since: "1.3.3", source: "oven-sh/bun#24790; Offsets.flags bit 1 set from 1.3.3" },
  autoloadTsconfig: { flag: "--[no-]compile-autoload-tsconfig", since: "1.3.4", source: "bun build --help of 1.3.4; Offsets.flags bit 2" },
  autoloadPackageJson: { flag: "--[no-]compile-autoload-package-json", since: "1.3.4", source: "bun build --help of 1.3.4; Offsets.flags bit 3" },
  executablePath: { flag: "--compile-executable-path", since: "1.3.6", source: "oven-sh/bun#25934; bun build --help of 1.3.6" },
  metafile: { flag: "--metafile", since: "1.3.6", source: "bun build --help of 1.3.6; 1.3.5 accepts the flag and writes nothing" },
  metafileMarkdown: { flag: "--metafile-md", since: "1.3.8", source: "bun build --help of 1.3.8" },
  esmBytecode: { flag: "--bytecode --format=esm", since: "1.3.9", source: "oven-sh/bun#26402; 1.3.8: \"format must be 'cjs' when bytecode is true\"" },
  asset: { flag: "--asset", since: "1.4.0", source: "oven-sh/bun#36302; bun build --help of 1.4.0" },
  reproducibleBytecode: {
    flag: "--bytecode, the same bytes on every build",
    since: "1.4.1",
    source: "measured (a 146 KB CommonJS bundle, linux-x64, three builds each): 1.2.23, 1.3.14 and 1.4.0 write different bytecode every time; 1.4.1 and 1.4.5 the same bytes",
  },
  windowsHideConsoleCrossHost: {
    flag: "--windows-hide-console (from a Linux or macOS host)",
    since: "1.4.0",
    source: "1.3.14: \"Using --windows-hide-console is only available when compiling on Windows\"; 1.4.0 writes the GUI subsystem",
  },
} as const satisfies Record<string, CompileFeature>;

export type CompileFeatureName = keyof typeof COMPILE_FEATURES;

export function supports(bunVersion: string, feature: CompileFeatureName): boolean {
  return compareVersions(bunVersion, COMPILE_FEATURES[feature].since) >= 0;
}

/** e.g. "--compile-exec-argv needs Bun 1.2.21 or later; the pinned Bun is 1.2.20". */
export function missingFeature(bunVersion: string, feature: CompileFeatureName): string {
  const f = COMPILE_FEATURES[feature];
  return `${f.flag} needs Bun ${f.since} or later; the pinned Bun is ${bunVersion}`;
}

export interface CompileCapabilities {
  bunVersion: string;
  /** How the pinned runtime reaches Bun: the flag, or a private install cache holding it under Bun's own file name. */
  runtimeVia: "executable-path" | "install-cache";
  /** --metafile lists the bundled modules; without it they are listed by a resolver probe. */
  metafile: boolean;
  execArgv: boolean;
  /** --no-compile-autoload-dotenv/-bunfig exist; before 1.3.3 the executable always loads .env and bunfig.toml. */
  autoloadDotenvBunfig: boolean;
  /** --[no-]compile-autoload-tsconfig/-package-json exist. */
  autoloadTsconfigPackageJson: boolean;
  esmBytecode: boolean;
  /** --bytecode writes the same bytes on every build of the same input. */
  reproducibleBytecode: boolean;
}

/** What the plan may ask of this Bun (the few switches plan.ts needs). */
export function compileCapabilities(bunVersion: string): CompileCapabilities {
  return {
    bunVersion,
    runtimeVia: supports(bunVersion, "executablePath") ? "executable-path" : "install-cache",
    metafile: supports(bunVersion, "metafile"),
    execArgv: supports(bunVersion, "execArgv"),
    autoloadDotenvBunfig: supports(bunVersion, "autoloadDotenv"),
    autoloadTsconfigPackageJson: supports(bunVersion, "autoloadTsconfig"),
    esmBytecode: supports(bunVersion, "esmBytecode"),
    reproducibleBytecode: supports(bunVersion, "reproducibleBytecode"),
  };
}

/**
 * The file name Bun looks up in its install cache for a target runtime: CompileTarget's
 * format "bun-{os}-{arch}{-musl}{-baseline}-v{X.Y.Z}" with arch spelled aarch64
 * (src/compile_target.zig). Measured: Bun 1.2.0 to 1.4.5 all use a file of this name from
 * $BUN_INSTALL_CACHE_DIR without downloading. baseline is dropped on arm64, as Bun does.
 */
export function runtimeCacheFileName(t: TargetTriple, bunVersion: string): string {
  const arch = t.arch === "arm64" ? "aarch64" : "x64";
  const musl = t.libc === "musl" ? "-musl" : "";
  const baseline = t.cpuLevel === "baseline" && t.arch === "x64" ? "-baseline" : "";
  return `bun-${t.os}-${arch}${musl}${baseline}-v${bunVersion}`;
}

/**
 * The --target string to give a Bun that takes the runtime from its install cache. Bun's
 * CompileTarget starts from the compiler's own CPU level, so a baseline compiler reads
 * "bun-linux-x64" as the baseline runtime; an explicit "-modern" pins the name looked up.
 */
export function installCacheTarget(bunTarget: string, t: TargetTriple): string {
  return t.arch === "x64" && !t.cpuLevel ? `${bunTarget}-modern` : bunTarget;
}

/** The targets.json build options whose meaning depends on the Bun version, as written (before defaults). */
export interface VersionedBuildOptions {
  execArgv?: string[];
  bytecode?: boolean;
  format?: string;
  keepNames?: boolean;
  windows?: { hideConsole?: boolean; icon?: string; title?: string; publisher?: string; version?: string; description?: string; copyright?: string };
  args?: string[];
  autoload?: { dotenv?: boolean; bunfig?: boolean; tsconfig?: boolean; packageJson?: boolean };
}

export interface BuildOptionProblem {
  /** JSON path segments under $.build. */
  path: (string | number)[];
  problem: string;
  expected: string;
  fix: string;
}

/**
 * Options a project sets that the pinned Bun cannot honour. Settings left at their defaults
 * are not problems: the plan sends what the Bun has and reports the rest as notes.
 */
export function buildOptionProblems(build: VersionedBuildOptions | undefined, bunVersion: string): BuildOptionProblem[] {
  const problems: BuildOptionProblem[] = [];
  if (!build) return problems;
  const need = (path: (string | number)[], feature: CompileFeatureName, fix: string) => {
    if (supports(bunVersion, feature)) return;
    problems.push({ path, problem: missingFeature(bunVersion, feature), expected: `Bun ${COMPILE_FEATURES[feature].since} or later for this option`, fix });
  };
  const pinNewer = (feature: CompileFeatureName) => `Pin Bun ${COMPILE_FEATURES[feature].since} or later (npm install --save-exact --save-dev bun@${COMPILE_FEATURES[feature].since})`;
  if (build.execArgv && build.execArgv.length > 0) need(["build", "execArgv"], "execArgv", `${pinNewer("execArgv")}, or remove "execArgv".`);
  // false asks for a flag old Bun lacks; true is what every Bun before 1.3.3 does anyway.
  if (build.autoload?.dotenv === false) need(["build", "autoload", "dotenv"], "autoloadDotenv", `${pinNewer("autoloadDotenv")}, or remove "autoload.dotenv" (this Bun always loads .env).`);
  if (build.autoload?.bunfig === false) need(["build", "autoload", "bunfig"], "autoloadBunfig", `${pinNewer("autoloadBunfig")}, or remove "autoload.bunfig" (this Bun always loads bunfig.toml).`);
  if (build.autoload?.tsconfig !== undefined) need(["build", "autoload", "tsconfig"], "autoloadTsconfig", `${pinNewer("autoloadTsconfig")}, or remove "autoload.tsconfig".`);
  if (build.autoload?.packageJson !== undefined) need(["build", "autoload", "packageJson"], "autoloadPackageJson", `${pinNewer("autoloadPackageJson")}, or remove "autoload.packageJson".`);
  if (build.bytecode && build.format === "esm") need(["build", "format"], "esmBytecode", `${pinNewer("esmBytecode")}, or set "format": "cjs" (bytecode before 1.3.9 is CommonJS only).`);
  if (build.format === "cjs") need(["build", "format"], "formatCjs", `${pinNewer("formatCjs")}, or remove "format".`);
  if (build.keepNames) need(["build", "keepNames"], "keepNames", `${pinNewer("keepNames")}, or remove "keepNames".`);
  for (const key of ["title", "publisher", "version", "description", "copyright"] as const) {
    if (build.windows?.[key] !== undefined) need(["build", "windows", key], "windowsMetadata", `${pinNewer("windowsMetadata")}, or remove "windows.${key}".`);
  }
  (build.args ?? []).forEach((arg, i) => {
    if (arg.split("=")[0] === "--asset") need(["build", "args", i], "asset", `${pinNewer("asset")}, or remove "${arg}".`);
  });
  return problems;
}

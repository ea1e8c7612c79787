// The typed result of reading targets.json (Config and its parts), and the shape of the raw JSON
// the schema admits before defaults are filled in. Kept apart so every stage that only needs the
// types reads them without the parsing code.
import type { Arch, Libc, Os } from "../bun/index.ts";

export interface MinifyOptions {
  whitespace: boolean;
  syntax: boolean;
  identifiers: boolean;
}

export type SourcemapKind = "none" | "linked" | "inline" | "external";

export interface WindowsOptions {
  hideConsole?: boolean;
  /** Relative to projectDir, forward slashes. */
  icon?: string;
  title?: string;
  publisher?: string;
  version?: string;
  description?: string;
  copyright?: string;
}

/** A command run before compiling: through the shell (string) or as an argv. */
export interface PrepareStep {
  name: string;
  run: string | string[];
}

export interface BuildOptions {
  /** Commands run once before compiling (their outputs are read by the bundler like any source). */
  prepare: PrepareStep[];
  /** true = --minify; an object names the parts (all false = no minification). */
  minify: boolean | MinifyOptions;
  keepNames: boolean;
  /** false = no source map; true = --sourcemap; a kind = --sourcemap=<kind>. */
  sourcemap: boolean | SourcemapKind;
  bytecode: boolean;
  format?: "esm" | "cjs";
  external: string[];
  /** KEY -> JavaScript expression, with package.json references already resolved. */
  define: Record<string, string>;
  /** Where each define came from when it is not a literal in targets.json (e.g. "package.json version"). */
  defineSources: Record<string, string>;
  env: Record<string, string>;
  inlineEnv: string;
  autoload: { dotenv: boolean; bunfig: boolean; tsconfig: boolean; packageJson: boolean };
  execArgv: string[];
  windows: WindowsOptions;
  /** Relative to projectDir, forward slashes. */
  additionalEntrypoints: string[];
  /** Other bun build flags, passed as they are. */
  args: string[];
  macosAdhocSign: boolean;
}

export interface Target {
  id: string;
  os: Os;
  arch: Arch;
  libc: Libc;
  bunTarget: string;
  cpuLevel?: "baseline" | "modern";
  runner: string;
  /** Size budget in bytes: the build fails when the executable is larger. */
  maxBytes?: number;
}

export interface ArchiveOptions {
  /** Extra files (relative to projectDir) put next to the executable in every archive. */
  files: string[];
  windowsZip: boolean;
  /** Absolute folder for the archives. */
  outDir: string;
}

export interface SmokeCase {
  name: string;
  args: string[];
  exitCode: number;
  stdout?: string;
  stderr?: string;
  env: Record<string, string>;
  timeoutMs: number;
  targets?: string[];
  /** Also run `bun <entrypoint>` the same way; exit code, stdout and stderr must be equal. */
  compare?: "source";
  /** compare cases: what is replaced in both outputs before comparing (default: all). */
  normalize?: SmokeNormalization[];
  /** compare cases: regular expressions blanked in both outputs before comparing. */
  ignore?: string[];
  /** Text fed to standard input; without it stdin is closed. */
  stdin?: string;
  /** Project folder (relative to projectDir, forward slashes) copied to be the working folder. */
  cwd?: string;
  /** Paths relative to the working folder that must exist after the run. */
  files?: string[];
}

export type SmokeNormalization = "program" | "cwd" | "stack";

export interface Config {
  /** Absolute path of targets.json. */
  file: string;
  /** Folder holding targets.json: the project root every relative path starts from. */
  projectDir: string;
  name: string;
  version?: string;
  /** Entry file relative to projectDir, with forward slashes. */
  entrypoint: string;
  /** Absolute output folder. */
  outDir: string;
  build: BuildOptions;
  targets: Target[];
  smoke: SmokeCase[];
  archives: ArchiveOptions;
}

export interface ParseOptions {
  /** Version of the Bun that will compile (decides which targets can be built). */
  bunVersion: string;
  /**
   * Text of a file of the project (relative path), or undefined when it does not exist:
   * package.json for `{"packageJson": ...}` defines. Default: read from the folder of targets.json.
   */
  readProjectFile?: (relative: string) => string | undefined;
}

/** A define in targets.json: a literal, or a package.json field read at build time. */
export type RawDefine = string | { packageJson: string };

/** targets.json as the schema admits it: optional fields still optional. */
export interface RawConfig {
  name: string;
  version?: string;
  entrypoint: string;
  outDir?: string;
  build?: {
    prepare?: (string | string[] | { name?: string; run: string | string[] })[];
    minify?: boolean | Partial<MinifyOptions>;
    keepNames?: boolean;
    sourcemap?: boolean | SourcemapKind;
    bytecode?: boolean;
    format?: "esm" | "cjs";
    external?: string[];
    define?: Record<string, RawDefine>;
    env?: Record<string, string>;
    inlineEnv?: string;
    autoload?: Partial<BuildOptions["autoload"]>;
    execArgv?: string[];
    windows?: WindowsOptions;
    additionalEntrypoints?: string[];
    args?: string[];
    macosAdhocSign?: boolean;
  };
  targets: { id: string; os: Os; arch: Arch; libc?: Libc; bunTarget?: string; runner?: string; maxBytes?: number }[];
  archives?: { files?: string[]; windowsZip?: boolean; outDir?: string };
  smoke?: RawSmokeCase[];
}

export interface RawSmokeCase {
  name: string; args: string[]; exitCode?: number; stdout?: string; stderr?: string;
  env?: Record<string, string>; timeoutMs?: number; targets?: string[];
  compare?: "source"; normalize?: SmokeNormalization[]; ignore?: string[]; stdin?: string; cwd?: string; files?: string[];
}

// Load and validate targets.json. Every rejection names the file, the
// JSON path, what was expected and what to do; syntax errors carry line and column.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as jsonc from "jsonc-parser";
import type { ErrorObject } from "ajv";
import schema from "../../targets.schema.json" with { type: "json" };
import { buildOptionProblems, bunTargetFor, compareVersions, defaultRunnerFor, minimumBunFor, parseBunTarget, type Arch, type Libc, type Os } from "../bun/index.ts";
import { ConfigError, UsageError } from "../errors.ts";
import { validate as validateSchema } from "./generated/targets.validate.js";

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

/** Extensions Bun compiles as a JavaScript or TypeScript module (anything else is not run). */
export const ENTRY_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

/** Flags bun-parity sets itself for every target; build.args may not set them again. */
const RESERVED_FLAGS = new Set(["--compile", "--target", "--outfile", "--outdir", "--metafile", "--compile-executable-path", "--define", "-d", "--watch", "--no-bundle"]);

type RawDefine = string | { packageJson: string };

function normalizeMinify(raw: boolean | Partial<MinifyOptions>): boolean | MinifyOptions {
  if (typeof raw === "boolean") return raw;
  const parts = { whitespace: raw.whitespace ?? false, syntax: raw.syntax ?? false, identifiers: raw.identifiers ?? false };
  if (parts.whitespace && parts.syntax && parts.identifiers) return true;
  if (!parts.whitespace && !parts.syntax && !parts.identifiers) return false;
  return parts;
}

function readBeside(projectDir: string): (relative: string) => string | undefined {
  return (relative) => {
    const abs = path.join(projectDir, relative);
    return existsSync(abs) && statSync(abs).isFile() ? readFileSync(abs, "utf8") : undefined;
  };
}

/**
 * Literal defines stay as written; {"packageJson": "version"} becomes the JSON string of that
 * package.json field, read now (at build time), so a release's version is inlined the way a
 * build script that reads package.json would inline it.
 */
function resolveDefines(
  raw: Record<string, RawDefine>,
  file: string,
  at: (jsonPath: (string | number)[]) => [number, number] | [],
  read: (relative: string) => string | undefined,
): { define: Record<string, string>; defineSources: Record<string, string> } {
  const define: Record<string, string> = {};
  const defineSources: Record<string, string> = {};
  let pkg: unknown;
  for (const [key, value] of Object.entries(raw)) {
    if (typeof value === "string") {
      define[key] = value;
      continue;
    }
    if (pkg === undefined) {
      const text = read("package.json");
      if (text === undefined) {
        throw new ConfigError(file, `$.build.define.${key}`, "reads package.json, but the project has none", "a package.json next to targets.json", "Add package.json, or write the value as a literal.", ...at(["build", "define", key]));
      }
      try {
        pkg = JSON.parse(text);
      } catch (error) {
        throw new ConfigError(file, `$.build.define.${key}`, `package.json is not valid JSON (${(error as Error).message})`, "a valid package.json", "Fix package.json.", ...at(["build", "define", key]));
      }
    }
    const found = value.packageJson.split(".").reduce<unknown>((node, part) => (node && typeof node === "object" ? (node as Record<string, unknown>)[part] : undefined), pkg);
    if (typeof found !== "string" && typeof found !== "number" && typeof found !== "boolean") {
      throw new ConfigError(
        file, `$.build.define.${key}.packageJson`, `package.json has no string, number or boolean at "${value.packageJson}"`,
        "a field of package.json such as \"version\"", `Add "${value.packageJson}" to package.json, or fix the path.`,
        ...at(["build", "define", key, "packageJson"]),
      );
    }
    define[key] = JSON.stringify(found);
    defineSources[key] = `package.json ${value.packageJson}`;
  }
  return { define, defineSources };
}

const DEFAULT_ENV = { NODE_ENV: "production" };

// The schema is the single source of truth for keys and types: validateSchema is ajv's code
// generated from it (scripts/generate-validator.ts), and describeSchemaError turns its reports
// into sentences.

/** Reads targets.json (and checks the entrypoint exists). Throws ConfigError / UsageError. */
export function loadConfig(file: string, options: ParseOptions): Config {
  const abs = path.resolve(file);
  if (!existsSync(abs)) {
    throw new UsageError(
      `${abs}: no such file`,
      "Create targets.json (see docs/targets.md, or run `bun-parity init`), or pass --config <file>.",
    );
  }
  const config = parseConfig(readFileSync(abs, "utf8"), abs, options);
  // With prepare steps the entry may be their output: the build checks it after running them.
  if (config.build.prepare.length === 0) checkEntrypointExists(config);
  return config;
}

/** The entrypoint is a file (after any prepare steps). Throws ConfigError. */
export function checkEntrypointExists(config: Config, afterPrepare = false): void {
  const abs = config.file;
  const entry = path.join(config.projectDir, config.entrypoint);
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new ConfigError(
      abs,
      "$.entrypoint",
      `"${config.entrypoint}" does not exist${afterPrepare ? " after the build.prepare steps ran" : ""} (looked for ${entry})`,
      afterPrepare ? "a prepare step to write the entry file" : "a path to the program's entry file, relative to the folder holding targets.json",
      afterPrepare ? "Check which file the prepare steps write, and point entrypoint at it." : "Fix the path in targets.json, e.g. \"entrypoint\": \"src/cli.ts\".",
      ...lineColumnOf(readFileSync(abs, "utf8"), ["entrypoint"]),
    );
  }
}

/** Pure: text of targets.json -> validated Config with defaults filled in. */
export function parseConfig(text: string, file: string, options: ParseOptions): Config {
  const raw = parseJson(text, file);
  if (!validateSchema(raw)) {
    const errors = mostUsefulErrors(validateSchema.errors ?? []);
    const first = errors[0]!;
    throw describeSchemaError(first, text, file, raw);
  }
  const input = raw as unknown as RawConfig;
  const projectDir = path.dirname(file);
  const at = (jsonPath: (string | number)[]) => lineColumnOf(text, jsonPath);

  const entrypoint = input.entrypoint.replaceAll("\\", "/");
  if (path.isAbsolute(entrypoint) || entrypoint.split("/").includes("..")) {
    throw new ConfigError(
      file, "$.entrypoint", `"${input.entrypoint}" is outside the project`,
      "a path inside the folder holding targets.json",
      "Move targets.json to the project root, or point entrypoint at a file below it.",
      ...at(["entrypoint"]),
    );
  }

  const extension = path.posix.extname(entrypoint).toLowerCase();
  if (!ENTRY_EXTENSIONS.includes(extension)) {
    throw new ConfigError(
      file, "$.entrypoint", `"${input.entrypoint}" has ${extension ? `the extension "${extension}"` : "no extension"}: Bun compiles such a file into an executable that runs nothing and exits 0`,
      `a JavaScript or TypeScript module (${ENTRY_EXTENSIONS.join(", ")})`,
      "Point entrypoint at the module the program starts in (for a launcher script such as bin/<name>, the file it imports).",
      ...at(["entrypoint"]),
    );
  }

  const outDir = path.resolve(projectDir, input.outDir ?? "dist");
  if (outDir === projectDir || projectDir.startsWith(outDir + path.sep)) {
    throw new ConfigError(
      file, "$.outDir", `"${input.outDir}" would put build output over the project itself`,
      "a dedicated folder such as \"dist\"",
      "Set \"outDir\": \"dist\".",
      ...at(["outDir"]),
    );
  }

  const seen = new Map<string, number>();
  const targets = input.targets.map((t, i): Target => {
    const where = `$.targets[${i}]`;
    const previous = seen.get(t.id);
    if (previous !== undefined) {
      throw new ConfigError(
        file, `${where}.id`, `duplicate target id "${t.id}" (also at $.targets[${previous}])`,
        "every target id to be unique",
        "Rename or remove one of the two entries.",
        ...at(["targets", i, "id"]),
      );
    }
    seen.set(t.id, i);
    if (t.libc === "musl" && t.os !== "linux") {
      throw new ConfigError(
        file, `${where}.libc`, `"musl" with os "${t.os}"`, "libc only on linux targets",
        "Remove \"libc\" from this target, or set \"os\": \"linux\".",
        ...at(["targets", i, "libc"]),
      );
    }
    const libc: Libc = t.libc ?? "glibc";
    const derived = bunTargetFor({ os: t.os, arch: t.arch, libc });
    const bunTarget = t.bunTarget ?? derived;
    const parsed = parseBunTarget(bunTarget);
    if ("problem" in parsed) {
      throw new ConfigError(
        file, `${where}.bunTarget`, parsed.problem,
        `a Bun target string such as "${derived}"`,
        `Set "bunTarget": "${derived}" or remove it (it is derived from os/arch/libc).`,
        ...at(["targets", i, "bunTarget"]),
      );
    }
    if (parsed.os !== t.os || parsed.arch !== t.arch || parsed.libc !== libc) {
      throw new ConfigError(
        file, `${where}.bunTarget`,
        `"${bunTarget}" builds ${parsed.os}/${parsed.arch}/${parsed.libc} but the target says ${t.os}/${t.arch}/${libc}`,
        `"${derived}" (or an alias of it)`,
        `Set "bunTarget": "${derived}", or fix os/arch/libc.`,
        ...at(["targets", i, "bunTarget"]),
      );
    }
    const minimum = minimumBunFor(parsed);
    if (compareVersions(options.bunVersion, minimum.version) < 0) {
      throw new ConfigError(
        file, `${where}`, `Bun ${options.bunVersion} cannot build ${t.id}: ${minimum.why}`,
        `Bun >= ${minimum.version}`,
        `Pin a newer Bun (npm install --save-exact --save-dev bun@latest), or remove this target.`,
        ...at(["targets", i]),
      );
    }
    const target: Target = {
      id: t.id, os: t.os, arch: t.arch, libc, bunTarget,
      runner: t.runner ?? defaultRunnerFor(t),
    };
    if (parsed.cpuLevel) target.cpuLevel = parsed.cpuLevel;
    if (t.maxBytes !== undefined) target.maxBytes = t.maxBytes;
    return target;
  });

  const ids = new Set(targets.map((t) => t.id));
  const smoke = (input.smoke ?? []).map((c, i): SmokeCase => {
    for (const key of ["stdout", "stderr"] as const) {
      const pattern = c[key];
      if (pattern === undefined) continue;
      try {
        new RegExp(pattern);
      } catch (error) {
        throw new ConfigError(
          file, `$.smoke[${i}].${key}`, `${(error as Error).message}`, "a JavaScript regular expression",
          "Escape special characters with a double backslash in JSON, e.g. \"\\\\d+\\\\.\\\\d+\".",
          ...at(["smoke", i, key]),
        );
      }
    }
    for (const [j, id] of (c.targets ?? []).entries()) {
      if (!ids.has(id)) {
        throw new ConfigError(
          file, `$.smoke[${i}].targets[${j}]`, `unknown target id "${id}"`,
          `one of: ${[...ids].join(", ")}`, "Use an id from $.targets, or remove it.",
          ...at(["smoke", i, "targets", j]),
        );
      }
    }
    const smokeCase: SmokeCase = {
      name: c.name, args: c.args, exitCode: c.exitCode ?? 0, env: c.env ?? {}, timeoutMs: c.timeoutMs ?? 15_000,
    };
    if (c.stdout !== undefined) smokeCase.stdout = c.stdout;
    if (c.stderr !== undefined) smokeCase.stderr = c.stderr;
    if (c.targets !== undefined) smokeCase.targets = c.targets;
    Object.assign(smokeCase, smokeRunFields(c, i, file, at));
    return smokeCase;
  });

  const b = input.build ?? {};
  // Options the pinned Bun lacks a flag for (Bun ignores unknown flags, so they would be dropped silently).
  const [versionProblem] = buildOptionProblems(b, options.bunVersion);
  if (versionProblem) {
    throw new ConfigError(file, `$.${versionProblem.path.join(".")}`, versionProblem.problem, versionProblem.expected, versionProblem.fix, ...at(versionProblem.path));
  }
  const insideProject = (value: string, segments: (string | number)[], what: string): string => {
    const normalized = value.replaceAll("\\", "/");
    if (path.isAbsolute(normalized) || /^[A-Za-z]:\//.test(normalized) || normalized.split("/").includes("..")) {
      throw new ConfigError(
        file, toJsonPath(segments), `"${value}" is outside the project`, `${what} inside the folder holding targets.json`,
        "Use a path relative to targets.json, inside the project.",
        ...at(segments),
      );
    }
    return normalized.replace(/^\.\//, "");
  };
  const { define, defineSources } = resolveDefines(b.define ?? {}, file, at, options.readProjectFile ?? readBeside(projectDir));
  const args = (b.args ?? []).map((arg, i) => {
    const flag = arg.split("=")[0]!;
    if (RESERVED_FLAGS.has(flag)) {
      throw new ConfigError(
        file, `$.build.args[${i}]`, `"${arg}" is set by bun-parity itself`,
        `a bun build flag other than ${[...RESERVED_FLAGS].join(", ")}`,
        flag === "--define" ? "Move it to build.define." : flag === "--target" ? "List the target in $.targets instead." : "Remove it from build.args.",
        ...at(["build", "args", i]),
      );
    }
    if (!arg.startsWith("-")) {
      throw new ConfigError(
        file, `$.build.args[${i}]`, `"${arg}" is not a flag`, "a flag such as \"--loader=.txt:file\" (with its value after =)",
        "Write flag and value as one item joined by =, or list more entry files in build.additionalEntrypoints.",
        ...at(["build", "args", i]),
      );
    }
    return arg;
  });
  const windows: WindowsOptions = { ...(b.windows ?? {}) };
  if (windows.icon !== undefined) windows.icon = insideProject(windows.icon, ["build", "windows", "icon"], "an .ico file");
  const build: BuildOptions = {
    prepare: (b.prepare ?? []).map((step, i): PrepareStep => {
      const run = typeof step === "string" || Array.isArray(step) ? step : step.run;
      const name = typeof step === "object" && !Array.isArray(step) && step.name ? step.name : typeof run === "string" ? run : run.join(" ");
      if (Array.isArray(run) && run[0]!.trim() === "") {
        throw new ConfigError(file, `$.build.prepare[${i}]`, "the argv starts with an empty program name", "a command such as [\"npx\", \"tsc\"]", "Put the program first.", ...at(["build", "prepare", i]));
      }
      return { name, run };
    }),
    minify: normalizeMinify(b.minify ?? true),
    keepNames: b.keepNames ?? false,
    sourcemap: b.sourcemap ?? false,
    bytecode: b.bytecode ?? false,
    external: b.external ?? [],
    define,
    defineSources,
    env: b.env ?? { ...DEFAULT_ENV },
    inlineEnv: b.inlineEnv ?? "disable",
    autoload: {
      dotenv: b.autoload?.dotenv ?? false,
      bunfig: b.autoload?.bunfig ?? false,
      tsconfig: b.autoload?.tsconfig ?? false,
      packageJson: b.autoload?.packageJson ?? false,
    },
    execArgv: b.execArgv ?? [],
    windows,
    additionalEntrypoints: (b.additionalEntrypoints ?? []).map((e, i) => insideProject(e, ["build", "additionalEntrypoints", i], "a file")),
    args,
    macosAdhocSign: b.macosAdhocSign ?? true,
  };
  if (b.format !== undefined) build.format = b.format;

  const archiveFiles = (input.archives?.files ?? []).map((f, i) => {
    const normalized = f.replaceAll("\\", "/");
    if (path.isAbsolute(normalized) || normalized.split("/").includes("..")) {
      throw new ConfigError(
        file, `$.archives.files[${i}]`, `"${f}" is outside the project`, "a path inside the folder holding targets.json",
        "List files of the project, e.g. \"README.md\".",
        ...at(["archives", "files", i]),
      );
    }
    return normalized;
  });
  const archives: ArchiveOptions = {
    files: archiveFiles,
    windowsZip: input.archives?.windowsZip ?? false,
    outDir: input.archives?.outDir ? path.resolve(projectDir, input.archives.outDir) : outDir,
  };
  const config: Config = { file, projectDir, name: input.name, entrypoint, outDir, build, targets, smoke, archives };
  if (input.version !== undefined) config.version = input.version;
  return config;
}

/** Targets selected by --target flags; unknown ids are a usage error listing the known ones. */
export function selectTargets(config: Config, ids: string[] | undefined): Target[] {
  if (!ids || ids.length === 0) return config.targets;
  const known = new Map(config.targets.map((t) => [t.id, t]));
  return ids.map((id) => {
    const target = known.get(id);
    if (!target) {
      throw new UsageError(
        `unknown target "${id}" (${config.file})`,
        `Use one of: ${[...known.keys()].join(", ")}.`,
      );
    }
    return target;
  });
}

interface RawConfig {
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

interface RawSmokeCase {
  name: string; args: string[]; exitCode?: number; stdout?: string; stderr?: string;
  env?: Record<string, string>; timeoutMs?: number; targets?: string[];
  compare?: "source"; normalize?: SmokeNormalization[]; ignore?: string[]; stdin?: string; cwd?: string; files?: string[];
}

/** An absolute path on any OS (a smoke case may be written on Windows and run on Linux). */
const isOutside = (p: string) => path.isAbsolute(p) || path.posix.isAbsolute(p.replaceAll("\\", "/")) || /^[A-Za-z]:/.test(p);

/** The compare / stdin / cwd / files fields of one smoke case, checked. Pure. */
function smokeRunFields(
  c: RawSmokeCase, i: number, file: string, at: (jsonPath: (string | number)[]) => [number, number] | [],
): Partial<SmokeCase> {
  const fields: Partial<SmokeCase> = {};
  const where = `$.smoke[${i}]`;
  if (c.compare === undefined) {
    for (const key of ["normalize", "ignore"] as const) {
      if (c[key] === undefined) continue;
      throw new ConfigError(
        file, `${where}.${key}`, `"${key}" without "compare"`, `"${key}" only in a case with "compare": "source"`,
        `Add "compare": "source" to this case, or remove "${key}".`,
        ...at(["smoke", i, key]),
      );
    }
  } else {
    fields.compare = c.compare;
    fields.normalize = [...new Set<SmokeNormalization>(c.normalize ?? ["program", "cwd", "stack"])];
    fields.ignore = c.ignore ?? [];
  }
  for (const [j, pattern] of (c.ignore ?? []).entries()) {
    try {
      new RegExp(pattern);
    } catch (error) {
      throw new ConfigError(
        file, `${where}.ignore[${j}]`, (error as Error).message, "a JavaScript regular expression",
        "Escape special characters with a double backslash in JSON, e.g. \"\\\\d+ ms\".",
        ...at(["smoke", i, "ignore", j]),
      );
    }
  }
  if (c.stdin !== undefined) fields.stdin = c.stdin;
  if (c.cwd !== undefined) {
    const cwd = path.posix.normalize(c.cwd.replaceAll("\\", "/")).replace(/\/$/, "");
    if (isOutside(c.cwd) || cwd.split("/").includes("..")) {
      throw new ConfigError(
        file, `${where}.cwd`, `"${c.cwd}" is outside the project`, "a folder inside the folder holding targets.json",
        "Put the files the case needs in a folder of the project, e.g. \"test/smoke/with-config\", and name it here.",
        ...at(["smoke", i, "cwd"]),
      );
    }
    if (cwd === ".") {
      throw new ConfigError(
        file, `${where}.cwd`, `"${c.cwd}" is the project itself`,
        "a folder below the project holding only what the case needs",
        "Running in a copy of the whole project (node_modules, dist, package.json) would hide the working-folder reads smoke is there to catch: make a small folder, e.g. \"test/smoke/with-config\".",
        ...at(["smoke", i, "cwd"]),
      );
    }
    fields.cwd = cwd;
  }
  if (c.files !== undefined) {
    fields.files = c.files.map((f, j) => {
      const normalized = f.replaceAll("\\", "/");
      if (isOutside(f) || path.posix.normalize(normalized).split("/").includes("..")) {
        throw new ConfigError(
          file, `${where}.files[${j}]`, `"${f}" is outside the working folder`, "a path relative to the working folder",
          "Name the file the program writes in its working folder, e.g. \"out/report.json\".",
          ...at(["smoke", i, "files", j]),
        );
      }
      return normalized;
    });
  }
  return fields;
}

function parseJson(text: string, file: string): unknown {
  const errors: jsonc.ParseError[] = [];
  const value = jsonc.parse(text, errors, { disallowComments: true, allowTrailingComma: false });
  const error = errors[0];
  if (error) {
    const { line, column } = lineColumnAt(text, error.offset);
    throw new ConfigError(
      file, "$", `malformed JSON (${jsonc.printParseErrorCode(error.error)})`, "valid JSON",
      `Fix the syntax at line ${line}, column ${column}.`,
      line, column,
    );
  }
  return value;
}

function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split("\n").length;
  const column = offset - before.lastIndexOf("\n");
  return { line, column };
}

/** [line, column] of the value at a JSON path, or [] when the path is not in the text. */
function lineColumnOf(text: string, jsonPath: (string | number)[]): [number, number] | [] {
  const tree = jsonc.parseTree(text);
  if (!tree) return [];
  let node = jsonc.findNodeAtLocation(tree, jsonPath);
  // For an object member, point at its key rather than its value.
  if (node?.parent?.type === "property") node = node.parent;
  if (!node) return [];
  const { line, column } = lineColumnAt(text, node.offset);
  return [line, column];
}

function toJsonPath(segments: (string | number)[]): string {
  return "$" + segments.map((s) => (typeof s === "number" ? `[${s}]` : /^[A-Za-z_$][\w$]*$/.test(s) ? `.${s}` : `[${JSON.stringify(s)}]`)).join("");
}

function pointerToSegments(pointer: string, value: unknown): (string | number)[] {
  if (pointer === "") return [];
  let current = value;
  return pointer.slice(1).split("/").map((raw) => {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    const segment = Array.isArray(current) ? Number(key) : key;
    current = (current as Record<string | number, unknown> | undefined)?.[segment];
    return segment;
  });
}

// ajv reports every failing branch; the deepest error is the one that names the real field.
function mostUsefulErrors(errors: ErrorObject[]): ErrorObject[] {
  return [...errors].sort((a, b) => b.instancePath.split("/").length - a.instancePath.split("/").length);
}

function describeSchemaError(error: ErrorObject, text: string, file: string, raw: unknown): ConfigError {
  const segments = pointerToSegments(error.instancePath, raw);
  const schemaNode = schemaAt(error.schemaPath);
  const params = error.params as Record<string, unknown>;
  if (error.keyword === "additionalProperties") {
    const key = String(params.additionalProperty);
    const allowed = Object.keys((schemaNode?.properties ?? {}) as object);
    const guess = closest(key, allowed);
    return new ConfigError(
      file, toJsonPath([...segments, key]), `unknown key "${key}"`, `one of: ${allowed.join(", ")}`,
      guess ? `Did you mean "${guess}"? Rename or remove the key.` : "Remove the key (see targets.schema.json).",
      ...lineColumnOf(text, [...segments, key]),
    );
  }
  if (error.keyword === "required") {
    const key = String(params.missingProperty);
    return new ConfigError(
      file, toJsonPath(segments), `missing required key "${key}"`,
      `"${key}": ${describeSchema(schemaAt(`${error.schemaPath.replace(/\/required$/, "")}/properties/${key}`))}`,
      `Add "${key}" to this object.`,
      ...lineColumnOf(text, segments),
    );
  }
  const actual = JSON.stringify(segments.reduce<unknown>((v, s) => (v as Record<string | number, unknown>)?.[s], raw));
  const jsonPath = toJsonPath(segments);
  if (error.keyword === "pattern" && jsonPath === "$.name") {
    return new ConfigError(
      file, jsonPath, `${actual} is not a plain file name (it could escape the output folder)`,
      "letters, digits, '.', '_' and '-' only, not starting with '.'",
      "Use a plain name such as \"my-cli\"; the output folder is set by \"outDir\".",
      ...lineColumnOf(text, segments),
    );
  }
  const expected =
    error.keyword === "enum" ? `one of: ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(", ")}`
    : error.keyword === "type" ? `a value of type ${String(params.type)}`
    : error.keyword === "pattern" ? `a string matching ${String(params.pattern)}`
    : describeSchema(schemaNode) || String(error.message);
  return new ConfigError(
    file, jsonPath, `${actual} is not allowed (${error.message})`, expected,
    `Change the value to ${expected} (see targets.schema.json).`,
    ...lineColumnOf(text, segments),
  );
}

function schemaAt(schemaPath: string): Record<string, unknown> | undefined {
  // "#/definitions/target/properties/os/enum" -> the node owning the keyword.
  const parts = schemaPath.replace(/^#\/?/, "").split("/").filter(Boolean);
  let node: unknown = schema;
  for (const part of parts) node = (node as Record<string, unknown> | undefined)?.[part];
  if (node && typeof node === "object" && !Array.isArray(node)) return node as Record<string, unknown>;
  // The path ended at the keyword itself: return its parent.
  let parent: unknown = schema;
  for (const part of parts.slice(0, -1)) parent = (parent as Record<string, unknown> | undefined)?.[part];
  return parent as Record<string, unknown> | undefined;
}

function describeSchema(node: Record<string, unknown> | undefined): string {
  if (!node) return "";
  if (typeof node.description === "string") return node.description;
  if (Array.isArray(node.enum)) return `one of: ${node.enum.join(", ")}`;
  return typeof node.type === "string" ? `a ${node.type}` : "";
}

function closest(word: string, candidates: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const c of candidates) {
    const d = editDistance(word.toLowerCase(), c.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [c, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 3)) ? best : undefined;
}

function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]!;
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]!;
      row[j] = Math.min(row[j]! + 1, row[j - 1]! + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length]!;
}

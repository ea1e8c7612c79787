// $.build: the options every target is compiled with, checked against the flags the pinned Bun
// has, with paths kept inside the project, package.json defines resolved, and defaults filled in
// (minify on, NODE_ENV=production, autoload off, ad-hoc signing on).
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { buildOptionProblems } from "../bun/index.ts";
import { ConfigError } from "../errors.ts";
import { type At, toJsonPath } from "./json-location.ts";
import type { BuildOptions, MinifyOptions, ParseOptions, PrepareStep, RawConfig, RawDefine, WindowsOptions } from "./types.ts";

/** The build options, checked, with defaults; the first problem is a ConfigError naming its field. */
export function parseBuild(b: NonNullable<RawConfig["build"]>, projectDir: string, file: string, at: At, options: ParseOptions): BuildOptions {
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
  const args = checkArgs(b.args ?? [], file, at);
  const windows: WindowsOptions = { ...(b.windows ?? {}) };
  if (windows.icon !== undefined) windows.icon = insideProject(windows.icon, ["build", "windows", "icon"], "an .ico file");
  const build: BuildOptions = {
    prepare: prepareSteps(b.prepare ?? [], file, at),
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
  return build;
}

/** build.args: flags only, and none that bun-parity sets itself. */
function checkArgs(raw: string[], file: string, at: At): string[] {
  return raw.map((arg, i) => {
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
}

/** build.prepare: a name for each step (its command when none is given), argv not starting empty. */
function prepareSteps(raw: NonNullable<NonNullable<RawConfig["build"]>["prepare"]>, file: string, at: At): PrepareStep[] {
  return raw.map((step, i): PrepareStep => {
    const run = typeof step === "string" || Array.isArray(step) ? step : step.run;
    const name = typeof step === "object" && !Array.isArray(step) && step.name ? step.name : typeof run === "string" ? run : run.join(" ");
    if (Array.isArray(run) && run[0]!.trim() === "") {
      throw new ConfigError(file, `$.build.prepare[${i}]`, "the argv starts with an empty program name", "a command such as [\"npx\", \"tsc\"]", "Put the program first.", ...at(["build", "prepare", i]));
    }
    return { name, run };
  });
}

const DEFAULT_ENV = { NODE_ENV: "production" };

/** Flags bun-parity sets itself for every target; build.args may not set them again. */
const RESERVED_FLAGS = new Set(["--compile", "--target", "--outfile", "--outdir", "--metafile", "--compile-executable-path", "--define", "-d", "--watch", "--no-bundle"]);

/** Minify parts: all on is --minify, all off is none; a mix stays an object. */
function normalizeMinify(raw: boolean | Partial<MinifyOptions>): boolean | MinifyOptions {
  if (typeof raw === "boolean") return raw;
  const parts = { whitespace: raw.whitespace ?? false, syntax: raw.syntax ?? false, identifiers: raw.identifiers ?? false };
  if (parts.whitespace && parts.syntax && parts.identifiers) return true;
  if (!parts.whitespace && !parts.syntax && !parts.identifiers) return false;
  return parts;
}

/** A project file's text, read from the folder holding targets.json; undefined when it is not a file. */
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
  at: At,
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

// Load targets.json and turn it into a validated Config: the JSON syntax, then the schema, then
// the checks the schema cannot express, part by part (targets.ts, smoke.ts, build-options.ts).
// Every rejection names the file, the JSON path, what was expected and what to do; syntax errors
// carry line and column.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { ConfigError, UsageError } from "../errors.ts";
import { parseBuild } from "./build-options.ts";
import { validate as validateSchema } from "./generated/targets.validate.js";
import { type At, lineColumnOf, parseJson } from "./json-location.ts";
import { describeSchemaError, mostUsefulErrors } from "./schema-errors.ts";
import { parseSmoke } from "./smoke.ts";
import { parseTargets } from "./targets.ts";
import type { ArchiveOptions, Config, ParseOptions, RawConfig, Target } from "./types.ts";

/** Extensions Bun compiles as a JavaScript or TypeScript module (anything else is not run). */
export const ENTRY_EXTENSIONS = [".ts", ".tsx", ".mts", ".cts", ".js", ".jsx", ".mjs", ".cjs"];

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
  const at: At = (jsonPath) => lineColumnOf(text, jsonPath);
  const entrypoint = checkEntrypoint(input.entrypoint, file, at);
  const outDir = checkOutDir(input.outDir, projectDir, file, at);
  const targets = parseTargets(input.targets, options.bunVersion, file, at);
  const smoke = parseSmoke(input.smoke ?? [], targets, file, at);
  const build = parseBuild(input.build ?? {}, projectDir, file, at, options);
  const archives = parseArchives(input.archives, projectDir, outDir, file, at);
  const config: Config = { file, projectDir, name: input.name, entrypoint, outDir, build, targets, smoke, archives };
  if (input.version !== undefined) config.version = input.version;
  return config;
}

/** The entrypoint, with forward slashes: inside the project, and a module Bun runs. */
function checkEntrypoint(raw: string, file: string, at: At): string {
  const entrypoint = raw.replaceAll("\\", "/");
  if (path.isAbsolute(entrypoint) || entrypoint.split("/").includes("..")) {
    throw new ConfigError(
      file, "$.entrypoint", `"${raw}" is outside the project`,
      "a path inside the folder holding targets.json",
      "Move targets.json to the project root, or point entrypoint at a file below it.",
      ...at(["entrypoint"]),
    );
  }
  const extension = path.posix.extname(entrypoint).toLowerCase();
  if (!ENTRY_EXTENSIONS.includes(extension)) {
    throw new ConfigError(
      file, "$.entrypoint", `"${raw}" has ${extension ? `the extension "${extension}"` : "no extension"}: Bun compiles such a file into an executable that runs nothing and exits 0`,
      `a JavaScript or TypeScript module (${ENTRY_EXTENSIONS.join(", ")})`,
      "Point entrypoint at the module the program starts in (for a launcher script such as bin/<name>, the file it imports).",
      ...at(["entrypoint"]),
    );
  }
  return entrypoint;
}

/** The absolute output folder: never the project itself or a folder above it. */
function checkOutDir(raw: string | undefined, projectDir: string, file: string, at: At): string {
  const outDir = path.resolve(projectDir, raw ?? "dist");
  if (outDir === projectDir || projectDir.startsWith(outDir + path.sep)) {
    throw new ConfigError(
      file, "$.outDir", `"${raw}" would put build output over the project itself`,
      "a dedicated folder such as \"dist\"",
      "Set \"outDir\": \"dist\".",
      ...at(["outDir"]),
    );
  }
  return outDir;
}

/** Archive options: extra files inside the project; archives go to outDir unless set. */
function parseArchives(raw: RawConfig["archives"], projectDir: string, outDir: string, file: string, at: At): ArchiveOptions {
  const archiveFiles = (raw?.files ?? []).map((f, i) => {
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
  return {
    files: archiveFiles,
    windowsZip: raw?.windowsZip ?? false,
    outDir: raw?.outDir ? path.resolve(projectDir, raw.outDir) : outDir,
  };
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

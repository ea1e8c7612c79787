// Load and validate targets.json (issue 2, point 2). Every rejection names the file, the
// JSON path, what was expected and what to do; syntax errors carry line and column.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import * as jsonc from "jsonc-parser";
import type { ErrorObject } from "ajv";
import schema from "../targets.schema.json" with { type: "json" };
import { buildOptionProblems } from "./bun-versions.ts";
import { ConfigError, UsageError } from "./errors.ts";
import { validate as validateSchema } from "./generated/targets.validate.js";
import {
  bunTargetFor,
  compareVersions,
  defaultRunnerFor,
  minimumBunFor,
  parseBunTarget,
  type Arch,
  type Libc,
  type Os,
} from "./bun-targets.ts";

export interface BuildOptions {
  minify: boolean;
  sourcemap: boolean;
  bytecode: boolean;
  define: Record<string, string>;
  env: Record<string, string>;
  inlineEnv: string;
  autoload: { dotenv: boolean; bunfig: boolean; tsconfig: boolean; packageJson: boolean };
  execArgv: string[];
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
}

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
  const entry = path.join(config.projectDir, config.entrypoint);
  if (!existsSync(entry) || !statSync(entry).isFile()) {
    throw new ConfigError(
      abs,
      "$.entrypoint",
      `"${config.entrypoint}" does not exist (looked for ${entry})`,
      "a path to the program's entry file, relative to the folder holding targets.json",
      "Fix the path in targets.json, e.g. \"entrypoint\": \"src/cli.ts\".",
      ...lineColumnOf(readFileSync(abs, "utf8"), ["entrypoint"]),
    );
  }
  return config;
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
    return smokeCase;
  });

  const b = input.build ?? {};
  // Options the pinned Bun lacks a flag for (Bun ignores unknown flags, so they would be dropped silently).
  const [versionProblem] = buildOptionProblems(b, options.bunVersion);
  if (versionProblem) {
    throw new ConfigError(file, `$.${versionProblem.path.join(".")}`, versionProblem.problem, versionProblem.expected, versionProblem.fix, ...at(versionProblem.path));
  }
  const build: BuildOptions = {
    minify: b.minify ?? true,
    sourcemap: b.sourcemap ?? false,
    bytecode: b.bytecode ?? false,
    define: b.define ?? {},
    env: b.env ?? { ...DEFAULT_ENV },
    inlineEnv: b.inlineEnv ?? "disable",
    autoload: {
      dotenv: b.autoload?.dotenv ?? false,
      bunfig: b.autoload?.bunfig ?? false,
      tsconfig: b.autoload?.tsconfig ?? false,
      packageJson: b.autoload?.packageJson ?? false,
    },
    execArgv: b.execArgv ?? [],
    macosAdhocSign: b.macosAdhocSign ?? true,
  };

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
  build?: Partial<Omit<BuildOptions, "autoload">> & { autoload?: Partial<BuildOptions["autoload"]> };
  targets: { id: string; os: Os; arch: Arch; libc?: Libc; bunTarget?: string; runner?: string; maxBytes?: number }[];
  archives?: { files?: string[]; windowsZip?: boolean; outDir?: string };
  smoke?: {
    name: string; args: string[]; exitCode?: number; stdout?: string; stderr?: string;
    env?: Record<string, string>; timeoutMs?: number; targets?: string[];
  }[];
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

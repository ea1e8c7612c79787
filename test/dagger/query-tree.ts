// The one place the tests reach into @dagger.io/dagger internals, so an SDK upgrade breaks one
// file, loudly. Two internals are used, both pinned to PINNED_SDK_VERSION:
//  - `_ctx._queryTree`: the lazy query an object stands for (the SDK's own tests read it the same
//    way, sdk/typescript/src/api/test/api.spec.ts). Building it needs no engine.
//  - the SDK's introspector (`dist/src/module/introspector`): the code the engine runs to turn
//    dagger/src into functions and arguments, i.e. what `dagger call --help` lists.
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";

export const PINNED_SDK_VERSION = "0.21.9";

const require = createRequire(import.meta.url);
const SDK_ROOT = packageRootOf(require.resolve("@dagger.io/dagger"), "@dagger.io/dagger");

function packageRootOf(file: string, name: string): string {
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    try {
      if ((JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: string }).name === name) return dir;
    } catch {
      // no package.json here: keep walking up
    }
  }
  throw new Error(`cannot find the ${name} package folder above ${file}`);
}

export function installedSdkVersion(): string {
  return (JSON.parse(readFileSync(path.join(SDK_ROOT, "package.json"), "utf8")) as { version: string }).version;
}

function assertPinnedSdk(): void {
  const installed = installedSdkVersion();
  if (installed !== PINNED_SDK_VERSION) {
    throw new Error(
      `@dagger.io/dagger ${installed} is installed, these helpers read internals of ${PINNED_SDK_VERSION}: ` +
        "re-check test/dagger/query-tree.ts against the new SDK, then update PINNED_SDK_VERSION and dagger.json engineVersion together.",
    );
  }
}

// ---------------------------------------------------------------------------------------
// Query trees

export interface QueryStep {
  operation: string;
  args: Record<string, unknown>;
}

/** An argument that is itself a Dagger object (Directory, File, CacheVolume, Secret...). */
export interface QueryRef {
  query: QueryStep[];
}

export function isQueryRef(value: unknown): value is QueryRef {
  return typeof value === "object" && value !== null && Array.isArray((value as QueryRef).query);
}

interface RawStep {
  operation: string;
  args?: Record<string, unknown>;
}

function hasContext(value: unknown): value is { _ctx: { _queryTree: RawStep[] } } {
  if (typeof value !== "object" || value === null || !("_ctx" in value)) return false;
  const ctx = (value as { _ctx: unknown })._ctx;
  return typeof ctx === "object" && ctx !== null && Array.isArray((ctx as { _queryTree?: unknown })._queryTree);
}

function plain(value: unknown): unknown {
  if (hasContext(value)) return { query: queryOf(value) } satisfies QueryRef;
  if (Array.isArray(value)) return value.map(plain);
  return value;
}

/** The query a lazy Dagger object stands for, with object arguments expanded and SDK metadata dropped. */
export function queryOf(value: object): QueryStep[] {
  assertPinnedSdk();
  if (!hasContext(value)) throw new Error("not a Dagger object (no _ctx._queryTree): did the SDK change?");
  return value._ctx._queryTree.map((step) => {
    const args: Record<string, unknown> = {};
    for (const [key, arg] of Object.entries(step.args ?? {})) {
      if (key !== "__metadata" && arg !== undefined) args[key] = plain(arg);
    }
    return { operation: step.operation, args };
  });
}

export function stepsNamed(query: QueryStep[], operation: string): QueryStep[] {
  return query.filter((step) => step.operation === operation);
}

export function indexOfStep(query: QueryStep[], predicate: (step: QueryStep) => boolean): number {
  return query.findIndex(predicate);
}

/** argv of every withExec, in order. */
export function execs(query: QueryStep[]): string[][] {
  return stepsNamed(query, "withExec").map((step) => step.args.args as string[]);
}

/** The environment the last exec sees: withEnvVariable minus withoutEnvVariable, in order. */
export function envOf(query: QueryStep[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const step of query) {
    if (step.operation === "withEnvVariable") env[step.args.name as string] = step.args.value as string;
    if (step.operation === "withoutEnvVariable") delete env[step.args.name as string];
  }
  return env;
}

// ---------------------------------------------------------------------------------------
// Introspection: what the engine would register, without an engine

export interface IntrospectedArgument {
  name: string;
  cliName: string;
  description: string;
  type: string;
  optional: boolean;
  defaultPath?: string;
  ignore?: string[];
  defaultValue?: unknown;
}

export interface IntrospectedFunction {
  name: string;
  cliName: string;
  description: string;
  returnType: string;
  args: IntrospectedArgument[];
}

export interface IntrospectedModule {
  objectName: string;
  description: string;
  constructorArgs: IntrospectedArgument[];
  functions: IntrospectedFunction[];
}

/** The CLI's name for a function or argument (`strcase.ToKebab` in cmd/dagger/module_inspect.go). */
export function cliName(name: string): string {
  return name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").replace(/([A-Z])([A-Z][a-z])/g, "$1-$2").toLowerCase();
}

interface ScannedArgument {
  name: string;
  description?: string;
  type?: { kind: string; name?: string };
  isOptional: boolean;
  defaultPath?: string;
  ignore?: string[];
  defaultValue?: unknown;
}

/** The introspector's result as JSON (its classes all serialise through toJSON). */
interface ScannedModule {
  objects: Record<string, {
    name: string;
    description?: string;
    /** Read with Object.hasOwn: every object inherits a `constructor`. */
    constructor?: { arguments: Record<string, ScannedArgument> };
    methods: Record<string, {
      name: string;
      alias?: string;
      description?: string;
      returnType?: { kind: string; name?: string };
      arguments: Record<string, ScannedArgument>;
    }>;
  }>;
}

function typeName(type: { kind: string; name?: string } | undefined): string {
  if (!type) return "unresolved";
  return type.name ?? type.kind.replace(/_KIND$/, "").toLowerCase();
}

function toArgument(arg: ScannedArgument): IntrospectedArgument {
  return {
    name: arg.name,
    cliName: cliName(arg.name),
    description: arg.description ?? "",
    type: typeName(arg.type),
    optional: arg.isOptional || arg.defaultValue !== undefined || arg.defaultPath !== undefined,
    ...(arg.defaultPath !== undefined ? { defaultPath: arg.defaultPath } : {}),
    ...(arg.ignore !== undefined ? { ignore: arg.ignore } : {}),
    ...(arg.defaultValue !== undefined ? { defaultValue: arg.defaultValue } : {}),
  };
}

/**
 * Runs the SDK's introspector over a module's src/ the way the engine does, and returns its
 * functions as the CLI names them. The engine resolves Dagger types from the generated
 * `sdk/` (TypeScript source, found by the file name client.gen.ts); the npm package ships
 * declarations only, so the module is scanned in a temp folder next to a copy of the SDK whose
 * client.gen.d.ts is also present as client.gen.ts.
 */
export async function introspectModule(moduleSrcDir: string, moduleName: string): Promise<IntrospectedModule> {
  assertPinnedSdk();
  const work = mkdtempSync(path.join(tmpdir(), "dagger-introspect-"));
  try {
    const sdkCopy = path.join(work, "node_modules", "@dagger.io", "dagger");
    cpSync(SDK_ROOT, sdkCopy, {
      recursive: true,
      // Declarations are all the type checker needs: skip compiled JS, source maps, nested deps.
      filter: (src) =>
        !path.relative(SDK_ROOT, src).split(path.sep).includes("node_modules") && !/\.(js|map)$/.test(src),
    });
    const clientGen = path.join(sdkCopy, "dist", "src", "api", "client.gen");
    cpSync(`${clientGen}.d.ts`, `${clientGen}.ts`);
    const src = path.join(work, "src");
    cpSync(moduleSrcDir, src, { recursive: true });
    const files = readdirSync(src).filter((f) => f.endsWith(".ts")).map((f) => path.join(src, f));

    const introspector = pathToFileURL(path.join(SDK_ROOT, "dist", "src", "module", "introspector", "index.js")).href;
    const { scan } = (await import(introspector)) as {
      scan: (files: string[], moduleName: string, loadModule: boolean) => Promise<unknown>;
    };
    // loadModule=false: read the source only; importing it would need the decorators compiled.
    const scanned = JSON.parse(JSON.stringify(await scan(files, moduleName, false))) as ScannedModule;
    const objects = Object.values(scanned.objects);
    const main = objects.find((o) => cliName(o.name) === moduleName) ?? objects[0];
    if (!main) throw new Error(`no @object() class found in ${moduleSrcDir}`);
    return {
      objectName: main.name,
      description: main.description ?? "",
      constructorArgs: Object.hasOwn(main, "constructor") ? Object.values(main.constructor!.arguments).map(toArgument) : [],
      functions: Object.values(main.methods).map((m) => ({
        name: m.name,
        cliName: cliName(m.alias ?? m.name),
        description: m.description ?? "",
        returnType: typeName(m.returnType),
        args: Object.values(m.arguments).map(toArgument),
      })),
    };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

// The module must load in bundle mode, the mode the engine picks for it: dagger/package.json does
// not list @dagger.io/dagger (sdk/typescript/runtime/config.go, detectSDKLibOrigin, v0.21.8). There
// `@dagger.io/dagger` is the generated sdk/index.ts, which exports far less than the npm package.
// Modules load as ES modules, so a missing name fails at link time: `dagger functions` still lists
// the functions (they come from the introspector, which reads the source), and every `dagger call`
// exits 1. tsc against the npm package cannot see it; this test reads the module's imports instead.
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";

import ts from "typescript";
import { describe, expect, it } from "vitest";

const ROOT = path.resolve(import.meta.dirname, "../..");
const MODULE_SRC = path.join(ROOT, "dagger", "src");
const SDK = path.join(ROOT, "node_modules", "@dagger.io", "dagger");

/**
 * FACT, from dagger/dagger at tag v0.21.8 (the newest tag of the 0.21 line in the source snapshot
 * read for this; npm's @dagger.io/dagger 0.21.9 has the same entry points):
 * sdk/typescript/runtime/tsutils/module/index.ts is, in full,
 *
 *   export { connection, connect, Context, func, check, generate, argument, object, field,
 *            enumType, entrypoint } from "./core.js"
 *   export type { ConnectOpts, CallbackFct } from "./core.js"
 *   export * from "./client.gen.js"
 *
 * and sdk/typescript/runtime/tsutils/module/telemetry.ts exports `getTracer` only.
 * runtime/lib_generator.go (GenerateBundleLibrary) writes them as sdk/index.ts and sdk/telemetry.ts.
 * Not exported, among others: ExecError and every other error class (src/common/errors), `up`,
 * GraphQLClient, getTracer from the root.
 */
const BUNDLE_EXPORTS = {
  source: "dagger/dagger v0.21.8: sdk/typescript/runtime/tsutils/module/index.ts, module/telemetry.ts",
  root: {
    values: ["connection", "connect", "Context", "func", "check", "generate", "argument", "object", "field", "enumType", "entrypoint"],
    types: ["ConnectOpts", "CallbackFct"],
    /** `export * from "./client.gen.js"`: the client generated from the engine's API. */
    reexportsGeneratedClient: true,
  },
  telemetry: { values: ["getTracer"], types: [] as string[] },
} as const;

/**
 * Names client.gen exports, read from the pinned npm package's client.gen.d.ts. The engine
 * generates the bundle's client.gen.ts from its own API; the npm package of the same version
 * (0.21.9, dagger.json's engineVersion) was generated from the same API.
 */
function generatedClientExports(): { values: Set<string>; types: Set<string> } {
  const file = path.join(SDK, "dist", "src", "api", "client.gen.d.ts");
  const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.ES2022, false);
  const values = new Set<string>();
  const types = new Set<string>();
  const exported = (node: ts.Node) => ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  for (const node of source.statements) {
    if (!exported(node)) continue;
    if (ts.isClassDeclaration(node) || ts.isEnumDeclaration(node) || ts.isFunctionDeclaration(node)) {
      if (node.name) values.add(node.name.text);
    } else if (ts.isVariableStatement(node)) {
      for (const d of node.declarationList.declarations) if (ts.isIdentifier(d.name)) values.add(d.name.text);
    } else if (ts.isTypeAliasDeclaration(node) || ts.isInterfaceDeclaration(node)) {
      types.add(node.name.text);
    }
  }
  return { values, types };
}

interface BundleImportProblem {
  file: string;
  line: number;
  message: string;
}

const SPECIFIERS: Record<string, { values: readonly string[]; types: readonly string[]; client: boolean }> = {
  "@dagger.io/dagger": { values: BUNDLE_EXPORTS.root.values, types: BUNDLE_EXPORTS.root.types, client: true },
  "@dagger.io/dagger/telemetry": { values: BUNDLE_EXPORTS.telemetry.values, types: BUNDLE_EXPORTS.telemetry.types, client: false },
};

/**
 * Every value import from the SDK that bundle mode cannot satisfy. Type-only imports (`import
 * type`, `type X`) are erased before the module runs and are not checked; a type-only export
 * imported without `type` is reported, since nothing guarantees it is erased.
 */
function bundleImportProblems(files: { name: string; text: string }[]): BundleImportProblem[] {
  const client = generatedClientExports();
  const problems: BundleImportProblem[] = [];
  for (const { name, text } of files) {
    const source = ts.createSourceFile(name, text, ts.ScriptTarget.ES2022, true);
    const at = (node: ts.Node) => source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    const check = (specifier: string, imported: string, node: ts.Node) => {
      const exports = SPECIFIERS[specifier]!;
      if (exports.values.includes(imported) || (exports.client && client.values.has(imported))) return;
      const typeOnly = exports.types.includes(imported) || (exports.client && client.types.has(imported));
      problems.push({
        file: name,
        line: at(node),
        message: typeOnly
          ? `"${imported}" is a type in ${specifier} (bundle mode): import it with \`import type\``
          : `"${imported}" is not exported by ${specifier} in bundle mode (${BUNDLE_EXPORTS.source}); the module would fail to load on every dagger call`,
      });
    };
    const visit = (node: ts.Node) => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text in SPECIFIERS) {
        const specifier = node.moduleSpecifier.text;
        const clause = node.importClause;
        if (clause && !clause.isTypeOnly) {
          if (clause.name) check(specifier, "default", clause.name);
          const bindings = clause.namedBindings;
          if (bindings && ts.isNamedImports(bindings)) {
            for (const element of bindings.elements) {
              if (!element.isTypeOnly) check(specifier, (element.propertyName ?? element.name).text, element);
            }
          } else if (bindings && ts.isNamespaceImport(bindings)) {
            // `import * as sdk`: every `sdk.name` used in the file must be exported.
            const alias = bindings.name.text;
            const uses = (n: ts.Node): void => {
              if (ts.isPropertyAccessExpression(n) && ts.isIdentifier(n.expression) && n.expression.text === alias) check(specifier, n.name.text, n);
              ts.forEachChild(n, uses);
            };
            uses(source);
          }
        }
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier) && node.moduleSpecifier.text in SPECIFIERS && !node.isTypeOnly) {
        const specifier = node.moduleSpecifier.text;
        if (node.exportClause && ts.isNamedExports(node.exportClause)) {
          for (const element of node.exportClause.elements) if (!element.isTypeOnly) check(specifier, (element.propertyName ?? element.name).text, element);
        }
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
        const [arg] = node.arguments;
        if (arg && ts.isStringLiteral(arg) && arg.text in SPECIFIERS) {
          problems.push({ file: name, line: at(node), message: `dynamic import of ${arg.text}: its names cannot be checked; import them statically` });
        }
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return problems.sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line);
}

function moduleSources(): { name: string; text: string }[] {
  return readdirSync(MODULE_SRC, { recursive: true, encoding: "utf8" })
    .filter((f) => f.endsWith(".ts"))
    .sort()
    .map((f) => ({ name: path.join("dagger", "src", f).split(path.sep).join("/"), text: readFileSync(path.join(MODULE_SRC, f), "utf8") }));
}

describe("the module's SDK imports in bundle mode", () => {
  it("every value the module imports from @dagger.io/dagger(/telemetry) is one the bundle exports", () => {
    const files = moduleSources();
    expect(files.map((f) => f.name)).toEqual(expect.arrayContaining(["dagger/src/index.ts", "dagger/src/steps.ts", "dagger/src/toolchain.ts"]));
    expect(bundleImportProblems(files)).toEqual([]);
  });

  it("the import of ExecError the module used to have is reported, with file and line", () => {
    const old = '// ...\nimport { ExecError } from "@dagger.io/dagger";\nexport const x = ExecError;\n';
    expect(bundleImportProblems([{ name: "dagger/src/steps.ts", text: old }])).toEqual([
      { file: "dagger/src/steps.ts", line: 2, message: expect.stringMatching(/^"ExecError" is not exported by @dagger\.io\/dagger in bundle mode/) },
    ]);
  });

  it("reads aliases, namespaces, defaults, re-exports and the telemetry entry; type-only imports pass", () => {
    const text = [
      'import { dag, object as obj, type ExecError, CacheSharingMode, up } from "@dagger.io/dagger";',
      'import type { GraphQLClient } from "@dagger.io/dagger";',
      'import sdk from "@dagger.io/dagger";',
      'import * as t from "@dagger.io/dagger/telemetry";',
      'import { ConnectOpts } from "@dagger.io/dagger";',
      'export { ExecError as E2 } from "@dagger.io/dagger";',
      "t.getTracer(); t.setGlobalTracer();",
    ].join("\n");
    expect(bundleImportProblems([{ name: "x.ts", text }]).map((p) => `${p.line}: ${p.message.split(" (")[0]}`)).toEqual([
      '1: "up" is not exported by @dagger.io/dagger in bundle mode',
      '3: "default" is not exported by @dagger.io/dagger in bundle mode',
      '5: "ConnectOpts" is a type in @dagger.io/dagger',
      '6: "ExecError" is not exported by @dagger.io/dagger in bundle mode',
      '7: "setGlobalTracer" is not exported by @dagger.io/dagger/telemetry in bundle mode',
    ]);
  });

  it("the generated client's classes, enums and dag are exported (read from the pinned package)", () => {
    const client = generatedClientExports();
    for (const name of ["dag", "Container", "Directory", "File", "CacheSharingMode", "Client"]) expect(client.values.has(name), name).toBe(true);
    expect(client.values.has("ExecError")).toBe(false);
    expect(client.types.has("Platform")).toBe(true);
  });

  it("the bundle-shaped declarations tsc checks the module against export exactly the listed names", () => {
    const exported = (file: string) => {
      const source = ts.createSourceFile(file, readFileSync(path.join(ROOT, "test", "dagger", "bundle-sdk", file), "utf8"), ts.ScriptTarget.ES2022, false);
      const out = { values: [] as string[], types: [] as string[], star: 0 };
      for (const node of source.statements) {
        if (!ts.isExportDeclaration(node)) continue;
        if (!node.exportClause) out.star++;
        else if (ts.isNamedExports(node.exportClause)) (node.isTypeOnly ? out.types : out.values).push(...node.exportClause.elements.map((e) => e.name.text));
      }
      return out;
    };
    expect(exported("index.d.ts")).toEqual({ values: [...BUNDLE_EXPORTS.root.values], types: [...BUNDLE_EXPORTS.root.types], star: 1 });
    expect(exported("telemetry.d.ts")).toEqual({ values: [...BUNDLE_EXPORTS.telemetry.values], types: [], star: 0 });
  });
});

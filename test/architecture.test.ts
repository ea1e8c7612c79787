// verify/ is a pipeline of stage folders that a newcomer can read in order: no import cycles
// (type-only and dynamic imports included, since they tie the files together for a reader just
// the same), no stage that depends on a later one in a loop, and one door per stage: a file
// outside a stage imports it through the stage's index.ts, never its internals.
import { mkdirSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findCycles, internalImports, ownIndexImports, readImportGraph, stageEdges } from "./import-graph.ts";
import { REPO, removeTemps, tempDir } from "./helpers.ts";

const VERIFY = path.join(REPO, "verify");
const graph = readImportGraph(VERIFY);
const show = (e: { from: string; to: string; kind: string; line: number }) => `${e.from}:${e.line} ${e.kind} ${e.to}`;

afterAll(removeTemps);

describe("verify/ imports", () => {
  it("are read from every source file, and every relative import resolves", () => {
    expect(graph.files.length).toBeGreaterThan(100);
    expect(graph.files).toContain("cli/main.ts");
    // Each kind of import is seen, so a cycle through any of them would be.
    expect(new Set(graph.edges.map((e) => e.kind))).toEqual(new Set(["import", "import type", "export from", "import()"]));
    expect(graph.unresolved.map(show)).toEqual([]);
  });

  it("have no cycle, type-only and dynamic imports included", () => {
    expect(findCycles(graph.files, graph.edges).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("reach another stage only through its index.ts", () => {
    expect(internalImports(graph).map(show)).toEqual([]);
  });

  it("never use a stage's own index.ts from inside the stage", () => {
    expect(ownIndexImports(graph).map(show)).toEqual([]);
  });

  it("form a stage graph without cycles, so the stages have an order to read them in", () => {
    const stages = readdirSync(VERIFY, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(findCycles(stages, stageEdges(graph)).map((c) => c.join(" -> "))).toEqual([]);
  });

  it("give every stage folder an index.ts", () => {
    const stages = readdirSync(VERIFY, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => e.name);
    expect(stages.filter((s) => !graph.files.includes(`${s}/index.ts`))).toEqual([]);
  });
});

/** A tiny verify/-like tree in a temp folder: file path -> source. */
function tree(files: Record<string, string>): string {
  const root = tempDir("import-graph-");
  for (const [file, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    writeFileSync(path.join(root, file), text);
  }
  return root;
}

describe("the checks fail on what they forbid", () => {
  it("a cycle of type-only imports, named file by file", () => {
    const g = readImportGraph(tree({
      "a/index.ts": 'export { a } from "./a.ts";\n',
      "a/a.ts": 'import type { B } from "../b/index.ts";\nexport const a = 1 as unknown as B;\n',
      "b/index.ts": 'export type { B } from "./b.ts";\n',
      "b/b.ts": 'import type { A } from "../a/a.ts";\nexport type B = A;\n',
    }));
    expect(findCycles(g.files, g.edges).map((c) => c.join(" -> "))).toEqual(["a/a.ts -> b/index.ts -> b/b.ts -> a/a.ts"]);
    expect(internalImports(g).map(show)).toEqual(["b/b.ts:1 import type a/a.ts"]);
  });

  it("a cycle through import(), an import type node and a re-export", () => {
    const g = readImportGraph(tree({
      "x.ts": 'export async function f() { return (await import("./y.ts")).g; }\n',
      "y.ts": 'export const g = (v: import("./z.ts").Z) => v;\n',
      "z.ts": 'export { f } from "./x.ts";\nexport type Z = number;\n',
      "alone.ts": 'import { alone } from "./alone.ts";\nexport { alone };\n',
    }));
    expect(findCycles(g.files, g.edges).map((c) => c.join(" -> ")).sort()).toEqual(["alone.ts -> alone.ts", "x.ts -> y.ts -> z.ts -> x.ts"]);
    expect(g.edges.map((e) => e.kind).sort()).toEqual(["export from", "import", "import type node", "import()"]);
  });

  it("two stages that import each other through their indexes", () => {
    const g = readImportGraph(tree({
      // a/a.ts is not behind a/index.ts, so no file imports itself round the loop.
      "a/index.ts": 'export { c } from "./c.ts";\n',
      "a/a.ts": 'import { b } from "../b/index.ts";\nexport const a = () => b;\n',
      "a/c.ts": "export const c = 1;\n",
      "b/index.ts": 'export { b } from "./b.ts";\n',
      "b/b.ts": 'import { c } from "../a/index.ts";\nexport const b = c + 1;\n',
    }));
    expect(findCycles(g.files, g.edges)).toEqual([]);
    expect(findCycles(["a", "b"], stageEdges(g)).map((c) => c.join(" -> "))).toEqual(["a -> b -> a"]);
  });

  it("a stage file that imports its own index, and an import that resolves to nothing", () => {
    const g = readImportGraph(tree({
      "a/index.ts": 'export { a } from "./a.ts";\n',
      "a/a.ts": 'import "./index.ts";\nimport { gone } from "./gone.ts";\nexport const a = gone;\n',
    }));
    expect(ownIndexImports(g).map(show)).toEqual(["a/a.ts:1 import a/index.ts"]);
    expect(g.unresolved.map(show)).toEqual(["a/a.ts:2 import ./gone.ts"]);
  });
});

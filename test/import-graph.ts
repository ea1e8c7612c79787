// The import graph of a source tree, read with the TypeScript parser: every static import and
// re-export (type-only ones included), every `import("...")` call and every `import("...").T` type.
// test/architecture.test.ts holds verify/ to its layering with it.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import ts from "typescript";

export interface ImportEdge {
  from: string;
  to: string;
  /** How the import is written, for messages: `import type`, `import()`, ... */
  kind: "import" | "import type" | "export from" | "import()" | "import type node";
  line: number;
}

export interface ImportGraph {
  root: string;
  /** Every .ts file under root (relative, forward slashes), sorted. */
  files: string[];
  edges: ImportEdge[];
  /** Relative specifiers that resolve to no file: a broken graph is not a proven one. */
  unresolved: ImportEdge[];
}

const rel = (root: string, file: string) => path.relative(root, file).split(path.sep).join("/");

function sourceFiles(dir: string, skip: (name: string) => boolean): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory() && !skip(entry.name)) found.push(...sourceFiles(full, skip));
    else if (entry.isFile() && /\.tsx?$/.test(entry.name) && !entry.name.endsWith(".d.ts")) found.push(full);
  }
  return found;
}

/** The file a relative specifier names: as written (.ts, .js, .json), else the .ts twin of a .js name. */
function resolve(fromFile: string, specifier: string): string | undefined {
  const target = path.resolve(path.dirname(fromFile), specifier);
  for (const candidate of [target, target.replace(/\.js$/, ".ts"), path.join(target, "index.ts")]) {
    if (existsSync(candidate) && statSync(candidate).isFile()) return candidate;
  }
  return undefined;
}

/** Imports of every .ts file under `root` (folders named in `skipFolders` left out). */
export function readImportGraph(root: string, skipFolders: string[] = []): ImportGraph {
  const files = sourceFiles(root, (name) => skipFolders.includes(name)).sort();
  const edges: ImportEdge[] = [];
  const unresolved: ImportEdge[] = [];
  for (const file of files) {
    const source = ts.createSourceFile(file, readFileSync(file, "utf8"), ts.ScriptTarget.Latest, true);
    const add = (literal: ts.StringLiteralLike, kind: ImportEdge["kind"]) => {
      if (!literal.text.startsWith(".")) return; // a package, not part of the tree
      const line = source.getLineAndCharacterOfPosition(literal.getStart(source)).line + 1;
      const target = resolve(file, literal.text);
      if (!target) unresolved.push({ from: rel(root, file), to: literal.text, kind, line });
      else if (target.startsWith(root + path.sep) && /\.tsx?$/.test(target)) edges.push({ from: rel(root, file), to: rel(root, target), kind, line });
    };
    const visit = (node: ts.Node): void => {
      if (ts.isImportDeclaration(node) && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier, node.importClause?.isTypeOnly ? "import type" : "import");
      } else if (ts.isExportDeclaration(node) && node.moduleSpecifier && ts.isStringLiteral(node.moduleSpecifier)) {
        add(node.moduleSpecifier, "export from");
      } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword && node.arguments[0] && ts.isStringLiteralLike(node.arguments[0])) {
        add(node.arguments[0], "import()");
      } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument) && ts.isStringLiteral(node.argument.literal)) {
        add(node.argument.literal, "import type node");
      }
      ts.forEachChild(node, visit);
    };
    visit(source);
  }
  return { root, files: files.map((f) => rel(root, f)), edges, unresolved };
}

/**
 * Every cycle of a directed graph, one per strongly connected component (Tarjan), each as the
 * path that closes it: ["a.ts", "b.ts", "a.ts"]. A node that imports itself is a cycle too.
 */
export function findCycles(nodes: string[], edges: { from: string; to: string }[]): string[][] {
  const next = new Map<string, string[]>(nodes.map((n) => [n, []]));
  for (const e of edges) next.get(e.from)?.push(e.to);
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const components: string[][] = [];
  let counter = 0;
  const connect = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of next.get(v) ?? []) {
      if (!index.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) !== index.get(v)) return;
    const component: string[] = [];
    let w: string;
    do {
      w = stack.pop()!;
      onStack.delete(w);
      component.push(w);
    } while (w !== v);
    if (component.length > 1 || next.get(v)!.includes(v)) components.push(component);
  };
  for (const n of nodes) if (!index.has(n)) connect(n);
  // Name each component by one concrete cycle through it (shortest path back to its first node).
  return components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort()[0]!;
    const previous = new Map<string, string>();
    const queue = [start];
    const seen = new Set([start]);
    while (queue.length > 0) {
      const v = queue.shift()!;
      for (const w of next.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const cycle = [start];
          for (let at: string | undefined = v; at !== undefined && at !== start; at = previous.get(at)) cycle.splice(1, 0, at);
          return [...cycle, start];
        }
        if (!seen.has(w)) {
          seen.add(w);
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [...component, component[0]!];
  });
}

/** The stage a file of verify/ belongs to: its first folder ("build/inputs.ts" -> "build"); top-level files have none. */
export function stageOf(file: string): string | undefined {
  const parts = file.split("/");
  return parts.length > 1 ? parts[0] : undefined;
}

/** Imports that reach into another stage past its index.ts. */
export function internalImports(graph: ImportGraph): ImportEdge[] {
  return graph.edges.filter((e) => {
    const target = stageOf(e.to);
    return target !== undefined && target !== stageOf(e.from) && e.to !== `${target}/index.ts`;
  });
}

/** Stage -> stages it imports (top-level files left out: they are not stages). */
export function stageEdges(graph: ImportGraph): { from: string; to: string }[] {
  const seen = new Set<string>();
  const edges: { from: string; to: string }[] = [];
  for (const e of graph.edges) {
    const [a, b] = [stageOf(e.from), stageOf(e.to)];
    if (!a || !b || a === b || seen.has(`${a} ${b}`)) continue;
    seen.add(`${a} ${b}`);
    edges.push({ from: a, to: b });
  }
  return edges;
}

/** Files of a stage that import the stage's own index.ts (the index is for other stages). */
export function ownIndexImports(graph: ImportGraph): ImportEdge[] {
  return graph.edges.filter((e) => stageOf(e.from) !== undefined && e.to === `${stageOf(e.from)}/index.ts` && e.from !== e.to);
}

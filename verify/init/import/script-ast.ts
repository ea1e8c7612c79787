// Small helpers over Babel's AST and the paths a script builds: a depth-first walk, the dotted
// name of a callee, import.meta.dir, and path.join/resolve on paths rooted at the project (marked
// with ROOT_MARK). Shared by the evaluator and the readers of commands and Bun.build calls.
import type * as t from "@babel/types";
import path from "node:path";

/** Marks a path that is absolute inside the project (from import.meta.dir / __dirname). */
export const ROOT_MARK = "\u0000root/";

/** path.join / path.resolve over literal parts; a ROOT_MARK part restarts the path at the project root. */
export function joinPath(parts: string[], resolve: boolean): string {
  let rooted = false;
  let segments: string[] = [];
  for (const part of parts) {
    if (part.startsWith(ROOT_MARK)) {
      rooted = true;
      segments = [part.slice(ROOT_MARK.length)];
    } else if (resolve && part.startsWith("/")) {
      rooted = false;
      segments = [part];
    } else segments.push(part);
  }
  const joined = path.posix.normalize(segments.filter(Boolean).join("/"));
  return rooted ? ROOT_MARK + (joined === "." ? "" : joined) : joined;
}

/** `import.meta.<property>` (dir, dirname). */
export function isMeta(node: t.MemberExpression | t.OptionalMemberExpression, property: string): boolean {
  return node.object.type === "MetaProperty" && node.property.type === "Identifier" && node.property.name === property;
}

/** `Bun.build`, `child_process.spawn`, `$`: the dotted name of a callee, when it is one. */
export function calleeName(node: t.Node): string | undefined {
  if (node.type === "Identifier") return node.name;
  if (node.type === "MemberExpression" || node.type === "OptionalMemberExpression") {
    const object = calleeName(node.object);
    const property = node.property.type === "Identifier" ? node.property.name : undefined;
    return object && property ? `${object}.${property}` : undefined;
  }
  if (node.type === "CallExpression") return calleeName(node.callee); // $({ cwd })`...`
  return undefined;
}

/** Depth-first walk over every node (Babel AST), in source order. */
export function visit(node: t.Node, fn: (node: t.Node) => void): void {
  fn(node);
  for (const key of Object.keys(node) as (keyof t.Node)[]) {
    if (key === "loc" || key === "leadingComments" || key === "trailingComments" || key === "innerComments") continue;
    const child = node[key] as unknown;
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === "object" && typeof (c as t.Node).type === "string") visit(c as t.Node, fn);
    } else if (child && typeof child === "object" && typeof (child as t.Node).type === "string") visit(child as t.Node, fn);
  }
}

// Static evaluation of a build script: what its names and expressions are worth without running
// it. Literals, constants, package.json fields, paths from import.meta.dir / __dirname, and the
// values a loop or .map() takes (one alternative per item, so per target). What cannot be known
// becomes an "unknown" value that says why, which the import then reports.
import type * as t from "@babel/types";
import path from "node:path";
import type { Located } from "./compile-call.ts";
import { calleeName, isMeta, joinPath, ROOT_MARK, visit } from "./script-ast.ts";
import { type Sym, concat, describe, lit, literal, pkgField, unknown } from "./symbolic.ts";

/** What an expression is worth: a string (symbolic), number, boolean, array, object, package.json, alternatives, or unknown. */
export type Val =
  | { kind: "str"; sym: Sym }
  | { kind: "num"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "arr"; items: Val[] }
  | { kind: "obj"; props: Map<string, Val> }
  | { kind: "pkg" }
  | { kind: "alts"; options: Val[] }
  | { kind: "unknown"; why: string };

export const UNKNOWN = (why: string): Val => ({ kind: "unknown", why });
export const str = (sym: Sym): Val => ({ kind: "str", sym });

/** One script's declarations, and the values of its expressions, computed once and remembered. */
export class ScriptEvaluator {
  private readonly bindings = new Map<string, t.Node>();
  private readonly values = new Map<string, Val>();
  private readonly functions = new Map<string, t.Function>();
  private readonly evaluating = new Set<string>();
  private readonly scriptDir: string;
  /** Notes from evaluating the arguments of the call being read (reset by its reader). */
  notes: string[] = [];

  constructor(
    readonly file: string,
    private readonly source = "",
  ) {
    this.scriptDir = ROOT_MARK + path.posix.dirname(file);
  }

  /** Every declaration in the file, by name (build scripts rarely shadow names). */
  collectBindings(root: t.Node): void {
    visit(root, (node) => {
      if (node.type === "VariableDeclarator" && node.init) this.bindDeclarator(node, node.init);
      else if (node.type === "ImportDeclaration" && /(^|\/)package\.json$/.test(node.source.value)) this.bindPackageImport(node);
      else if (node.type === "FunctionDeclaration" && node.id) this.functions.set(node.id.name, node);
      else if (node.type === "ForOfStatement" && node.left.type === "VariableDeclaration") this.bindLoopVariable(node, node.left);
      else if (node.type === "CallExpression" && node.callee.type === "MemberExpression" && node.callee.property.type === "Identifier" && ["map", "forEach", "flatMap"].includes(node.callee.property.name)) {
        this.bindCallbackParameter(node, node.callee);
      }
    });
    // Parameters of a named function take the values it is called with (build(target) in a loop).
    visit(root, (node) => {
      if (node.type === "CallExpression" && node.callee.type === "Identifier") this.bindCallArguments(node, node.callee.name);
    });
  }

  /** `const x = ...` (evaluated when first used), or `const { a, b } = obj` (each a field). */
  private bindDeclarator(node: t.VariableDeclarator, init: t.Expression): void {
    if (node.id.type === "Identifier") this.bindings.set(node.id.name, init);
    else if (node.id.type === "ObjectPattern") {
      for (const prop of node.id.properties) {
        if (prop.type === "ObjectProperty" && prop.value.type === "Identifier") {
          const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "StringLiteral" ? prop.key.value : undefined;
          if (key) this.values.set(prop.value.name, this.member(this.lazy(init), key));
        }
      }
    }
  }

  /** `import pkg from "./package.json"` or `import { version } from ...`: package.json fields. */
  private bindPackageImport(node: t.ImportDeclaration): void {
    for (const spec of node.specifiers) {
      if (spec.type === "ImportDefaultSpecifier" || spec.type === "ImportNamespaceSpecifier") this.values.set(spec.local.name, { kind: "pkg" });
      else if (spec.type === "ImportSpecifier") {
        const name = spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value;
        this.values.set(spec.local.name, str(pkgField(name)));
      }
    }
  }

  /** `for (const x of list)`: x takes every item (also as `[a, b]` or `{ a, b }`). */
  private bindLoopVariable(node: t.ForOfStatement, left: t.VariableDeclaration): void {
    const id = left.declarations[0]?.id;
    if (id?.type === "Identifier") this.values.set(id.name, { kind: "alts", options: this.items(this.evaluate(node.right)) });
    else if (id?.type === "ArrayPattern") this.bindArrayPattern(id, this.items(this.evaluate(node.right)));
    else if (id?.type === "ObjectPattern") {
      // for (const { bunTarget, name } of TARGETS): each name takes that field of every item.
      const items = this.items(this.evaluate(node.right));
      for (const prop of id.properties) {
        if (prop.type !== "ObjectProperty" || prop.value.type !== "Identifier") continue;
        const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "StringLiteral" ? prop.key.value : undefined;
        if (key) this.values.set(prop.value.name, { kind: "alts", options: items.map((item) => this.member(item, key)) });
      }
    }
  }

  /** targets.map((target) => ...): the parameter takes each item (also as `([a, b]) => ...`). */
  private bindCallbackParameter(node: t.CallExpression, callee: t.MemberExpression): void {
    const fn = node.arguments[0];
    if (fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") && fn.params[0]?.type === "Identifier") {
      const param = fn.params[0].name;
      const object = callee.object;
      this.values.set(param, { kind: "alts", options: this.items(this.lazyEvaluate(object)) });
    } else if (fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") && fn.params[0]?.type === "ArrayPattern") {
      this.bindArrayPattern(fn.params[0], this.items(this.evaluate(callee.object as t.Expression)));
    }
  }

  /** build(target): the parameters of a function declared in the script take the arguments. */
  private bindCallArguments(node: t.CallExpression, name: string): void {
    const fn = this.functions.get(name);
    if (!fn) return;
    fn.params.forEach((param, i) => {
      const arg = node.arguments[i];
      if (param.type === "Identifier" && arg && arg.type !== "SpreadElement" && arg.type !== "ArgumentPlaceholder" && !this.values.has(param.name)) {
        this.values.set(param.name, this.lazyEvaluate(arg as t.Expression));
      } else if (param.type === "ObjectPattern" && arg?.type === "ObjectExpression") {
        const value = this.lazyEvaluate(arg);
        for (const prop of param.properties) {
          if (prop.type === "ObjectProperty" && prop.value.type === "Identifier" && prop.key.type === "Identifier") this.values.set(prop.value.name, this.member(value, prop.key.name));
        }
      }
    });
  }

  /** `[name, bunTarget]` over pairs: each name takes that position of every item. */
  private bindArrayPattern(pattern: t.ArrayPattern, items: Val[]): void {
    pattern.elements.forEach((element, i) => {
      if (element?.type !== "Identifier") return;
      this.values.set(element.name, { kind: "alts", options: items.map((item) => (item.kind === "arr" ? item.items[i] ?? UNKNOWN("a missing element") : UNKNOWN("not a pair"))) });
    });
  }

  /** Where a node is: the script and its line. */
  at(node: t.Node): Located {
    return { file: this.file, line: node.loc?.start.line ?? 1 };
  }

  // Bindings found before the walk are evaluated through these (the same evaluation, named for
  // the places that only need a value when one is asked for).
  private lazy(node: t.Node): Val {
    return this.evaluate(node as t.Expression);
  }

  private lazyEvaluate(node: t.Expression): Val {
    return this.evaluate(node);
  }

  /** What an expression is worth, as far as reading the script can tell. */
  evaluate(node: t.Node | null | undefined): Val {
    if (!node) return UNKNOWN("nothing");
    switch (node.type) {
      case "StringLiteral":
        return str(lit(node.value));
      case "NumericLiteral":
        return { kind: "num", value: node.value };
      case "BooleanLiteral":
        return { kind: "bool", value: node.value };
      case "TemplateLiteral":
        return this.evaluateTemplate(node);
      case "ArrayExpression":
        return this.evaluateArray(node);
      case "ObjectExpression":
        return this.evaluateObject(node);
      case "Identifier":
        return this.identifier(node.name);
      case "TSAsExpression":
      case "TSSatisfiesExpression":
      case "TSNonNullExpression":
      case "ParenthesizedExpression":
        return this.evaluate(node.expression);
      case "AwaitExpression":
        return this.evaluate(node.argument);
      case "BinaryExpression":
        if (node.operator === "+") {
          const left = this.evaluate(node.left);
          const right = this.evaluate(node.right);
          if (left.kind === "num" && right.kind === "num") return { kind: "num", value: left.value + right.value };
          const l = this.alternatives(left)[0];
          const r = this.alternatives(right)[0];
          return l && r ? str(concat(l, r)) : UNKNOWN("an expression");
        }
        return UNKNOWN("an expression");
      case "LogicalExpression":
        // process.env.X ?? "default": the value the build gets when X is not set.
        return this.evaluate(node.left).kind === "unknown" ? this.evaluate(node.right) : this.evaluate(node.left);
      case "ConditionalExpression":
        return { kind: "alts", options: [this.evaluate(node.consequent), this.evaluate(node.alternate)] };
      case "MemberExpression":
      case "OptionalMemberExpression":
        return this.evaluateMember(node);
      case "CallExpression":
      case "OptionalCallExpression":
        return this.evaluateCall(node);
      case "NewExpression":
        return UNKNOWN(calleeName(node.callee) === "Date" ? "new Date()" : "an object");
      default:
        return UNKNOWN(node.type);
    }
  }

  /** `a${b}c`: one alternative per combination of the parts' alternatives (at most 16). */
  private evaluateTemplate(node: t.TemplateLiteral): Val {
    let alts: Sym[] = [[]];
    node.quasis.forEach((q, i) => {
      alts = alts.map((a) => concat(a, lit(q.value.cooked ?? q.value.raw)));
      const e = node.expressions[i];
      if (e) {
        const options = this.alternatives(this.evaluate(e));
        alts = alts.flatMap((a) => options.map((o) => concat(a, o))).slice(0, 16);
      }
    });
    return alts.length === 1 ? str(alts[0]!) : { kind: "alts", options: alts.map(str) };
  }

  /** An array literal, spreads included. */
  private evaluateArray(node: t.ArrayExpression): Val {
    return { kind: "arr", items: node.elements.flatMap((e): Val[] => (!e ? [] : e.type === "SpreadElement" ? this.spreadItems(e) : [this.evaluate(e)])) };
  }

  /** `...list`: its items. A conditional spread takes its longest branch and leaves a note. */
  private spreadItems(e: t.SpreadElement): Val[] {
    const v = this.evaluate(e.argument);
    if (v.kind === "alts" && v.options.length > 0 && v.options.every((o) => o.kind === "arr")) {
      // ...(isWin ? [] : ["--bytecode"]): the longest branch, and a note that it is conditional.
      const options = v.options as Extract<Val, { kind: "arr" }>[];
      const longest = options.reduce((a, b) => (b.items.length > a.items.length ? b : a));
      if (options.some((o) => o.items.length !== longest.items.length || o.items.some((item, i) => JSON.stringify(item) !== JSON.stringify(longest.items[i])))) {
        const code = e.start != null && e.end != null ? this.source.slice(e.start, e.end).replace(/\s+/g, " ") : "a conditional spread";
        const added = longest.items.map((item) => describe(this.alternatives(item)[0] ?? [])).join(" ");
        this.notes.push(`${this.file}:${e.loc?.start.line ?? 1}: \`${code}\` adds ${added} only under a condition; imported for every target: check targets.json`);
      }
      return longest.items;
    }
    return v.kind === "arr" ? v.items : [v];
  }

  /** An object literal, spreads of known objects merged in. */
  private evaluateObject(node: t.ObjectExpression): Val {
    const props = new Map<string, Val>();
    for (const p of node.properties) {
      if (p.type === "ObjectProperty") {
        const key = p.key.type === "Identifier" ? p.key.name : p.key.type === "StringLiteral" ? p.key.value : undefined;
        if (key) props.set(key, this.evaluate(p.value));
      } else if (p.type === "SpreadElement") {
        const v = this.evaluate(p.argument);
        if (v.kind === "obj") for (const [k, val] of v.props) props.set(k, val);
      }
    }
    return { kind: "obj", props };
  }

  /** `a.b`, `a[b]`: import.meta.dir is the script's folder; process.env.X is unknown. */
  private evaluateMember(node: t.MemberExpression | t.OptionalMemberExpression): Val {
    if (isMeta(node, "dir") || isMeta(node, "dirname")) return str(lit(this.scriptDir));
    if (node.object.type === "MetaProperty") return UNKNOWN("import.meta");
    const objectName = calleeName(node);
    if (objectName?.startsWith("process.env.")) return UNKNOWN(objectName);
    const key = node.computed ? literal(this.alternatives(this.evaluate(node.property))[0] ?? []) : node.property.type === "Identifier" ? node.property.name : undefined;
    if (key === undefined) return UNKNOWN("a computed member");
    return this.member(this.evaluate(node.object), key);
  }

  /** A name: __dirname / __filename, a value bound by a loop or import, or its declaration evaluated once (cycles are unknown). */
  private identifier(name: string): Val {
    if (name === "__dirname") return str(lit(this.scriptDir));
    if (name === "__filename") return str(lit(`${ROOT_MARK}${this.file}`));
    const known = this.values.get(name);
    if (known) return known;
    const init = this.bindings.get(name);
    if (!init || this.evaluating.has(name)) return UNKNOWN(name);
    this.evaluating.add(name);
    try {
      const value = this.evaluate(init);
      this.values.set(name, value);
      return value;
    } finally {
      this.evaluating.delete(name);
    }
  }

  /** `object.key` on a known value: package.json fields, object properties, an array's length. */
  private member(object: Val, key: string): Val {
    if (object.kind === "pkg") return str(pkgField(key));
    if (object.kind === "str" && object.sym.length === 1 && "pkg" in object.sym[0]!) return str(pkgField(`${object.sym[0].pkg}.${key}`));
    if (object.kind === "obj") return object.props.get(key) ?? UNKNOWN(key);
    if (object.kind === "arr" && key === "length") return { kind: "num", value: object.items.length };
    if (object.kind === "alts") return { kind: "alts", options: object.options.map((o) => this.member(o, key)) };
    return UNKNOWN(`.${key}`);
  }

  /** Calls the script's build values come from: package.json reads, JSON.stringify, path.join, its own functions, Object.entries. */
  private evaluateCall(node: t.CallExpression | t.OptionalCallExpression): Val {
    const name = calleeName(node.callee);
    const args = node.arguments.map((a) => (a.type === "SpreadElement" || a.type === "ArgumentPlaceholder" ? UNKNOWN("spread") : this.evaluate(a)));
    const first = args[0];
    const isPackageJson = (v: Val | undefined) => v?.kind === "str" && /(^|\/)package\.json$/.test(describe(v.sym)) && !describe(v.sym).includes("node_modules");
    if (name === "require" && isPackageJson(first)) return { kind: "pkg" };
    if (name === "JSON.parse" && (first?.kind === "pkg" || (first?.kind === "unknown" && first.why === "package.json text"))) return { kind: "pkg" };
    if (name === "JSON.stringify" && first) {
      const quoted = this.alternatives(first).map((s) => str(concat(lit('"'), s, lit('"'))));
      if (quoted.length === 0) return UNKNOWN("JSON.stringify");
      return quoted.length === 1 ? quoted[0]! : { kind: "alts", options: quoted };
    }
    if (name && /(^|\.)(readFileSync|readFile)$/.test(name) && isPackageJson(first)) return UNKNOWN("package.json text");
    if (name === "Bun.file" && isPackageJson(first)) return { kind: "pkg" };
    if (node.callee.type === "MemberExpression" && node.callee.property.type === "Identifier") {
      const value = this.evaluateMethodCall(node.callee, node.callee.property.name, name, first);
      if (value) return value;
    }
    const base = name?.split(".").pop();
    if (name && /^(path\.(posix\.)?)?(join|resolve)$/.test(name) && (name.startsWith("path") || this.bindings.has(base!) === false)) {
      const parts = args.map((a) => this.alternatives(a)[0]);
      if (parts.some((p) => p === undefined || literal(p) === undefined)) return UNKNOWN("a computed path");
      const texts = parts.map((p) => literal(p!)!);
      return str(lit(joinPath(texts, base === "resolve")));
    }
    if (name && this.functions.has(name)) {
      const fn = this.functions.get(name)!;
      const ret = fn.body.type === "BlockStatement" ? fn.body.body.find((s): s is t.ReturnStatement => s.type === "ReturnStatement") : undefined;
      if (ret?.argument) return this.evaluate(ret.argument);
    }
    // Object.entries(TARGETS): [key, value] pairs, so `([name, bunTarget]) => ...` takes each.
    if ((name === "Object.entries" || name === "Object.keys" || name === "Object.values") && first?.kind === "obj") {
      const entries = [...first.props];
      if (name === "Object.keys") return { kind: "arr", items: entries.map(([k]) => str(lit(k))) };
      if (name === "Object.values") return { kind: "arr", items: entries.map(([, v]) => v) };
      return { kind: "arr", items: entries.map(([k, v]) => ({ kind: "arr", items: [str(lit(k)), v] })) };
    }
    if (name === "Date.now") return UNKNOWN("Date.now()");
    if (!name && (node.callee.type === "MemberExpression" || node.callee.type === "OptionalMemberExpression") && node.callee.property.type === "Identifier") {
      // new Date().toISOString(): keep what the object was, so the reason names it.
      const object = this.evaluate(node.callee.object);
      return UNKNOWN(`${object.kind === "unknown" ? object.why : "a value"}.${node.callee.property.name}()`);
    }
    return UNKNOWN(`${name ?? "a call"}()`);
  }

  /**
   * `x.method(...)` on a value the script knows: package.json's .json(), array .join() (one string
   * per loop iteration), and string methods that keep an unknown value unknown. Undefined for any
   * other method, so the caller goes on.
   */
  private evaluateMethodCall(callee: t.MemberExpression, method: string, name: string | undefined, first: Val | undefined): Val | undefined {
    const object = this.evaluate(callee.object);
    if ((method === "json" || method === "text") && object.kind === "pkg") return method === "json" ? object : UNKNOWN("package.json text");
    if (method === "filter" || method === "slice" || method === "concat") return object;
    if (method === "join" && object.kind === "arr" && (name?.startsWith("path.") || name === "join") === false) {
      const sep = first ? literal(this.alternatives(first)[0] ?? []) ?? "," : ",";
      // Items that vary with the loop (`--target=${bunTarget}`, `--outfile ${dir}/${name}`, from
      // one `for (const { bunTarget, dir } of TARGETS)`) have one alternative per iteration:
      // the k-th string takes the k-th of each (at most 16). The loop is the smallest count
      // above one; an item that varies more (a product with isWin ? ".exe" : "") keeps its first.
      const options = object.items.map((item) => this.alternatives(item));
      const counts = options.map((o) => o.length).filter((n) => n > 1);
      const width = counts.length > 0 ? Math.min(...counts) : 1;
      const joined = Array.from({ length: Math.min(width, 16) }, (_, k) =>
        concat(...options.flatMap((o, i) => {
          const pick = (o.length === width ? o[k] : o[0]) ?? [];
          return i === 0 ? [pick] : [lit(sep), pick];
        })));
      return joined.length === 1 ? str(joined[0]!) : { kind: "alts", options: joined.map(str) };
    }
    if (method === "replace" || method === "replaceAll" || method === "trim" || method === "toLowerCase") return object.kind === "str" && literal(object.sym) === undefined ? object : UNKNOWN(`.${method}()`);
    return undefined;
  }

  /** The string alternatives of a value (an array counts as one word per item elsewhere). */
  alternatives(value: Val): Sym[] {
    switch (value.kind) {
      case "str":
        return [value.sym];
      case "num":
        return [lit(String(value.value))];
      case "bool":
        return [lit(String(value.value))];
      case "alts":
        return value.options.flatMap((o) => this.alternatives(o)).slice(0, 16);
      case "unknown":
        return [unknown(value.why)];
      default:
        return [unknown(value.kind === "pkg" ? "package.json" : `an ${value.kind === "arr" ? "array" : "object"}`)];
    }
  }

  /** Items of an array value; alternatives of arrays are merged. */
  items(value: Val): Val[] {
    if (value.kind === "arr") return value.items;
    if (value.kind === "alts") return value.options.flatMap((o) => this.items(o));
    if (value.kind === "obj") return [...value.props.values()];
    return [value];
  }

  /** Words of an argv value (an array literal, possibly with spreads). */
  words(value: Val): Sym[][] {
    if (value.kind === "arr") return value.items.flatMap((item) => (item.kind === "arr" ? this.words(item) : [this.alternatives(item)]));
    return [this.alternatives(value)];
  }

  /** A path value as the project sees it: root-marked paths become project-relative. */
  pathSym(value: Sym): Sym {
    const text = literal(value);
    if (text?.startsWith(ROOT_MARK)) return lit(text.slice(ROOT_MARK.length) || ".");
    return value;
  }
}

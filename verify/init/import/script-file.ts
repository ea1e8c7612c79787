// Reads a TypeScript/JavaScript build script without running it (Babel's parser): the
// commands it spawns (`Bun.spawn([...])`, `$\`bun build ...\``, execa, child_process) and its
// `Bun.build({ compile })` calls, with the values of their arguments evaluated statically:
// literals, constants, arrays looped over (one alternative per target), package.json fields,
// and paths built from import.meta.dir / __dirname.
import { parse } from "@babel/parser";
import type * as t from "@babel/types";
import path from "node:path";
import { type CompileCall, type DefineJson, type ImportedBuild, type Located, whyComputed } from "./compile-call.ts";
import { parseShell } from "./shell.ts";
import { type Sym, concat, defineValueOf, describe, lit, literal, pkgField, unknown } from "./symbolic.ts";

/** Marks a path that is absolute inside the project (from import.meta.dir / __dirname). */
export const ROOT_MARK = "\u0000root/";

type Val =
  | { kind: "str"; sym: Sym }
  | { kind: "num"; value: number }
  | { kind: "bool"; value: boolean }
  | { kind: "arr"; items: Val[] }
  | { kind: "obj"; props: Map<string, Val> }
  | { kind: "pkg" }
  | { kind: "alts"; options: Val[] }
  | { kind: "unknown"; why: string };

/** A command the script runs: its words, each with its alternatives. */
export interface ScriptCommand {
  at: Located;
  words: Sym[][];
  /** What the reading could not take exactly (a flag added under a condition), for the compile's notes. */
  notes?: string[];
}

export type ScriptStep =
  | { kind: "command"; command: ScriptCommand }
  | { kind: "compile"; call: CompileCall }
  /** The script writes a file itself (fs.writeFileSync, Bun.write): a generated entry may come from here. */
  | { kind: "writes"; at: Located; file: string };

// Computed parts of a command line stand in as \u0001<n>\u0001 while the shell reader splits it.
// eslint-disable-next-line no-control-regex
const PLACEHOLDER = /\u0001(\d+)\u0001/;
const UNKNOWN = (why: string): Val => ({ kind: "unknown", why });
const str = (sym: Sym): Val => ({ kind: "str", sym });

/**
 * Steps of a build script in source order. `file` is relative to the project root; the
 * script is assumed to run with the project root as its working folder (how package.json
 * scripts run it).
 */
export function readScriptFile(text: string, file: string, via: string[]): ScriptStep[] {
  let ast: t.File;
  try {
    ast = parse(text, { sourceType: "unambiguous", plugins: ["typescript", "jsx", "topLevelAwait", "importAttributes"], errorRecovery: true }) as unknown as t.File;
  } catch {
    return [];
  }
  const reader = new ScriptReader(file, via, text);
  reader.collectBindings(ast.program);
  reader.walk(ast.program);
  return reader.steps;
}

class ScriptReader {
  readonly steps: ScriptStep[] = [];
  private readonly bindings = new Map<string, t.Node>();
  private readonly values = new Map<string, Val>();
  private readonly functions = new Map<string, t.Function>();
  private readonly evaluating = new Set<string>();
  private readonly scriptDir: string;
  /** Notes from evaluating the arguments of the call being read. */
  private notes: string[] = [];

  constructor(
    private readonly file: string,
    private readonly via: string[],
    private readonly source = "",
  ) {
    this.scriptDir = ROOT_MARK + path.posix.dirname(file);
  }

  /** Every declaration in the file, by name (build scripts rarely shadow names). */
  collectBindings(root: t.Node): void {
    visit(root, (node) => {
      if (node.type === "VariableDeclarator" && node.init) {
        if (node.id.type === "Identifier") this.bindings.set(node.id.name, node.init);
        else if (node.id.type === "ObjectPattern") {
          for (const prop of node.id.properties) {
            if (prop.type === "ObjectProperty" && prop.value.type === "Identifier") {
              const key = prop.key.type === "Identifier" ? prop.key.name : prop.key.type === "StringLiteral" ? prop.key.value : undefined;
              if (key) this.values.set(prop.value.name, this.member(this.lazy(node.init), key));
            }
          }
        }
      } else if (node.type === "ImportDeclaration" && /(^|\/)package\.json$/.test(node.source.value)) {
        for (const spec of node.specifiers) {
          if (spec.type === "ImportDefaultSpecifier" || spec.type === "ImportNamespaceSpecifier") this.values.set(spec.local.name, { kind: "pkg" });
          else if (spec.type === "ImportSpecifier") {
            const name = spec.imported.type === "Identifier" ? spec.imported.name : spec.imported.value;
            this.values.set(spec.local.name, str(pkgField(name)));
          }
        }
      } else if (node.type === "FunctionDeclaration" && node.id) {
        this.functions.set(node.id.name, node);
      } else if (node.type === "ForOfStatement" && node.left.type === "VariableDeclaration") {
        const id = node.left.declarations[0]?.id;
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
      } else if (node.type === "CallExpression" && node.callee.type === "MemberExpression" && node.callee.property.type === "Identifier" && ["map", "forEach", "flatMap"].includes(node.callee.property.name)) {
        // targets.map((target) => ...): the parameter takes each item.
        const fn = node.arguments[0];
        if (fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") && fn.params[0]?.type === "Identifier") {
          const param = fn.params[0].name;
          const object = node.callee.object;
          this.values.set(param, { kind: "alts", options: this.items(this.lazyEvaluate(object)) });
        } else if (fn && (fn.type === "ArrowFunctionExpression" || fn.type === "FunctionExpression") && fn.params[0]?.type === "ArrayPattern") {
          this.bindArrayPattern(fn.params[0], this.items(this.evaluate(node.callee.object as t.Expression)));
        }
      }
    });
    // Parameters of a named function take the values it is called with (build(target) in a loop).
    visit(root, (node) => {
      if (node.type !== "CallExpression" || node.callee.type !== "Identifier") return;
      const fn = this.functions.get(node.callee.name);
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
    });
  }

  /** `[name, bunTarget]` over pairs: each name takes that position of every item. */
  private bindArrayPattern(pattern: t.ArrayPattern, items: Val[]): void {
    pattern.elements.forEach((element, i) => {
      if (element?.type !== "Identifier") return;
      this.values.set(element.name, { kind: "alts", options: items.map((item) => (item.kind === "arr" ? item.items[i] ?? UNKNOWN("a missing element") : UNKNOWN("not a pair"))) });
    });
  }

  walk(root: t.Node): void {
    visit(root, (node) => {
      if (node.type === "CallExpression") this.call(node);
      else if (node.type === "TaggedTemplateExpression") this.tagged(node);
    });
  }

  private at(node: t.Node): Located {
    return { file: this.file, line: node.loc?.start.line ?? 1 };
  }

  // ---- commands -----------------------------------------------------------------------------

  private call(node: t.CallExpression): void {
    this.notes = [];
    const callee = calleeName(node.callee);
    const args = node.arguments.filter((a): a is t.Expression => a.type !== "SpreadElement" && a.type !== "ArgumentPlaceholder");
    if (callee === "Bun.build" && args[0]) {
      const call = this.bunBuild(this.evaluate(args[0]), node);
      if (call) this.steps.push({ kind: "compile", call });
      return;
    }
    const base = callee?.split(".").pop();
    if ((callee === "Bun.spawn" || callee === "Bun.spawnSync") && args[0]) {
      const first = this.evaluate(args[0]);
      const argv = first.kind === "obj" ? first.props.get("cmd") : first;
      if (argv) this.command(node, this.words(argv));
      return;
    }
    if (base && ["spawn", "spawnSync", "execFile", "execFileSync", "execa", "execaSync", "execaNode", "x", "exec_"].includes(base) && args[0]) {
      const program = this.evaluate(args[0]);
      if (program.kind === "arr") {
        this.command(node, this.words(program));
        return;
      }
      const rest = args[1] ? this.words(this.evaluate(args[1])) : [];
      const programWords = this.words(program);
      // execa("bun build --compile ...") with no args array: one command line.
      if (rest.length === 0 && programWords.length === 1) this.commandLine(node, this.evaluate(args[0]));
      else this.command(node, [...programWords, ...rest]);
      return;
    }
    if (base && ["exec", "execSync", "execCommand", "run", "sh", "shell"].includes(base) && args[0]) {
      this.commandLine(node, this.evaluate(args[0]));
      return;
    }
    if ((callee === "Bun.write" || (base && ["writeFileSync", "writeFile"].includes(base))) && args[0]) {
      const file = literal(this.alternatives(this.evaluate(args[0]))[0] ?? []);
      if (file !== undefined) this.steps.push({ kind: "writes", at: this.at(node), file: literal(this.pathSym(lit(file))) ?? file });
    }
  }

  private tagged(node: t.TaggedTemplateExpression): void {
    const tag = calleeName(node.tag);
    if (!tag || !/(^|\.)\$$|^(execa|execaSync|sh|shell|exec|Bun\.\$)$/.test(tag)) return;
    // Bun shell and zx/execa templates: an interpolated value is one argument (an array, several).
    const words: Sym[][] = [];
    let current: Sym[] | undefined;
    const flush = () => {
      if (current) words.push(current);
      current = undefined;
    };
    node.quasi.quasis.forEach((quasi, i) => {
      const raw = quasi.value.cooked ?? quasi.value.raw;
      const pieces = raw.split(/(\s+)/);
      for (const piece of pieces) {
        if (piece === "") continue;
        if (/^\s+$/.test(piece)) flush();
        else current = (current ?? [[]]).map((alt) => concat(alt, lit(piece)));
      }
      const expression = node.quasi.expressions[i];
      if (expression && expression.type !== "TSAnyKeyword") {
        const value = this.evaluate(expression as t.Expression);
        if (value.kind === "arr") {
          flush();
          for (const item of value.items) words.push(this.alternatives(item));
        } else {
          const alts = this.alternatives(value);
          current = current ? current.flatMap((c) => alts.map((a) => concat(c, a))).slice(0, 16) : alts;
        }
      }
    });
    flush();
    this.command(node, words);
  }

  /** A command line string (execSync("bun build ...")): parsed as shell, computed parts kept. */
  private commandLine(node: t.Node, value: Val): void {
    for (const alt of this.alternatives(value)) {
      const placeholders: Sym[] = [];
      const text = alt.map((p) => ("lit" in p ? p.lit : `\u0001${placeholders.push([p]) - 1}\u0001`)).join("");
      for (const command of parseShell(text)) {
        const words = command.words.map((w): Sym[] => {
          const raw = w.map((p) => ("text" in p ? p.text : "")).join("");
          const sym: Sym = concat(...raw.split(PLACEHOLDER).map((piece, i) => (i % 2 === 1 ? placeholders[Number(piece)]! : lit(piece))));
          return [sym];
        });
        const assigns = command.assigns.map(([k, w]) => [lit(`${k}=${w.map((p) => ("text" in p ? p.text : "")).join("")}`)]);
        this.command(node, [...assigns, ...words]);
      }
    }
  }

  private command(node: t.Node, words: Sym[][]): void {
    if (words.length === 0) return;
    this.steps.push({ kind: "command", command: this.notes.length > 0 ? { at: this.at(node), words, notes: [...this.notes] } : { at: this.at(node), words } });
  }

  // ---- Bun.build ----------------------------------------------------------------------------

  private bunBuild(options: Val, node: t.Node): CompileCall | undefined {
    if (options.kind !== "obj") return undefined;
    const compile = options.props.get("compile");
    if (!compile || (compile.kind === "bool" && !compile.value)) return undefined;
    const at = this.at(node);
    const call: CompileCall = { at, via: [...this.via, `${this.file}:${at.line} Bun.build`], style: "api", additionalEntrypoints: [], targets: [], outfiles: [], cwd: "", build: {}, imported: [], notImported: [] };
    const build = call.build;
    const note = (text: string) => call.imported.push({ at, text });
    const skip = (text: string) => call.notImported.push({ at, text });
    const entries = this.items(options.props.get("entrypoints") ?? UNKNOWN("no entrypoints"));
    const [entry, ...more] = entries.map((e) => this.alternatives(e)[0] ?? []);
    if (entry) call.entry = this.pathSym(entry);
    call.additionalEntrypoints = more.map((e) => this.pathSym(e));

    const compileOptions = compile.kind === "obj" ? compile.props : new Map<string, Val>();
    const target = compile.kind === "str" || compile.kind === "alts" ? compile : compileOptions.get("target");
    if (target) call.targets.push(...this.alternatives(target));
    const outfile = compileOptions.get("outfile") ?? options.props.get("outfile");
    if (outfile) call.outfiles.push(...this.alternatives(outfile).map((o) => this.pathSym(o)));

    const bool = (v: Val | undefined) => (v?.kind === "bool" ? v.value : undefined);
    const text = (v: Val | undefined) => (v ? literal(this.alternatives(v)[0] ?? []) : undefined);
    for (const [key, value] of options.props) {
      switch (key) {
        case "entrypoints":
        case "compile":
        case "outfile":
        case "outdir":
        case "target":
        case "naming":
        case "metafile":
          break;
        case "minify":
          if (value.kind === "bool") build.minify = value.value;
          else if (value.kind === "obj") build.minify = { whitespace: bool(value.props.get("whitespace")) ?? false, syntax: bool(value.props.get("syntax")) ?? false, identifiers: bool(value.props.get("identifiers")) ?? false };
          note(`minify: ${JSON.stringify(build.minify)}`);
          break;
        case "sourcemap": {
          const kind = value.kind === "bool" ? value.value : text(value);
          if (kind === undefined) skip("sourcemap: computed value");
          else {
            build.sourcemap = kind as ImportedBuild["sourcemap"];
            note(`sourcemap: ${JSON.stringify(kind)}`);
          }
          break;
        }
        case "bytecode":
        case "keepNames":
          if (value.kind === "bool") {
            build[key] = value.value;
            note(`${key}: ${value.value}`);
          }
          break;
        case "format": {
          const f = text(value);
          if (f === "esm" || f === "cjs") {
            build.format = f;
            note(`format: "${f}"`);
          } else skip(`format: ${f ?? "computed"}`);
          break;
        }
        case "external": {
          const names = this.items(value).map((v) => text(v));
          if (names.every((n): n is string => n !== undefined)) {
            build.external = names;
            note(`external: ${JSON.stringify(names)}`);
          } else skip("external: computed values; set build.external by hand");
          break;
        }
        case "define":
          if (value.kind !== "obj") {
            skip("define: not an object literal; set build.define by hand");
            break;
          }
          for (const [name, expr] of value.props) {
            // A value that depends on the target (target.includes("-musl") ? "musl" : "glibc"):
            // targets.json has one define for every target, so it is not imported.
            const variants = [...new Set(this.alternatives(expr).map((a) => describe(a)))];
            if (variants.length > 1) {
              skip(`define ${name}: the value depends on the target (${variants.join(" or ")}), and targets.json has one define for every target; build each variant from its own targets.json, or compute it in the program`);
              continue;
            }
            const sym = this.alternatives(expr)[0] ?? [];
            const single = expr.kind === "alts" ? expr.options[0]! : expr;
            const define: DefineJson | undefined = single.kind === "str" ? defineValueOf(sym) : undefined;
            if (define === undefined) skip(`define ${name}: ${single.kind === "str" ? whyComputed(sym) : "not a string"}`);
            else {
              build.define = { ...build.define, [name]: define };
              note(`define ${name}=${typeof define === "string" ? define : `<package.json ${define.packageJson}, read at build time>`}`);
            }
          }
          break;
        case "env": {
          const mode = text(value);
          if (mode) {
            build.inlineEnv = mode;
            note(`env: "${mode}"`);
          }
          break;
        }
        case "loader":
          if (value.kind === "obj") {
            for (const [ext, loader] of value.props) {
              const l = text(loader);
              if (l) build.args = [...(build.args ?? []), `--loader=${ext}:${l}`];
            }
            note("loader (as --loader flags in build.args)");
          }
          break;
        case "conditions":
        case "banner":
        case "footer":
        case "packages":
        case "root": {
          const values = value.kind === "arr" ? this.items(value).map(text) : [text(value)];
          if (values.every((v): v is string => v !== undefined)) {
            for (const v of values) build.args = [...(build.args ?? []), `--${key}=${v}`];
            note(`${key} (as --${key} in build.args)`);
          } else skip(`${key}: computed value`);
          break;
        }
        case "plugins":
          skip("plugins: they run JavaScript inside Bun.build, which the CLI build cannot; bun-parity compiles with `bun build --compile`. Move what they do into a build.prepare step");
          break;
        default:
          skip(`${key}: not imported`);
      }
    }
    for (const [key, value] of compileOptions) {
      const autoload = /^autoload(Dotenv|Bunfig|Tsconfig|PackageJson)$/.exec(key);
      if (autoload && value.kind === "bool") {
        const name = ({ Dotenv: "dotenv", Bunfig: "bunfig", Tsconfig: "tsconfig", PackageJson: "packageJson" } as const)[autoload[1] as "Dotenv"];
        build.autoload = { ...build.autoload, [name]: value.value };
        note(`compile.${key}: ${value.value}`);
      } else if (key === "execArgv") {
        const argv = this.items(value).map(text);
        if (argv.every((a): a is string => a !== undefined)) {
          build.execArgv = argv;
          note(`compile.execArgv: ${JSON.stringify(argv)}`);
        }
      } else if (key === "windows" && value.kind === "obj") {
        for (const [w, v] of value.props) {
          const wv = v.kind === "bool" ? v.value : text(v);
          if (wv !== undefined) build.windows = { ...build.windows, [w]: wv };
        }
        note(`compile.windows: ${JSON.stringify(build.windows)}`);
      } else if (key === "executablePath") {
        skip("compile.executablePath: bun-parity passes its own pinned, sha256-checked runtimes");
      } else if (!["target", "outfile"].includes(key)) {
        skip(`compile.${key}: not imported`);
      }
    }
    return call;
  }

  // ---- evaluation ---------------------------------------------------------------------------

  private lazy(node: t.Node): Val {
    return this.evaluate(node as t.Expression);
  }

  private lazyEvaluate(node: t.Expression): Val {
    return this.evaluate(node);
  }

  evaluate(node: t.Node | null | undefined): Val {
    if (!node) return UNKNOWN("nothing");
    switch (node.type) {
      case "StringLiteral":
        return str(lit(node.value));
      case "NumericLiteral":
        return { kind: "num", value: node.value };
      case "BooleanLiteral":
        return { kind: "bool", value: node.value };
      case "TemplateLiteral": {
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
      case "ArrayExpression":
        return {
          kind: "arr",
          items: node.elements.flatMap((e): Val[] => {
            if (!e) return [];
            if (e.type === "SpreadElement") {
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
            return [this.evaluate(e)];
          }),
        };
      case "ObjectExpression": {
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
      case "OptionalMemberExpression": {
        if (isMeta(node, "dir") || isMeta(node, "dirname")) return str(lit(this.scriptDir));
        if (node.object.type === "MetaProperty") return UNKNOWN("import.meta");
        const objectName = calleeName(node);
        if (objectName?.startsWith("process.env.")) return UNKNOWN(objectName);
        const key = node.computed ? literal(this.alternatives(this.evaluate(node.property))[0] ?? []) : node.property.type === "Identifier" ? node.property.name : undefined;
        if (key === undefined) return UNKNOWN("a computed member");
        return this.member(this.evaluate(node.object), key);
      }
      case "CallExpression":
      case "OptionalCallExpression":
        return this.evaluateCall(node);
      case "NewExpression":
        return UNKNOWN(calleeName(node.callee) === "Date" ? "new Date()" : "an object");
      default:
        return UNKNOWN(node.type);
    }
  }

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

  private member(object: Val, key: string): Val {
    if (object.kind === "pkg") return str(pkgField(key));
    if (object.kind === "str" && object.sym.length === 1 && "pkg" in object.sym[0]!) return str(pkgField(`${object.sym[0].pkg}.${key}`));
    if (object.kind === "obj") return object.props.get(key) ?? UNKNOWN(key);
    if (object.kind === "arr" && key === "length") return { kind: "num", value: object.items.length };
    if (object.kind === "alts") return { kind: "alts", options: object.options.map((o) => this.member(o, key)) };
    return UNKNOWN(`.${key}`);
  }

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
      const method = node.callee.property.name;
      const object = this.evaluate(node.callee.object);
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
  private words(value: Val): Sym[][] {
    if (value.kind === "arr") return value.items.flatMap((item) => (item.kind === "arr" ? this.words(item) : [this.alternatives(item)]));
    return [this.alternatives(value)];
  }

  /** A path value as the project sees it: root-marked paths become project-relative. */
  private pathSym(value: Sym): Sym {
    const text = literal(value);
    if (text?.startsWith(ROOT_MARK)) return lit(text.slice(ROOT_MARK.length) || ".");
    return value;
  }
}

function joinPath(parts: string[], resolve: boolean): string {
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

function isMeta(node: t.MemberExpression | t.OptionalMemberExpression, property: string): boolean {
  return node.object.type === "MetaProperty" && node.property.type === "Identifier" && node.property.name === property;
}

/** `Bun.build`, `child_process.spawn`, `$`: the dotted name of a callee, when it is one. */
function calleeName(node: t.Node): string | undefined {
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
function visit(node: t.Node, fn: (node: t.Node) => void): void {
  fn(node);
  for (const key of Object.keys(node) as (keyof t.Node)[]) {
    if (key === "loc" || key === "leadingComments" || key === "trailingComments" || key === "innerComments") continue;
    const child = node[key] as unknown;
    if (Array.isArray(child)) {
      for (const c of child) if (c && typeof c === "object" && typeof (c as t.Node).type === "string") visit(c as t.Node, fn);
    } else if (child && typeof child === "object" && typeof (child as t.Node).type === "string") visit(child as t.Node, fn);
  }
}

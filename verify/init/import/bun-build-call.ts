// Bun.build({ compile }) calls: the options of the compile they make, turned into targets.json
// fields where the CLI build has the same option (minify, sourcemap, define, loader as --loader,
// compile.autoload*, ...), and a note for each one that cannot be imported and why (plugins run
// JavaScript inside Bun.build, which `bun build --compile` cannot).
import type * as t from "@babel/types";
import { type CompileCall, type DefineJson, type ImportedBuild, whyComputed } from "./compile-call.ts";
import { type ScriptEvaluator, UNKNOWN, type Val } from "./script-evaluate.ts";
import { defineValueOf, describe, literal } from "./symbolic.ts";

/** What reading one Bun.build call's options needs: the build being filled, and its notes. */
interface OptionReader {
  script: ScriptEvaluator;
  build: ImportedBuild;
  /** An option imported (listed by init). */
  note(text: string): void;
  /** An option not imported, and why. */
  skip(text: string): void;
  /** A value's text when it is a literal string. */
  text(v: Val | undefined): string | undefined;
}

const bool = (v: Val | undefined) => (v?.kind === "bool" ? v.value : undefined);

/** The compile a `Bun.build(options)` call makes; undefined when it does not compile. */
export function readBunBuild(script: ScriptEvaluator, options: Val, node: t.Node, via: string[]): CompileCall | undefined {
  if (options.kind !== "obj") return undefined;
  const compile = options.props.get("compile");
  if (!compile || (compile.kind === "bool" && !compile.value)) return undefined;
  const at = script.at(node);
  const call: CompileCall = { at, via: [...via, `${script.file}:${at.line} Bun.build`], style: "api", additionalEntrypoints: [], targets: [], outfiles: [], cwd: "", build: {}, imported: [], notImported: [] };
  const entries = script.items(options.props.get("entrypoints") ?? UNKNOWN("no entrypoints"));
  const [entry, ...more] = entries.map((e) => script.alternatives(e)[0] ?? []);
  if (entry) call.entry = script.pathSym(entry);
  call.additionalEntrypoints = more.map((e) => script.pathSym(e));

  const compileOptions = compile.kind === "obj" ? compile.props : new Map<string, Val>();
  const target = compile.kind === "str" || compile.kind === "alts" ? compile : compileOptions.get("target");
  if (target) call.targets.push(...script.alternatives(target));
  const outfile = compileOptions.get("outfile") ?? options.props.get("outfile");
  if (outfile) call.outfiles.push(...script.alternatives(outfile).map((o) => script.pathSym(o)));

  const ctx: OptionReader = {
    script,
    build: call.build,
    note: (text) => call.imported.push({ at, text }),
    skip: (text) => call.notImported.push({ at, text }),
    text: (v) => (v ? literal(script.alternatives(v)[0] ?? []) : undefined),
  };
  for (const [key, value] of options.props) readBuildOption(ctx, key, value);
  for (const [key, value] of compileOptions) readCompileOption(ctx, key, value);
  return call;
}

/** One top-level option of Bun.build. */
function readBuildOption(ctx: OptionReader, key: string, value: Val): void {
  const { script, build, note, skip, text } = ctx;
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
      const names = script.items(value).map((v) => text(v));
      if (names.every((n): n is string => n !== undefined)) {
        build.external = names;
        note(`external: ${JSON.stringify(names)}`);
      } else skip("external: computed values; set build.external by hand");
      break;
    }
    case "define":
      readDefines(ctx, value);
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
      const values = value.kind === "arr" ? script.items(value).map(text) : [text(value)];
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

/** define: each value that is a string for every target; one that depends on the target is not imported. */
function readDefines(ctx: OptionReader, value: Val): void {
  const { script, build, note, skip } = ctx;
  if (value.kind !== "obj") {
    skip("define: not an object literal; set build.define by hand");
    return;
  }
  for (const [name, expr] of value.props) {
    // A value that depends on the target (target.includes("-musl") ? "musl" : "glibc"):
    // targets.json has one define for every target, so it is not imported.
    const variants = [...new Set(script.alternatives(expr).map((a) => describe(a)))];
    if (variants.length > 1) {
      skip(`define ${name}: the value depends on the target (${variants.join(" or ")}), and targets.json has one define for every target; build each variant from its own targets.json, or compute it in the program`);
      continue;
    }
    const sym = script.alternatives(expr)[0] ?? [];
    const single = expr.kind === "alts" ? expr.options[0]! : expr;
    const define: DefineJson | undefined = single.kind === "str" ? defineValueOf(sym) : undefined;
    if (define === undefined) skip(`define ${name}: ${single.kind === "str" ? whyComputed(sym) : "not a string"}`);
    else {
      build.define = { ...build.define, [name]: define };
      note(`define ${name}=${typeof define === "string" ? define : `<package.json ${define.packageJson}, read at build time>`}`);
    }
  }
}

/** One option of `compile: { ... }`: autoload*, execArgv, windows. */
function readCompileOption(ctx: OptionReader, key: string, value: Val): void {
  const { script, build, note, skip, text } = ctx;
  const autoload = /^autoload(Dotenv|Bunfig|Tsconfig|PackageJson)$/.exec(key);
  if (autoload && value.kind === "bool") {
    const name = ({ Dotenv: "dotenv", Bunfig: "bunfig", Tsconfig: "tsconfig", PackageJson: "packageJson" } as const)[autoload[1] as "Dotenv"];
    build.autoload = { ...build.autoload, [name]: value.value };
    note(`compile.${key}: ${value.value}`);
  } else if (key === "execArgv") {
    const argv = script.items(value).map(text);
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

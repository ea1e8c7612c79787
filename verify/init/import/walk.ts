// Follows a project's own build from every place it can start (package.json scripts, justfile
// recipes, Makefile targets, workflow steps) through the scripts and files they run, and lists
// what happens in order: plain commands, and the `bun build --compile` calls among them.
import path from "node:path";
import YAML from "yaml";
import type { ProjectReader } from "./bun-version.ts";
import { type CompileCall, type Located, bunBuildStart, readCompileArgv } from "./compile-call.ts";
import { ROOT_MARK } from "./script-ast.ts";
import { readScriptFile } from "./script-file.ts";
import { type Scope, type ShellCommand, evaluateWord, interpret, parseShell, wordText } from "./shell.ts";
import { type Sym, describe, lit, literal } from "./symbolic.ts";
import { type JustRecipe, type MakeTarget, expandMake, parseJustfile, parseMakefile } from "./task-files.ts";

export type Step =
  | { kind: "compile"; call: CompileCall }
  | { kind: "writes"; at: Located; file: string }
  | { kind: "command"; at: Located; via: string[]; cwd: string; text: string; program: string };

/** A place a build starts from, and everything it runs, in order. */
export interface BuildRoute {
  /** e.g. `package.json script "build:bin"`, `justfile recipe release`. */
  root: string;
  steps: Step[];
}

export const JUSTFILE_NAMES = ["justfile", "Justfile", ".justfile", "JUSTFILE"];
const SCRIPT_EXTENSIONS = /\.(ts|mts|cts|js|mjs|cjs|tsx|jsx)$/;
const MAX_DEPTH = 8;

export function walkProject(reader: ProjectReader): BuildRoute[] {
  const walker = new Walker(reader);
  const routes: BuildRoute[] = [];
  for (const name of Object.keys(walker.scripts)) {
    routes.push({ root: `package.json script "${name}"`, steps: walker.script(name, [], 0) });
  }
  const justfile = JUSTFILE_NAMES.find((n) => reader.read(n) !== undefined);
  if (justfile) {
    for (const recipe of walker.justRecipes(justfile).keys()) routes.push({ root: `${justfile} recipe ${recipe}`, steps: walker.just(recipe, [], 0) });
  }
  if (reader.read("Makefile") !== undefined || reader.read("makefile") !== undefined) {
    // .PHONY, .DEFAULT_GOAL and make's other special targets are not builds of their own.
    for (const target of [...walker.makeTargets().keys()].filter((t) => !t.startsWith("."))) routes.push({ root: `Makefile target ${target}`, steps: walker.make(target, [], 0) });
  }
  for (const file of reader.list(".github/workflows").filter((f) => /\.ya?ml$/.test(f))) {
    routes.push(...walker.workflow(file));
  }
  // Build scripts nothing calls (a bundle.sh run by hand): a route of their own, only when no
  // other route reaches them, so a script's pre-steps stay with the compile they precede.
  const reached = new Set(routes.flatMap((r) => r.steps.flatMap((s) => (s.kind === "compile" ? [...s.call.via, s.call.at.file] : s.kind === "command" ? [...s.via, s.at.file] : [s.at.file]))));
  for (const file of standaloneScripts(reader)) {
    if (reached.has(file)) continue;
    const steps = walker.file(file, [], 0);
    if (steps && steps.length > 0) routes.push({ root: `${file} (no script, recipe or workflow runs it)`, steps });
  }
  return routes.filter((r) => r.steps.length > 0);
}

const STANDALONE_BUILD_SCRIPT = /^(build|compile|bundle|release|package|dist|binar)[\w.-]*\.(ts|mts|js|mjs|cjs)$/i;

/** Shell scripts, and build-named TS/JS scripts, at the project root and in scripts/. */
function standaloneScripts(reader: ProjectReader): string[] {
  return [".", "scripts"].flatMap((folder) =>
    reader.list(folder)
      .map((f) => f.replace(/^\.?\//, ""))
      .filter((f) => /\.(sh|bash)$/.test(f) || STANDALONE_BUILD_SCRIPT.test(path.posix.basename(f))),
  );
}

class Walker {
  readonly scripts: Record<string, string>;
  private readonly scriptLines = new Map<string, number>();
  private justCache?: Map<string, JustRecipe>;
  private justVars = new Map<string, Sym[]>();
  private justFile = "justfile";
  private makeCache?: Map<string, MakeTarget>;
  private makeVars = new Map<string, string>();

  constructor(private readonly reader: ProjectReader) {
    const text = reader.read("package.json") ?? "{}";
    let scripts: Record<string, string> = {};
    try {
      scripts = (JSON.parse(text) as { scripts?: Record<string, string> }).scripts ?? {};
    } catch {
      scripts = {};
    }
    this.scripts = scripts;
    text.split("\n").forEach((line, i) => {
      const m = /^\s*"([^"]+)"\s*:/.exec(line);
      if (m && scripts[m[1]!] !== undefined && !this.scriptLines.has(m[1]!)) this.scriptLines.set(m[1]!, i + 1);
    });
  }

  script(name: string, via: string[], depth: number): Step[] {
    const text = this.scripts[name];
    if (text === undefined || depth > MAX_DEPTH || via.some((v) => v === `package.json script "${name}"`)) return [];
    const here = [...via, `package.json script "${name}"`];
    const at = { file: "package.json", line: this.scriptLines.get(name) ?? 1 };
    // npm (and Bun) run pre<name> and post<name> around a script.
    const pre = this.scripts[`pre${name}`] !== undefined && !name.startsWith("pre") ? this.script(`pre${name}`, via, depth + 1) : [];
    const post = this.scripts[`post${name}`] !== undefined && !name.startsWith("post") ? this.script(`post${name}`, via, depth + 1) : [];
    return [...pre, ...this.shell(text.replace(/\n/g, " "), at, here, new Map(), "", depth), ...post];
  }

  /** Shell text: each command classified (compile, a script/recipe/file it runs, or a plain command). */
  shell(text: string, at: Located, via: string[], scope: Scope, cwd: string, depth: number): Step[] {
    const steps: Step[] = [];
    let dir = cwd;
    const lineOffset = at.line - 1;
    for (const { command, scope: inScope } of interpret(parseShell(text, 1), scope)) {
      const where = { file: at.file, line: lineOffset + command.line };
      const first = command.words[0] ? wordText(command.words[0]) : "";
      if (first === "cd" && command.words[1]) {
        const target = literal(evaluateWord(command.words[1], inScope)[0] ?? []);
        if (target !== undefined) dir = path.posix.normalize(path.posix.join(dir, target)).replace(/^\.$/, "");
        continue;
      }
      steps.push(...this.command(command, inScope, where, via, dir, depth));
    }
    return steps;
  }

  private command(command: ShellCommand, scope: Scope, at: Located, via: string[], cwd: string, depth: number): Step[] {
    const words = command.words.map((w) => evaluateWord(w, scope));
    const env = command.assigns.map(([name, w]): [string, Sym[]] => [name, evaluateWord(w, scope)]);
    return this.words(words, env, at, via, cwd, depth, command.words.map(wordText).join(" "));
  }

  /** Classifies one command given as words (each with its alternatives). */
  words(words: Sym[][], env: [string, Sym[]][], at: Located, via: string[], cwd: string, depth: number, text?: string): Step[] {
    const texts = words.map((w) => literal(w[0] ?? []) ?? describe(w[0] ?? []));
    // A path a script built from import.meta.dir / __dirname is shown project-relative.
    const shown = (text ?? texts.join(" ")).replaceAll(ROOT_MARK, "");
    const start = bunBuildStart(texts);
    if (start >= 0) {
      const call = readCompileArgv(words.slice(start), at, [...via, `${at.file}:${at.line}`], cwd, env);
      if (call) return [{ kind: "compile", call }];
    }
    if (depth < MAX_DEPTH) {
      const nested = this.nested(texts, words, at, via, cwd, depth);
      if (nested) return nested;
    }
    return [{ kind: "command", at, via, cwd, text: shown, program: path.posix.basename(texts[0] ?? "") }];
  }

  /** A command that runs another script, recipe, target or file: its steps, or undefined. */
  private nested(texts: string[], words: Sym[][], at: Located, via: string[], cwd: string, depth: number): Step[] | undefined {
    const [program, ...rest] = texts;
    if (!program) return undefined;
    const args = rest.filter((a) => !a.startsWith("-"));
    const here = [...via, `${at.file}:${at.line}`];
    // npm run X, bun run X, pnpm [run] X, yarn [run] X, bun X (a script name).
    if (["npm", "bun", "pnpm", "yarn"].includes(program)) {
      const cwdFlag = flagValue(rest, ["--cwd", "--prefix", "-C", "--dir"]);
      if (cwdFlag !== undefined && cwdFlag !== "." && cwdFlag !== "") return undefined; // another package: its own package.json
      const isRun = rest[0] === "run" || rest[0] === "run-script";
      const name = isRun ? args[1] : args[0];
      if (name && (isRun || program !== "npm") && this.scripts[name] !== undefined && cwd === "") return this.script(name, here, depth + 1);
      const file = isRun ? args[1] : args[0];
      if (program === "bun" && file && SCRIPT_EXTENSIONS.test(file)) return this.compilingFile(path.posix.join(cwd, file), here, depth);
      if (program === "bun" && file && /\.sh$/.test(file)) return this.compilingFile(path.posix.join(cwd, file), here, depth);
      return undefined;
    }
    if (program === "run-s" || program === "npm-run-all") {
      return args.flatMap((name) => (this.scripts[name] !== undefined ? this.script(name, here, depth + 1) : []));
    }
    if (["node", "tsx", "ts-node", "zx", "esno", "jiti", "vite-node"].includes(program) || ((program === "npx" || program === "bunx" || program === "pnpx") && ["tsx", "ts-node", "zx", "esno", "jiti"].includes(args[0] ?? ""))) {
      const file = program === "npx" || program === "bunx" || program === "pnpx" ? args[1] : args[0];
      return file && (SCRIPT_EXTENSIONS.test(file) || /\.sh$/.test(file)) ? this.compilingFile(path.posix.join(cwd, file), here, depth) : undefined;
    }
    if ((program === "sh" || program === "bash" || program === "zsh") && args[0] && !rest.includes("-c")) return this.compilingFile(path.posix.join(cwd, args[0]), here, depth);
    if (program.startsWith("./") || program.startsWith("scripts/")) {
      const file = path.posix.join(cwd, program);
      if (this.reader.read(file) !== undefined) return this.compilingFile(file, here, depth);
    }
    if (program === "just") {
      const recipe = args[0] ?? this.firstJustRecipe();
      return recipe ? this.just(recipe, here, depth + 1, words.slice(2)) : undefined;
    }
    if (program === "make") {
      const target = args[0] ?? this.firstMakeTarget();
      return target ? this.make(target, here, depth + 1) : undefined;
    }
    return undefined;
  }

  /**
   * The steps of a file a command runs, when it compiles; otherwise undefined, so the command
   * itself (`node scripts/bundle.mjs`, `./gen.sh`) stays one step: a pre-step is the whole file.
   */
  private compilingFile(file: string, via: string[], depth: number): Step[] | undefined {
    const steps = this.file(file, via, depth);
    return steps?.some((s) => s.kind === "compile") ? steps : undefined;
  }

  file(file: string, via: string[], depth: number): Step[] | undefined {
    const text = this.reader.read(file);
    if (text === undefined || depth > MAX_DEPTH) return undefined;
    const here = [...via, file];
    if (SCRIPT_EXTENSIONS.test(file)) {
      return readScriptFile(text, file, here).flatMap((s): Step[] => {
        if (s.kind === "compile") return [{ kind: "compile", call: s.call }];
        if (s.kind === "writes") return [{ kind: "writes", at: s.at, file: path.posix.normalize(s.file).replace(/^\.\//, "") }];
        const steps = this.words(s.command.words, [], s.command.at, here, "", depth + 1);
        for (const step of steps) if (step.kind === "compile") step.call.notImported.push(...(s.command.notes ?? []).map((text) => ({ at: s.command.at, text })));
        return steps;
      });
    }
    // A shell script (by extension or shebang).
    if (/\.(sh|bash)$/.test(file) || /^#!.*\b(sh|bash|zsh)\b/.test(text)) {
      return this.shell(text, { file, line: 1 }, here, new Map(), "", depth + 1);
    }
    return undefined;
  }

  // ---- justfile -----------------------------------------------------------------------------

  justRecipes(file?: string): Map<string, JustRecipe> {
    if (this.justCache) return this.justCache;
    this.justFile = file ?? JUSTFILE_NAMES.find((n) => this.reader.read(n) !== undefined) ?? "justfile";
    const text = this.reader.read(this.justFile) ?? "";
    const { recipes, variables } = parseJustfile(text);
    this.justCache = recipes;
    this.justVars = variables;
    return recipes;
  }

  private firstJustRecipe(): string | undefined {
    return [...this.justRecipes().keys()][0];
  }

  just(name: string, via: string[], depth: number, args: Sym[][] = []): Step[] {
    const recipe = this.justRecipes().get(name);
    if (!recipe || depth > MAX_DEPTH || via.includes(`${this.justFile} recipe ${name}`)) return [];
    const here = [...via, `${this.justFile} recipe ${name}`];
    const scope: Scope = new Map(this.justVars);
    recipe.params.forEach((param, i) => {
      const value = args[i] ?? (param.default !== undefined ? [lit(param.default)] : undefined);
      if (value) scope.set(param.name, value);
    });
    const deps = recipe.dependencies.flatMap((d) => this.just(d, via, depth + 1));
    const body = recipe.shebang ? recipe.lines.join("\n") : recipe.lines.join("\n");
    // {{name}} interpolations become shell variables bound in the scope.
    const shellText = body.replace(/\{\{\s*([A-Za-z_][\w-]*)\s*\}\}/g, (_m, v: string) => `\${${v.replace(/-/g, "_")}}`);
    for (const [k, v] of [...scope]) if (k.includes("-")) scope.set(k.replace(/-/g, "_"), v);
    return [...deps, ...this.shell(shellText, { file: this.justFile, line: recipe.bodyLine }, here, scope, "", depth)];
  }

  // ---- Makefile -----------------------------------------------------------------------------

  makeTargets(): Map<string, MakeTarget> {
    if (this.makeCache) return this.makeCache;
    const text = this.reader.read("Makefile") ?? this.reader.read("makefile") ?? "";
    const { targets, variables } = parseMakefile(text);
    this.makeCache = targets;
    this.makeVars = variables;
    return targets;
  }

  private firstMakeTarget(): string | undefined {
    return [...this.makeTargets().keys()].find((t) => !t.startsWith("."));
  }

  make(name: string, via: string[], depth: number): Step[] {
    const target = this.makeTargets().get(name);
    if (!target || depth > MAX_DEPTH || via.includes(`Makefile target ${name}`)) return [];
    const here = [...via, `Makefile target ${name}`];
    const deps = target.prerequisites.flatMap((p) => this.make(p, via, depth + 1));
    const steps = target.lines.flatMap(({ text, line }) =>
      this.shell(expandMake(text, this.makeVars), { file: "Makefile", line }, here, new Map(), "", depth),
    );
    return [...deps, ...steps];
  }

  // ---- GitHub workflows ---------------------------------------------------------------------

  workflow(file: string): BuildRoute[] {
    const text = this.reader.read(file);
    if (!text) return [];
    const lineCounter = new YAML.LineCounter();
    let doc: YAML.Document.Parsed;
    try {
      doc = YAML.parseDocument(text, { lineCounter });
    } catch {
      return [];
    }
    const jobs = doc.get("jobs") as YAML.YAMLMap | undefined;
    if (!jobs || !YAML.isMap(jobs)) return [];
    const routes: BuildRoute[] = [];
    for (const pair of jobs.items) {
      const jobName = String((pair.key as YAML.Scalar).value);
      const job = pair.value as YAML.YAMLMap;
      if (!YAML.isMap(job)) continue;
      const scope = matrixScope(job.getIn(["strategy", "matrix"]) as unknown);
      const steps = job.get("steps") as YAML.YAMLSeq | undefined;
      if (!steps || !YAML.isSeq(steps)) continue;
      const out: Step[] = [];
      const root = `${file} job ${jobName}`;
      for (const step of steps.items) {
        if (!YAML.isMap(step)) continue;
        const run = step.get("run", true) as YAML.Scalar | undefined;
        if (!run || typeof run.value !== "string") continue;
        const workingDirectory = step.get("working-directory");
        // A block scalar (`run: |`) starts on the line after its indicator.
        const block = run.type === "BLOCK_LITERAL" || run.type === "BLOCK_FOLDED";
        const line = run.range ? lineCounter.linePos(run.range[0]).line + (block ? 1 : 0) : 1;
        // GitHub expands ${{ ... }} before the shell runs: matrix values become variables here.
        const body = run.value.replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (_m, key: string) => `\${__matrix_${key.replace(/-/g, "_")}}`).replace(/\$\{\{[^}]*\}\}/g, "$__github_expression");
        out.push(...this.shell(body, { file, line }, [root], scope, typeof workingDirectory === "string" ? workingDirectory.replace(/^\.\/?/, "") : "", 0));
      }
      routes.push({ root, steps: out });
    }
    return routes;
  }
}

function flagValue(args: string[], names: string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    for (const name of names) {
      if (args[i] === name) return args[i + 1];
      if (args[i]!.startsWith(`${name}=`)) return args[i]!.slice(name.length + 1);
    }
  }
  return undefined;
}

/** `strategy.matrix`: each key (and `include` entries) as the alternatives of __matrix_<key>. */
function matrixScope(matrix: unknown): Scope {
  const scope: Scope = new Map();
  const plain = YAML.isMap(matrix) ? (matrix.toJSON() as Record<string, unknown>) : undefined;
  if (!plain) return scope;
  const add = (key: string, value: unknown) => {
    if (typeof value !== "string" && typeof value !== "number") return;
    const name = `__matrix_${key.replace(/-/g, "_")}`;
    const list = scope.get(name) ?? [];
    if (!list.some((s) => literal(s) === String(value))) list.push(lit(String(value)));
    scope.set(name, list);
  };
  for (const [key, value] of Object.entries(plain)) {
    if (key === "include" && Array.isArray(value)) {
      for (const entry of value) if (entry && typeof entry === "object") for (const [k, v] of Object.entries(entry)) add(k, v);
    } else if (Array.isArray(value)) for (const v of value) add(key, v);
  }
  return scope;
}

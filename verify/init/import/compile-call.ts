// One `bun build --compile` a project already runs, read from its argv (shell, a spawn call)
// or from a `Bun.build({ compile })` options object, turned into targets.json fields, with a
// note for everything that was imported and everything that could not be.
import { type Sym, defineValueOf, describe, literal, splitAtEquals, unknownParts } from "./symbolic.ts";

export interface Located {
  /** Relative to the project root, forward slashes. */
  file: string;
  line: number;
}

export interface ImportNote {
  at: Located;
  text: string;
}

export type DefineJson = string | { packageJson: string };

/** targets.json `build` fields as JSON (before defaults). */
export interface ImportedBuild {
  minify?: boolean | { whitespace?: boolean; syntax?: boolean; identifiers?: boolean };
  keepNames?: boolean;
  sourcemap?: boolean | "none" | "linked" | "inline" | "external";
  bytecode?: boolean;
  format?: "esm" | "cjs";
  external?: string[];
  define?: Record<string, DefineJson>;
  env?: Record<string, string>;
  inlineEnv?: string;
  autoload?: { dotenv?: boolean; bunfig?: boolean; tsconfig?: boolean; packageJson?: boolean };
  execArgv?: string[];
  windows?: Record<string, string | boolean>;
  args?: string[];
}

export interface CompileCall {
  at: Located;
  /** How it is reached, e.g. `package.json script "build:bin"` -> `scripts/build.ts`. */
  via: string[];
  style: "cli" | "api";
  /** Entry module as written (relative to the folder the command runs in). */
  entry?: Sym;
  additionalEntrypoints: Sym[];
  /** Every --target value (loops expanded); empty = the host only. */
  targets: Sym[];
  outfiles: Sym[];
  /** The folder the compile runs in, relative to the project root ("" = the root). */
  cwd: string;
  build: ImportedBuild;
  imported: ImportNote[];
  notImported: ImportNote[];
}

const VALUE_FLAGS = new Set([
  "--target", "--outfile", "--outdir", "--metafile", "--metafile-md", "--banner", "--footer", "--format", "--root",
  "--public-path", "-e", "--external", "--allow-unresolved", "--packages", "--entry-naming", "--chunk-naming",
  "--asset-naming", "--conditions", "--env", "--windows-icon", "--windows-title", "--windows-publisher",
  "--windows-version", "--windows-description", "--windows-copyright", "--compile-exec-argv", "--bytecode-order",
  "--compile-jit-policy", "--compile-executable-path", "--asset", "--bytecode-depth", "--min-chunk-size", "--define",
  "-d", "--loader", "-l", "--tsconfig-override", "--jsx-factory", "--jsx-fragment", "--jsx-import-source",
  "--jsx-runtime", "--drop", "--feature", "--cwd", "--config", "-c", "--preload", "-r", "--main-fields",
]);
const SOURCEMAP_KINDS = new Set(["none", "linked", "inline", "external"]);
const WINDOWS_VALUE_FLAGS: Record<string, string> = {
  "--windows-icon": "icon", "--windows-title": "title", "--windows-publisher": "publisher", "--windows-version": "version",
  "--windows-description": "description", "--windows-copyright": "copyright",
};
const AUTOLOAD_FLAGS: Record<string, keyof NonNullable<ImportedBuild["autoload"]>> = {
  dotenv: "dotenv", bunfig: "bunfig", tsconfig: "tsconfig", "package-json": "packageJson",
};

/**
 * Index of the first `bun build` argument when the words run `bun build` (bun, bunx bun,
 * npx bun, a path to bun, $BUN), else -1.
 */
export function bunBuildStart(words: string[]): number {
  let i = 0;
  // Runners in front of bun: npx bun, bunx bun, pnpm [exec] bun (the project's bun devDependency), yarn [exec] bun, npm exec -- bun.
  if (["npx", "bunx", "pnpx", "pnpm", "yarn", "npm"].includes(words[i] ?? "")) {
    if (words[i] === "npm" && words[i + 1] !== "exec") return -1;
    i++;
    if (words[i] === "exec" || words[i] === "dlx") i++;
    while (words[i]?.startsWith("-")) i++;
  }
  const bun = words[i];
  if (!bun || !/(^|[/\\])bun(\.exe)?$|^\$\{?BUN(_BIN|_PATH|_EXE)?\}?$|^\$\{?bun\}?$/.test(bun)) return -1;
  i++;
  while (words[i]?.startsWith("--") && words[i] !== "--compile") i++; // bun --bun build, bun --silent build
  return words[i] === "build" ? i + 1 : -1;
}

/** Reads a `bun build` argv (after "build"); returns undefined when it does not compile. */
export function readCompileArgv(
  args: Sym[][],
  at: Located,
  via: string[],
  cwd: string,
  env: [string, Sym[]][],
): CompileCall | undefined {
  if (!args.some((a) => ["--compile", "--compile=true"].includes(literal(firstOf(a)) ?? ""))) return undefined;
  const reader = new CompileArgvReader({ at, via, style: "cli", additionalEntrypoints: [], targets: [], outfiles: [], cwd, build: {}, imported: [], notImported: [] });
  const [entry, ...more] = reader.readArgs(args);
  if (entry) reader.call.entry = entry;
  reader.call.additionalEntrypoints = more;
  reader.readEnv(env);
  return reader.call;
}

/** The first alternative of a word: a flag's name never depends on a loop variable. */
const firstOf = (alternatives: Sym[]): Sym => alternatives[0] ?? [];

/** One flag of the argv, with its value(s) when it takes one. */
interface Flag {
  name: string;
  /** Every alternative of the value (a --target in a loop has one per target). */
  values?: Sym[];
  value?: Sym;
  /** The value when it is a plain string; undefined when computed or absent. */
  valueText?: string;
  /** The flag as messages show it: `--format=esm`, `--target=<$t>`. */
  shown: string;
}

/** Turns one argv into a CompileCall, flag by flag, noting what was imported and what was not. */
class CompileArgvReader {
  constructor(readonly call: CompileCall) {}

  /** Records something imported, at the compile's line. */
  private note(text: string): void {
    this.call.imported.push({ at: this.call.at, text });
  }

  /** Records something not imported and why, at the compile's line. */
  private skip(text: string): void {
    this.call.notImported.push({ at: this.call.at, text });
  }

  /** Applies a flag whose value must be a plain string; a computed one is left for the user to set. */
  private needsLiteral(flag: Flag, apply: (v: string) => void): void {
    if (flag.valueText === undefined) this.skip(`${flag.shown}: the value is computed (${unknownPartsOf(flag.value)}); set it in targets.json by hand`);
    else apply(flag.valueText);
  }

  /** Reads every word: flags are applied, the rest are returned as the entrypoints, in order. */
  readArgs(args: Sym[][]): Sym[] {
    const positionals: Sym[] = [];
    for (let i = 0; i < args.length; i++) {
      const word = firstOf(args[i]!);
      const head = word[0];
      const headText = head && "lit" in head ? head.lit : "";
      // A lone "-" is stdin, an entry rather than a flag.
      if (!headText.startsWith("-") || headText === "-") {
        positionals.push(word);
        continue;
      }
      const read = readFlagAt(args, i, headText);
      i = read.last;
      this.applyFlag(read.flag);
    }
    return positionals;
  }

  /** Applies one flag: the groups below know disjoint flags, and what none knows goes to build.args. */
  private applyFlag(flag: Flag): void {
    if (this.outputFlag(flag) || this.bundleFlag(flag) || this.valueFlag(flag)) return;
    this.otherFlag(flag);
  }

  /** Flags about what the compile writes and for which platform; bun-parity decides the outputs itself. */
  private outputFlag(flag: Flag): boolean {
    switch (flag.name) {
      case "--compile":
        return true;
      case "--target":
        for (const v of flag.values ?? []) {
          const t = literal(v);
          if (t !== undefined && !t.startsWith("bun-")) this.skip(`--target=${t}: with --compile this builds for the machine the build runs on only`);
          else this.call.targets.push(v);
        }
        return true;
      case "--outfile":
        this.call.outfiles.push(...(flag.values ?? []));
        return true;
      case "--outdir":
        this.skip(`${flag.shown}: --compile writes one file (--outfile); bun-parity names it <name>-<target>`);
        return true;
      case "--metafile":
      case "--metafile-md":
        this.skip(`${flag.shown}: bun-parity writes its own metafile (manifest.json lists the bundled modules)`);
        return true;
      case "--compile-executable-path":
        this.skip(`${flag.shown}: bun-parity passes its own pinned, sha256-checked runtimes (bun-runtimes.lock.json)`);
        return true;
      default:
        return false;
    }
  }

  /** Flags that change how the bundle is written (minify, names, bytecode, source maps, format). */
  private bundleFlag(flag: Flag): boolean {
    const build = this.call.build;
    switch (flag.name) {
      case "--minify":
        build.minify = true;
        this.note("--minify");
        return true;
      case "--minify-whitespace":
      case "--minify-syntax":
      case "--minify-identifiers": {
        const part = flag.name.slice("--minify-".length) as "whitespace" | "syntax" | "identifiers";
        // A plain --minify already turns on every part.
        if (build.minify !== true) build.minify = { ...(typeof build.minify === "object" ? build.minify : {}), [part]: true };
        this.note(flag.name);
        return true;
      }
      case "--keep-names":
        build.keepNames = true;
        this.note(flag.name);
        return true;
      case "--bytecode":
        build.bytecode = true;
        this.note(flag.name);
        return true;
      case "--production":
        build.minify = true;
        build.env = { ...build.env, NODE_ENV: "production" };
        this.note("--production (minify, NODE_ENV=production)");
        return true;
      case "--sourcemap":
        if (flag.valueText === undefined && flag.value) this.needsLiteral(flag, () => {});
        else {
          build.sourcemap = flag.valueText === undefined ? true : (flag.valueText as ImportedBuild["sourcemap"]);
          this.note(flag.shown);
        }
        return true;
      case "--format":
        this.needsLiteral(flag, (v) => {
          if (v === "esm" || v === "cjs") {
            build.format = v;
            this.note(flag.shown);
          } else this.skip(`${flag.shown}: a compiled executable runs esm or cjs`);
        });
        return true;
      default:
        return false;
    }
  }

  /** Flags that carry a value into the build (externals, defines, env, exec argv, Windows metadata) or are not release options. */
  private valueFlag(flag: Flag): boolean {
    const build = this.call.build;
    switch (flag.name) {
      case "-e":
      case "--external":
        this.needsLiteral(flag, (v) => {
          build.external = [...(build.external ?? []), v];
          this.note(`--external=${v}`);
        });
        return true;
      case "-d":
      case "--define":
        this.defineFlag(flag);
        return true;
      case "--env":
        this.needsLiteral(flag, (v) => {
          build.inlineEnv = v;
          this.note(flag.shown);
        });
        return true;
      case "--compile-exec-argv":
        this.needsLiteral(flag, (v) => {
          build.execArgv = v.split(/\s+/).filter(Boolean);
          this.note(flag.shown);
        });
        return true;
      case "--windows-hide-console":
        build.windows = { ...build.windows, hideConsole: true };
        this.note(flag.name);
        return true;
      case "--watch":
      case "--no-bundle":
        this.skip(`${flag.name}: not a release build option`);
        return true;
      default:
        return false;
    }
  }

  /** `--define KEY=VALUE`: imported when the value is fixed or read from package.json, else explained. */
  private defineFlag(flag: Flag): void {
    const pair = flag.value ? splitAtEquals(flag.value) : undefined;
    if (!pair) {
      this.skip(`${flag.shown}: expected KEY=VALUE`);
      return;
    }
    const [key, expr] = pair;
    const define = defineValueOf(expr);
    if (define === undefined) this.skip(`--define ${key}=${describe(expr)}: ${whyComputed(expr)}`);
    else {
      this.call.build.define = { ...this.call.build.define, [key]: define };
      this.note(`--define ${key}=${typeof define === "string" ? define : `<package.json ${define.packageJson}, read at build time>`}`);
    }
  }

  /** Autoload and Windows metadata flags by pattern; any other flag is passed to bun as it is (build.args). */
  private otherFlag(flag: Flag): void {
    const build = this.call.build;
    const autoload = /^--(no-)?compile-autoload-(dotenv|bunfig|tsconfig|package-json)$/.exec(flag.name);
    const windowsField = WINDOWS_VALUE_FLAGS[flag.name];
    if (autoload) {
      build.autoload = { ...build.autoload, [AUTOLOAD_FLAGS[autoload[2]!]!]: !autoload[1] };
      this.note(flag.name);
    } else if (windowsField) {
      this.needsLiteral(flag, (v) => {
        build.windows = { ...build.windows, [windowsField]: v };
        this.note(flag.shown);
      });
    } else if (flag.value === undefined) {
      build.args = [...(build.args ?? []), flag.name];
      this.note(`${flag.name} (passed as it is, build.args)`);
    } else {
      this.needsLiteral(flag, (v) => {
        build.args = [...(build.args ?? []), `${flag.name}=${v}`];
        this.note(`${flag.name}=${v} (passed as it is, build.args)`);
      });
    }
  }

  /** Variables set in front of the command become build.env; BUN_* ones configure the compiler, which bun-parity pins. */
  readEnv(env: [string, Sym[]][]): void {
    for (const [name, values] of env) {
      const v = values[0] ? literal(values[0]) : undefined;
      if (name.startsWith("BUN_")) this.skip(`${name}=${values[0] ? describe(values[0]) : ""}: bun-parity removes BUN_* variables for the compiler`);
      else if (v === undefined) this.skip(`${name}=${values[0] ? describe(values[0]) : ""}: computed value; set build.env by hand`);
      else {
        this.call.build.env = { ...this.call.build.env, [name]: v };
        this.note(`${name}=${v} (build.env)`);
      }
    }
  }
}

/**
 * The flag at args[i] and its value: after `=`, else the next word for flags that take one
 * (--sourcemap only when the next word is a sourcemap kind, since it also stands alone).
 * `last` is the index of the last word read.
 */
function readFlagAt(args: Sym[][], i: number, headText: string): { flag: Flag; last: number } {
  const eq = headText.indexOf("=");
  const name = eq >= 0 ? headText.slice(0, eq) : headText;
  let values: Sym[] | undefined;
  let last = i;
  if (eq >= 0) values = args[i]!.map((alt) => splitAtEquals(alt)![1]);
  else if (VALUE_FLAGS.has(name) && i + 1 < args.length) values = args[++last]!;
  else if (name === "--sourcemap" && i + 1 < args.length && SOURCEMAP_KINDS.has(literal(firstOf(args[i + 1]!)) ?? "")) values = args[++last]!;
  const value = values?.[0];
  const flag: Flag = { name, shown: value ? `${name}=${describe(value)}` : name };
  if (values !== undefined) flag.values = values;
  if (value !== undefined) {
    flag.value = value;
    const valueText = literal(value);
    if (valueText !== undefined) flag.valueText = valueText;
  }
  return { flag, last };
}

function unknownPartsOf(value: Sym | undefined): string {
  return value ? unknownParts(value).join(", ") || "not a plain string" : "missing";
}

/** Why a define's value cannot be imported, in words a user acts on. */
export function whyComputed(value: Sym): string {
  const parts = unknownParts(value);
  if (parts.some((p) => /\bdate\b|Date\.now|new Date|toISOString|getTime/.test(p))) {
    return "the value changes on every build (a timestamp), so no two builds can be identical; drop it or use a fixed value (e.g. SOURCE_DATE_EPOCH)";
  }
  if (parts.some((p) => /\bgit\b/.test(p))) return "the value comes from git; bun-parity cannot read it at build time yet: set build.define by hand";
  return `the value is computed (${parts.join(", ") || "not a plain string"}); set build.define by hand`;
}

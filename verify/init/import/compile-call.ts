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
  const first = (alternatives: Sym[]) => alternatives[0] ?? [];
  const texts = args.map((a) => literal(first(a)));
  if (!texts.some((t) => t === "--compile" || t === "--compile=true")) return undefined;
  const call: CompileCall = { at, via, style: "cli", additionalEntrypoints: [], targets: [], outfiles: [], cwd, build: {}, imported: [], notImported: [] };
  const note = (text: string) => call.imported.push({ at, text });
  const skip = (text: string) => call.notImported.push({ at, text });
  const build = call.build;
  const positionals: Sym[] = [];

  for (let i = 0; i < args.length; i++) {
    const alternatives = args[i]!;
    const word = first(alternatives);
    const head = word[0];
    const headText = head && "lit" in head ? head.lit : "";
    if (!headText.startsWith("-") || headText === "-") {
      positionals.push(word);
      continue;
    }
    const eq = headText.indexOf("=");
    const flag = eq >= 0 ? headText.slice(0, eq) : headText;
    let values: Sym[] | undefined;
    if (eq >= 0) values = alternatives.map((alt) => splitAtEquals(alt)![1]);
    else if (VALUE_FLAGS.has(flag) && i + 1 < args.length) values = args[++i]!;
    else if (flag === "--sourcemap" && i + 1 < args.length && SOURCEMAP_KINDS.has(literal(first(args[i + 1]!)) ?? "")) values = args[++i]!;
    const value = values?.[0];
    const valueText = value ? literal(value) : undefined;
    const shown = value ? `${flag}=${describe(value)}` : flag;
    const needsLiteral = (apply: (v: string) => void) => {
      if (valueText === undefined) skip(`${shown}: the value is computed (${unknownPartsOf(value)}); set it in targets.json by hand`);
      else apply(valueText);
    };

    switch (flag) {
      case "--compile":
        break;
      case "--target":
        for (const v of values ?? []) {
          const t = literal(v);
          if (t !== undefined && !t.startsWith("bun-")) skip(`--target=${t}: with --compile this builds for the machine the build runs on only`);
          else call.targets.push(v);
        }
        break;
      case "--outfile":
        call.outfiles.push(...(values ?? []));
        break;
      case "--outdir":
        skip(`${shown}: --compile writes one file (--outfile); bun-parity names it <name>-<target>`);
        break;
      case "--metafile":
      case "--metafile-md":
        skip(`${shown}: bun-parity writes its own metafile (manifest.json lists the bundled modules)`);
        break;
      case "--compile-executable-path":
        skip(`${shown}: bun-parity passes its own pinned, sha256-checked runtimes (bun-runtimes.lock.json)`);
        break;
      case "--minify":
        build.minify = true;
        note("--minify");
        break;
      case "--minify-whitespace":
      case "--minify-syntax":
      case "--minify-identifiers": {
        const part = flag.slice("--minify-".length) as "whitespace" | "syntax" | "identifiers";
        if (build.minify !== true) build.minify = { ...(typeof build.minify === "object" ? build.minify : {}), [part]: true };
        note(flag);
        break;
      }
      case "--keep-names":
        build.keepNames = true;
        note(flag);
        break;
      case "--production":
        build.minify = true;
        build.env = { ...build.env, NODE_ENV: "production" };
        note("--production (minify, NODE_ENV=production)");
        break;
      case "--bytecode":
        build.bytecode = true;
        note(flag);
        break;
      case "--sourcemap":
        if (valueText === undefined && value) needsLiteral(() => {});
        else {
          build.sourcemap = valueText === undefined ? true : (valueText as ImportedBuild["sourcemap"]);
          note(shown);
        }
        break;
      case "--format":
        needsLiteral((v) => {
          if (v === "esm" || v === "cjs") {
            build.format = v;
            note(shown);
          } else skip(`${shown}: a compiled executable runs esm or cjs`);
        });
        break;
      case "-e":
      case "--external":
        needsLiteral((v) => {
          build.external = [...(build.external ?? []), v];
          note(`--external=${v}`);
        });
        break;
      case "-d":
      case "--define": {
        const pair = value ? splitAtEquals(value) : undefined;
        if (!pair) {
          skip(`${shown}: expected KEY=VALUE`);
          break;
        }
        const [key, expr] = pair;
        const define = defineValueOf(expr);
        if (define === undefined) skip(`--define ${key}=${describe(expr)}: ${whyComputed(expr)}`);
        else {
          build.define = { ...build.define, [key]: define };
          note(`--define ${key}=${typeof define === "string" ? define : `<package.json ${define.packageJson}, read at build time>`}`);
        }
        break;
      }
      case "--env":
        needsLiteral((v) => {
          build.inlineEnv = v;
          note(shown);
        });
        break;
      case "--compile-exec-argv":
        needsLiteral((v) => {
          build.execArgv = v.split(/\s+/).filter(Boolean);
          note(shown);
        });
        break;
      case "--windows-hide-console":
        build.windows = { ...build.windows, hideConsole: true };
        note(flag);
        break;
      case "--watch":
      case "--no-bundle":
        skip(`${flag}: not a release build option`);
        break;
      default: {
        const autoload = /^--(no-)?compile-autoload-(dotenv|bunfig|tsconfig|package-json)$/.exec(flag);
        if (autoload) {
          build.autoload = { ...build.autoload, [AUTOLOAD_FLAGS[autoload[2]!]!]: !autoload[1] };
          note(flag);
        } else if (WINDOWS_VALUE_FLAGS[flag]) {
          needsLiteral((v) => {
            build.windows = { ...build.windows, [WINDOWS_VALUE_FLAGS[flag]!]: v };
            note(shown);
          });
        } else if (value === undefined) {
          build.args = [...(build.args ?? []), flag];
          note(`${flag} (passed as it is, build.args)`);
        } else {
          needsLiteral((v) => {
            build.args = [...(build.args ?? []), `${flag}=${v}`];
            note(`${flag}=${v} (passed as it is, build.args)`);
          });
        }
      }
    }
  }

  const [entry, ...more] = positionals;
  if (entry) call.entry = entry;
  call.additionalEntrypoints = more;
  for (const [name, values] of env) {
    const v = values[0] ? literal(values[0]) : undefined;
    if (name.startsWith("BUN_")) skip(`${name}=${values[0] ? describe(values[0]) : ""}: bun-parity removes BUN_* variables for the compiler`);
    else if (v === undefined) skip(`${name}=${values[0] ? describe(values[0]) : ""}: computed value; set build.env by hand`);
    else {
      build.env = { ...build.env, [name]: v };
      note(`${name}=${v} (build.env)`);
    }
  }
  return call;
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

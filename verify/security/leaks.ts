// The leak detectors of the artifact check (artifact-leaks.ts), for what a bundler adds on its own:
//   - absolute paths of the build machine: `__dirname`/`__filename` inlined as strings, the
//     project folder, home folders, CI workspaces;
//   - `process.env` values inlined by --define or --env (targets.json build.define / inlineEnv),
//     and secret-looking variables of this machine's environment found verbatim;
//   - a .env file bundled by accident (by its name, by its shape, by its values).
// Pure functions of (text, context), so they are unit-testable on strings; leak-context.ts
// gathers the context.
import type { EmbeddedModule } from "./artifacts.ts";
import type { EnvCandidate, LeakContext } from "./leak-context.ts";

/** A detector's hit inside one text. */
export interface TextHit {
  index: number;
  length: number;
  /** For whole-module hits: the line to point at. */
  line?: number;
  rule: string;
  message: string;
  severity: "error" | "warning";
}

const PATH_TAIL = String.raw`(?:(?:/|\\\\|\\)[A-Za-z0-9._@+~ -]*[A-Za-z0-9._@+~-])*`;
/**
 * Where a leaked path starts: a path in a bundle sits in a string literal, so it follows a
 * quote, a space, `=`, `(`, `,`, `:` (a PATH-style list), a line start, or `file://`. Anything
 * else (a letter, `$`, `/`, `|`) means it is part of something longer: `/$bunfs/root/`, a URL
 * path, or a regular expression's source.
 */
const PATH_START = String.raw`(?:(?<=file://)|(?<=^|["'\x60\s=(,:]))`;
const PATH_END = String.raw`(?=[/\\"'\x60\s,;)\]}]|$)`;
/** Home folders and CI workspaces, POSIX and Windows (in JS text a backslash is often escaped as \\). */
const GENERIC_PATHS: { rule: string; what: string; pattern: RegExp }[] = [
  {
    rule: "path/home-folder",
    what: "a home folder",
    pattern: new RegExp(String.raw`${PATH_START}(?:/home/[A-Za-z0-9._-]+|/Users/[A-Za-z0-9._-]+|/root)${PATH_END}${PATH_TAIL}`, "gm"),
  },
  {
    rule: "path/home-folder",
    what: "a Windows user folder",
    pattern: new RegExp(String.raw`${PATH_START}[A-Za-z]:(?:\\\\|\\|/)(?:Users|Documents and Settings)(?:\\\\|\\|/)[A-Za-z0-9._ -]+${PATH_TAIL}`, "gm"),
  },
  {
    rule: "path/ci-workspace",
    what: "a CI workspace",
    pattern: new RegExp(
      String.raw`${PATH_START}(?:/github/workspace|/builds/[A-Za-z0-9._-]+/[A-Za-z0-9._-]+|/var/lib/jenkins/workspace|/opt/atlassian/pipelines/agent/build|/bitrise/src|/private/var/folders/[A-Za-z0-9_+-]+/[A-Za-z0-9_+-]+|/var/folders/[A-Za-z0-9_+-]{2}/[A-Za-z0-9_+-]+)${PATH_END}${PATH_TAIL}`,
      "gm",
    ),
  },
  {
    rule: "path/ci-workspace",
    what: "a CI workspace",
    pattern: new RegExp(String.raw`${PATH_START}[A-Za-z]:(?:\\\\|\\|/)(?:a|actions-runner(?:\\\\|\\|/)_work|agent(?:\\\\|\\|/)_work)(?:\\\\|\\|/)[A-Za-z0-9._-]+${PATH_TAIL}`, "gm"),
  },
];

const DIRNAME_ASSIGNMENT = /\b__(dirname|filename)\s*=\s*(["'`])((?:[^\\\n]|\\.)*?)\2/g;

/** Paths of the build machine in a text: inlined __dirname/__filename, known folders, home folders, CI workspaces. */
export function findPathLeaks(text: string, context: Pick<LeakContext, "knownPaths">, options: { dirname?: boolean } = {}): TextHit[] {
  const hits: TextHit[] = [];
  if (options.dirname !== false) {
    for (const m of text.matchAll(DIRNAME_ASSIGNMENT)) {
      const value = m[3]!;
      if (!(value.startsWith("/") || /^[A-Za-z]:(\\\\|\\|\/)/.test(value))) continue;
      hits.push({
        index: m.index!,
        length: m[0].length,
        rule: "path/__dirname",
        severity: "error",
        message: `__${m[1]} is inlined as the build machine's path ${JSON.stringify(unescapeJs(value))}: Bun replaces __dirname/__filename at build time; use import.meta.dir or a path relative to process.execPath`,
      });
    }
  }
  for (const known of context.knownPaths) {
    for (const form of new Set([known.path, known.path.replaceAll("\\", "\\\\")])) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + 1)) {
        const before = at > 0 ? text[at - 1]! : "\n";
        const after = text[at + form.length] ?? "\n";
        if (!/["'`\s=(,:]/.test(before) && !text.slice(Math.max(0, at - 7), at).endsWith("file://")) continue;
        if (!/[/\\"'`\s,;)\]}]/.test(after)) continue;
        hits.push({ index: at, length: form.length, rule: "path/build-machine", severity: "error", message: `absolute path of the build machine (${known.what}): ${JSON.stringify(known.path)}` });
      }
    }
  }
  for (const generic of GENERIC_PATHS) {
    for (const m of text.matchAll(generic.pattern)) {
      hits.push({ index: m.index!, length: m[0].length, rule: generic.rule, severity: "error", message: `absolute path of ${generic.what}: ${JSON.stringify(unescapeJs(m[0]))}` });
    }
  }
  return dropOverlaps(hits);
}

/** process.env values inlined into the text (from --define, --env, or this machine's secrets). */
export function findInlinedEnv(text: string, candidates: EnvCandidate[]): TextHit[] {
  const hits: TextHit[] = [];
  for (const c of candidates) {
    const escaped = JSON.stringify(c.value).slice(1, -1);
    for (const form of new Set([c.value, escaped])) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
        hits.push({
          index: at,
          length: form.length,
          rule: "env/inlined-value",
          severity: c.secretLike ? "error" : "warning",
          message: c.secretLike
            ? `the value of ${c.name} is embedded (${c.how}): it is readable by anyone who has the executable`
            : `process.env.${c.name} is inlined (${c.how}): make sure it is meant to be public`,
        });
      }
    }
  }
  return dropOverlaps(hits);
}

/** Values of the project's .env files found in the text. */
export function findDotenvValues(text: string, values: LeakContext["dotenvValues"]): TextHit[] {
  const hits: TextHit[] = [];
  for (const v of values) {
    const escaped = JSON.stringify(v.value).slice(1, -1);
    for (const form of new Set([v.value, escaped])) {
      for (let at = text.indexOf(form); at !== -1; at = text.indexOf(form, at + form.length)) {
        hits.push({ index: at, length: form.length, rule: "dotenv/value", severity: "error", message: `the value of ${v.name} from ${v.file} is embedded` });
      }
    }
  }
  return dropOverlaps(hits);
}

const CODE_LOADERS = new Set(["js", "jsx", "ts", "tsx", "css", "html", "napi", "wasm", "sqlite", "sqlite_embedded"]);

/** A module that is a .env file: by its name (Bun keeps it, with a hash), or by its KEY=value shape. */
export function dotenvModule(module: Pick<EmbeddedModule, "display" | "loader" | "text">): TextHit | undefined {
  // Bun names embedded files <stem>-<8 character hash>.<ext>: ".env" -> "-2x3dhgtr.env",
  // ".env.production" -> ".env-f1eb8rfq.production".
  const base = module.display.split(/[\\/]/).pop() ?? module.display;
  const original = base.replace(/-[a-z0-9]{8}(?=\.|$)/, "");
  if (/^\.env(\.[\w.-]+)?$/.test(original) || /\.env$/.test(original)) {
    const template = /\.(example|sample|template|dist)$/.test(original);
    const variables = module.text ? dotenvVariables(module.text) : [];
    const listed = variables.slice(0, 8).map((v) => `${v.name} (line ${v.line})`).join(", ");
    return {
      index: 0,
      length: 0,
      line: variables[0]?.line,
      rule: "dotenv/file",
      severity: template ? "warning" : "error",
      message: template
        ? `a .env template (${original}) is embedded; check that it holds no real values`
        : `a .env file (${original}) is embedded${variables.length > 0 ? ` with ${variables.length} variable(s): ${listed}${variables.length > 8 ? ", ..." : ""}` : ""}; everything in it is readable from the executable`,
    };
  }
  if (module.text === undefined || CODE_LOADERS.has(module.loader)) return undefined;
  const lines = module.text.split(/\r?\n/).filter((l) => l.trim() !== "" && !l.trim().startsWith("#"));
  const pairs = dotenvVariables(module.text).filter((p) => /^[A-Z][A-Z0-9_]*$/.test(p.name));
  if (pairs.length >= 2 && pairs.length >= lines.length * 0.6) {
    return {
      index: 0,
      length: 0,
      line: pairs[0]!.line,
      rule: "dotenv/file",
      severity: "error",
      message: `embedded file looks like a .env file (${pairs.length} variables: ${pairs.slice(0, 5).map((p) => `${p.name} (line ${p.line})`).join(", ")}${pairs.length > 5 ? ", ..." : ""})`,
    };
  }
  return undefined;
}

/** Variable names of a .env text with their 1-based lines. */
function dotenvVariables(text: string): { name: string; line: number }[] {
  const out: { name: string; line: number }[] = [];
  text.split(/\r?\n/).forEach((line, i) => {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=/.exec(line);
    if (match) out.push({ name: match[1]!, line: i + 1 });
  });
  return out;
}

/** Keeps the first hit of overlapping ones (detectors are run from most to least specific). */
function dropOverlaps(hits: TextHit[]): TextHit[] {
  const kept: TextHit[] = [];
  for (const hit of hits) {
    const end = hit.index + Math.max(hit.length, 1);
    if (kept.some((k) => hit.index < k.index + Math.max(k.length, 1) && k.index < end)) continue;
    kept.push(hit);
  }
  return kept.sort((a, b) => a.index - b.index);
}

function unescapeJs(text: string): string {
  return text.replace(/\\\\/g, "\\");
}

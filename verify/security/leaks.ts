// Check 2, secrets and leaks inside the artifacts. Every module Bun embedded (and every original
// source an embedded sourcemap carries) is scanned with the secretlint rules of check 1, plus
// detectors for what a bundler adds on its own:
//   - absolute paths of the build machine: `__dirname`/`__filename` inlined as strings, the
//     project folder, home folders, CI workspaces;
//   - `process.env` values inlined by --define or --env (targets.json build.define / inlineEnv),
//     and secret-looking variables of this machine's environment found verbatim;
//   - a .env file bundled by accident (by its name, by its shape, by its values).
// A finding names the artifact, the embedded module and the line. Detectors are pure functions
// of (text, context) so they are unit-testable on strings.
import { createHash } from "node:crypto";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.ts";
import type { ArtifactRef, EmbeddedModule, LoadedArtifact } from "./artifacts.ts";
import { type CheckResult, type Finding, LineIndex, checkResult, notRun } from "./findings.ts";
import type { SecretScanner } from "./secrets.ts";

export interface LeakContext {
  /** Absolute paths of this build machine, with what they are ("project folder", "$HOME"). */
  knownPaths: { path: string; what: string }[];
  /** Values that may have been inlined for process.env references. */
  envValues: EnvCandidate[];
  /** Values of the project's own .env files. */
  dotenvValues: { file: string; name: string; value: string }[];
}

export interface EnvCandidate {
  name: string;
  value: string;
  /** How it can end up in the bundle, e.g. "--define process.env.API_TOKEN (targets.json build.define)". */
  how: string;
  /** Errors for secret-looking names, warnings otherwise. */
  secretLike: boolean;
}

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

/** Variable names whose values are secrets (AUTH but not AUTHOR/AUTHORITY). */
const SECRET_NAME = /(TOKEN|SECRET|PASSW(?:OR)?D|PASSPHRASE|PRIVATE_?KEY|CREDENTIAL|API_?KEY|ACCESS_?KEY|AUTH(?!OR)|SIGNING_?KEY|(?:^|_)PAT(?:$|_))/i;
const CI_PATH_VARIABLES = [
  "GITHUB_WORKSPACE",
  "RUNNER_TEMP",
  "RUNNER_WORKSPACE",
  "RUNNER_TOOL_CACHE",
  "CI_PROJECT_DIR",
  "CI_BUILDS_DIR",
  "WORKSPACE",
  "BUILD_SOURCESDIRECTORY",
  "AGENT_BUILDDIRECTORY",
  "BITBUCKET_CLONE_DIR",
  "CIRCLE_WORKING_DIRECTORY",
  "TRAVIS_BUILD_DIR",
  "BUN_PARITY_CACHE_DIR",
];
/** Values too common to mean anything when found in a bundle. */
const COMMON_VALUES = new Set(["true", "false", "production", "development", "test", "staging", "localhost", "undefined", "null"]);

export function leakContext(config: Config, env: NodeJS.ProcessEnv, cacheDir: string): LeakContext {
  const knownPaths: LeakContext["knownPaths"] = [{ path: config.projectDir, what: "the project folder" }];
  const home = env.HOME || env.USERPROFILE;
  if (home) knownPaths.push({ path: home, what: "this machine's home folder ($HOME)" });
  for (const name of CI_PATH_VARIABLES) {
    if (env[name]) knownPaths.push({ path: env[name]!, what: `$${name}` });
  }
  knownPaths.push({ path: cacheDir, what: "the bun-parity cache folder" });
  const usable = knownPaths.filter((p) => (path.isAbsolute(p.path) || /^[A-Za-z]:[\\/]/.test(p.path)) && p.path.replace(/[\\/]+$/, "").length >= 4);
  // Longest first, so the project folder wins over the home folder that contains it.
  const unique = [...new Map(usable.map((p) => [p.path.replace(/[\\/]+$/, ""), { ...p, path: p.path.replace(/[\\/]+$/, "") }])).values()].sort(
    (a, b) => b.path.length - a.path.length,
  );
  return { knownPaths: unique, envValues: envCandidates(config, env), dotenvValues: projectDotenvValues(config.projectDir) };
}

/** Everything a build of this project may have inlined for a process.env reference. */
export function envCandidates(config: Config, env: NodeJS.ProcessEnv): EnvCandidate[] {
  const out: EnvCandidate[] = [];
  for (const [key, expression] of Object.entries(config.build.define)) {
    const match = /^(?:process\.env|import\.meta\.env|Bun\.env)\.([A-Za-z_$][\w$]*)$/.exec(key);
    if (!match) continue;
    const value = stringLiteralValue(expression);
    if (value === undefined || value.length < 4) continue;
    out.push({ name: match[1]!, value, how: `--define ${key} (targets.json build.define)`, secretLike: SECRET_NAME.test(match[1]!) });
  }
  const inline = config.build.inlineEnv;
  if (inline !== "disable") {
    const matches = (name: string) => inline === "inline" || (inline.endsWith("*") ? name.startsWith(inline.slice(0, -1)) : name === inline);
    for (const [name, value] of Object.entries(config.build.env)) {
      if (name === "NODE_ENV" || name === "TZ" || !matches(name) || value.length < 4) continue;
      out.push({ name, value, how: `--env=${inline} with build.env.${name} (targets.json)`, secretLike: SECRET_NAME.test(name) });
    }
    for (const [name, value] of Object.entries(env)) {
      if (!value || name === "NODE_ENV" || !matches(name) || value.length < 8 || COMMON_VALUES.has(value)) continue;
      if (out.some((c) => c.name === name)) continue;
      out.push({ name, value, how: `--env=${inline} with $${name} from this machine's environment`, secretLike: SECRET_NAME.test(name) });
    }
  }
  for (const [name, value] of Object.entries(env)) {
    if (!value || !SECRET_NAME.test(name) || value.length < 8 || COMMON_VALUES.has(value) || out.some((c) => c.name === name)) continue;
    if (path.isAbsolute(value)) continue; // a path, not a secret (e.g. GIT_ASKPASS)
    out.push({ name, value, how: `$${name} of this machine's environment`, secretLike: true });
  }
  return out;
}

/** The string a define expression stands for, when it is a plain string literal. */
function stringLiteralValue(expression: string): string | undefined {
  const text = expression.trim();
  if (text.startsWith('"')) {
    try {
      const value = JSON.parse(text) as unknown;
      return typeof value === "string" ? value : undefined;
    } catch {
      return undefined;
    }
  }
  const single = /^'((?:[^'\\]|\\.)*)'$/.exec(text);
  return single ? single[1]!.replace(/\\(.)/g, "$1") : undefined;
}

/** KEY=value pairs of the project's .env files (.env, .env.local, .env.production, ...). */
export function projectDotenvValues(projectDir: string): LeakContext["dotenvValues"] {
  const out: LeakContext["dotenvValues"] = [];
  let names: string[];
  try {
    names = readdirSync(projectDir).filter((n) => /^\.env(\..+)?$/.test(n) && !/\.(example|sample|template|dist)$/.test(n));
  } catch {
    return out;
  }
  for (const file of names.sort()) {
    const abs = path.join(projectDir, file);
    if (!existsSync(abs)) continue;
    let text: string;
    try {
      text = readFileSync(abs, "utf8");
    } catch {
      continue;
    }
    for (const { name, value } of parseDotenv(text)) {
      if (value.length < 6 || COMMON_VALUES.has(value.toLowerCase()) || /^\d+$/.test(value)) continue;
      out.push({ file, name, value });
    }
  }
  return out;
}

export function parseDotenv(text: string): { name: string; value: string }[] {
  const out: { name: string; value: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match) continue;
    let value = match[2]!;
    const quoted = /^(["'`])(.*)\1$/.exec(value);
    if (quoted) value = quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    out.push({ name: match[1]!, value });
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Detectors (pure)

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

// ---------------------------------------------------------------------------------------
// The check

/** Findings per text are capped per rule; the rest is counted in one more finding. */
const MAX_HITS_PER_RULE = 20;

type TextFinding = Omit<Finding, "artifact" | "module" | "source">;

export async function scanArtifacts(
  artifacts: LoadedArtifact<ArtifactRef>[],
  context: LeakContext,
  scanner: SecretScanner,
): Promise<CheckResult> {
  if (artifacts.length === 0) return notRun("artifact-leaks", "the manifest lists no artifacts");
  const findings: Finding[] = [];
  const cache = new Map<string, TextFinding[]>();
  let modules = 0;
  let sources = 0;
  let binaryAssets = 0;
  const notes: string[] = [];
  for (const artifact of artifacts) {
    const where = { artifact: artifact.entry.file };
    if (!artifact.exists) {
      findings.push({ ...where, severity: "error", rule: "artifact/missing", message: `listed in manifest.json but missing: run bun verify build` });
      continue;
    }
    if (!artifact.modules) {
      findings.push({ ...where, severity: "error", rule: "artifact/unreadable", message: `embedded modules could not be read: ${artifact.problem}` });
      continue;
    }
    for (const module of artifact.modules) {
      modules++;
      const dotenv = dotenvModule(module);
      if (dotenv) {
        findings.push({ ...where, module: module.display, severity: dotenv.severity, rule: dotenv.rule, message: dotenv.message, ...(dotenv.line ? { line: dotenv.line } : {}) });
      }
      if (module.text === undefined) {
        binaryAssets++;
      } else {
        const found = await scanTextCached(cache, `module:${module.contentsSha256}`, module.text, `${artifact.entry.file}/${module.display}`, context, scanner, {
          dirname: true,
          env: true,
          dotenvValues: !dotenv,
        });
        for (const f of found) findings.push({ ...f, ...where, module: module.display });
      }
      if (module.sourcemapProblem) {
        findings.push({ ...where, module: module.display, severity: "warning", rule: "sourcemap/unreadable", message: `${module.sourcemapProblem}: the original sources it carries were not scanned` });
      }
      for (const source of module.sources ?? []) {
        sources++;
        for (const hit of findPathLeaks(source.name, context, { dirname: false })) {
          findings.push({ ...where, module: module.display, source: source.name, severity: "error", rule: hit.rule, message: `sourcemap source name: ${hit.message}` });
        }
        if (source.text === undefined) continue;
        const key = `source:${createHash("sha256").update(source.text).digest("hex")}`;
        const found = await scanTextCached(cache, key, source.text, `${artifact.entry.file}/${module.display}/${source.name}`, context, scanner, {
          dirname: false,
          env: false,
          dotenvValues: true,
        });
        for (const f of found) findings.push({ ...f, ...where, module: module.display, source: source.name });
      }
    }
  }
  if (sources > 0) notes.push(`${sources} original source(s) from embedded sourcemaps`);
  if (binaryAssets > 0) notes.push(`${binaryAssets} binary asset(s) checked by name only`);
  const errors = findings.filter((f) => f.severity === "error").length;
  const summary =
    `${artifacts.length} artifact(s), ${modules} embedded module(s)${notes.length ? ` and ${notes.join(", ")}` : ""} scanned with ${scanner.description} and the path, process.env and .env detectors` +
    (findings.length === 0 ? "; nothing found" : `; ${errors} error(s), ${findings.length - errors} warning(s)`);
  return checkResult("artifact-leaks", findings, summary);
}

async function scanTextCached(
  cache: Map<string, TextFinding[]>,
  key: string,
  text: string,
  name: string,
  context: LeakContext,
  scanner: SecretScanner,
  options: { dirname: boolean; env: boolean; dotenvValues: boolean },
): Promise<TextFinding[]> {
  const cacheKey = `${key}:${options.dirname}:${options.env}:${options.dotenvValues}`;
  const cached = cache.get(cacheKey);
  if (cached) return cached;
  const lines = new LineIndex(text);
  const out: TextFinding[] = [];
  for (const hit of await scanner(text, name)) {
    out.push({ severity: "error", rule: hit.rule, message: hit.message, line: hit.line, column: hit.column });
  }
  const detectorHits = [
    ...findPathLeaks(text, context, { dirname: options.dirname }),
    ...(options.env ? findInlinedEnv(text, context.envValues) : []),
    ...(options.dotenvValues ? findDotenvValues(text, context.dotenvValues) : []),
  ];
  const perRule = new Map<string, number>();
  for (const hit of detectorHits) {
    const count = (perRule.get(hit.rule) ?? 0) + 1;
    perRule.set(hit.rule, count);
    if (count > MAX_HITS_PER_RULE) continue;
    out.push({ severity: hit.severity, rule: hit.rule, message: hit.message, ...lines.at(hit.index) });
  }
  for (const [rule, count] of perRule) {
    if (count > MAX_HITS_PER_RULE) {
      const severity = detectorHits.find((h) => h.rule === rule)!.severity;
      out.push({ severity, rule, message: `${count - MAX_HITS_PER_RULE} more ${rule} finding(s) in this text not listed` });
    }
  }
  cache.set(cacheKey, out);
  return out;
}

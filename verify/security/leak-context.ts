// What the leak detectors look for on this machine: its absolute paths (project, home, CI
// workspace, cache), the values a build may have inlined for process.env, and the project's .env
// values. Separate from the detectors (leaks.ts), which are pure functions of a text and this.
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import type { Config } from "../config/index.ts";

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

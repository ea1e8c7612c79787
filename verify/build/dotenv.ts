// `bun verify` usually runs under `bun run`, which loads the project's .env files into the
// environment of the script it starts (with NODE_ENV unset: .env, .env.development, .env.local).
// Passed on to the compiler, those values would outrank the .env.production the compiler loads
// itself with the pinned NODE_ENV, and change what --env=inline / PREFIX_* inlines. So variables
// whose value is exactly one a .env file of the project assigns are left out of the compiler's
// environment: the compiler reads the files itself.
import { readFileSync, readdirSync } from "node:fs";
import path from "node:path";

/** Values each .env* file in a folder assigns, by variable name. */
export function dotenvAssignments(dir: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  let names: string[];
  try {
    names = readdirSync(dir).filter((n) => /^\.env(\..+)?$/.test(n));
  } catch {
    return out;
  }
  for (const name of names) {
    let text: string;
    try {
      text = readFileSync(path.join(dir, name), "utf8");
    } catch {
      continue;
    }
    for (const [key, value] of parseDotenv(text)) {
      const values = out.get(key) ?? new Set<string>();
      values.add(value);
      out.set(key, values);
    }
  }
  return out;
}

/** KEY=VALUE lines (optional `export`, quotes, trailing comments), the syntax Bun and dotenv share. */
export function parseDotenv(text: string): [string, string][] {
  const pairs: [string, string][] = [];
  for (const raw of text.split(/\r?\n/)) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*(.*)$/.exec(raw);
    if (!m) continue;
    let value = m[2]!.trim();
    const quoted = /^(["'`])(.*)\1$/.exec(value);
    if (quoted) value = quoted[1] === '"' ? quoted[2]!.replace(/\\n/g, "\n") : quoted[2]!;
    else value = value.replace(/\s+#.*$/, "");
    pairs.push([m[1]!, value]);
  }
  return pairs;
}

/** The environment minus variables that hold exactly a value the project's .env files assign. */
export function withoutDotenvValues(env: NodeJS.ProcessEnv, projectDir: string): NodeJS.ProcessEnv {
  const assigned = dotenvAssignments(projectDir);
  if (assigned.size === 0) return env;
  const out: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(env)) {
    if (value !== undefined && assigned.get(key)?.has(value)) continue;
    out[key] = value;
  }
  return out;
}

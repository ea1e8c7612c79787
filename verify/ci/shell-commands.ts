// What a `run:` script calls: a small shell reader that finds the first word of every command,
// and the rule for which commands a workflow may run. Separate from the workflow checks because
// it reads shell, not YAML.

/** Commands a `run:` step may call besides `dagger`, `just`, `bun verify` and `npm ci`. */
export const WELL_KNOWN_COMMANDS = new Set([
  "[", "awk", "basename", "cat", "cd", "chmod", "cmp", "cp", "cut", "diff", "dirname", "echo", "exit", "export",
  "false", "grep", "head", "ls", "mkdir", "mv", "printf", "pwd", "rm", "set", "sha256sum", "shasum", "sort",
  "tail", "tar", "tee", "test", "touch", "tr", "true", "uname", "wc",
]);
const SHELL_KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "for", "while", "until", "case", "esac", "in", "!", "{", "}", "[[", "]]", "time"]);

/**
 * The commands a shell script runs: the first word of every simple command, including those in
 * pipelines, lists, `$(...)` and subshells. Quotes are respected; variables are not expanded.
 */
export function commandsOf(script: string): string[][] {
  const commands: string[][] = [];
  for (const segment of shellSegments(script)) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    while (words.length > 0 && (SHELL_KEYWORDS.has(words[0]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!))) words.shift();
    // Redirections before the command (`>file cmd`) are rare; a word starting with a digit and > is one.
    while (words.length > 0 && /^\d*[<>]/.test(words[0]!)) words.shift();
    if (words.length > 0) commands.push(words);
  }
  return commands;
}

/**
 * The script cut at every command boundary (`;`, `&`, `|`, newline, parentheses, comments); a
 * `$(...)` becomes its own segment and leaves `$(...)` in the word around it.
 */
function shellSegments(script: string): string[] {
  const segments: string[] = [];
  let current = "";
  const stack: string[] = [];
  // The word a `$(...)` sits in continues after it: its text is kept here meanwhile.
  const outer: string[] = [];
  const flush = () => {
    segments.push(current);
    current = "";
  };
  const openSubstitution = () => {
    stack.push("$(");
    outer.push(current);
    current = "";
  };
  const src = script.replace(/\\\r?\n/g, " ");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const top = stack.at(-1);
    if (top === "'") {
      if (c === "'") stack.pop();
      current += c;
      continue;
    }
    if (c === "\\") {
      current += c + (src[i + 1] ?? "");
      i++;
      continue;
    }
    if (top === '"') {
      if (c === '"') stack.pop();
      if (c === "$" && src[i + 1] === "(") {
        openSubstitution();
        i++;
        continue;
      }
      current += c;
      continue;
    }
    if (c === "'" || c === '"') {
      stack.push(c);
      current += c;
      continue;
    }
    if (c === "#" && (current === "" || /\s$/.test(current))) {
      while (i < src.length && src[i] !== "\n") i++;
      flush();
      continue;
    }
    if (c === "$" && src[i + 1] === "(") {
      openSubstitution();
      i++;
      continue;
    }
    if (c === "$" && src[i + 1] === "{") {
      // ${VAR...}: a parameter expansion, kept as part of the word.
      const close = src.indexOf("}", i);
      current += src.slice(i, close === -1 ? undefined : close + 1);
      i = close === -1 ? src.length : close;
      continue;
    }
    if (c === "(") {
      stack.push("(");
      flush();
      continue;
    }
    if (c === ")") {
      if (top === "$(") {
        stack.pop();
        flush();
        current = `${outer.pop() ?? ""}$(...)`;
        continue;
      }
      if (top === "(") stack.pop();
      flush();
      continue;
    }
    if (c === ";" || c === "&" || c === "|" || c === "\n") {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  return segments;
}

/** Why a command is not allowed in a `run:` step, or undefined when it is. */
export function disallowedCommand(words: string[]): string | undefined {
  const [name, sub] = words;
  if (name === undefined) return undefined;
  if (name === "dagger" || name === "just") return undefined;
  if (name === "bun") return sub === "verify" ? undefined : `"bun ${sub ?? ""}": only "bun verify ..." is allowed`;
  if (name === "npm") return sub === "ci" ? undefined : `"npm ${sub ?? ""}": only "npm ci" is allowed`;
  // The release job publishes with the GitHub CLI (preinstalled on GitHub-hosted runners).
  if (name === "gh") return sub === "release" ? undefined : `"gh ${sub ?? ""}": only "gh release" is allowed`;
  if (name.startsWith("$") || name.startsWith('"$')) return `"${name}": a command taken from a variable cannot be checked`;
  // `command -v x` asks whether x exists; `command x` would run x.
  if (name === "command") return sub === "-v" || sub === "-V" ? undefined : disallowedCommand(words.slice(1));
  if (WELL_KNOWN_COMMANDS.has(name)) return undefined;
  return `"${name}" is not dagger, just, bun verify, npm ci, gh release or a well-known shell command`;
}

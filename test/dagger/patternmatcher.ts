// The rules Dagger applies to `@argument({ ignore })` when it uploads a contextual Directory, so a
// test can run SOURCE_IGNORE over a sample tree. Dagger passes the list as the exclude patterns of
// LoadContextDir (core/modfunc.go, CopyFilter{Exclude: arg.Ignore}, dagger/dagger v0.21.8), and its
// upload filter (internal/fsutil/filter.go) matches them with github.com/moby/patternmatcher
// v0.6.1 (go.mod). Written from that package's documented behaviour, per pattern:
//  - trimmed, then cleaned like Go's filepath.Clean ("./dist/" -> "dist"); a leading "!" makes it
//    an exception that re-includes what an earlier pattern excluded;
//  - matched against the whole slash-separated path relative to the context root, anchored at
//    both ends: "node_modules" is only the top-level folder, "/dist" never matches (paths are
//    relative);
//  - "*" is any run of characters but "/", "?" one character but "/", "[...]" a class, "\x" a
//    literal x; "**/" is any number of leading folders (zero included), a trailing "**" anything;
//  - a pattern starting with "**" and otherwise literal is a suffix test ("**/x": the path is "x"
//    or ends in "/x"); one ending in "**" and otherwise literal is a prefix test;
//  - a path is excluded when it or one of its parent folders matches (MatchesOrParentMatches),
//    the last matching pattern deciding between exclusion and exception.

interface Pattern {
  text: string;
  exception: boolean;
  test: (path: string) => boolean;
}

/** Characters that mean something in a regular expression but not in a pattern. */
const REGEX_SPECIAL = new Set([...".+()|{}$"]);

/** Go's filepath.Clean for slash paths (enough for patterns: no ".." resolution beyond a segment). */
function clean(p: string): string {
  const absolute = p.startsWith("/");
  const out: string[] = [];
  for (const part of p.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === ".." && out.length > 0 && out.at(-1) !== "..") out.pop();
    else if (!(part === ".." && absolute)) out.push(part);
  }
  const joined = out.join("/");
  return absolute ? `/${joined}` : joined || ".";
}

function compile(text: string): (path: string) => boolean {
  let regex = "^";
  let kind: "exact" | "prefix" | "suffix" | "regex" = "exact";
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === "*") {
      if (text[i + 1] === "*") {
        const first = i === 0;
        i++;
        if (text[i + 1] === "/") i++;
        if (i + 1 >= text.length) {
          if (kind === "exact") kind = "prefix";
          else {
            regex += ".*";
            kind = "regex";
          }
        } else {
          regex += "(.*/)?";
          kind = "regex";
        }
        if (first) kind = "suffix";
      } else {
        regex += "[^/]*";
        kind = "regex";
      }
    } else if (c === "?") {
      regex += "[^/]";
      kind = "regex";
    } else if (REGEX_SPECIAL.has(c)) {
      regex += `\\${c}`;
    } else if (c === "\\") {
      if (i + 1 < text.length) {
        regex += `\\${text[++i]}`;
        kind = "regex";
      } else regex += "\\\\";
    } else if (c === "[" || c === "]") {
      regex += c;
      kind = "regex";
    } else {
      regex += c;
    }
  }
  switch (kind) {
    case "exact":
      return (path) => path === text;
    case "prefix":
      return (path) => path.startsWith(text.slice(0, -2));
    case "suffix": {
      const suffix = text.slice(2);
      return (path) => path.endsWith(suffix) || (suffix.startsWith("/") && path === suffix.slice(1));
    }
    case "regex": {
      const re = new RegExp(`${regex}$`);
      return (path) => re.test(path);
    }
  }
}

export function compilePatterns(patterns: readonly string[]): Pattern[] {
  const out: Pattern[] = [];
  for (const raw of patterns) {
    let text = raw.trim();
    if (text === "") continue;
    text = clean(text);
    const exception = text.startsWith("!");
    if (exception) {
      if (text.length === 1) throw new Error('illegal exclusion pattern: "!"');
      text = text.slice(1);
    }
    out.push({ text, exception, test: compile(text) });
  }
  return out;
}

/** Whether the upload leaves `path` (relative, slash-separated) out. */
export function isExcluded(patterns: readonly string[] | Pattern[], path: string): boolean {
  const compiled = typeof patterns[0] === "string" || patterns.length === 0 ? compilePatterns(patterns as string[]) : (patterns as Pattern[]);
  const parts = path.split("/");
  const parents = parts.slice(0, -1).map((_, i) => parts.slice(0, i + 1).join("/"));
  let matched = false;
  for (const pattern of compiled) {
    if (pattern.exception !== matched) continue;
    const match = pattern.test(path) || parents.some((parent) => pattern.test(parent));
    if (match) matched = !pattern.exception;
  }
  return matched;
}

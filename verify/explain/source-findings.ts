// What changed inside one embedded source, named: an absolute build path, an inlined process.env
// value or NODE_ENV, a condition folded to another constant, a --define'd build value, a
// dependency's code, a CommonJS wrapper on one side. The lines are diffed first, then the tokens of
// each changed hunk (sequence-diff.ts). Pure.
import { diffSequences, groupHunks, renderUnifiedDiff, type Edit } from "./sequence-diff.ts";
import type { ModulePair } from "./types.ts";

export type Finding =
  | { type: "absolute-path"; a: string; b: string; context?: string }
  | { type: "env"; variable: string; a: string; b: string }
  | { type: "build-value"; a: string; b: string }
  /** A condition Bun folded to a constant: `if (true)` in one build, `if (false)` in the other. */
  | { type: "constant"; a: string; b: string }
  | { type: "dependency"; packageName: string; file: string; a?: string; b?: string }
  | { type: "cjs-wrapper"; source: string; wrappedIn: "a" | "b" }
  | { type: "text"; a: string; b: string };

export interface ModuleAnalysis {
  pair: ModulePair;
  findings: Finding[];
  linesChanged: number;
  linesRemoved: number;
  linesAdded: number;
  /** Changed lines that are not blank (--sourcemap only adds blank lines once its comment is ignored). */
  substantiveLinesChanged: number;
  firstChangedLine?: number;
  minifiedA: boolean;
  minifiedB: boolean;
  diff?: string;
}

/** Trailing comments Bun adds for --sourcemap; they say nothing about the inputs. */
const SOURCEMAP_COMMENT = /^\/\/# (?:debugId|sourceMappingURL)=/;

export function analyzeText(pair: ModulePair, nameA: string, nameB: string, maxDiffLines: number): ModuleAnalysis {
  const textA = pair.a.text;
  const textB = pair.b.text;
  if (textA === undefined || textB === undefined) {
    return { pair, findings: [], linesChanged: 0, linesRemoved: 0, linesAdded: 0, substantiveLinesChanged: 0, minifiedA: false, minifiedB: false };
  }
  const linesA = textA.split("\n").filter((line) => !SOURCEMAP_COMMENT.test(line));
  const linesB = textB.split("\n").filter((line) => !SOURCEMAP_COMMENT.test(line));
  const edits = diffSequences(linesA, linesB);
  const hunks = groupHunks(edits, 3);
  const analysis: ModuleAnalysis = {
    pair,
    findings: [],
    linesChanged: edits.filter((edit) => edit.kind !== "equal").length,
    linesRemoved: edits.filter((edit) => edit.kind === "delete").length,
    linesAdded: edits.filter((edit) => edit.kind === "insert").length,
    substantiveLinesChanged: edits.filter((edit) => {
      if (edit.kind === "equal") return false;
      return (edit.kind === "delete" ? linesA[edit.a]! : linesB[edit.b]!).trim() !== "";
    }).length,
    firstChangedLine: hunks[0] ? hunks[0].firstChangeA + 1 : undefined,
    minifiedA: looksMinified(textA),
    minifiedB: looksMinified(textB),
  };
  if (hunks.length > 0 && maxDiffLines > 0) {
    analysis.diff = renderUnifiedDiff(hunks, linesA, linesB, `${nameA}:${pair.a.name}`, `${nameB}:${pair.b.name}`, maxDiffLines);
  }
  // Token-level findings are meaningless between a minified and an unminified bundle.
  if (analysis.minifiedA !== analysis.minifiedB) return analysis;

  for (const hunk of hunks) {
    const removed = hunk.edits.filter((edit) => edit.kind === "delete").map((edit) => linesA[edit.a]!);
    const added = hunk.edits.filter((edit) => edit.kind === "insert").map((edit) => linesB[edit.b]!);
    const found = tokenFindings(removed.join("\n"), added.join("\n"));
    const packageA = enclosingPackage(linesA, hunk.firstChangeA);
    const packageB = enclosingPackage(linesB, hunk.firstChangeB);
    const dependency = packageA ?? packageB;
    const explained = found.some((finding) => finding.type === "absolute-path" || finding.type === "env" || finding.type === "build-value" || finding.type === "constant");
    if (dependency && !explained) {
      const versions = found.find((finding) => finding.type === "text" && isVersion(finding.a) && isVersion(finding.b));
      analysis.findings.push({
        type: "dependency",
        packageName: dependency.packageName,
        file: dependency.file,
        a: versions?.type === "text" ? versions.a : undefined,
        b: versions?.type === "text" ? versions.b : undefined,
      });
    } else {
      analysis.findings.push(...found);
    }
  }
  analysis.findings.push(...commonJsWrapperFindings(linesA, linesB));
  return analysis;
}

/**
 * Heuristic: Bun's unminified output keeps `// path/to/file.ts` comments above each file
 * and spaces around operators; --minify drops both. String literals are blanked first so
 * a ", " inside a string does not count as formatting.
 */
export function looksMinified(text: string): boolean {
  const body = text.replace(/^\/\/ @bun[^\n]*\n/, "");
  if (/^\/\/ \S+\.(?:[cm]?[jt]sx?|json|toml|txt|css|html|md)\s*$/m.test(body)) return false;
  const code = body.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
  const lines = code.split("\n").filter((line) => line.trim() !== "");
  const averageLineLength = code.length / Math.max(1, lines.length);
  return averageLineLength > 120 || !/[,;] \S|\) \{| = /.test(code);
}

/** The `// node_modules/<pkg>/...` comment Bun writes above each bundled file, nearest before `line`. */
function enclosingPackage(lines: string[], line: number): { packageName: string; file: string } | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const comment = /^\/\/ (\S+)$/.exec(lines[i]!);
    if (!comment) continue;
    const file = comment[1]!;
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.replace(/^.*node_modules\/\.bun\/[^/]+\//, ""));
    if (!match) return undefined; // the nearest file comment is the app's own source
    return { packageName: match[1]!, file };
  }
  return undefined;
}

const JS_TOKEN = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|[A-Za-z_$][\w$]*|\d[\w.]*|\s+|[^\s\w$]/g;

function tokenize(text: string): string[] {
  return text.match(JS_TOKEN) ?? [];
}

/**
 * The classic NODE_ENV leak: Bun inlines "development" when NODE_ENV is unset where the release
 * build had "production". Other pairs ("test" vs "production") are as likely a plain source edit,
 * so without build fingerprints they are reported as one.
 */
function isNodeEnvLeak(a: string, b: string): boolean {
  return a !== b && ["development", "production"].includes(a) && ["development", "production"].includes(b);
}

/** `true`/`false` (or minified `!0`/`!1`) in the same place: a condition folded at build time. */
function foldedConstant(span: TokenSpan): [string, string] | undefined {
  const textA = span.a.join("");
  const textB = span.b.join("");
  const booleans = ["true", "false"];
  if (booleans.includes(textA) && booleans.includes(textB) && textA !== textB) return [textA, textB];
  if (/!\s*$/.test(span.before) && ["0", "1"].includes(textA) && ["0", "1"].includes(textB) && textA !== textB) return [`!${textA}`, `!${textB}`];
  return undefined;
}

/** The single word that differs between two strings that are otherwise equal, if that is all. */
function changedWords(a: string, b: string): [string | undefined, string | undefined] {
  const wordsA = a.split(/(\W+)/);
  const wordsB = b.split(/(\W+)/);
  if (wordsA.length !== wordsB.length) return [undefined, undefined];
  const differing = wordsA.map((w, i) => (w === wordsB[i] ? -1 : i)).filter((i) => i >= 0);
  return differing.length === 1 ? [wordsA[differing[0]!], wordsB[differing[0]!]] : [undefined, undefined];
}

/** Compares the removed and added text token by token and names what changed. */
function tokenFindings(removed: string, added: string): Finding[] {
  const tokensA = tokenize(removed);
  const tokensB = tokenize(added);
  const findings: Finding[] = [];
  for (const span of changedSpans(diffSequences(tokensA, tokensB), tokensA, tokensB)) {
    const constant = foldedConstant(span);
    if (constant) {
      findings.push({ type: "constant", a: constant[0], b: constant[1] });
      continue;
    }
    const literalsA = span.a.filter(isStringToken).map(unquote);
    const literalsB = span.b.filter(isStringToken).map(unquote);
    const textA = span.a.join("");
    const textB = span.b.join("");
    const envA = /process\.env\.([A-Za-z_]\w*)|process\.env\[["']([^"']+)["']\]/.exec(span.before + textA);
    const envB = /process\.env\.([A-Za-z_]\w*)|process\.env\[["']([^"']+)["']\]/.exec(span.before + textB);
    const pathsA = literalsA.flatMap(absolutePaths);
    const pathsB = literalsB.flatMap(absolutePaths);

    if ((pathsA.length > 0 || pathsB.length > 0) && pathsA.join("\n") !== pathsB.join("\n")) {
      // The binding the literal is assigned to (`var __dirname = "..."`), else any nearby leak source.
      const context =
        /\b(__dirname|__filename)\s*=\s*$/.exec(span.before)?.[1] ??
        /\b(__dirname|__filename|require\.resolve)\b/.exec(span.line)?.[1];
      findings.push({ type: "absolute-path", a: pathsA[0] ?? "(none)", b: pathsB[0] ?? "(none)", context });
    } else if (envA && !envB && literalsB.length > 0) {
      findings.push({ type: "env", variable: envA[1] ?? envA[2]!, a: `process.env.${envA[1] ?? envA[2]}`, b: JSON.stringify(literalsB[0]) });
    } else if (envB && !envA && literalsA.length > 0) {
      findings.push({ type: "env", variable: envB[1] ?? envB[2]!, a: JSON.stringify(literalsA[0]), b: `process.env.${envB[1] ?? envB[2]}` });
    } else if (literalsA.length > 0 && literalsA.length === literalsB.length) {
      literalsA.forEach((valueA, i) => {
        const valueB = literalsB[i]!;
        if (valueA === valueB) return;
        const [wordA, wordB] = changedWords(valueA, valueB);
        if (isNodeEnvLeak(valueA, valueB)) {
          findings.push({ type: "env", variable: "NODE_ENV", a: JSON.stringify(valueA), b: JSON.stringify(valueB) });
        } else if (wordA !== undefined && wordB !== undefined && isNodeEnvLeak(wordA, wordB)) {
          // With --minify Bun folds the inlined value into the surrounding string or template
          // (`(${process.env.NODE_ENV})` becomes `(production)`): the only changed word tells.
          findings.push({ type: "env", variable: "NODE_ENV", a: JSON.stringify(wordA), b: JSON.stringify(wordB) });
        } else if (isBuildValue(valueA) && isBuildValue(valueB)) {
          findings.push({ type: "build-value", a: valueA, b: valueB });
        } else {
          findings.push({ type: "text", a: valueA, b: valueB });
        }
      });
    } else {
      findings.push({ type: "text", a: clip(textA, 80), b: clip(textB, 80) });
    }
  }
  return findings;
}

interface TokenSpan {
  a: string[];
  b: string[];
  /** A few unchanged tokens in front of the change (to see `process.env.` before a name). */
  before: string;
  /** The A-side text around the change, to spot `__dirname = "..."`. */
  line: string;
}

function changedSpans(edits: Edit[], tokensA: string[], tokensB: string[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let current: TokenSpan | undefined;
  for (const edit of edits) {
    if (edit.kind === "equal") {
      if (current) spans.push(current);
      current = undefined;
      continue;
    }
    if (!current) {
      // For both deletes and inserts, edit.a is where the change starts in A.
      const before = tokensA.slice(Math.max(0, edit.a - 12), edit.a).join("");
      current = { a: [], b: [], before, line: before + tokensA.slice(edit.a, edit.a + 12).join("") };
    }
    if (edit.kind === "delete") current.a.push(tokensA[edit.a]!);
    else current.b.push(tokensB[edit.b]!);
  }
  if (current) spans.push(current);
  return spans;
}

function isStringToken(token: string): boolean {
  return token.length >= 2 && (token[0] === '"' || token[0] === "'" || token[0] === "`");
}

function unquote(token: string): string {
  return token.slice(1, -1).replace(/\\\\/g, "\\");
}

/** Absolute paths inside a string: POSIX (/home/x/app, not Bun's /$bunfs/) or Windows (C:\x, C:/x). */
function absolutePaths(value: string): string[] {
  const posix = value.match(/(?<![\w$.:/])\/(?!\$bunfs\/)[\w.@+~-]+(?:\/[\w.@+~-]*)+|^\/[\w.@+~-]+$/g) ?? [];
  const windows = value.match(/\b[A-Za-z]:[\\/][^"'`\s]*/g) ?? [];
  return [...posix, ...windows].filter((path) => !path.startsWith("B:/~BUN/"));
}

function isVersion(value: string): boolean {
  return /^v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/.test(value);
}

/** Values people inline with --define: git SHAs, timestamps, epoch milliseconds. */
function isBuildValue(value: string): boolean {
  return /^[0-9a-f]{7,40}$/.test(value) || /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value) || /^1\d{9,12}$/.test(value);
}

const COMMONJS_WRAPPER = /^(\s*)var (require_[\w$]+) = __commonJS\(/;

/** Files wrapped in `var require_x = __commonJS(...)` in one build and not in the other. */
function commonJsWrapperFindings(linesA: string[], linesB: string[]): Finding[] {
  const wrapped = (lines: string[]) => {
    const found = new Map<string, string>();
    lines.forEach((line, i) => {
      const match = COMMONJS_WRAPPER.exec(line);
      if (!match) return;
      // The `// path` comment Bun writes above every bundled file names its source.
      let source = match[2]!.replace(/^require_/, "");
      for (let j = i - 1; j >= 0 && j >= i - 3; j--) {
        const comment = /^\s*\/\/ (\S+)$/.exec(lines[j]!);
        if (comment) {
          source = comment[1]!;
          break;
        }
      }
      found.set(source, match[2]!);
    });
    return found;
  };
  const inA = wrapped(linesA);
  const inB = wrapped(linesB);
  const findings: Finding[] = [];
  for (const source of inA.keys()) if (!inB.has(source)) findings.push({ type: "cjs-wrapper", source, wrappedIn: "a" });
  for (const source of inB.keys()) if (!inA.has(source)) findings.push({ type: "cjs-wrapper", source, wrappedIn: "b" });
  // The whole bundle switched between --format=esm and the `@bun-cjs` function wrapper.
  const cjsA = linesA[0]?.includes("@bun-cjs") ?? false;
  const cjsB = linesB[0]?.includes("@bun-cjs") ?? false;
  if (cjsA !== cjsB) findings.push({ type: "cjs-wrapper", source: "(whole bundle, @bun-cjs)", wrappedIn: cjsA ? "a" : "b" });
  return findings;
}


export function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

// Comparing an executable's run with its source's run (`compare: "source"` smoke cases). Pure:
// both runs' outputs go in, the differences come out as readable lines.
import type { SmokeNormalization } from "../config/index.ts";

export interface ComparedRun {
  exitCode: number | null;
  signal: string | null;
  stdout: string;
  stderr: string;
}

/** What each run knows about itself: the paths and names that legitimately differ. */
export interface RunIdentity {
  /** The program's own module path: the entry file, or /$bunfs/root/<name> inside an executable. */
  programPaths: string[];
  /** process.execPath: the Bun that ran the source, or the executable itself. */
  execPaths: string[];
  /** Names the program may print for itself (basename of argv[1] and of execPath). */
  programNames: string[];
  /** The run's working folder (also HOME and TMPDIR). */
  cwd: string;
}

interface Replacement {
  from: string;
  to: string;
  /** Only where the text is not part of a longer word or path. */
  word: boolean;
}

/**
 * The replacements applied to BOTH outputs: the union of both runs' tokens, longest first, so
 * an executable printing the source's name (or the other way round) is never hidden by a
 * one-sided replacement, and text shared by both is treated alike.
 */
export function replacementsFor(runs: RunIdentity[], normalize: SmokeNormalization[]): Replacement[] {
  const all: Replacement[] = [];
  const add = (from: string, to: string, word: boolean) => {
    if (from.length === 0) return;
    all.push({ from, to, word });
    // Windows paths show up with either separator.
    if (from.includes("\\")) all.push({ from: from.replaceAll("\\", "/"), to, word });
  };
  for (const run of runs) {
    if (normalize.includes("program")) {
      for (const p of run.programPaths) add(p, "<program>", false);
      for (const p of run.execPaths) add(p, "<execPath>", false);
      for (const n of run.programNames) add(n, "<program-name>", true);
    }
    if (normalize.includes("cwd")) add(run.cwd, "<cwd>", false);
  }
  const unique = new Map(all.map((r) => [`${r.word}:${r.from}`, r]));
  return [...unique.values()].sort((a, b) => b.from.length - a.from.length);
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

// Bun's report of an uncaught error quotes the failing source line ("12 | code", then a caret
// line) and its stack frames: the source run shows the TypeScript file, the executable its
// minified bundle at /$bunfs/root/<name>. Both can never agree, the message lines can.
const PREVIEW_LINE = /^ *\d+ \| |^ *\^ *$/;
const FRAME_LINE = /^( *)at /;

/**
 * Whether each line belongs to Bun's quoted source: the "12 | code" lines, and the caret line
 * after them, which is empty when Bun does not point into the line (a long minified bundle line
 * in an executable gets an empty line where a short source line gets a caret).
 */
function previewLines(lines: string[]): boolean[] {
  return lines.map((l, i) => PREVIEW_LINE.test(l) || (l.trim() === "" && i > 0 && /^ *\d+ \| /.test(lines[i - 1]!)));
}

/** Error output without the quoted source lines (they are the bundle's, minified, in an executable). */
export const withoutSourcePreview = (text: string) => {
  const lines = text.split("\n");
  const preview = previewLines(lines);
  return lines.filter((_l, i) => !preview[i]).join("\n");
};

export interface NormalizedLine {
  text: string;
  /** The line as printed, for messages. */
  raw: string;
  /** 1-based line number in the output as printed. */
  number: number;
}

/**
 * An output as the lines that are compared: with "stack", Bun's quoted source lines are
 * dropped and each run of stack frames becomes one "at <stack frames>" line; then the
 * replacements and the ignore patterns (within each line) apply.
 */
export function normalizeLines(text: string, replacements: Replacement[], ignore: string[], stack = false): NormalizedLine[] {
  const out: NormalizedLine[] = [];
  const ignores = ignore.map((p) => new RegExp(p, "g"));
  let previousWasFrame = false;
  const lines = text.replaceAll("\r\n", "\n").split("\n");
  const preview = stack ? previewLines(lines) : [];
  for (const [i, raw] of lines.entries()) {
    let line = raw;
    if (stack) {
      if (preview[i]) continue;
      const frame = FRAME_LINE.exec(line);
      if (frame && previousWasFrame) continue;
      previousWasFrame = frame !== null;
      if (frame) line = `${frame[1]}at <stack frames>`;
    }
    for (const r of replacements) {
      line = r.word
        ? line.replace(new RegExp(`(?<![\\w./\\\\-])${escapeRegExp(r.from)}(?![\\w-])`, "g"), r.to)
        : line.split(r.from).join(r.to);
    }
    for (const pattern of ignores) line = line.replace(pattern, "<ignored>");
    out.push({ text: line, raw, number: i + 1 });
  }
  return out;
}

export function normalizeOutput(text: string, replacements: Replacement[], ignore: string[], stack = false): string {
  return normalizeLines(text, replacements, ignore, stack).map((l) => l.text).join("\n");
}

export interface LineDifference {
  /** 1-based. */
  line: number;
  source: string | undefined;
  executable: string | undefined;
}

/** The first line where two texts differ, or undefined when they are equal. */
export function firstDifference(source: string, executable: string): LineDifference | undefined {
  if (source === executable) return undefined;
  const a = source.split("\n");
  const b = executable.split("\n");
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] !== b[i]) return { line: i + 1, source: a[i], executable: b[i] };
  }
  return undefined;
}

// Control characters (colour codes, a stray \r) are shown escaped so the difference is visible.
const visible = (line: string) =>
  [...line].map((c) => (c.charCodeAt(0) < 0x20 || c === "\u007f" ? `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}` : c)).join("");

const MAX_SHOWN = 200;

export const showLine = (line: string | undefined, whole: string) =>
  whole.length === 0 ? "(no output)"
  : line === undefined ? "(ends before this line)"
  : line.length === 0 ? "(empty line)"
  : visible(line.length > MAX_SHOWN ? `${line.slice(0, MAX_SHOWN)}… (${line.length} characters)` : line);

const exitOf = (run: ComparedRun) => (run.exitCode !== null ? `${run.exitCode}` : `signal ${run.signal}`);

/**
 * Differences between the executable's run and the source's, after normalizing: one summary
 * line naming what differs, then exit codes and the first differing line of each stream.
 */
export function compareRuns(
  executable: ComparedRun, source: ComparedRun, replacements: Replacement[], ignore: string[], stack: boolean,
): string[] {
  const lines: string[] = [];
  const what: string[] = [];
  if (executable.exitCode !== source.exitCode || executable.signal !== source.signal) {
    what.push("exit code");
    lines.push(`  exit code: source ${exitOf(source)}, executable ${exitOf(executable)}`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const a = normalizeLines(source[stream], replacements, ignore, stack);
    const b = normalizeLines(executable[stream], replacements, ignore, stack);
    const i = a.findIndex((line, k) => b[k]?.text !== line.text);
    const at = i >= 0 ? i : a.length < b.length ? a.length : -1;
    if (at < 0) continue;
    // Shown as printed; the line numbers are the printed ones (they differ when "stack" dropped lines).
    const s = a[at];
    const e = b[at];
    const number = e?.number ?? s?.number ?? at + 1;
    const where = s && e && s.number !== e.number ? `line ${e.number} (line ${s.number} of the source)` : `line ${number}`;
    what.push(`${stream} (${where})`);
    lines.push(
      `  ${stream} differs at ${where}:`,
      `    - source:     ${showLine(s?.raw, source[stream])}`,
      `    + executable: ${showLine(e?.raw, executable[stream])}`,
    );
  }
  return what.length === 0 ? [] : [`differs from the source: ${what.join(", ")}`, ...lines];
}

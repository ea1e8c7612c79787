// Comparing an executable's run with its source's run (`compare: "source"` smoke cases). Pure:
// both runs' outputs go in, the differences come out as readable lines.
import type { SmokeNormalization } from "./config.ts";

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

export function normalizeOutput(text: string, replacements: Replacement[], ignore: string[]): string {
  let out = text.replaceAll("\r\n", "\n");
  for (const r of replacements) {
    out = r.word
      ? out.replace(new RegExp(`(?<![\\w./\\\\-])${escapeRegExp(r.from)}(?![\\w-])`, "g"), r.to)
      : out.split(r.from).join(r.to);
  }
  for (const pattern of ignore) out = out.replace(new RegExp(pattern, "gm"), "<ignored>");
  return out;
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

const show = (line: string | undefined, whole: string) =>
  whole.length === 0 ? "(no output)" : line === undefined ? "(ends before this line)" : visible(line) || "(empty line)";

const exitOf = (run: ComparedRun) => (run.exitCode !== null ? `${run.exitCode}` : `signal ${run.signal}`);

/**
 * Differences between the executable's run and the source's, after normalizing: one summary
 * line naming what differs, then exit codes and the first differing line of each stream.
 */
export function compareRuns(
  executable: ComparedRun, source: ComparedRun, replacements: Replacement[], ignore: string[],
): string[] {
  const lines: string[] = [];
  const what: string[] = [];
  if (executable.exitCode !== source.exitCode || executable.signal !== source.signal) {
    what.push("exit code");
    lines.push(`  exit code: source ${exitOf(source)}, executable ${exitOf(executable)}`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const s = normalizeOutput(source[stream], replacements, ignore);
    const e = normalizeOutput(executable[stream], replacements, ignore);
    const diff = firstDifference(s, e);
    if (!diff) continue;
    what.push(`${stream} (line ${diff.line})`);
    lines.push(
      `  ${stream} differs at line ${diff.line}:`,
      `    - source:     ${show(diff.source, s)}`,
      `    + executable: ${show(diff.executable, e)}`,
    );
  }
  return what.length === 0 ? [] : [`differs from the source: ${what.join(", ")}`, ...lines];
}

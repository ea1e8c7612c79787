// Smoke-run every artifact this host can execute: natively, under qemu-user with the target's
// sysroot, or not at all, naming the runner that could (never a fake pass). A `compare:
// "source"` case also runs `bun <entry>` the same way and requires the same behaviour.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { Arch, Libc, Os } from "../bun/index.ts";
import type { SmokeCase, Target } from "../config/index.ts";
import {
  type RunIdentity, compareRuns, firstDifference, normalizeOutput, replacementsFor, showLine, withoutSourcePreview,
} from "./smoke-compare.ts";
import {
  type Isolation, type RunOutput, hideProjectFrom, isolationFailed, makeWorkingFolder, removeFolder, runEnvironment, runProcess,
} from "./smoke-process.ts";
import { SOURCE_RUN_ENV } from "./source-run.ts";

export interface Host {
  os: Os | string;
  arch: Arch | string;
  libc?: Libc;
  /** Executables found on PATH, by name (qemu-aarch64-static, ...). */
  has: (command: string) => string | undefined;
  /** Whether a file exists (sysroots, loaders). */
  exists: (file: string) => boolean;
}

export type Executor =
  | { kind: "native"; command: string[]; note: string }
  | { kind: "emulated"; command: string[]; note: string }
  | { kind: "not-run"; reason: string };

const QEMU_ARCH: Record<string, string> = { arm64: "aarch64", x64: "x86_64" };
const GNU_SYSROOT: Record<string, string> = { arm64: "/usr/aarch64-linux-gnu", x64: "/usr/x86_64-linux-gnu" };
const MUSL_LOADER: Record<string, string> = { arm64: "/lib/ld-musl-aarch64.so.1", x64: "/lib/ld-musl-x86_64.so.1" };

/** How this host can run a target's executable. Pure: the host is passed in. */
export function executorFor(target: Target, file: string, host: Host): Executor {
  const needs = `needs ${target.runner}`;
  if (target.os === "linux" && host.os === "linux") {
    if (target.libc === "musl" && host.libc !== "musl") {
      const loader = MUSL_LOADER[target.arch]!;
      if (target.arch === host.arch && host.exists(loader)) {
        return { kind: "native", command: [file], note: `native, musl loader ${loader}` };
      }
      return { kind: "not-run", reason: `not run here: the musl loader ${loader} is not installed (Debian: musl), ${needs} or an Alpine container` };
    }
    if (target.arch === host.arch) return { kind: "native", command: [file], note: "native" };
    const qemuName = `qemu-${QEMU_ARCH[target.arch]}-static`;
    const qemu = host.has(qemuName) ?? host.has(`qemu-${QEMU_ARCH[target.arch]}`);
    const sysroot = GNU_SYSROOT[target.arch]!;
    if (!qemu) return { kind: "not-run", reason: `not run here: ${qemuName} is not installed (Debian: qemu-user-static), ${needs}` };
    if (target.libc !== "musl" && !host.exists(sysroot)) {
      return { kind: "not-run", reason: `not run here: the ${target.arch} sysroot ${sysroot} is missing (Debian: libc6-${target.arch === "arm64" ? "arm64" : "amd64"}-cross), ${needs}` };
    }
    return { kind: "emulated", command: [qemu, "-L", sysroot, file], note: `emulated: ${path.basename(qemu)} -L ${sysroot}` };
  }
  if (target.os === host.os && target.arch === host.arch) return { kind: "native", command: [file], note: "native" };
  // Apple silicon runs x86_64 code through Rosetta 2; Windows on Arm emulates x64.
  if (target.os === "darwin" && host.os === "darwin" && target.arch === "x64" && host.arch === "arm64") {
    return { kind: "emulated", command: [file], note: "emulated: Rosetta 2" };
  }
  if (target.os === "windows" && host.os === "windows" && target.arch === "x64" && host.arch === "arm64") {
    return { kind: "emulated", command: [file], note: "emulated: Windows on Arm x64 emulation" };
  }
  return { kind: "not-run", reason: `not run here: ${needs} (this host is ${host.os}-${host.arch})` };
}

export function currentHost(): Host {
  const platform = process.platform === "win32" ? "windows" : process.platform;
  const arch = process.arch;
  const pathDirs = (process.env.PATH ?? "").split(path.delimiter).filter(Boolean);
  const host: Host = {
    os: platform,
    arch,
    has: (command) => pathDirs.map((d) => path.join(d, command)).find((p) => existsSync(p)),
    exists: existsSync,
  };
  if (platform === "linux") {
    const glibcLoader = arch === "arm64" ? "/lib/ld-linux-aarch64.so.1" : "/lib64/ld-linux-x86-64.so.2";
    host.libc = existsSync(glibcLoader) ? "glibc" : "musl";
  }
  return host;
}


/**
 * What a case checks beyond the exit code: "exit-code-only" cases pass for an executable that
 * prints nothing (Bun compiles an entry without a JavaScript extension into exactly that), so
 * they are reported with a warning.
 */
export type CaseChecks = "exit-code-only" | "output" | "compare-source";

export function caseChecks(smoke: SmokeCase): CaseChecks {
  if (smoke.compare === "source") return "compare-source";
  if (smoke.stdout !== undefined || smoke.stderr !== undefined || (smoke.files?.length ?? 0) > 0) return "output";
  return "exit-code-only";
}

export function exitCodeOnlyWarning(caseName: string): string {
  return `smoke case "${caseName}" checks only the exit code: an executable that prints nothing passes it. Add "compare": "source" (or a "stdout" pattern) to check what it prints.`;
}

export interface CaseResult {
  target: string;
  case: string;
  status: "pass" | "fail" | "not-run";
  /** Why it failed or did not run; for a pass, how it ran. */
  reason: string;
  /** What the case checks (a property of the case, also for not-run results). */
  checks: CaseChecks;
  how?: string;
  exitCode?: number | null;
  signal?: string | null;
  durationMs?: number;
  /** Peak resident memory of the process (of qemu when emulated), when the runtime can measure it. */
  peakRssBytes?: number;
  stdout?: string;
  stderr?: string;
  /** Whether the project folder was hidden from the executable, and if not, why. */
  projectFolder?: "hidden" | `visible: ${string}`;
  /** The source run of a compare case. */
  source?: { command: string; exitCode: number | null; signal: string | null; durationMs: number; stdout: string; stderr: string };
}

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/** Checks one finished run against its case: exit code, patterns, no stray stack trace. Pure. */
export function judgeCase(smoke: SmokeCase, run: Omit<RunOutput, "durationMs">): { ok: boolean; reason: string } {
  if (run.timedOut) return { ok: false, reason: `timed out after ${smoke.timeoutMs} ms and was killed` };
  const problems: string[] = [];
  if (run.exitCode !== smoke.exitCode) {
    problems.push(`exit code ${run.exitCode ?? `signal ${run.signal}`}, expected ${smoke.exitCode}`);
  }
  for (const stream of ["stdout", "stderr"] as const) {
    const pattern = smoke[stream];
    if (pattern !== undefined && !new RegExp(pattern, "m").test(run[stream])) {
      problems.push(`${stream} does not match /${pattern}/:\n${diffAgainstPattern(pattern, run[stream])}`);
    }
  }
  // A program that crashes but still exits with the expected code must not pass.
  if (smoke.stderr === undefined && STACK_FRAME.test(run.stderr)) {
    problems.push(`printed a stack trace on stderr:\n${indent(firstLines(withoutSourcePreview(run.stderr), 8))}`);
  }
  return problems.length === 0 ? { ok: true, reason: "" } : { ok: false, reason: problems.join("\n") };
}

function diffAgainstPattern(pattern: string, actual: string): string {
  const lines = actual.length === 0 ? ["(empty)"] : lastLines(actual, 10).split("\n");
  return [`  - expected: /${pattern}/`, ...lines.map((l, i) => `  + ${i === 0 ? "actual:   " : "          "}${l}`)].join("\n");
}

const lastLines = (text: string, n: number) => text.trimEnd().split("\n").slice(-n).join("\n");
const firstLines = (text: string, n: number) => text.trim().split("\n").slice(0, n).join("\n");
const indent = (text: string) => text.split("\n").map((l) => `  ${l}`).join("\n");

/** How to run the source of a compare case for one target, or why it cannot run here. */
export type SourceCommand =
  | {
      kind: "run";
      /** Everything before the case's args: [emulator...,] bun, flags, absolute entry. */
      command: string[];
      /** The Bun executable (its process.execPath). */
      bun: string;
      /** Absolute entry file. */
      entry: string;
      /** For messages: `bun src/cli.ts` with the project-relative entry. */
      shown: string;
    }
  | { kind: "not-run"; reason: string };

export interface RunContext {
  projectDir: string;
  /** Basename Bun gave the entry module inside the executable: /$bunfs/root/<name>. */
  embeddedName: string;
  isolation: Isolation;
  /** Needed by compare cases. */
  source?: SourceCommand;
}

interface SideRun {
  run: RunOutput;
  dir: string;
  identity: RunIdentity;
}

/**
 * Runs one case: the executable in a fresh temporary working folder (a copy of the case's
 * cwd folder, if any) with the project folder hidden where the host allows it, and for a
 * compare case the source in another such folder at the same time.
 */
export async function runCase(target: Target, smoke: SmokeCase, executor: Executor, context?: RunContext): Promise<CaseResult> {
  const base = { target: target.id, case: smoke.name, checks: caseChecks(smoke) };
  if (executor.kind === "not-run") return { ...base, status: "not-run", reason: executor.reason };
  const source = smoke.compare === "source" ? context?.source ?? { kind: "not-run" as const, reason: "not run: no source command was given for this compare case" } : undefined;
  if (source?.kind === "not-run") return { ...base, status: "not-run", reason: source.reason, how: executor.note };
  const projectDir = context?.projectDir ?? "";
  const copyFrom = smoke.cwd !== undefined ? path.join(projectDir, smoke.cwd) : undefined;
  const cleanup: string[] = [];
  try {
    const [exe, src] = await Promise.all([
      runExecutable(target, smoke, executor, context, copyFrom, cleanup),
      source ? runSource(target, smoke, source, copyFrom, cleanup) : undefined,
    ]);
    if (isolationFailed(exe.side.run)) {
      return { ...base, status: "fail", reason: `could not start: ${exe.side.run.stderr.trim()}`, how: executor.note };
    }
    const problems = src
      ? await compareSides(smoke, exe.side, src, source as Extract<SourceCommand, { kind: "run" }>)
      : await ownProblems(smoke, exe.side);
    if (problems.length > 0) {
      const found = hints(exe.side.run, projectDir, exe.visible === undefined);
      problems.push(...found);
      // A program that catches the failed read (`catch { return "unknown" }`) prints no path:
      // the build folder inside the executable is the evidence.
      if (src && found.length === 0 && exe.visible === undefined && projectDir) problems.push(...(await buildFolderHint(executor.command.at(-1)!, projectDir)));
    }
    const run = exe.side.run;
    const result: CaseResult = {
      ...base,
      status: problems.length === 0 ? "pass" : "fail",
      reason: problems.length === 0 ? executor.note : problems.join("\n"),
      how: executor.note,
      exitCode: run.exitCode,
      signal: run.signal,
      durationMs: run.durationMs,
      stdout: run.stdout,
      stderr: run.stderr,
      projectFolder: exe.visible === undefined ? "hidden" : `visible: ${exe.visible}`,
    };
    if (run.peakRssBytes !== undefined) result.peakRssBytes = run.peakRssBytes;
    if (src && source?.kind === "run") {
      result.source = {
        command: source.shown, exitCode: src.run.exitCode, signal: src.run.signal, durationMs: src.run.durationMs, stdout: src.run.stdout, stderr: src.run.stderr,
      };
    }
    return result;
  } catch (error) {
    return { ...base, status: "fail", reason: `could not start: ${(error as Error).message}`, how: executor.note };
  } finally {
    await Promise.all(cleanup.map(removeFolder));
  }
}

async function runExecutable(
  target: Target, smoke: SmokeCase, executor: Extract<Executor, { command: string[] }>, context: RunContext | undefined,
  copyFrom: string | undefined, cleanup: string[],
): Promise<{ side: SideRun; visible?: string }> {
  const dir = await makeWorkingFolder(`bun-parity-smoke-${target.id}-`, copyFrom);
  cleanup.push(dir);
  const file = executor.command.at(-1)!;
  const prefix = executor.command.slice(0, -1);
  const isolation: Isolation = context?.isolation ?? { kind: "visible", why: "no project folder was given" };
  const launch = await hideProjectFrom(isolation, context?.projectDir ?? "", prefix, file, smoke.args, dir);
  if (launch.mountDir) cleanup.push(launch.mountDir);
  const run = await runProcess({ command: launch.command, cwd: dir, env: runEnvironment(dir, smoke.env), stdin: smoke.stdin, timeoutMs: smoke.timeoutMs });
  const embedded = context?.embeddedName ?? path.basename(file);
  const identity: RunIdentity = {
    // Bun names the entry module /$bunfs/root/<outfile basename> (B:/~BUN/root/ on Windows).
    programPaths: [`/$bunfs/root/${embedded}`, `B:/~BUN/root/${embedded}`, `B:\\~BUN\\root\\${embedded}`],
    execPaths: [launch.execPath, file],
    // process.argv[0] of a compiled executable is "bun" (measured, Bun 1.2.4 and 1.4.5), so a
    // CLI that names itself from argv[0] (yargs' $0) prints "bun" there.
    programNames: [embedded, embedded.replace(/\.exe$/, ""), path.basename(file), path.basename(file).replace(/\.exe$/, ""), "bun"],
    cwd: dir,
  };
  const out: { side: SideRun; visible?: string } = { side: { run, dir, identity } };
  if (launch.visible !== undefined) out.visible = launch.visible;
  return out;
}

async function runSource(
  target: Target, smoke: SmokeCase, source: Extract<SourceCommand, { kind: "run" }>, copyFrom: string | undefined, cleanup: string[],
): Promise<SideRun> {
  const dir = await makeWorkingFolder(`bun-parity-source-${target.id}-`, copyFrom);
  cleanup.push(dir);
  const run = await runProcess({
    command: [...source.command, ...smoke.args], cwd: dir, env: { ...runEnvironment(dir, smoke.env), ...SOURCE_RUN_ENV }, stdin: smoke.stdin, timeoutMs: smoke.timeoutMs,
  });
  const identity: RunIdentity = {
    programPaths: [source.entry],
    execPaths: [source.bun],
    // argv[0] of the source run is the Bun's real path (validate.ts runs it as "bun").
    programNames: [path.basename(source.entry), path.basename(source.bun)],
    cwd: dir,
  };
  return { run, dir, identity };
}

/** The case's own checks on one run: exit code, patterns, stack trace, files. */
async function ownProblems(smoke: SmokeCase, side: SideRun): Promise<string[]> {
  const verdict = judgeCase(smoke, side.run);
  return [...(verdict.ok ? [] : [verdict.reason]), ...(await missingFiles(smoke, side.dir))];
}

/**
 * A compare case: the differences from the source first (the point of the case), then what
 * the case's own checks say about the executable. When the executable behaves exactly like
 * the source and both fail the case, the problem is the case or the program, and it says so.
 */
async function compareSides(smoke: SmokeCase, exe: SideRun, src: SideRun, source: Extract<SourceCommand, { kind: "run" }>): Promise<string[]> {
  const where = smoke.cwd === undefined ? "in an empty working folder" : `in a copy of ${smoke.cwd}`;
  if (src.run.timedOut) return [`the source run (${source.shown}, ${where}) timed out after ${smoke.timeoutMs} ms too: raise timeoutMs, or fix the case (does it wait for input?)`];
  const normalize = smoke.normalize ?? ["program", "cwd", "stack"];
  const replacements = replacementsFor([exe.identity, src.identity], normalize);
  const ignore = smoke.ignore ?? [];
  const differences = compareRuns(exe.run, src.run, replacements, ignore, normalize.includes("stack"));
  for (const file of smoke.files ?? []) {
    const [a, b] = await Promise.all([readText(path.join(src.dir, file)), readText(path.join(exe.dir, file))]);
    if (a === undefined || b === undefined) continue;
    const diff = firstDifference(normalizeOutput(a, replacements, ignore), normalizeOutput(b, replacements, ignore));
    if (!diff) continue;
    if (differences.length === 0) differences.push("differs from the source: files");
    differences.push(`  ${file} differs at line ${diff.line}:`, `    - source:     ${showLine(diff.source, a)}`, `    + executable: ${showLine(diff.executable, b)}`);
  }
  const exeOwn = await ownProblems(smoke, exe);
  const srcOwn = await ownProblems(smoke, src);
  const problems: string[] = [];
  if (differences.length > 0) {
    problems.push([differences[0]!.replace("differs from the source", `differs from the source (${source.shown}, ${where})`), ...differences.slice(1)].join("\n"));
    problems.push(...exeOwn);
  }
  if (srcOwn.length > 0) {
    const why = smoke.cwd === undefined
      ? `the program needs something in its working folder (give the case a "cwd" folder holding it), or the case expects the wrong result`
      : "the case expects the wrong result, or the program is broken";
    const same = differences.length === 0 ? "; the executable behaves the same" : "";
    problems.push(`the source fails this case too (${source.shown}, ${where})${same}\n  ${why}:\n${indent(indent(srcOwn.join("\n")))}`);
  }
  if (differences.length === 0 && srcOwn.length === 0) problems.push(...exeOwn);
  return problems;
}

const readText = (file: string) => readFile(file, "utf8").catch(() => undefined);

async function missingFiles(smoke: SmokeCase, dir: string): Promise<string[]> {
  const missing = (smoke.files ?? []).filter((f) => !existsSync(path.join(dir, f)));
  return missing.length === 0 ? [] : [`did not create ${missing.map((f) => `"${f}"`).join(", ")} in its working folder`];
}

/** Paths a failed run's error output says could not be found (Bun's ENOENT reports). */
export function missingPaths(stderr: string): string[] {
  const found = new Set<string>();
  for (const m of stderr.matchAll(/no such file or directory, \w+ '([^'\n]+)'/g)) found.add(m[1]!);
  for (const m of stderr.matchAll(/^ *path: "([^"\n]+)",?$/gm)) found.add(m[1]!);
  return [...found];
}

const buildFolderCounts = new Map<string, Promise<number>>();

/**
 * How often the bytes hold the folder's absolute path as a whole path: followed by a separator
 * or a quote (`var __dirname = "/home/me/cli"`), not by more of a longer name (/home/me/cli2).
 */
export function buildFolderMentions(bytes: Buffer, folder: string): number {
  const needle = Buffer.from(folder);
  let count = 0;
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + needle.length)) {
    const next = bytes[at + needle.length];
    if (next === undefined || !/[\w.-]/.test(String.fromCharCode(next))) count++;
  }
  return count;
}

/**
 * When a compare case differs and the executable holds the absolute project folder, the
 * difference is most likely a run-time read from it (Bun inlines __dirname/__filename as the
 * build folder, oven-sh/bun#29066): the source run finds the file, the executable, with the
 * folder hidden as on a user's machine, does not.
 */
async function buildFolderHint(file: string, projectDir: string): Promise<string[]> {
  const key = `${file}\0${projectDir}`;
  if (!buildFolderCounts.has(key)) {
    buildFolderCounts.set(key, readFile(file).then((bytes) => buildFolderMentions(bytes, projectDir)).catch(() => 0));
  }
  const count = await buildFolderCounts.get(key)!;
  if (count === 0) return [];
  return [
    `hint: the executable contains the build folder ${projectDir} (${count} time${count === 1 ? "" : "s"}), which smoke hides from it because users' machines do not have it: ` +
      "it probably reads a file there at run time (Bun inlines __dirname and __filename as the build folder, oven-sh/bun#29066), so it works on the build machine only. " +
      'Import the file so it is embedded (import pkg from "./package.json", or with { type: "file" }).',
  ];
}

/** Why the executable could not find a file, from where the path points. */
function hints(run: RunOutput, projectDir: string, hidden: boolean): string[] {
  const out = new Set<string>();
  for (const missing of missingPaths(run.stderr)) {
    if (hidden && projectDir && missing.startsWith(projectDir + path.sep)) {
      out.add(
        `hint: ${missing} is inside the project folder, which smoke hides from the executable because users' machines do not have it. ` +
          "Bun inlines __dirname and __filename as the build folder (oven-sh/bun#29066): import the file so it is embedded (import data from \"./data.json\", or with { type: \"file\" }).",
      );
    } else if (/^(\/\$bunfs\/root\/|B:[\\/]~BUN[\\/]root[\\/])/.test(missing)) {
      out.add(
        `hint: ${missing} is inside the executable (import.meta.dir, import.meta.url) but was not embedded: import the file with { type: "file" }, or pass it to the build as an extra entrypoint.`,
      );
    } else if (!path.isAbsolute(missing)) {
      out.add(`hint: ${missing} was read relative to the working folder: embed it with an import, or give the case a "cwd" folder holding it.`);
    }
  }
  return [...out];
}

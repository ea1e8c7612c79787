// Smoke cases seen to pass: run the program from its source with --version, --help and no
// arguments, keep what exits 0 with output, and describe each as a `compare: "source"` case.
// `bun-parity init` writes only these, so a fresh targets.json never starts with a case that
// fails on a healthy program, nor one that an executable printing nothing would pass.
import path from "node:path";
import type { BuildOptions } from "../config/index.ts";
import { withoutSourcePreview } from "./smoke-compare.ts";
import { makeWorkingFolder, removeFolder, runEnvironment, runProcess } from "./smoke-process.ts";
import { SOURCE_RUN_ENV, sourceFlags } from "./source-run.ts";
import type { Compiler } from "../toolchain/index.ts";

/** A smoke case as written in targets.json. */
export interface SmokeCaseJson {
  name: string;
  args: string[];
  compare: "source";
  stdout?: string;
  stderr?: string;
}

export interface ProbeResult {
  name: string;
  args: string[];
  kept: boolean;
  /** For a kept probe, the line its pattern was made from; otherwise why it was dropped. */
  reason: string;
  exitCode: number | null;
  timedOut: boolean;
  durationMs: number;
}

export interface ProbeOptions {
  /** Per probe; the process is killed after it. Default 10 s. */
  timeoutMs?: number;
  /** Build options the executable will be compiled with (defines, NODE_ENV, execArgv). */
  build?: Pick<BuildOptions, "define" | "env" | "inlineEnv" | "execArgv" | "autoload">;
}

export const PROBES: { name: string; args: string[] }[] = [
  { name: "version", args: ["--version"] },
  { name: "help", args: ["--help"] },
  { name: "no arguments", args: [] },
];

const DEFAULT_BUILD: NonNullable<ProbeOptions["build"]> = {
  define: {}, env: { NODE_ENV: "production" }, inlineEnv: "disable", execArgv: [],
  autoload: { dotenv: false, bunfig: false, tsconfig: false, packageJson: false },
};

const STACK_FRAME = /^\s+at .+(:\d+:\d+\)?|\(native\))$/m;

/**
 * Runs `bun <flags> <absolute entry> <probe args>` for each probe, each in its own empty
 * temporary working folder with stdin at end-of-file, as a `compare: "source"` case runs it.
 * `entry` is relative to projectDir (or absolute).
 */
export async function probeSourceCases(
  projectDir: string, entry: string, compiler: Compiler | string, options: ProbeOptions = {},
): Promise<{ cases: SmokeCaseJson[]; tried: ProbeResult[] }> {
  const bun = typeof compiler === "string" ? compiler : compiler.path;
  const absEntry = path.resolve(projectDir, entry);
  const timeoutMs = options.timeoutMs ?? 10_000;
  const flags = sourceFlags(options.build ?? DEFAULT_BUILD);
  const runs = await Promise.all(PROBES.map(async (probe) => {
    const dir = await makeWorkingFolder("bun-parity-probe-");
    try {
      const run = await runProcess({
        command: [bun, ...flags, absEntry, ...probe.args], cwd: dir, env: { ...runEnvironment(dir, {}), ...SOURCE_RUN_ENV }, timeoutMs,
      });
      return { probe, run, dir };
    } finally {
      await removeFolder(dir);
    }
  }));
  const cases: SmokeCaseJson[] = [];
  const tried: ProbeResult[] = [];
  for (const { probe, run, dir } of runs) {
    const result: ProbeResult = {
      name: probe.name, args: probe.args, kept: false, reason: "", exitCode: run.exitCode, timedOut: run.timedOut, durationMs: run.durationMs,
    };
    const stream = run.stdout.trim() !== "" ? "stdout" : run.stderr.trim() !== "" ? "stderr" : undefined;
    if (run.timedOut) result.reason = `timed out after ${timeoutMs} ms (waits for input, or keeps running)`;
    else if (run.exitCode !== 0) result.reason = `exit code ${run.exitCode ?? `signal ${run.signal}`}${errorLine(run.stderr, dir) || lastLine(run.stdout, dir)}`;
    else if (STACK_FRAME.test(run.stderr)) result.reason = "printed a stack trace on stderr";
    else if (!stream) result.reason = "exit code 0 but printed nothing";
    else {
      const line = run[stream].split(/\r?\n/).find((l) => l.trim() !== "")!;
      const smokeCase: SmokeCaseJson = { name: probe.name, args: probe.args, compare: "source" };
      smokeCase[stream] = linePattern(line, [absEntry, path.basename(absEntry), bun, dir]);
      cases.push(smokeCase);
      result.kept = true;
      result.reason = `${stream}: ${line.trimEnd()}`;
    }
    tried.push(result);
  }
  return { cases, tried };
}

/**
 * The first line of the error a failed probe printed (Bun's quoted source lines left out), with
 * the empty working folder named as such: `ENOENT ... open '<empty working folder>/package.json'`
 * says the program needs a file in the folder it runs in.
 */
function errorLine(stderr: string, dir: string): string {
  const line = withoutSourcePreview(stderr).split(/\r?\n/).map((l) => l.trim()).find((l) => l !== "" && !/^at /.test(l));
  if (!line) return "";
  const shown = line.split(dir).join("<empty working folder>");
  return `: ${shown.length > 160 ? `${shown.slice(0, 157)}...` : shown}`;
}

/** A program that reports its failure on stdout: the last line it printed. */
function lastLine(stdout: string, dir: string): string {
  const line = stdout.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== "").at(-1);
  return line ? errorLine(line, dir) : "";
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
// x.y.z, not the start of a longer dotted number (an address such as 10.0.0.1).
const VERSION = /\d+\.\d+\.\d+(?![.\d])(?:[-+][0-9A-Za-z.+-]*)?/;

/**
 * An anchored pattern for one observed line: the text regex-escaped, except what differs
 * legitimately between the source run and the executable or across releases: the program's
 * own path or name (argv[1] is `/$bunfs/root/<name>` in the executable), the working folder,
 * and version numbers (x.y.z, so a release does not break the case; compare still checks the
 * exact text against the source).
 */
export function linePattern(line: string, own: string[]): string {
  const text = line.trimEnd();
  const tokens = [...own].filter((t) => t.length > 0).sort((a, b) => b.length - a.length);
  let pattern = "";
  let rest = text;
  outer: while (rest.length > 0) {
    for (const token of tokens) {
      if (rest.startsWith(token)) {
        pattern += "\\S+";
        rest = rest.slice(token.length);
        continue outer;
      }
    }
    const version = new RegExp(`^${VERSION.source}`).exec(rest);
    // Not the end of a longer dotted number either.
    if (version && !/[\d.]$/.test(text.slice(0, text.length - rest.length))) {
      pattern += "\\d+\\.\\d+\\.\\d+\\S*";
      rest = rest.slice(version[0].length);
      // \S* also covered whatever non-space text followed the version.
      rest = rest.replace(/^\S+/, "");
      continue;
    }
    pattern += escapeRegExp(rest[0]!);
    rest = rest.slice(1);
  }
  return `^${pattern}${text.length < line.length ? "\\s*" : ""}$`;
}

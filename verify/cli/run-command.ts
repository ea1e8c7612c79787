// Running one command once its arguments are parsed: the path flags checked, the log format and
// tracing set up, the command run inside its span, --json=FILE written, and every error turned
// into its exit code. Separate from main.ts, which only reads argv and picks the command.
import path from "node:path";
import { CheckFailed, EXIT, UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { checkPath } from "../paths.ts";
import type { LogFormat, ResultFile } from "../telemetry/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import type { Command, Values } from "./commands.ts";

/** Flags every command takes, read before the command's own: --log-format, and --json=FILE. */
export interface GlobalFlags {
  args: string[];
  logFormat: LogFormat;
  /** --json=FILE: write the command's result sections there (bare --json stays the command's own flag). */
  jsonFile?: string;
}

/**
 * Runs a command inside its span, with the log format set up, then writes --json=FILE. In JSON
 * log mode the command runs with --json: its stdout (the result) and stderr become events.
 */
export async function runCommand(name: string, command: Command, values: Values, positionals: string[], args: string[], io: Io, globals: GlobalFlags): Promise<number> {
  const { configureLog, jsonModeStreams, logEvent, resetResults } = await import("../telemetry/index.ts");
  const { startTelemetry, stopTelemetry, withSpan } = await import("../telemetry/index.ts");
  const time = new Date().toISOString();
  const started = performance.now();
  const json = globals.logFormat === "json";
  const streams = json ? jsonModeStreams(io) : undefined;
  const commandIo: Io = streams ? { ...io, stdout: streams.stdout, stderr: streams.stderr } : io;
  if (json && "json" in command.options) values.json = true;
  configureLog(globals.logFormat, io);
  resetResults();
  const warn = (message: string) => (json ? logEvent("warn", "telemetry", { message }) : io.stderr.write(`warning: ${message}\n`));
  try {
    await startTelemetry({ env: io.env, cwd: io.cwd, warn });
  } catch (error) {
    warn(`traces not exported: ${(error as Error).message}`); // tracing never stops a command
  }
  // Arguments go to logs and trace backends: never with credentials embedded in a URL.
  args = args.map((a) => a.replace(/(https?:\/\/)[^@/\s]*@/gi, "$1"));
  logEvent("info", "command.start", { command: name, args, version: TOOL_VERSION });

  const code = await withSpan(`${TOOL_NAME} ${name}`, { "bun_parity.command": name, "bun_parity.args": args, "bun_parity.version": TOOL_VERSION }, async (span) => {
    let exitCode: number;
    try {
      checkPathFlags(command, values, io.cwd);
      exitCode = await command.run(commandIo, values, positionals);
    } catch (error) {
      exitCode = reportError(commandIo, error);
    }
    span.setAttributes({ "bun_parity.exit_code": exitCode });
    if (exitCode !== 0) span.fail(`${name} exited with ${exitCode}`);
    return exitCode;
  });

  const capturedResult = await logCaptured(name, streams?.captured().trim());
  const durationMs = Math.round(performance.now() - started);
  let exitCode = code;
  if (globals.jsonFile) {
    const file = await resultFile(name, args, time, durationMs, code, capturedResult);
    const failed = await writeJsonFile(file, globals.jsonFile, io.cwd, commandIo);
    if (exitCode === 0 && failed !== undefined) exitCode = failed;
  }
  logEvent(exitCode === 0 ? "info" : "error", "command.end", { command: name, exitCode, durationMs }, { annotate: false });
  await stopTelemetry();
  return exitCode;
}

/** In JSON log mode, what the command printed: its result as one event (returned), else one event per line. */
async function logCaptured(name: string, captured: string | undefined): Promise<unknown> {
  if (!captured) return undefined;
  const { logEvent } = await import("../telemetry/index.ts");
  try {
    const result: unknown = JSON.parse(captured);
    logEvent("info", "result", { command: name, result });
    return result;
  } catch {
    for (const line of captured.split("\n")) logEvent("info", "message", { text: line });
    return undefined;
  }
}

/** The --json=FILE contents: the result sections the command recorded, else its printed JSON. */
async function resultFile(name: string, args: string[], time: string, durationMs: number, exitCode: number, capturedResult: unknown): Promise<ResultFile> {
  const { recordedResults } = await import("../telemetry/index.ts");
  let result = recordedResults();
  if (Object.keys(result).length === 0 && capturedResult !== undefined) result = { [name]: capturedResult };
  return {
    schemaVersion: 1,
    kind: "bun-parity-result",
    command: name,
    args,
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    time,
    durationMs,
    exitCode,
    host: { os: process.platform === "win32" ? "windows" : process.platform, arch: process.arch },
    result,
  };
}

/** Writes --json=FILE; the exit code of the error when it cannot be written, else undefined. */
async function writeJsonFile(file: ResultFile, jsonFile: string, cwd: string, io: Io): Promise<number | undefined> {
  const { logEvent } = await import("../telemetry/index.ts");
  try {
    const { writeResultFile } = await import("../report/index.ts");
    await writeResultFile(path.resolve(cwd, jsonFile), file);
    logEvent("info", "result.written", { file: jsonFile, sections: Object.keys(file.result) });
    return undefined;
  } catch (error) {
    return reportError(io, new UsageError(`cannot write --json=${jsonFile}: ${(error as Error).message}`, "Pass a file in a folder you can write to."));
  }
}

const PATH_FIX: Record<string, string> = {
  config: "Pass the project's targets.json (or run the command inside the project, where it is found by itself).",
  out: "Pass a folder (it is created when missing), not a file.",
  dist: "Pass the folder `bun verify build` wrote (the project's output folder by default).",
  markdown: "Pass a file path to write the Markdown to, in a folder you can write to.",
  html: "Pass a file path to write the page to, e.g. --html report.html.",
  compare: "Pass a report or result JSON of an earlier run (written with --json=FILE).",
  workflow: "Pass the workflow file, e.g. --workflow .github/workflows/ci.yml.",
  entry: "Pass the program's entry file, relative to the project root (e.g. --entry src/cli.ts).",
  manifest: "Pass the manifest.json written by `bun verify build` next to the file (dist/manifest.json).",
};

/** Every path flag the command declares is checked before it runs (missing input, a folder for a file...). */
function checkPathFlags(command: Command, values: Values, cwd: string): void {
  for (const [flag, kind] of Object.entries(command.paths ?? {})) {
    const given = values[flag] as string | string[] | undefined;
    for (const value of given === undefined ? [] : Array.isArray(given) ? given : [given]) {
      if (value === "") throw new UsageError(`--${flag} needs a value`, PATH_FIX[flag] ?? `See \`${TOOL_NAME} --help\`.`);
      checkPath(cwd, value, kind, { what: `--${flag}`, fix: PATH_FIX[flag] ?? `See \`${TOOL_NAME} --help\`.` });
    }
  }
}

/**
 * Bad input exits 2 with the fix; a failed check exits 1; anything else is a bug in bun-parity
 * and exits 70 (EX_SOFTWARE), so a crash is never mistaken for a verdict about the project.
 */
export function reportError(io: Io, error: unknown): number {
  if (error instanceof UsageError) {
    io.stderr.write(`error: ${error.message}\n${error.fix ? `fix: ${error.fix}\n` : ""}`);
    return EXIT.usage;
  }
  if (error instanceof CheckFailed) {
    io.stderr.write(`failed: ${error.message}\n`);
    return EXIT.checkFailed;
  }
  io.stderr.write(`internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\nPlease report this with the command you ran (exit code ${EXIT.internal}).\n`);
  return EXIT.internal;
}

// The bun-parity command line: argv in, an exit code out. It reads the flags every command takes,
// answers --help and --version, parses the command's own flags against the command table
// (commands.ts), and hands over to run-command.ts; the work is in the modules the commands call.
// Exit codes: 0 all good, 1 a check failed, 2 bad usage or bad input, 70 an internal error.
import { parseArgs } from "node:util";
import { EXIT, UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { checkPath } from "../paths.ts";
import type { LogFormat } from "../telemetry/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import { COMMANDS, type Values } from "./commands.ts";
import { commandHelp, usage } from "./help.ts";
import { type GlobalFlags, reportError, runCommand } from "./run-command.ts";

export async function main(argv: string[], io: Io): Promise<number> {
  let globals: GlobalFlags;
  try {
    globals = globalFlags(argv, io.env);
  } catch (error) {
    return reportError(io, error);
  }
  const [name, ...rest] = globals.args;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    const command = topic ? COMMANDS[topic] : undefined;
    io.stdout.write(command ? commandHelp(topic!, command) : usage());
    return 0;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`${TOOL_NAME} ${TOOL_VERSION}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`error: unknown command "${name}"\n\n${usage()}`);
    return 2;
  }
  if (rest.includes("--help") || rest.includes("-h")) {
    io.stdout.write(commandHelp(name, command));
    return 0;
  }
  let values: Values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: rest, options: command.options, allowPositionals: command.positionals ?? false, strict: true }));
  } catch (error) {
    io.stderr.write(`error: ${(error as Error).message}\nUsage: ${TOOL_NAME} ${command.usage}\nfix: see \`${TOOL_NAME} ${name} --help\`\n`);
    return EXIT.usage;
  }
  if (globals.jsonFile) {
    try {
      checkPath(io.cwd, globals.jsonFile, "output-file", { what: "--json=FILE", fix: "Pass a file path in a folder you can write to, e.g. --json=results/build.json." });
    } catch (error) {
      return reportError(io, error);
    }
  }
  return runCommand(name, command, values, positionals, rest, io, globals);
}


function globalFlags(argv: string[], env: NodeJS.ProcessEnv): GlobalFlags {
  const args: string[] = [];
  // (log.ts and telemetry.ts are loaded only to run a command: --version and --help stay as fast as before.)
  const parseLogFormat = (value: string | undefined, source: string): LogFormat | undefined => {
    if (value === undefined || value === "") return undefined;
    if (value === "json" || value === "text") return value;
    throw new UsageError(`${source}: unknown log format "${value}"`, "Use --log-format json (one JSON event per line) or --log-format text (the default).");
  };
  let logFormat = parseLogFormat(env.BUN_PARITY_LOG, "BUN_PARITY_LOG") ?? "text";
  let jsonFile: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      args.push(...argv.slice(i));
      break;
    }
    if (arg === "--log-format" || arg.startsWith("--log-format=")) {
      const value = arg === "--log-format" ? argv[++i] : arg.slice("--log-format=".length);
      logFormat = parseLogFormat(value ?? "", "--log-format") ?? missing("--log-format", "--log-format json");
    } else if (arg.startsWith("--json=")) {
      jsonFile = arg.slice("--json=".length) || missing("--json=FILE", "--json=results/build.json");
    } else {
      args.push(arg);
    }
  }
  return jsonFile === undefined ? { args, logFormat } : { args, logFormat, jsonFile };
}

function missing(flag: string, example: string): never {
  throw new UsageError(`${flag} needs a value`, `Run e.g.: bun verify build ${example}`);
}


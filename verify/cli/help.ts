// The help text: the overview `--help` prints (built from the command table) and one command's
// `<command> --help`. Separate from main.ts so tests and docs can read the help without running it.
import { TOOL_NAME } from "../version.ts";
import { type Command, COMMANDS } from "./commands.ts";

/** `--help`: every command with its summary, the options every command takes, the exit codes. */
export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((c) => c.length));
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`);
  return `Usage: ${TOOL_NAME} <command> [options]   (in a project: bun verify <command>)

Build a Bun CLI for every target, hash it, prove parity, validate every binary.

Commands:
${lines.join("\n")}

Options of every command:
  --json=FILE        also write the result to FILE, for \`report\` (bare --json prints it instead)
  --log-format json  one JSON event per line instead of the human output (or BUN_PARITY_LOG=json)
Traces go over OTLP/HTTP when OTEL_EXPORTER_OTLP_ENDPOINT is set (docs/observability.md).

Run \`${TOOL_NAME} <command> --help\` for a command's options.
Exit codes: 0 all good, 1 a check failed, 2 bad usage or input (the message says what to fix),
70 an internal error (a bug in ${TOOL_NAME}: please report it with the command you ran).
`;
}

/** `<command> --help`: its usage line, summary and details from the command table. */
export function commandHelp(name: string, command: Command): string {
  return `Usage: ${TOOL_NAME} ${command.usage}\n\n${command.summary}.\n\n${command.details}\n`;
}

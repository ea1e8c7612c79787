// cli/: the command line: the command table (commands.ts), argument and global-flag handling
// (main.ts), running a command with its logging, tracing and --json=FILE (run-command.ts), the
// help text (help.ts), and one file per command that loads the project, calls the stages and prints
// (ci's verdict modes and what it reads from the project are in ci-verdicts.ts and ci-project.ts).
// In: argv, Io. Out: an exit code (0 ok, 1 a check failed, 2 bad usage or input, 70 internal error).

export { usage } from "./help.ts";
export { main } from "./main.ts";

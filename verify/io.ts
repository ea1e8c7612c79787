// Where a command writes and what it runs in: the process's own streams, working folder and
// environment, or a test's stand-ins. Every stage that prints or reads the environment takes one.

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
}

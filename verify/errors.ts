// Error types a caller can check. The CLI maps them to exit codes:
// 0 all good, 1 a check failed, 2 bad usage or bad input (docs/architecture.md, "Rules of the design"),
// 70 an internal error: a bug in bun-parity, never a verdict about the project.

/** Exit codes of every command. */
export const EXIT = {
  ok: 0,
  checkFailed: 1,
  usage: 2,
  /** EX_SOFTWARE of BSD sysexits.h ("an internal software error"): distinct from a failed check. */
  internal: 70,
} as const;

/** Bad usage or bad input: exit code 2. The message says what is wrong and what to do. */
export class UsageError extends Error {
  override name = "UsageError";
  readonly exitCode = 2;
  constructor(
    message: string,
    /** What to do about it, printed on its own line after the message. */
    readonly fix?: string,
  ) {
    super(message);
  }
}

/**
 * A config file is wrong: names the file, the JSON path inside it, what was
 * expected and how to fix it.
 */
export class ConfigError extends UsageError {
  override name = "ConfigError";
  constructor(
    readonly file: string,
    readonly jsonPath: string,
    readonly problem: string,
    readonly expected: string,
    fix: string,
    readonly line?: number,
    readonly column?: number,
  ) {
    const where = line === undefined ? file : `${file}:${line}:${column ?? 1}`;
    super(`${where}: ${jsonPath}: ${problem}; expected ${expected}`, fix);
  }
}

/** A file could not be read as the binary format it claims to be: exit code 2. */
export class BinaryFormatError extends UsageError {
  override name = "BinaryFormatError";
  constructor(
    readonly file: string,
    problem: string,
    fix = "Pass an executable produced by `bun build --compile` (ELF, PE or Mach-O).",
  ) {
    super(`${file}: ${problem}`, fix);
  }
}

/** A check ran and failed (mismatch, invalid signature, smoke failure): exit code 1. */
export class CheckFailed extends Error {
  override name = "CheckFailed";
  readonly exitCode = 1;
}

export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof CheckFailed) return EXIT.checkFailed;
  return EXIT.internal;
}

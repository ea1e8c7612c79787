// How `ci` and `smoke` run several steps: every step runs and reports, and a failure report
// names each failed step with the tail of its output instead of stopping at the first one.
// No Dagger calls here: the steps are functions, so the order and the report are unit-tested.
//
// Nothing is imported from @dagger.io/dagger: a module runs in bundle mode (its package.json does
// not list the SDK), where that import is the SDK's generated entry, which exports the decorators,
// the connection functions and the generated client only, not the error classes (export list:
// sdk/typescript/runtime/tsutils/module/index.ts in dagger/dagger at v0.21.8; checked by
// test/dagger/bundle-imports.test.ts). Exec failures are recognised by their shape instead.

export type StepStatus = "passed" | "failed" | "skipped";

export interface StepResult {
  step: string;
  status: StepStatus;
  /** Output of a passed step; for a failed one, what went wrong plus the tail of the output. */
  output: string;
  durationMs: number;
}

/** Lines of output kept per failed step: enough for a stack trace or a test summary. */
export const TAIL_LINES = 40;

export function tail(text: string, lines = TAIL_LINES): string {
  const all = text.replace(/\s+$/, "").split("\n");
  if (all.length <= lines) return all.join("\n");
  return [`… (${all.length - lines} earlier lines omitted)`, ...all.slice(-lines)].join("\n");
}

/** What the SDK's ExecError carries (sdk/typescript/src/common/errors/ExecError.ts, v0.21.8). */
export interface ExecFailure {
  name: "ExecError";
  message: string;
  cmd: string[];
  exitCode: number;
  stdout: string;
  stderr: string;
}

/**
 * An exec failure, by shape: `name === "ExecError"` with the command, exit code and output. The
 * class itself cannot be imported in bundle mode, and `instanceof` would not hold across two
 * copies of the SDK anyway.
 */
export function isExecFailure(error: unknown): error is ExecFailure {
  if (typeof error !== "object" || error === null) return false;
  const e = error as Record<string, unknown>;
  return e.name === "ExecError" && Array.isArray(e.cmd) && typeof e.exitCode === "number" &&
    typeof e.stdout === "string" && typeof e.stderr === "string";
}

/** A failure in words: the command and exit code for a failed exec, else the error message. */
export function describeFailure(error: unknown): string {
  if (isExecFailure(error)) {
    const output = [error.stdout, error.stderr].filter((s) => s && s.trim() !== "").join("\n");
    return `\`${error.cmd.join(" ")}\` exited with ${error.exitCode}\n${tail(output)}`;
  }
  return error instanceof Error ? tail(error.message) : String(error);
}

/** Runs a step and records how it went; never throws, so concurrent steps all report. */
export async function runStep(step: string, run: () => Promise<string>): Promise<StepResult> {
  const started = Date.now();
  try {
    const output = await run();
    return { step, status: "passed", output, durationMs: Date.now() - started };
  } catch (error) {
    return { step, status: "failed", output: describeFailure(error), durationMs: Date.now() - started };
  }
}

export function skipped(step: string, reason: string): StepResult {
  return { step, status: "skipped", output: reason, durationMs: 0 };
}

export interface ReportOptions {
  /** Whose output follows the table: only failed steps (ci), or every step that ran (smoke). */
  outputOf: "failed" | "all";
}

export function formatReport(title: string, results: StepResult[], options: ReportOptions): string {
  const width = Math.max(...results.map((r) => r.step.length));
  const lines = results.map((r) => {
    const seconds = r.status === "skipped" ? "" : `  ${(r.durationMs / 1000).toFixed(1)} s`;
    const note = r.status === "skipped" ? `  (${r.output})` : "";
    return `${r.step.padEnd(width)}  ${r.status}${seconds}${note}`;
  });
  const failed = results.filter((r) => r.status === "failed");
  const verdict = failed.length === 0
    ? `${title}: no step failed`
    : `${title}: ${failed.length} of ${results.length} steps failed: ${failed.map((r) => r.step).join(", ")}`;
  const shown = results.filter((r) => r.status === "failed" || (options.outputOf === "all" && r.status === "passed"));
  const details = shown.map((r) => `\n--- ${r.step} (${r.status}) ---\n${r.status === "failed" ? r.output : tail(r.output)}`);
  return [verdict, "", ...lines, ...details].join("\n");
}

/** Thrown when a step failed, so `dagger call ci` (or smoke) exits non-zero with the whole report. */
export class StepsFailedError extends Error {
  constructor(title: string, readonly results: StepResult[]) {
    super(formatReport(title, results, { outputOf: "failed" }));
    this.name = "StepsFailedError";
  }
}

export interface CiSteps {
  test: () => Promise<string>;
  lint: () => Promise<string>;
  /** Resolves to a short description of what was built (the output folder's entries). */
  buildAll: () => Promise<string>;
  /** Both read build-all's executables. */
  securityScan: () => Promise<string>;
  smoke: () => Promise<string>;
}

/**
 * test, lint and build-all concurrently (a broken test must not hide a broken build); then
 * security-scan and smoke, which read build-all's executables, concurrently. When build-all
 * failed those two are skipped and say why.
 */
export async function runCi(steps: CiSteps): Promise<StepResult[]> {
  const [test, lint, build] = await Promise.all([
    runStep("test", steps.test),
    runStep("lint", steps.lint),
    runStep("build-all", steps.buildAll),
  ]);
  const after = build.status === "passed"
    ? await Promise.all([runStep("security-scan", steps.securityScan), runStep("smoke", steps.smoke)])
    : [skipped("security-scan", "build-all failed"), skipped("smoke", "build-all failed")];
  return [test, lint, build, ...after];
}

/** The report when every step passed or was skipped; throws StepsFailedError otherwise. */
export function reportOrThrow(title: string, results: StepResult[], options: ReportOptions): string {
  if (results.some((r) => r.status === "failed")) throw new StepsFailedError(title, results);
  return formatReport(title, results, options);
}

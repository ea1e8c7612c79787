// build.prepare: the project's own pre-build commands (a tsc or rollup step that writes the
// entrypoint, a code generator), run once before any target compiles. They run the same way
// wherever `bun verify build` runs (laptop, clean room, Dagger container), so a pre-step is
// never skipped on one side of a parity check.
import { existsSync } from "node:fs";
import path from "node:path";
import { CheckFailed } from "../errors.ts";
import { type PlannedPrepare, isScrubbedVariable } from "../plan/index.ts";

export class PrepareFailed extends CheckFailed {
  override name = "PrepareFailed";
}

export interface PrepareOutcome {
  name: string;
  durationMs: number;
}

/**
 * PATH for a step: every node_modules/.bin from the project up to the file-system root first
 * (what `npm run` does, so `tsc` or `rollup` resolve to the project's pinned ones), then the
 * inherited PATH.
 */
export function preparePath(projectDir: string, inheritedPath: string | undefined): string {
  const bins: string[] = [];
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const bin = path.join(dir, "node_modules", ".bin");
    if (existsSync(bin)) bins.push(bin);
    if (path.dirname(dir) === dir) break;
  }
  return [...bins, ...(inheritedPath ?? "").split(path.delimiter).filter(Boolean)].join(path.delimiter);
}

/** The environment of a step: inherited minus BUN_* and NODE_OPTIONS, plus the pinned values and PATH. */
export function prepareEnvironment(step: PlannedPrepare, inherited: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [key, value] of Object.entries(inherited)) {
    if (value !== undefined && !isScrubbedVariable(key)) env[key] = value;
  }
  const pathKey = Object.keys(env).find((k) => k.toUpperCase() === "PATH") ?? "PATH";
  return { ...env, ...step.env, [pathKey]: preparePath(step.cwd, env[pathKey]) };
}

/** Runs the steps in order; the first that fails stops the build with its output. */
export async function runPrepareSteps(
  steps: PlannedPrepare[],
  inherited: NodeJS.ProcessEnv,
  log: (line: string) => void,
): Promise<PrepareOutcome[]> {
  const { execa } = await import("execa");
  const outcomes: PrepareOutcome[] = [];
  for (const [i, step] of steps.entries()) {
    const started = performance.now();
    log(`prepare ${i + 1}/${steps.length}: ${step.name}`);
    const options = { cwd: step.cwd, env: prepareEnvironment(step, inherited), extendEnv: false, all: true, reject: false, stdin: "ignore" } as const;
    const run = typeof step.run === "string"
      ? await execa(step.run, { ...options, shell: true })
      : await execa(step.run[0]!, step.run.slice(1), options);
    if (run.exitCode !== 0) {
      const how = run.exitCode === undefined ? (run.signal ? `was killed by ${run.signal}` : `could not start (${run.shortMessage})`) : `exited with ${run.exitCode}`;
      const output = String(run.all ?? "").trimEnd();
      throw new PrepareFailed(
        `build.prepare[${i}] "${step.name}" ${how} in ${step.cwd}` +
          `${output ? `:\n${output.split("\n").slice(-40).join("\n")}` : " (no output)"}\n` +
          "Fix the command (run it by hand in the project folder to see it fail), or change build.prepare in targets.json.",
      );
    }
    outcomes.push({ name: step.name, durationMs: Math.round(performance.now() - started) });
  }
  return outcomes;
}

// How a program runs from its source the way its executable was compiled: `bun <flags>
// <absolute entry> <args>` from any working folder. Used by `compare: "source"` smoke cases
// and by the probe that writes them.
import type { BuildOptions } from "../config/index.ts";

/**
 * Flags for `bun <entry>` that mirror what `bun build --compile` bakes in (docs/internals.md,
 * "Smoke runs"):
 * - `--define` for every build.define, and for process.env.NODE_ENV (the build pins it and Bun
 *   inlines it) and the build.env variables build.inlineEnv inlines;
 * - build.execArgv (`--compile-exec-argv`) before the entry;
 * - `--no-env-file` unless build.autoload.dotenv (the executable does not read .env then);
 * - `--no-install`: never auto-install packages from the network when node_modules is missing.
 * Module resolution starts at the entry file, so the project's node_modules and tsconfig paths
 * are found whatever the working folder is.
 */
export function sourceFlags(build: Pick<BuildOptions, "define" | "env" | "inlineEnv" | "execArgv" | "autoload">): string[] {
  const flags = ["--no-install"];
  if (!build.autoload.dotenv) flags.push("--no-env-file");
  const defines: Record<string, string> = { "process.env.NODE_ENV": JSON.stringify(build.env.NODE_ENV ?? "production") };
  if (build.inlineEnv !== "disable") {
    const prefix = build.inlineEnv === "inline" ? "" : build.inlineEnv.slice(0, -1);
    for (const [key, value] of Object.entries(build.env)) {
      if (key.startsWith(prefix)) defines[`process.env.${key}`] = JSON.stringify(value);
    }
  }
  Object.assign(defines, build.define);
  for (const key of Object.keys(defines).sort()) flags.push(`--define=${key}:${defines[key]}`);
  flags.push(...build.execArgv);
  return flags;
}

/** Set for the source run only: Bun's transpiler cache would otherwise write into HOME (the working folder). */
export const SOURCE_RUN_ENV = { BUN_RUNTIME_TRANSPILER_CACHE_PATH: "0" };

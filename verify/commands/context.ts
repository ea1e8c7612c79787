// What every command needs: where it writes, and the project it works on
// (targets.json, the compiler, the toolchain lock and cache).
import { existsSync } from "node:fs";
import path from "node:path";
import { type Config, loadConfig } from "../config.ts";
import { UsageError } from "../errors.ts";
import { type Compiler, type ToolchainLock, defaultCacheDir, findCompiler, readToolchainLock } from "../toolchain.ts";

export interface Io {
  stdout: { write(text: string): unknown; isTTY?: boolean };
  stderr: { write(text: string): unknown; isTTY?: boolean };
  cwd: string;
  env: NodeJS.ProcessEnv;
}

export interface Project {
  config: Config;
  compiler: Compiler;
  cacheDir: string;
  lock: ToolchainLock | undefined;
}

/** targets.json from --config, else the nearest one from the working folder upwards. */
export function findConfigFile(io: Io, explicit?: string): string {
  if (explicit) return path.resolve(io.cwd, explicit);
  for (let dir = io.cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "targets.json");
    if (existsSync(candidate)) return candidate;
    if (path.dirname(dir) === dir) break;
  }
  throw new UsageError(
    `no targets.json in ${io.cwd} or any folder above it`,
    "Run the command inside a project that has targets.json, pass --config <file>, or create one with `bun-parity init`.",
  );
}

export async function loadProject(io: Io, configFlag?: string): Promise<Project> {
  const file = findConfigFile(io, configFlag);
  const compiler = await findCompiler(path.dirname(file), io.env);
  const config = loadConfig(file, { bunVersion: compiler.version });
  return { config, compiler, cacheDir: defaultCacheDir(io.env), lock: readToolchainLock(config.projectDir) };
}

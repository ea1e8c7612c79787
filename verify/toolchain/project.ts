// The project a command works on: its targets.json (found from the working folder upwards),
// the compiler, the toolchain lock and the runtime cache.
import { existsSync } from "node:fs";
import path from "node:path";
import { type Config, loadConfig } from "../config/index.ts";
import { UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { checkExecutable, checkPath } from "../paths.ts";
import { type Compiler, findCompiler } from "./compiler.ts";
import { type ToolchainLock, defaultCacheDir, readToolchainLock } from "./toolchain.ts";

export interface Project {
  config: Config;
  compiler: Compiler;
  cacheDir: string;
  lock: ToolchainLock | undefined;
}

/** targets.json from --config, else the nearest one from the working folder upwards. */
export function findConfigFile(io: Io, explicit?: string): string {
  if (explicit) {
    return checkPath(io.cwd, explicit, "input-file", { what: "--config", fix: "Pass the project's targets.json, or run the command inside the project without --config." });
  }
  for (let dir = io.cwd; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, "targets.json");
    if (existsSync(candidate)) {
      return checkPath(io.cwd, candidate, "input-file", { what: "the project's", fix: "targets.json must be a file: see docs/targets.md, or run `bun-parity init`." });
    }
    if (path.dirname(dir) === dir) break;
  }
  throw new UsageError(
    `no targets.json in ${io.cwd} or any folder above it`,
    "Run the command inside a project that has targets.json, pass --config <file>, or create one with `bun-parity init`.",
  );
}

export async function loadProject(io: Io, configFlag?: string): Promise<Project> {
  const file = findConfigFile(io, configFlag);
  // (A bare name is looked up on PATH by the spawn; a path is checked here, so a folder or a
  // file without the x bit is named instead of failing with EACCES inside `bun --version`.)
  if (io.env.BUN_PARITY_BUN && /[\\/]/.test(io.env.BUN_PARITY_BUN)) {
    checkExecutable(path.resolve(io.cwd, io.env.BUN_PARITY_BUN), {
      what: "$BUN_PARITY_BUN",
      fix: "Point BUN_PARITY_BUN at a Bun executable (e.g. node_modules/bun/bin/bun.exe), or unset it to use the project's pinned bun.",
    });
  }
  const compiler = await findCompiler(path.dirname(file), io.env);
  const config = loadConfig(file, { bunVersion: compiler.version });
  const cacheDir = checkPath(io.cwd, defaultCacheDir(io.env), "output-folder", {
    what: "the runtime cache",
    fix: "Point $BUN_PARITY_CACHE_DIR at a folder (it is created when missing), or unset it for ~/.cache/bun-parity.",
  });
  return { config, compiler, cacheDir, lock: readToolchainLock(config.projectDir) };
}

// The Bun that compiles, found and its version read: the pinned compiler is one input of every
// build, separate from the runtimes it embeds (toolchain.ts).
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { PIN_SUPPORTED_BUN_FIX, unsupportedBunProblem } from "../bun/index.ts";
import { UsageError } from "../errors.ts";

export interface Compiler {
  /** Executable to spawn for `bun build`. */
  path: string;
  version: string;
  /** How it was found, for messages. */
  source: string;
}

/**
 * The Bun that compiles: $BUN_PARITY_BUN, else the project's pinned npm package
 * (node_modules/bun, the version in package-lock.json), else `bun` on PATH.
 */
export async function findCompiler(projectDir: string, env = process.env): Promise<Compiler> {
  const compiler = await locateCompiler(projectDir, env);
  const problem = unsupportedBunProblem(compiler.version);
  if (problem) throw new UsageError(`${problem} (the compiler: ${compiler.path}, from ${compiler.source})`, PIN_SUPPORTED_BUN_FIX);
  return compiler;
}

async function locateCompiler(projectDir: string, env: NodeJS.ProcessEnv): Promise<Compiler> {
  if (env.BUN_PARITY_BUN) {
    return { path: env.BUN_PARITY_BUN, version: await versionOf(env.BUN_PARITY_BUN), source: "$BUN_PARITY_BUN" };
  }
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const pkg = path.join(dir, "node_modules", "bun");
    // The npm package ships the real binary as bin/bun.exe on every OS.
    const exe = path.join(pkg, "bin", "bun.exe");
    if (existsSync(exe)) {
      const version = (JSON.parse(readFileSync(path.join(pkg, "package.json"), "utf8")) as { version: string }).version;
      return { path: exe, version, source: path.join(pkg, "package.json") };
    }
    if (path.dirname(dir) === dir) break;
  }
  try {
    return { path: "bun", version: await versionOf("bun"), source: "bun on PATH" };
  } catch {
    throw new UsageError(
      `no Bun found for ${projectDir}`,
      "Add the pinned compiler to the project: npm install --save-exact --save-dev bun@<version>, then npm ci.",
    );
  }
}

async function versionOf(bun: string): Promise<string> {
  const { execa } = await import("execa");
  const { stdout } = await execa(bun, ["--version"], { env: { BUN_BE_BUN: "1" } });
  return stdout.trim();
}

// `bun verify toolchain`: show the compiler and the pinned runtimes; --update re-pins them,
// --fetch fills the cache so later builds work offline.
import { existsSync } from "node:fs";
import { stableJson } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { formatTable } from "../report/index.ts";
import { LOCK_FILE, RuntimeDigestError, ensureRuntime, lockEntryFor, runtimeCachePath, runtimesFor, updateToolchainLock, loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface ToolchainFlags {
  config?: string;
  update?: boolean;
  fetch?: boolean;
  json?: boolean;
}

export async function runToolchain(io: Io, flags: ToolchainFlags): Promise<number> {
  if (flags.update && flags.fetch) {
    throw new UsageError(
      "--update and --fetch cannot be combined (--update already fetches every runtime, then rewrites the lock)",
      "Run bun verify toolchain --update to re-pin the runtimes, or --fetch to fill the cache from the existing lock.",
    );
  }
  const project = await loadProject(io, flags.config);
  const { config, compiler, cacheDir } = project;
  if (flags.update) {
    const lock = await updateToolchainLock(config, compiler, cacheDir, (line) => io.stderr.write(line + "\n"));
    io.stdout.write(flags.json ? stableJson(lock) : `${LOCK_FILE} written for Bun ${lock.bun} (${Object.keys(lock.runtimes).length} runtimes).\n`);
    return 0;
  }
  const rows: string[][] = [];
  const report: Record<string, unknown>[] = [];
  let bad = 0;
  for (const runtime of runtimesFor(config, compiler.version)) {
    let state: string;
    let sha256 = "";
    try {
      const entry = lockEntryFor(project.lock, config.projectDir, runtime);
      sha256 = entry.sha256;
      if (flags.fetch) {
        const status = await ensureRuntime(runtime, entry, cacheDir, config.projectDir);
        state = status.fetched ? "fetched, digest ok" : "cached, digest ok";
      } else {
        state = existsSync(runtimeCachePath(cacheDir, runtime)) ? "cached (checked when used)" : "not cached (fetched when used)";
      }
    } catch (error) {
      if (!(error instanceof UsageError || error instanceof RuntimeDigestError)) throw error;
      bad++;
      state = error.message.split("\n")[0]!;
    }
    rows.push([runtime.name, runtime.version, state, sha256.slice(0, 16)]);
    report.push({ package: runtime.name, version: runtime.version, state, sha256, path: runtimeCachePath(cacheDir, runtime) });
  }
  if (flags.json) {
    io.stdout.write(stableJson({ compiler, cacheDir, runtimes: report }));
  } else {
    io.stdout.write(`compiler: Bun ${compiler.version} (${compiler.path}, from ${compiler.source})\ncache:    ${cacheDir}\n\n`);
    io.stdout.write(formatTable(["runtime", "version", "state", "sha256"], rows));
  }
  if (bad > 0) throw new CheckFailed(`${bad} runtime(s) are not pinned or do not match ${LOCK_FILE}; run \`bun verify toolchain --update\` to pin them`);
  return 0;
}

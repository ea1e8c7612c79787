// What a Bun before 1.3.6 needs to build with the pinned runtimes and to list its modules: it has
// no --compile-executable-path and no --metafile. Kept apart so the rest of the toolchain reads
// as the current Bun's; docs/internals.md ("Bun versions") has the version boundaries.
import { existsSync } from "node:fs";
import { copyFile, mkdir, rm, symlink } from "node:fs/promises";
import path from "node:path";
import { CheckFailed, UsageError } from "../errors.ts";
import type { TargetPlan } from "../plan/index.ts";

/**
 * Bun before 1.3.6 takes a foreign runtime from its install cache: `exePath()` in
 * src/compile_target.zig looks for "<cwd>/<name>", then "$BUN_INSTALL_CACHE_DIR/<name>", and
 * downloads only when neither exists. Place the verified runtime in the plan's private cache
 * folder under that name (a symlink; a copy where links are refused).
 */
export async function seedRuntimeCache(t: TargetPlan): Promise<void> {
  const seed = t.runtimeSeed;
  if (!seed) return;
  const shadow = path.join(t.cwd, seed.fileName);
  if (existsSync(shadow)) {
    throw new UsageError(
      `${shadow} exists: Bun before 1.3.6 would compile ${t.target.id} with that file instead of the pinned runtime (it looks in the working folder first)`,
      `Remove or rename ${seed.fileName}, or pin Bun 1.3.6 or later (it takes the runtime with --compile-executable-path).`,
    );
  }
  await mkdir(seed.dir, { recursive: true });
  const dest = path.join(seed.dir, seed.fileName);
  await rm(dest, { force: true });
  try {
    await symlink(t.runtimePath, dest);
  } catch {
    await copyFile(t.runtimePath, dest);
  }
}

/**
 * The modules a build bundles, for a Bun without --metafile (before 1.3.6): Bun.build runs
 * over the entrypoint with a resolve hook that records every importer and every resolved
 * import (Bun.resolveSync), in the same Bun, folder and environment as the compile. Extra
 * modules (say, behind a --define'd branch) only widen the reuse key. Paths are relative to
 * the project, sorted, like metafileInputs().
 */
export async function listModulesWithoutMetafile(compilerPath: string, t: TargetPlan, env: Record<string, string>, entrypoints: string[]): Promise<string[]> {
  const { execa } = await import("execa");
  const run = await execa(compilerPath, ["-e", MODULE_LIST_PROBE], {
    cwd: t.cwd,
    env: { ...env, BUN_PARITY_PROBE_ENTRIES: JSON.stringify(entrypoints) },
    extendEnv: false,
    reject: false,
  });
  let parsed: { success?: boolean; modules?: string[] } = {};
  try {
    parsed = JSON.parse(String(run.stdout)) as typeof parsed;
  } catch {
    // reported below
  }
  if (run.exitCode !== 0 || !parsed.success || !Array.isArray(parsed.modules)) {
    throw new CheckFailed(`listing the bundled modules for ${t.target.id} failed (Bun has no --metafile before 1.3.6):\n${String(run.stderr || run.stdout).trim()}`);
  }
  return parsed.modules
    .filter((file) => path.isAbsolute(file))
    .map((file) => path.relative(t.cwd, file).split(path.sep).join("/"))
    .sort();
}

// Plain JavaScript for `bun -e`: it runs under the project's Bun (1.2.0 on), from any install
// of bun-parity (a compiled bun-parity has no script files on disk to point Bun at).
const MODULE_LIST_PROBE = `
const path = require("node:path");
const entries = JSON.parse(process.env.BUN_PARITY_PROBE_ENTRIES);
const seen = new Set(entries.map((e) => path.resolve(e)));
Bun.build({
  entrypoints: entries,
  target: "bun",
  plugins: [{ name: "bun-parity-list-modules", setup(build) {
    build.onResolve({ filter: /.*/ }, (args) => {
      if (args.importer) seen.add(args.importer);
      try { seen.add(Bun.resolveSync(args.path, args.importer ? path.dirname(args.importer) : process.cwd())); } catch {}
      return undefined;
    });
  } }],
}).then(
  (r) => process.stdout.write(JSON.stringify({ success: r.success, modules: [...seen].sort() })),
  (e) => { process.stderr.write(String((e && e.message) || e)); process.exit(1); },
);
`;

// toolchain/: the compiler (compiler.ts) and the pinned target runtimes (toolchain.ts; what a Bun
// before 1.3.6 needs besides, legacy-bun.ts), and the project a command works on (project.ts).
// In: the project folder (targets.json, bun-runtimes.lock.json, the installed bun), a BuildPlan.
// Out: Compiler, Project, and verified runtime files in the cache (sha256-checked against the lock).

export { findConfigFile, loadProject, type Project } from "./project.ts";
export { type Compiler, findCompiler } from "./compiler.ts";
export { bunForHost, cachedRuntimePackage, defaultCacheDir, ensureRuntime, LOCK_FILE, lockEntryFor, readToolchainLock, runtimeCachePath, RuntimeDigestError, runtimesFor, type ToolchainLock, updateToolchainLock } from "./toolchain.ts";
export { listModulesWithoutMetafile, seedRuntimeCache } from "./legacy-bun.ts";

// toolchain/: the compiler and the pinned target runtimes, and the project a command works on.
// In: the project folder (targets.json, bun-runtimes.lock.json, the installed bun), a BuildPlan.
// Out: Compiler, Project, and verified runtime files in the cache (sha256-checked against the lock).

export { findConfigFile, loadProject, type Project } from "./project.ts";
export { bunForHost, cachedRuntimePackage, type Compiler, defaultCacheDir, ensureRuntime, findCompiler, listModulesWithoutMetafile, LOCK_FILE, lockEntryFor, readToolchainLock, runtimeCachePath, RuntimeDigestError, runtimesFor, seedRuntimeCache, type ToolchainLock, updateToolchainLock } from "./toolchain.ts";

// bun/: what Bun can do, as facts the other stages consult. Pure.
//   targets.ts   Bun's --target strings, the npm packages that carry each target's runtime,
//                the first Bun version of each target
//   versions.ts  the Bun versions bun-parity builds with, and what each can compile
// In: a Bun version, a target. Out: flags, capabilities, runtime packages, or the problem.

export { type Arch, bunTargetFor, compareVersions, defaultRunnerFor, type Libc, minimumBunFor, type Os, parseBunTarget, type RuntimePackage, runtimePackageFor } from "./targets.ts";
export { buildOptionProblems, COMPILE_FEATURES, compileCapabilities, type CompileCapabilities, installCacheTarget, OLDEST_SUPPORTED_BUN, PIN_SUPPORTED_BUN_FIX, runtimeCacheFileName, supports, unsupportedBunProblem } from "./versions.ts";

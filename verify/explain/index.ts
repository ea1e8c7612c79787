// explain/: why two builds of the same executable differ: bytes mapped to regions, the module
// graphs compared, each difference turned into a cause with a hint, certain when both build
// fingerprints (manifest.json) show it, likely when only the bytes suggest it.
// In: two executables' bytes (+ their fingerprints). Out: Explanation (causes, evidence, diffs).

export { nameRuntimeVariants } from "./bun-version.ts";
export { checkManifestsMatch, fingerprintOf } from "./evidence.ts";
export { explainDifference } from "./explain.ts";
export { causeLine, formatExplanation } from "./render.ts";
export { looksMinified } from "./source-findings.ts";
export type { Cause, CauseCode, DifferingRange, Evidence, ExplainedFile, ExplainNames, ExplainOptions, Explanation, ModuleChange, ModuleGraphDiff, RegionChange } from "./types.ts";

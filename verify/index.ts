// The library parts of bun-parity, for tools that want the pieces without the CLI:
// config loading, the build plan, digests and manifests, parity comparison, explain, inspect.
export { type Config, type Target, type SmokeCase, type BuildOptions, loadConfig, parseConfig, selectTargets } from "./config/config.ts";
export { type BuildPlan, type TargetPlan, buildPlan, compilerEnvironment, portableArgv } from "./plan/plan.ts";
export {
  type Manifest,
  type ManifestTarget,
  type SumEntry,
  HashPool,
  hashFiles,
  formatSha256Sums,
  parseSha256Sums,
  parseManifest,
  readManifest,
  stableJson,
} from "./digest/digest.ts";
export { type ParityRow, type Side, type Verdict, compareSides, parityPassed, sideFromFolder, sideFromListing } from "./parity/compare.ts";
export { type Explanation, type Cause, type CauseCode, explainDifference, formatExplanation } from "./explain/explain.ts";
export { type InspectFacts, type Claim, inspectBytes, claimFromName } from "./validate/inspect.ts";
export { readBunModuleGraph, readBunVersion, type BunModuleGraph, type BunModule } from "./binary/bunfs.ts";
export { verifyCodeSignature, signAdhoc, type SignatureCheck } from "./binary/macho.ts";
export { readLayout, detectFormat, type BinaryLayout } from "./binary/format.ts";
export { ConfigError, UsageError, CheckFailed, BinaryFormatError } from "./errors.ts";
export { main } from "./cli/main.ts";

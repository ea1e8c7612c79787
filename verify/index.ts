// The library parts of bun-parity, for tools that want the pieces without the CLI:
// config loading, the build plan, digests and manifests, parity comparison, explain, inspect.
export { type Config, type Target, type SmokeCase, type BuildOptions, loadConfig, parseConfig, selectTargets } from "./config/index.ts";
export { type BuildPlan, type TargetPlan, buildPlan, compilerEnvironment, portableArgv } from "./plan/index.ts";
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
} from "./digest/index.ts";
export { type ParityRow, type Side, type Verdict, compareSides, parityPassed, sideFromFolder, sideFromListing } from "./parity/index.ts";
export { type Explanation, type Cause, type CauseCode, explainDifference, formatExplanation } from "./explain/index.ts";
export { type InspectFacts, type Claim, inspectBytes, claimFromName } from "./validate/index.ts";
export {
  type BunModuleGraph,
  type BunModule,
  type SignatureCheck,
  type BinaryLayout,
  readBunModuleGraph,
  readBunVersion,
  verifyCodeSignature,
  signAdhoc,
  readLayout,
  detectFormat,
} from "./binary/index.ts";
export { ConfigError, UsageError, CheckFailed, BinaryFormatError } from "./errors.ts";
export { main } from "./cli/index.ts";

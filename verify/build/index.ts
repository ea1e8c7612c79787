// build/: run a BuildPlan natively: build.prepare steps, the compiles in parallel, the repairs Bun's
// output needs (module graph padding, the macOS signature), the input digest that lets an unchanged
// target be reused, then SHA256SUMS and manifest.json (digest/).
// In: Project, BuildPlan. Out: BuildResult (one TargetOutcome per target), files in the dist folder.

export { runBuild } from "./build.ts";
export type { BuildEvent, BuildResult, TargetOutcome } from "./build-context.ts";
export { buildFingerprint, buildInputs, bundledPackages, inputBoundary, InputHashCache, metafileInputs } from "./inputs.ts";
export { runPrepareSteps } from "./prepare.ts";
export { signBytesAdhoc, signFileAdhoc } from "./sign.ts";

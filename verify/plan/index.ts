// plan/: Config in, BuildPlan out: per target the exact `bun build --compile` argv, environment
// and output file. Pure; the same plan drives the native build and the container build.

export { buildPlan, type BuildPlan, compilerEnvironment, isScrubbedVariable, type PlannedPrepare, type PlanOptions, portableArgv, STAGING_FOLDER, type TargetPlan } from "./plan.ts";

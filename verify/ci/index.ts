// ci/: the GitHub workflow, generated then checked: the validate matrix and build-all's uploads
// from targets.json (matrix.ts), the starter workflow (starter.ts), the workflow policy
// (policy.ts, shell-commands.ts), actionlint's configuration (actionlint.ts), and the verdicts a
// release is gated on (verdicts.ts); workflow.ts holds the names they share. Pure: text and
// config in, text and findings out.

export { ACTIONLINT_CONFIG_PATH, DEFAULT_DAGGER_VERSION, TEST_OS_RUNNERS, WORKFLOW_PATH } from "./workflow.ts";
export { compareWorkflow, type Difference, locateBlock, matrixEntries, renderMatrixBlock, writeMatrix, yamlScalar } from "./matrix.ts";
export { starterWorkflow } from "./starter.ts";
export { checkJobs, checkPinnedActions, checkRunSteps, type PolicyProblem } from "./policy.ts";
export { commandsOf, disallowedCommand } from "./shell-commands.ts";
export { actionlintLabels, applyActionlintConfig, type LintResult } from "./actionlint.ts";
export { type CheckId, checkVerdict, type FoundResult, jobsMarkdown, jobVerdicts, releaseMarkdown, releaseVerdicts, resultFileName, VALIDATE_CHECKS, verdicts, verdictsMarkdown } from "./verdicts.ts";

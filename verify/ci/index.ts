// ci/: the GitHub workflow, generated then checked: the validate matrix and build-all's uploads
// from targets.json, the starter workflow, the workflow policy, actionlint's configuration, and the
// verdicts a release is gated on. Pure: text and config in, text and findings out.

export { ACTIONLINT_CONFIG_PATH, actionlintLabels, applyActionlintConfig, type CheckId, checkJobs, checkPinnedActions, checkRunSteps, compareWorkflow, DEFAULT_DAGGER_VERSION, type Difference, type FoundResult, jobsMarkdown, jobVerdicts, type LintResult, locateBlock, matrixEntries, type PolicyProblem, releaseMarkdown, releaseVerdicts, renderMatrixBlock, resultFileName, starterWorkflow, TEST_OS_RUNNERS, verdicts, verdictsMarkdown, WORKFLOW_PATH, writeMatrix } from "./workflow.ts";

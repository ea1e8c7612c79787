// The starter workflow: what `bun verify ci --write` writes when the project has no workflow yet
// (this repository's own .github/workflows/ci.yml is one, regenerated with --write), and what
// `bun verify init` writes into a project. One function per job, joined in the order they run.
import type { Config } from "../config/index.ts";
import { renderMatrixBlock, renderUploadsBlock, matrixEntries } from "./matrix.ts";
import { ACTIONS, DAGGER_DIST, DIST_ARTIFACT_PREFIX, EVIDENCE_ARTIFACT_PREFIX, RESULTS_DIR } from "./workflow.ts";

const checkout = () => `      - uses: ${ACTIONS.checkout.uses} # ${ACTIONS.checkout.release}
        with:
          persist-credentials: false
`;

/** Node, then bun and just from package-lock.json, on PATH for the later steps. */
const toolchain = (pathStepExtra = "") => `      - uses: ${ACTIONS.setupNode.uses} # ${ACTIONS.setupNode.release}
        with:
          node-version: "22.20.0"
          cache: npm
      - name: Install bun and just from package-lock.json
        run: npm ci --no-audit --no-fund
      - name: Put node_modules/.bin on PATH${pathStepExtra ? "; keep the Bun runtimes outside the checkout" : ""}
        id: toolchain
        run: ${pathStepExtra ? `|\n          echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"\n          ${pathStepExtra}` : `echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"`}
`;

function daggerJob(id: string, args: string, what: string, reproduce: string, daggerVersion: string, extraSteps = ""): string {
  return `  ${id}:
    name: ${id} (dagger call ${args.split(" ")[0]})
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
${checkout()}      - name: dagger call ${args}
        uses: ${ACTIONS.dagger.uses} # ${ACTIONS.dagger.release}
        with:
          version: "${daggerVersion}"
          verb: call
          args: ${args}
          cloud-token: \${{ secrets.DAGGER_CLOUD_TOKEN }}
          enable-github-summary: "true"
${extraSteps}      - name: Annotate the failure
        if: failure()
        run: |
          echo "::error title=${id}::dagger call ${args.split(" ")[0]} failed (${what}). Reproduce with ${reproduce}."
`;
}

export interface StarterOptions {
  /** The Dagger CLI version (dagger.json's engineVersion). */
  daggerVersion: string;
  /**
   * Runners to run the project's own test suite on (`just test`) besides the Dagger test job on
   * Linux, e.g. TEST_OS_RUNNERS; none when absent (a project whose justfile has no test recipe).
   */
  testOn?: readonly string[];
  /**
   * The Dagger jobs that run a project recipe besides build-all and security-scan: `test` and
   * `lint` only when the project's justfile has those recipes (default: both).
   */
  recipeJobs?: readonly ("test" | "lint")[];
}

export function starterWorkflow(config: Config, options: StarterOptions): string {
  const v = options.daggerVersion.replace(/^v/, "");
  const testOn = options.testOn ?? [];
  const recipeJobs = options.recipeJobs ?? ["test", "lint"];
  const verdictNeeds = [...recipeJobs, "security-scan", "build-all", "validate", ...(testOn.length > 0 ? ["test-os"] : [])];
  const uploads = renderUploadsBlock(config, "      ").join("\n") + "\n";
  const jobs = [
    ...(recipeJobs.includes("test") ? [daggerJob("test", "test", "the test suite, just test, in the pinned container", "just test or dagger call test", v)] : []),
    ...(recipeJobs.includes("lint") ? [daggerJob("lint", "lint", "just lint: tsc, ESLint, bun verify ci --check", "just lint or dagger call lint", v)] : []),
    daggerJob("security-scan", "security-scan", "just security --strict on the Dagger build, in the pinned container", "dagger call security-scan, or just build-all then just security --strict", v),
    daggerJob("build-all", `build-all export --path=${DAGGER_DIST} --wipe`, "just build-all in the pinned container", `dagger call build-all export --path=${DAGGER_DIST}`, v, uploads),
    validateJob(config),
    ...(testOn.length > 0 ? [testOsJob(testOn)] : []),
    verdictJob(verdictNeeds),
    releaseJob(),
  ];
  // Every job ends with a newline; a blank line separates them.
  return WORKFLOW_HEADER + jobs.join("\n");
}

/** Triggers, permissions and concurrency: everything above `jobs:`. */
const WORKFLOW_HEADER = `# CI and release. Dagger jobs (test, lint, security-scan, build-all) each run one \`dagger call\`
# in the pinned container; one validate job per target checks build-all's executable on a runner of
# the target's own OS and CPU and rebuilds it there to prove both are the same bytes; the \`verdict\`
# job needs every job and is the one check to require. On a v* tag, \`release\` packages, attests and
# publishes the Dagger build after the verdict. docs/ci.md says what each job proves.
#
# Started by \`bun verify ci --write\`; edit freely outside the bun-parity:* blocks. Those (the
# validate matrix, build-all's uploads) are rewritten from targets.json by \`bun verify ci --write\`,
# and \`bun verify ci --check\` (part of \`just lint\`) fails when they and targets.json disagree.
# Actions are pinned by commit SHA; the comment names the release.
name: ci

on:
  push:
    branches: [main]
    tags: ["v*"]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  # A newer push to a pull request cancels its running check; runs on main and on tags always finish.
  group: \${{ github.workflow }}-\${{ github.event.pull_request.number || github.ref }}
  cancel-in-progress: \${{ github.event_name == 'pull_request' }}

env:
  DAGGER_NO_NAG: "1"

jobs:
`;

/** One job per target, on its own runner: inspect, smoke and parity, each writing a result file. */
function validateJob(config: Config): string {
  const matrix = renderMatrixBlock(matrixEntries(config), "        ").join("\n");
  return `  validate:
    # One job per target, on a runner that can execute it (runner in targets.json). Every check
    # writes a result file; the verdict is read from those files, so a step that did nothing is
    # "not run", never a pass.
    name: validate \${{ matrix.target }} on \${{ matrix.runner }}
    needs: build-all
    runs-on: \${{ matrix.runner }}
    timeout-minutes: 40
    strategy:
      fail-fast: false
      matrix:
${matrix}
    defaults:
      run:
        shell: bash
    env:
      TARGET: \${{ matrix.target }}
      FILE: \${{ matrix.file }}
      RESULTS: ${RESULTS_DIR}/\${{ matrix.target }}
    steps:
${checkout()}${toolchain(`echo "BUN_PARITY_CACHE_DIR=$RUNNER_TEMP/bun-parity-cache" >> "$GITHUB_ENV"`)}      - name: Cache the Bun runtimes (keyed on bun-runtimes.lock.json)
        uses: ${ACTIONS.cache.uses} # ${ACTIONS.cache.release}
        with:
          path: \${{ env.BUN_PARITY_CACHE_DIR }}
          key: bun-parity-runtimes-\${{ runner.os }}-\${{ runner.arch }}-\${{ hashFiles('bun-runtimes.lock.json') }}
      - name: Download this target's Dagger build
        id: download
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          name: ${DIST_ARTIFACT_PREFIX}\${{ matrix.target }}
          path: ${DAGGER_DIST}
      - name: Restore the executable bit (artifacts are zip files, which drop it; the bytes are unchanged)
        id: prepare
        if: \${{ steps.download.outcome == 'success' }}
        run: chmod +x "${DAGGER_DIST}/$FILE"
      - name: "inspect: format, architecture, linkage, signature, and the digest build-all wrote"
        if: \${{ !cancelled() && steps.prepare.outcome == 'success' }}
        run: bun verify inspect --json="$RESULTS/inspect.json" --dist ${DAGGER_DIST} --target "$TARGET"
      - name: "smoke: the Dagger-built executable runs on this OS"
        if: \${{ !cancelled() && steps.prepare.outcome == 'success' }}
        run: bun verify smoke --json="$RESULTS/smoke.json" --require-all --target "$TARGET" --dist ${DAGGER_DIST}
      - name: "parity: a native rebuild here (just build) is identical to the Dagger build"
        if: \${{ !cancelled() && steps.download.outcome == 'success' }}
        run: bun verify parity --json="$RESULTS/parity.json" --reference ${DAGGER_DIST} --target "$TARGET"
      - name: Verdicts from the result files (job summary, annotations naming the target and the check)
        if: \${{ !cancelled() && steps.toolchain.outcome == 'success' }}
        run: bun verify ci --summary --target "$TARGET" --results ${RESULTS_DIR}
      - name: Upload the evidence (result files, parity's verification summary)
        if: \${{ !cancelled() }}
        uses: ${ACTIONS.uploadArtifact.uses} # ${ACTIONS.uploadArtifact.release}
        with:
          name: ${EVIDENCE_ARTIFACT_PREFIX}\${{ matrix.target }}
          path: |
            ${RESULTS_DIR}/
            dist/attestations/
          if-no-files-found: warn
          retention-days: 90
`;
}

/** The project's own test suite on the other OSes the tool runs on. */
function testOsJob(testOn: readonly string[]): string {
  return `  test-os:
    # The tool itself where the docs say it runs: the test suite on macOS and Windows (Linux runs it
    # in the test job). Tests that need Linux-only tools (qemu, Debian's chromium) skip there and say why.
    name: test on \${{ matrix.os }}
    runs-on: \${{ matrix.os }}
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        os: [${testOn.join(", ")}]
    defaults:
      run:
        shell: bash
    steps:
${checkout()}${toolchain()}      - name: just test
        run: just test
`;
}

/** The one check to require: passes only when every job it needs succeeded. */
function verdictJob(needs: string[]): string {
  return `  verdict:
    # The one check to require (branch protection): its name stays when targets or runners change.
    # It runs after everything, and fails when a job it needs failed, was cancelled or was skipped.
    name: verdict
    if: \${{ always() }}
    needs: [${needs.join(", ")}]
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
${checkout()}${toolchain()}      - name: Every job passed
        env:
          BUN_PARITY_NEEDS: \${{ toJSON(needs) }}
        run: bun verify ci --verdict
`;
}

/** On a v* tag: package, attest and publish what the validate jobs proved. */
function releaseJob(): string {
  return `  release:
    # On a v* tag (semantic-release creates them), after the verdict: the Dagger build of every
    # target, packaged, listed in SHA256SUMS, attested and published. The only job that may write.
    name: release
    if: \${{ startsWith(github.ref, 'refs/tags/v') }}
    needs: verdict
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    permissions:
      contents: write
      id-token: write
      attestations: write
    steps:
${checkout()}${toolchain()}      - name: Download the Dagger build of every target
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          pattern: ${DIST_ARTIFACT_PREFIX}*
          merge-multiple: true
          path: dist
      - name: Download the validate jobs' evidence
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          pattern: ${EVIDENCE_ARTIFACT_PREFIX}*
          merge-multiple: true
          path: evidence
      - name: "Only what was validated: every target's smoke and parity passed"
        run: bun verify ci --release-check --results evidence/${RESULTS_DIR}
      - name: Archives, listed with the executables in SHA256SUMS
        run: bun verify package
      - name: Attest build provenance (subjects from SHA256SUMS)
        uses: ${ACTIONS.attestBuildProvenance.uses} # ${ACTIONS.attestBuildProvenance.release}
        with:
          subject-checksums: dist/SHA256SUMS
      - name: Create the GitHub release
        env:
          GH_TOKEN: \${{ github.token }}
          GH_REPO: \${{ github.repository }}
        run: gh release create "$GITHUB_REF_NAME" --verify-tag --generate-notes dist/*
`;
}

// The names the workflow's jobs share: where the workflow and actionlint's config live, the
// folders and artifact names that link build-all, validate and release, and the pinned actions.
// Kept apart so the generated blocks, the starter workflow and the verdicts agree on them.
import type { Config, Target } from "../config/index.ts";

export const WORKFLOW_PATH = ".github/workflows/ci.yml";
export const ACTIONLINT_CONFIG_PATH = ".github/actionlint.yaml";

/** The Dagger CLI the starter workflow installs when the project has no dagger.json. */
export const DEFAULT_DAGGER_VERSION = "0.21.9";
/** Where build-all exports the Dagger build in the workflow. */
export const DAGGER_DIST = "dist/dagger";
/** Artifact of one target's Dagger build (`dist-dagger-<id>`): its executable, SHA256SUMS, manifest.json. */
export const DIST_ARTIFACT_PREFIX = "dist-dagger-";
/** Artifact of one validate job's evidence (`evidence-<id>`): its result files and parity's VSA. */
export const EVIDENCE_ARTIFACT_PREFIX = "evidence-";
/** Where validate steps write their result files (`--json=results/<id>/<check>.json`). */
export const RESULTS_DIR = "results";
/** Runners the starter workflow runs the project's own test suite on, besides Linux (Dagger). */
export const TEST_OS_RUNNERS = ["macos-15", "windows-2025"] as const;

/**
 * Actions pinned by commit SHA. Each SHA is the commit the release tag points to in the action's
 * own repository (read with git from a snapshot of it; see docs/ci.md, "Pinned actions"); the
 * release is what `uses:` lines carry as a comment.
 */
export const ACTIONS = {
  checkout: { uses: "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", release: "v6.0.2" },
  setupNode: { uses: "actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38", release: "v6.5.0" },
  cache: { uses: "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae", release: "v5.0.5" },
  uploadArtifact: { uses: "actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f", release: "v6.0.0" },
  downloadArtifact: { uses: "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131", release: "v7.0.0" },
  attestBuildProvenance: { uses: "actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32", release: "v4.1.0" },
  dagger: { uses: "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77", release: "v8.4.1" },
} as const;

/** <name>-<id>[.exe]: the file name the build gives a target's executable. */
export function artifactFileName(config: Pick<Config, "name">, target: Pick<Target, "id" | "os">): string {
  return `${config.name}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
}

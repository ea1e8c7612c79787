// The pinned container every Dagger function runs in, and the `just` recipe each function runs.
// Everything here is lazy: it builds a query, and nothing runs until the engine is asked for a
// result. That is what lets test/dagger check these pipelines on a machine without an engine.
import { CacheSharingMode, dag } from "@dagger.io/dagger";
import type { Container, Directory, File, Platform, Secret } from "@dagger.io/dagger";

import { STAGING_FOLDER, artifactFileName, findTarget, type BuildLayout, type TargetSummary } from "./targets.js";

/**
 * Official Node 22 image on Debian 12 (bookworm) slim, pinned by its multi-arch index digest so
 * the same reference resolves to linux/amd64 and linux/arm64 (the smoke containers need both).
 * Digest as pinned in public Dockerfiles ("Multi-architecture index digests verified against
 * Docker Hub on 2026-09-19") and listed as the "Base index digest" of node:22.20.0-bookworm-slim
 * (linux/amd64 manifest sha256:c385ec44…) in richinmrudul/agentguard's runtime-image notes.
 * Node, not oven/bun: `npm ci` installs bun and just from package-lock.json, so their versions are
 * the laptop's (docs/dagger.md, "Why a Node image").
 */
export const BASE_IMAGE =
  "node:22.20.0-bookworm-slim@sha256:b21fe589dfbe5cc39365d0544b9be3f1f33f55f3c86c87a76ff65a02f8f5848e";

/** The project is mounted here; node_modules/.bin is on PATH like the justfile puts it there. */
export const WORKDIR = "/src";

export const HOME = "/root";

/** Cache volumes: npm's download cache and the Bun runtimes the verifier fetches per target. */
export const CACHES = {
  npm: { volume: "bun-parity-npm-cache", path: `${HOME}/.npm` },
  // verify/toolchain/toolchain.ts reads $BUN_PARITY_CACHE_DIR; it fetches into a temp folder and renames,
  // so concurrent containers (test and build-all in `ci`) can share the volume.
  runtimes: { volume: "bun-parity-bun-runtimes", path: `${HOME}/.cache/bun-parity` },
} as const;

/**
 * The whole environment the recipes see besides the image's own variables, set explicitly so
 * nothing leaks in from wherever the engine runs. NODE_ENV=development makes `npm ci` install the
 * devDependencies (bun, just, vitest, tsc live there); the compiler itself gets NODE_ENV pinned by
 * the build plan (targets.json "build.env"), so it cannot leak into an executable.
 */
export const CONTAINER_ENV: Readonly<Record<string, string>> = {
  HOME,
  TZ: "UTC",
  LANG: "C.UTF-8",
  LC_ALL: "C.UTF-8",
  NODE_ENV: "development",
  PATH: `${WORKDIR}/node_modules/.bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin`,
  BUN_PARITY_CACHE_DIR: CACHES.runtimes.path,
  NPM_CONFIG_CACHE: CACHES.npm.path,
  NPM_CONFIG_UPDATE_NOTIFIER: "false",
  NPM_CONFIG_FUND: "false",
  NPM_CONFIG_AUDIT: "false",
};

/**
 * Not uploaded from the host: what git ignores here (.gitignore, dagger/.gitignore) plus .git.
 * Dagger matches these with moby/patternmatcher, anchored at the context root (internal/fsutil/
 * filter.go and core/modfunc.go in dagger/dagger v0.21.8): a bare `node_modules` is only the
 * top-level folder, so every pattern that git applies at any depth starts with `**` + "/". A folder
 * that matches is left out with everything in it. `.env` files stay: they are build inputs.
 * Literals only: the SDK's introspector evaluates this array's text when it reads `@argument`, and
 * a name inside it is a ReferenceError at module load (a test checks this).
 * test/dagger/source-ignore.test.ts runs these patterns over the repository's files and compares
 * the result with `git check-ignore`.
 */
export const SOURCE_IGNORE = [
  ".git",
  "**/node_modules",
  "**/.pnpm-store",
  "**/dist",
  "**/.bun-parity-staging",
  "**/lib",
  "**/coverage",
  "**/test-results",
  "**/*.tsbuildinfo",
  "dagger/sdk",
];

/**
 * Debian packages the test suite needs besides Node: git (fixtures are committed to test provenance;
 * git check-ignore is the oracle of the upload test), qemu-user-static and the arm64 sysroot run
 * linux-arm64 executables in the smoke tests, chromium opens the HTML report (the tests skip those
 * on macOS and Windows, not on Linux). Only the `test` container gets them.
 */
export const TEST_PACKAGES = ["git", "qemu-user-static", "libc6-arm64-cross", "chromium"] as const;

/** apt-get as the Dockerfile best practice has it: one layer, no recommends, no package lists left. */
export function aptInstall(packages: readonly string[]): string[] {
  return ["sh", "-c", `apt-get update -qq && apt-get install -y -qq --no-install-recommends ${packages.join(" ")} && rm -rf /var/lib/apt/lists/*`];
}

/** The install step sees only these files, so editing source does not invalidate it. */
export const INSTALL_INPUTS = ["package.json", "package-lock.json"] as const;

export const INSTALL_COMMAND = ["npm", "ci"];

/** The justfile recipe (and its arguments) each function runs: the laptop's commands, verbatim. */
export const RECIPES = {
  buildAll: () => ["build-all"],
  build: (targetId: string) => ["build", targetId],
  test: () => ["test"],
  lint: () => ["lint"],
  smoke: (targetId: string) => ["smoke", "--target", targetId],
  // --strict: a check that could not run (the audit without network, say) fails the scan.
  securityScan: () => ["security", "--strict"],
} as const;

export interface ToolchainOptions {
  /** Image every container starts from; default BASE_IMAGE (a mirror's copy of it, say). */
  baseImage?: string;
  /** Debian packages installed before anything from the project (the test container's TEST_PACKAGES). */
  aptPackages?: readonly string[];
  /** Container platform; default: the engine's own. */
  platform?: Platform;
  /** Token for a private npm registry, used by `npm ci` only. */
  npmToken?: Secret;
  npmRegistry?: string;
}

export const DEFAULT_NPM_REGISTRY = "https://registry.npmjs.org/";

/** Holds the registry credentials; the token itself only ever lives in $NPM_TOKEN. */
const NPMRC_PATH = "/run/bun-parity/npmrc";

/**
 * npm reads `${NPM_TOKEN}` from the environment when it loads the config file, so the file holds
 * no secret and the token reaches npm only as a Dagger secret variable (scrubbed from logs, never
 * stored in a layer). It is removed again before the project's own commands run.
 */
export function npmrcFor(registry: string): string {
  const url = new URL(registry);
  const path = url.pathname.endsWith("/") ? url.pathname : `${url.pathname}/`;
  return `registry=${url.href}\n//${url.host}${path}:_authToken=\${NPM_TOKEN}\n`;
}

/** Base image + explicit environment + cache volumes, before anything from the project. */
export function baseContainer(options: ToolchainOptions = {}): Container {
  let ctr = dag.container(options.platform ? { platform: options.platform } : undefined).from(options.baseImage ?? BASE_IMAGE);
  for (const [name, value] of Object.entries(CONTAINER_ENV)) ctr = ctr.withEnvVariable(name, value);
  if (options.aptPackages && options.aptPackages.length > 0) ctr = ctr.withExec(aptInstall(options.aptPackages));
  return ctr
    .withMountedCache(CACHES.npm.path, dag.cacheVolume(CACHES.npm.volume), { sharing: CacheSharingMode.Shared })
    .withMountedCache(CACHES.runtimes.path, dag.cacheVolume(CACHES.runtimes.volume), { sharing: CacheSharingMode.Shared })
    .withWorkdir(WORKDIR);
}

/**
 * The project with its toolchain installed: package.json + lockfile first, `npm ci`, then the
 * rest of the source on top. Only a lockfile change re-runs the install.
 */
export function toolchainContainer(source: Directory, options: ToolchainOptions = {}): Container {
  let ctr = baseContainer(options);
  for (const file of INSTALL_INPUTS) ctr = ctr.withFile(`${WORKDIR}/${file}`, source.file(file));
  if (options.npmToken) {
    ctr = ctr
      .withNewFile(NPMRC_PATH, npmrcFor(options.npmRegistry ?? DEFAULT_NPM_REGISTRY))
      .withEnvVariable("NPM_CONFIG_USERCONFIG", NPMRC_PATH)
      .withSecretVariable("NPM_TOKEN", options.npmToken)
      .withExec(INSTALL_COMMAND)
      .withoutSecretVariable("NPM_TOKEN")
      .withoutEnvVariable("NPM_CONFIG_USERCONFIG")
      .withoutFile(NPMRC_PATH);
  } else {
    ctr = ctr.withExec(INSTALL_COMMAND);
  }
  return ctr.withDirectory(WORKDIR, source, { exclude: SOURCE_IGNORE });
}

/** `just <recipe> [args]` in the project, exactly as typed on a laptop. */
export function runRecipe(ctr: Container, recipe: readonly string[]): Container {
  return ctr.withExec(["just", ...recipe]);
}

/** `just build-all`, then the output folder without the verifier's staging area. */
export function buildAllOutput(source: Directory, layout: BuildLayout, options: ToolchainOptions = {}): Directory {
  return runRecipe(toolchainContainer(source, options), RECIPES.buildAll())
    .directory(`${WORKDIR}/${layout.outDir}`)
    .filter({ exclude: [STAGING_FOLDER] });
}

/** `just build <id>`, then that target's executable. */
export function buildTargetOutput(
  source: Directory,
  layout: BuildLayout,
  targetId: string,
  options: ToolchainOptions = {},
): File {
  const target = findTarget(layout, targetId);
  return runRecipe(toolchainContainer(source, options), RECIPES.build(target.id))
    .file(`${WORKDIR}/${layout.outDir}/${artifactFileName(layout, target)}`);
}

/** `just test` (with TEST_PACKAGES) / `just lint`: the runner's output is the function's result. */
export function stepContainer(
  source: Directory,
  recipe: "test" | "lint",
  options: ToolchainOptions = {},
): Container {
  const withPackages = recipe === "test" ? { ...options, aptPackages: TEST_PACKAGES } : options;
  return runRecipe(toolchainContainer(source, withPackages), RECIPES[recipe]());
}

/**
 * `just security --strict` with build-all's output in the output folder, so the scan reads the
 * executables (leaks, SBOM, provenance) instead of reporting them "not run".
 */
export function securityContainer(
  source: Directory,
  layout: BuildLayout,
  artifacts: Directory,
  options: ToolchainOptions = {},
): Container {
  const ctr = toolchainContainer(source, options).withDirectory(`${WORKDIR}/${layout.outDir}`, artifacts);
  return runRecipe(ctr, RECIPES.securityScan());
}

/**
 * `just smoke --target <id>` in a container of the target's own platform (the engine emulates
 * linux/arm64 with QEMU), with the executables from build-all in the output folder.
 */
export function smokeContainer(
  source: Directory,
  layout: BuildLayout,
  artifacts: Directory,
  target: TargetSummary,
  platform: Platform,
  options: ToolchainOptions = {},
): Container {
  const ctr = toolchainContainer(source, { ...options, platform })
    .withDirectory(`${WORKDIR}/${layout.outDir}`, artifacts);
  return runRecipe(ctr, RECIPES.smoke(target.id));
}

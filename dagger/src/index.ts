// The Dagger module. Each function runs the justfile recipe a developer runs on a laptop, inside
// a container pinned by digest, with bun and just installed from the same package-lock.json. No
// build logic lives here: see toolchain.ts for the container and the recipe table, docs/dagger.md
// for how to call it. Value imports from the SDK are limited to what its bundle-mode entry exports
// (test/dagger/bundle-imports.test.ts).
import { argument, dag, func, object } from "@dagger.io/dagger";
import type { Directory, File, Secret } from "@dagger.io/dagger";
import { getTracer } from "@dagger.io/dagger/telemetry";

import { reportOrThrow, runCi, runStep, skipped, type StepResult } from "./steps.js";
import { artifactFileName, readBuildLayout, smokeLabel, smokeVenue, TARGETS_FILE, type BuildLayout } from "./targets.js";
import {
  BASE_IMAGE,
  buildAllOutput,
  buildTargetOutput,
  DEFAULT_NPM_REGISTRY,
  SOURCE_IGNORE,
  securityContainer,
  smokeContainer,
  stepContainer,
  type ToolchainOptions,
} from "./toolchain.js";

type Attributes = Record<string, string | number | boolean>;
type SpanLike = { setAttribute(key: string, value: string | number | boolean): unknown };

/** One span per pipeline step and per target, so Dagger Cloud traces show each of them. */
function inSpan<T>(name: string, attributes: Attributes, fn: (span: SpanLike) => Promise<T>): Promise<T> {
  return getTracer("bun-parity").startActiveSpan(name, fn, attributes);
}

/** `<sha256>  <file>` lines (coreutils format, as verify/digest/sums.ts writes them) -> file -> digest. */
function parseSha256Sums(text: string): Map<string, string> {
  const sums = new Map<string, string>();
  for (const line of text.split("\n")) {
    const match = /^([0-9a-f]{64}) [ *](.+)$/.exec(line.trim());
    if (match) sums.set(match[2]!, match[1]!);
  }
  return sums;
}

/**
 * bun-parity in a pinned container: cross-compile the Bun CLI for every target in targets.json,
 * hash it, test, lint, scan and smoke-test it with the same `just` recipes as a laptop.
 */
@object()
export class BunParity {
  /** Token for a private npm registry; only `npm ci` sees it. */
  npmToken?: Secret;

  /** The npm registry the token is for. */
  npmRegistry: string;

  /** The image every container starts from. */
  baseImage: string;

  constructor(
    /**
     * Token for a private npm registry (e.g. env://NPM_TOKEN). Used by `npm ci` only, through
     * $NPM_TOKEN; never written to a file, a layer or the output.
     */
    npmToken?: Secret,
    /** The npm registry the token is for. */
    npmRegistry: string = DEFAULT_NPM_REGISTRY,
    /**
     * The image every container starts from: Node 22 on Debian 12, pinned by digest. Pass a
     * mirror's copy (same digest, e.g. registry.example.com/library/node:22.20.0-bookworm-slim@sha256:...)
     * for an engine that cannot reach Docker Hub. It needs node, npm and bash for linux/amd64 and,
     * for the arm64 smoke run, linux/arm64.
     */
    baseImage: string = BASE_IMAGE,
  ) {
    this.npmToken = npmToken;
    this.npmRegistry = npmRegistry;
    this.baseImage = baseImage;
  }

  /**
   * Build every target in targets.json with `just build-all`: the executables, SHA256SUMS and
   * manifest.json. Example: dagger call build-all export --path=dist/dagger
   */
  @func()
  async buildAll(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<Directory> {
    return inSpan("build-all: just build-all", {}, async () => {
      const layout = await this.layout(source);
      const output = buildAllOutput(source, layout, this.toolchainOptions());
      await output.sync();
      await this.traceTargets(layout, output);
      return output;
    });
  }

  /**
   * Build one target with `just build <target>` and return its executable.
   * Example: dagger call build --target=linux-arm64 export --path=dist/dagger/bun-parity-linux-arm64
   */
  @func()
  async build(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
    /** Target id from targets.json, e.g. linux-x64. */
    target: string,
  ): Promise<File> {
    return inSpan(`build ${target}: just build ${target}`, { "bun_parity.target": target }, async () => {
      const file = buildTargetOutput(source, await this.layout(source), target, this.toolchainOptions());
      await file.sync();
      return file;
    });
  }

  /** Run the test suite with `just test` and return its output; fails when a test fails. */
  @func()
  async test(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<string> {
    return inSpan("test: just test", {}, () => stepContainer(source, "test", this.toolchainOptions()).combinedOutput());
  }

  /** Lint and type-check with `just lint` and return the output; fails on any finding. */
  @func()
  async lint(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<string> {
    return inSpan("lint: just lint", {}, () => stepContainer(source, "lint", this.toolchainOptions()).combinedOutput());
  }

  /**
   * Security scan of build-all's output with `just security --strict` (bun verify security:
   * secrets, leaks inside the executables, supply chain, audit, SBOM, provenance) and return its
   * report; fails when a check fails or could not run.
   */
  @func()
  async securityScan(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<string> {
    return inSpan("security-scan: just security --strict", {}, async () => {
      const layout = await this.layout(source);
      const artifacts = buildAllOutput(source, layout, this.toolchainOptions());
      return securityContainer(source, layout, artifacts, this.toolchainOptions()).combinedOutput();
    });
  }

  /**
   * Smoke-test the linux executables from build-all with `just smoke --target <id>`, each in a
   * container of its own platform; a platform other than the engine's runs emulated (QEMU) and is
   * reported as such. macOS and Windows targets are listed as not run: they need their own runners.
   */
  @func()
  async smoke(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<string> {
    return inSpan("smoke", {}, async () => {
      const layout = await this.layout(source);
      const artifacts = buildAllOutput(source, layout, this.toolchainOptions());
      const enginePlatform = await dag.defaultPlatform();
      const results = await Promise.all(layout.targets.map((target): Promise<StepResult> => {
        const venue = smokeVenue(target);
        if (venue.kind === "not-run") return Promise.resolve(skipped(target.id, `not run: ${venue.reason}`));
        const label = smokeLabel(target, venue.platform, enginePlatform);
        const attributes = { "bun_parity.target": target.id, "bun_parity.platform": venue.platform, "bun_parity.emulated": venue.platform !== enginePlatform };
        return runStep(label, () =>
          inSpan(`smoke ${label}: just smoke --target ${target.id}`, attributes, () =>
            smokeContainer(source, layout, artifacts, target, venue.platform, this.toolchainOptions()).combinedOutput()));
      }));
      return reportOrThrow("smoke", results, { outputOf: "all" });
    });
  }

  /**
   * The whole pipeline: test, lint and build-all concurrently, then security-scan and smoke on
   * build-all's executables. build-all runs even when a check failed; the failure report names
   * every failed step with the tail of its output. Example: dagger call ci
   */
  @func()
  async ci(
    /** The project (default: the repository root, without what git ignores and .git). */
    @argument({ defaultPath: "/", ignore: SOURCE_IGNORE }) source: Directory,
  ): Promise<string> {
    return inSpan("ci", {}, async () => {
      const results = await runCi({
        test: () => this.test(source),
        lint: () => this.lint(source),
        buildAll: async () => (await (await this.buildAll(source)).entries()).join("\n"),
        securityScan: () => this.securityScan(source),
        smoke: () => this.smoke(source),
      });
      return reportOrThrow("ci", results, { outputOf: "failed" });
    });
  }

  private toolchainOptions(): ToolchainOptions {
    return { npmToken: this.npmToken, npmRegistry: this.npmRegistry, baseImage: this.baseImage };
  }

  private async layout(source: Directory): Promise<BuildLayout> {
    return readBuildLayout(await source.file(TARGETS_FILE).contents());
  }

  /** A span per target with its executable, size and sha256; a target missing from SHA256SUMS fails. */
  private async traceTargets(layout: BuildLayout, output: Directory): Promise<void> {
    const sums = parseSha256Sums(await output.file("SHA256SUMS").contents());
    await Promise.all(layout.targets.map((target) => {
      const file = artifactFileName(layout, target);
      return inSpan(`target ${target.id}: compile and hash`, { "bun_parity.target": target.id, "bun_parity.file": file }, async (span) => {
        const sha256 = sums.get(file);
        if (!sha256) throw new Error(`just build-all wrote no SHA256SUMS line for ${file} (target ${target.id})`);
        span.setAttribute("bun_parity.sha256", sha256);
        span.setAttribute("bun_parity.bytes", await output.file(file).size());
      });
    }));
  }
}

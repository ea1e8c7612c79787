// What one build shares between its steps (build.ts runs them, reuse.ts and compile.ts are
// steps): the options and the events it reports, the outcome of each target, and how targets and
// their executables show up in logs and trace spans. A file of its own so the steps can share it
// without importing build.ts, which imports them.
import type { HashPool, Manifest, ManifestTarget } from "../digest/index.ts";
import type { BuildPlan, TargetPlan } from "../plan/index.ts";
import { type Attributes, logEvent, type OpenSpan } from "../telemetry/index.ts";
import type { Compiler, lockEntryFor, ToolchainLock } from "../toolchain/index.ts";
import type { DistIndex } from "./dist-index.ts";
import type { BuildState, InputKeys } from "./reuse.ts";

export type BuildEvent =
  | { type: "queued"; target: string }
  | { type: "reused"; target: string; entry: ManifestTarget }
  | { type: "runtime"; target: string; fetching: boolean }
  | { type: "compiling"; target: string }
  | { type: "post-processing"; target: string; step: string }
  | { type: "hashing"; target: string }
  | { type: "done"; target: string; entry: ManifestTarget }
  | { type: "failed"; target: string; error: string };

export interface TargetOutcome {
  id: string;
  status: "built" | "reused" | "failed";
  entry?: ManifestTarget;
  /** Compiler output or error message when failed. */
  error?: string;
}

export interface BuildResult {
  outDir: string;
  manifest: Manifest;
  outcomes: TargetOutcome[];
  durationMs: number;
}

export interface BuildOptions {
  compiler: Compiler;
  lock: ToolchainLock | undefined;
  cacheDir: string;
  force?: boolean;
  concurrency?: number;
  onEvent?: (event: BuildEvent) => void;
  /** Lines about steps that are not per target (build.prepare). */
  log?: (line: string) => void;
  env?: NodeJS.ProcessEnv;
}

/** The state of one runBuild call that its steps read and fill in. */
export interface BuildContext {
  plan: BuildPlan;
  options: BuildOptions;
  /** The environment the compiles see (without the values `bun run` loaded from .env files). */
  env: NodeJS.ProcessEnv;
  /** Each target's lock entry, checked before any work. */
  locked: Map<string, ReturnType<typeof lockEntryFor>>;
  emit: (event: BuildEvent) => void;
  pool: HashPool;
  /** manifest.json as the previous build left it, if it could be read. */
  previous: Manifest | undefined;
  state: BuildState;
  keys: InputKeys;
  index: DistIndex;
  /** One span per target ("build <id>"), from the cache check to the hashed file. */
  spans: Map<string, OpenSpan>;
  outcomes: Map<string, TargetOutcome>;
}

export function targetAttributes(t: TargetPlan): Attributes {
  return {
    "bun_parity.target": t.target.id,
    "bun_parity.os": t.target.os,
    "bun_parity.arch": t.target.arch,
    "bun_parity.libc": t.target.libc,
    "bun_parity.bun_target": t.target.bunTarget,
    "bun_parity.file": t.outputFile,
    "bun_parity.max_bytes": t.target.maxBytes,
  };
}

export function entryAttributes(entry: ManifestTarget): Attributes {
  return { "bun_parity.bytes": entry.bytes, "bun_parity.sha256": entry.sha256, "bun_parity.input_digest": entry.inputDigest, "bun_parity.build_ms": entry.durationMs };
}

/** Build progress as log events (JSON lines with --log-format json; failures also annotate on GitHub). */
export function logBuildEvent(event: BuildEvent): void {
  const target = event.target;
  switch (event.type) {
    case "queued":
      return logEvent("debug", "build.target.queued", { target });
    case "reused":
      return logEvent("info", "build.target.reused", { target, cacheHit: true, file: event.entry.file, bytes: event.entry.bytes, sha256: event.entry.sha256 });
    case "runtime":
      return logEvent("info", "build.target.toolchain", { target, fetching: event.fetching });
    case "compiling":
      return logEvent("info", "build.target.compiling", { target });
    case "post-processing":
      return logEvent("info", "build.target.post-processing", { target, step: event.step });
    case "hashing":
      return logEvent("info", "build.target.hashing", { target });
    case "done":
      return logEvent("info", "build.target.done", {
        target, cacheHit: false, file: event.entry.file, bytes: event.entry.bytes, sha256: event.entry.sha256, durationMs: event.entry.durationMs, adhocSigned: event.entry.adhocSigned,
      });
    case "failed":
      return logEvent("error", "build.target.failed", { target, message: event.error.split("\n")[0], error: event.error }, { title: `build ${target} failed` });
  }
}

// What decides whether a target's executable from the last build can be reused: its input digest
// (Bun, runtime, argv, env, every bundled file), which manifest.json records, and the build state
// kept between builds (each target's modules, file and input stamps). Reuse (build.ts) and
// compiling (compile.ts) both compute the keys, so they live apart from either.
import { readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { type FileStamp, type ManifestTarget, sha256Hex, stableJson, writeFileAtomic } from "../digest/index.ts";
import { type BuildPlan, compilerEnvironment, portableArgv, type TargetPlan } from "../plan/index.ts";
import { listModulesWithoutMetafile } from "../toolchain/index.ts";
import { TOOL_VERSION } from "../version.ts";
import {
  type BuildInputs,
  buildFingerprint,
  buildInputs,
  bundledPackages,
  type InputStamp,
  InputHashCache,
  inlinableEnv,
  inputBoundary,
  inputDigest,
} from "./inputs.ts";

/** Per output folder, the module list of each target's last build: what to re-hash to decide reuse. */
export interface BuildState {
  /** `file`: the executable's stamp when it was hashed, so a no-change build does not re-read 600 MB. */
  targets: Record<string, { modules: string[]; file?: FileStamp }>;
  /** Absolute path -> stamp of every input file the last build hashed (InputHashCache). */
  inputs?: Record<string, InputStamp>;
}

export function buildStatePath(cacheDir: string, outDir: string): string {
  return path.join(cacheDir, "build-state", `${sha256Hex(path.resolve(outDir)).slice(0, 16)}.json`);
}

export function readBuildState(file: string): BuildState {
  try {
    const state = JSON.parse(readFileSync(file, "utf8")) as BuildState;
    if (state && typeof state.targets === "object") return state;
  } catch {
    // No state yet: nothing can be reused, everything is built.
  }
  return { targets: {} };
}

export async function writeBuildState(file: string, state: BuildState): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, stableJson(state));
}

/**
 * A target's reuse key (inputDigest) and reproducibility fingerprint, from its modules. Input
 * files are hashed once per build, and only when their stat facts changed since the last one;
 * targets with the same modules and NODE_ENV share the hashing.
 */
export class InputKeys {
  private readonly boundary: string;
  private readonly cache: InputHashCache;
  private readonly inputs = new Map<string, BuildInputs>();
  private readonly packages = new Map<string, string[]>();
  private readonly probes = new Map<string, Promise<string[]>>();

  constructor(
    private readonly plan: BuildPlan,
    private readonly env: NodeJS.ProcessEnv,
    private readonly compilerPath: string,
    recorded: Record<string, InputStamp> | undefined,
  ) {
    this.boundary = inputBoundary(plan.projectDir);
    this.cache = new InputHashCache(recorded);
  }

  inputsOf(t: TargetPlan, modules: string[]): BuildInputs {
    const nodeEnv = t.env.NODE_ENV ?? "production";
    const key = `${nodeEnv}\n${modules.join("\n")}`;
    let hashed = this.inputs.get(key);
    if (!hashed) this.inputs.set(key, (hashed = buildInputs(this.plan.projectDir, modules, { nodeEnv, boundary: this.boundary, exclude: [this.plan.outDir], cache: this.cache })));
    return hashed;
  }

  packagesOf(modules: string[]): string[] {
    const key = modules.join("\n");
    let packages = this.packages.get(key);
    if (!packages) this.packages.set(key, (packages = bundledPackages(this.plan.projectDir, modules)));
    return packages;
  }

  /**
   * Without --metafile (Bun before 1.3.6) the modules are listed by bundling again: the probe does
   * not depend on the target (it bundles for target "bun"), so once per build is enough.
   */
  modulesWithoutMetafile(t: TargetPlan): Promise<string[]> {
    const key = `${t.cwd}\n${stableJson(t.env)}`;
    let listed = this.probes.get(key);
    if (!listed) {
      const entrypoints = [this.plan.entrypoint, ...this.plan.additionalEntrypoints].map((e) => `./${e}`);
      listed = listModulesWithoutMetafile(this.compilerPath, t, compilerEnvironment(t, this.env), entrypoints);
      this.probes.set(key, listed);
    }
    return listed;
  }

  /** The reuse key manifest.json records as inputDigest. */
  digest(t: TargetPlan, runtimeSha256: string, modules: string[]): string {
    return inputDigest({
      toolVersion: TOOL_VERSION,
      bunVersion: this.plan.bunVersion,
      bunTarget: t.target.bunTarget,
      runtimeSha256,
      argv: portableArgv(t, this.plan.outDir),
      env: t.env,
      settings: { repairSignature: t.repairSignature, prepare: this.plan.prepare.map((p) => p.run) },
      inlinable: Object.entries(inlinableEnv(t.argv, compilerEnvironment(t, this.env))).map(([name, value]) => [name, sha256Hex(value)]),
      inputs: this.inputsOf(t, modules),
    });
  }

  fingerprint(t: TargetPlan, runtimeSha256: string, modules: string[]): ManifestTarget["fingerprint"] {
    return buildFingerprint({
      toolVersion: TOOL_VERSION,
      bunVersion: this.plan.bunVersion,
      bunTarget: t.target.bunTarget,
      runtimeSha256,
      argv: portableArgv(t, this.plan.outDir),
      env: inlinableEnv(t.argv, compilerEnvironment(t, this.env)),
      settings: { adhocSign: t.repairSignature, prepare: JSON.stringify(this.plan.prepare.map((p) => p.run)) },
      // targets.json itself is left out: what it sets is recorded as argv, env and settings.
      inputs: this.inputsOf(t, modules).files.filter(([file]) => file !== "targets.json"),
    });
  }

  /** The input stamps to keep for the next build. */
  stamps(): Record<string, InputStamp> {
    return this.cache.toJSON();
  }
}

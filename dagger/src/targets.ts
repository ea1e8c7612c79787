// What the Dagger module needs to know about targets.json, read from the `source` Directory at
// call time: where the build writes (outDir), what each executable is called, and which targets
// a linux container can smoke-test. The verifier (verify/config/) owns validation; this reader
// only needs enough to pick files out of the build output, and says plainly when it cannot.
import type { Platform } from "@dagger.io/dagger";

export interface TargetSummary {
  id: string;
  os: string;
  arch: string;
  libc: string;
}

export interface BuildLayout {
  /** Artifact name: executables are `<name>-<id>[.exe]` (verify/plan/plan.ts, `outputFile`). */
  name: string;
  /** Output folder relative to the project root, forward slashes, no trailing slash. */
  outDir: string;
  targets: TargetSummary[];
}

export const TARGETS_FILE = "targets.json";

/** The verifier stages Bun's output inside outDir (verify/plan/plan.ts, STAGING_FOLDER); never exported. */
export const STAGING_FOLDER = ".bun-parity-staging";

/** Pure: text of targets.json -> the layout of the build output. Throws with what to fix. */
export function readBuildLayout(text: string): BuildLayout {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new Error(
      `${TARGETS_FILE}: not valid JSON (${(error as Error).message}). Run \`just build-all\` locally for the full diagnosis.`,
      { cause: error },
    );
  }
  const config = raw as { name?: unknown; outDir?: unknown; targets?: unknown };
  if (typeof config.name !== "string" || config.name === "") {
    throw new Error(`${TARGETS_FILE}: "name" must be a non-empty string (executables are named <name>-<target id>).`);
  }
  if (!Array.isArray(config.targets) || config.targets.length === 0) {
    throw new Error(`${TARGETS_FILE}: "targets" must be a non-empty array.`);
  }
  const outDir = normaliseOutDir(config.outDir);
  const targets = config.targets.map((entry: unknown, index: number): TargetSummary => {
    const t = entry as { id?: unknown; os?: unknown; arch?: unknown; libc?: unknown };
    if (typeof t.id !== "string" || typeof t.os !== "string" || typeof t.arch !== "string") {
      throw new Error(`${TARGETS_FILE}: targets[${index}] needs string "id", "os" and "arch".`);
    }
    return { id: t.id, os: t.os, arch: t.arch, libc: typeof t.libc === "string" ? t.libc : "glibc" };
  });
  return { name: config.name, outDir, targets };
}

function normaliseOutDir(value: unknown): string {
  if (value === undefined) return "dist";
  if (typeof value !== "string" || value === "") {
    throw new Error(`${TARGETS_FILE}: "outDir" must be a non-empty string.`);
  }
  const parts = value.split(/[\\/]+/).filter((part) => part !== "" && part !== ".");
  if (parts.length === 0 || parts.includes("..")) {
    // The container build can only export a folder inside the project.
    throw new Error(`${TARGETS_FILE}: "outDir" "${value}" must be a folder inside the project, e.g. "dist".`);
  }
  return parts.join("/");
}

/** `<name>-<id>[.exe]`, the same rule as verify/plan/plan.ts (a test holds the two together). */
export function artifactFileName(layout: BuildLayout, target: TargetSummary): string {
  return `${layout.name}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
}

/** The target with this id, or an error that lists the ids there are. */
export function findTarget(layout: BuildLayout, id: string): TargetSummary {
  const target = layout.targets.find((t) => t.id === id);
  if (!target) {
    const known = layout.targets.map((t) => t.id).join(", ");
    throw new Error(`unknown target "${id}": ${TARGETS_FILE} lists ${known}. Pass one of them with --target.`);
  }
  return target;
}

/** Where a target's smoke run can happen from a Dagger engine, which only runs linux containers. */
export type SmokeVenue =
  | { kind: "container"; platform: Platform }
  | { kind: "not-run"; reason: string };

const CONTAINER_PLATFORM: Record<string, Platform> = {
  x64: "linux/amd64" as Platform,
  arm64: "linux/arm64" as Platform,
};

export function smokeVenue(target: TargetSummary): SmokeVenue {
  if (target.os !== "linux") {
    return { kind: "not-run", reason: `${target.os} executables need a ${target.os} host (the matching GitHub runner); Dagger runs linux containers only` };
  }
  if (target.libc !== "glibc") {
    // The toolchain image is Debian (glibc); a musl executable needs a musl userland with bash,
    // node and the lockfile's musl packages, which no pinned image here provides yet.
    return { kind: "not-run", reason: `${target.libc} executables need a ${target.libc} container image, which this module does not pin yet` };
  }
  const platform = CONTAINER_PLATFORM[target.arch];
  if (!platform) return { kind: "not-run", reason: `no linux container platform for arch "${target.arch}"` };
  return { kind: "container", platform };
}

/**
 * The name a smoke run is reported under. A container of another CPU than the engine's runs under
 * the engine's QEMU: it says so, since Bun has been reported aborting under qemu-user emulation
 * (oven-sh/bun#41087, oven-sh/bun#20442) and such a run proves less than one on a native runner
 * (the workflow's validate job for the target runs on one).
 */
export function smokeLabel(target: TargetSummary, platform: Platform, enginePlatform: Platform): string {
  return platform === enginePlatform ? target.id : `${target.id} (emulated: ${platform} under QEMU on a ${enginePlatform} engine)`;
}

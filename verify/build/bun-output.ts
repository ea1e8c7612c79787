// Checks and repairs of what `bun build --compile` wrote, for the Bun versions that need them
// (docs/internals.md, "Bun's embedded module graph, by version"). Runs on the staged file,
// before the macOS signature repair (sign.ts) and before hashing.
import { GRAPH_CHANGES, readBunModuleGraph, zeroGraphPadding, compareRuntime } from "../binary/index.ts";
import { compareVersions } from "../bun/index.ts";
import { EXECUTABLE_FILE_MODE, readWholeFile, writeFileAtomic } from "../digest/index.ts";
import { CheckFailed } from "../errors.ts";
import type { TargetPlan } from "../plan/index.ts";

export interface OutputRepair {
  /** One sentence per change made, for the build log. */
  steps: string[];
}

/**
 * 1. When the runtime reached Bun through its install cache (Bun before 1.3.6), prove that the
 *    executable carries the pinned runtime: Bun copies itself for its own platform and would
 *    download on a cache miss, so the name lookup alone proves nothing.
 * 2. Zero the Offsets padding that Bun before 1.3.3 copied from uninitialized memory (non-zero
 *    from 1.2.4 to 1.2.10, so two builds of the same input differed). Bun never reads it.
 */
export async function checkAndRepairOutput(t: TargetPlan, bunVersion: string): Promise<OutputRepair> {
  if (!outputNeedsCheck(t, bunVersion)) return { steps: [] };
  const { steps, bytes, changed } = checkAndRepairBytes(t, bunVersion, readWholeFile(t.stagedFile));
  if (changed) await writeFileAtomic(t.stagedFile, bytes, { mode: EXECUTABLE_FILE_MODE });
  return { steps };
}

/**
 * Whether checkAndRepairOutput has anything to do for this Bun: from 1.3.3 the Offsets struct
 * ends with its `flags` word, so the graph reader finds no padding for a runtime of that version
 * (offsetsTailIsFlags; docs/internals.md, "The graph"), and from 1.3.6 the runtime is passed by
 * path, with no install-cache seed to check. Then the build need not read the executable here.
 */
export function outputNeedsCheck(t: TargetPlan, bunVersion: string): boolean {
  return t.runtimeSeed !== undefined || compareVersions(bunVersion, GRAPH_CHANGES.flags) < 0;
}

/** checkAndRepairOutput on the executable's bytes in memory; `bytes` is what the file must hold. */
export function checkAndRepairBytes(t: TargetPlan, bunVersion: string, input: Buffer): OutputRepair & { bytes: Buffer; changed: boolean } {
  const steps: string[] = [];
  if (t.runtimeSeed) {
    const comparison = compareRuntime(input, readWholeFile(t.runtimePath));
    if (!comparison.same) {
      throw new CheckFailed(
        `Bun ${bunVersion} did not embed the pinned runtime ${t.runtime.name}@${t.runtime.version} into ${t.target.id} ` +
          `(${comparison.method}${comparison.differing.length ? `: ${comparison.differing.slice(0, 4).join(", ")}` : ""}). ` +
          `Bun before 1.3.6 takes the runtime from ${t.runtimeSeed.dir}/${t.runtimeSeed.fileName}, or copies itself when the target is its own platform: ` +
          "pin a compiler whose own bytes are the locked runtime (the npm bun package of that version), or Bun 1.3.6 or later.",
      );
    }
  }
  const zeroed = zeroGraphPadding(input, t.stagedFile);
  if (zeroed) {
    const padding = readBunModuleGraph(input, t.stagedFile)?.layout.padding;
    steps.push(`zeroed ${padding?.bytes.length ?? 4} bytes of uninitialized Offsets padding (Bun ${bunVersion} wrote ${padding?.bytes.toString("hex") ?? "garbage"})`);
  }
  return { steps, bytes: zeroed ?? input, changed: zeroed !== undefined };
}

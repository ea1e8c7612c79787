// What explain says about differences that come from the Bun version rather than the
// project: Offsets padding that old Bun copied from uninitialized memory, and two runtime
// variants of the same Bun version (baseline or modern, musl or glibc, or a patched build).
// versionCauses() is pure (called from explain.ts); nameRuntimeVariants() fetches the runtime
// packages through the toolchain cache and is called by the commands that explain.
import { readFileSync } from "node:fs";
import { type BunModuleGraph, type BunVersion, readBunVersion, readLayout, compareRuntime, libcOf, runtimeVariants, type RuntimeVariant } from "../binary/index.ts";
import type { Arch, Os } from "../bun/index.ts";
import type { Cause, Explanation } from "./types.ts";
import { cachedRuntimePackage } from "../toolchain/index.ts";

/**
 * Causes found by comparing the two graphs' fixed structures: non-zero Offsets padding that
 * differs (Bun 1.2.4 to 1.2.10 wrote stack garbage there; any Bun before 1.3.3 could).
 */
export function versionCauses(graphA: BunModuleGraph, graphB: BunModuleGraph, nameA: string, nameB: string): Cause[] {
  const padA = graphA.layout.padding?.bytes;
  const padB = graphB.layout.padding?.bytes;
  if (!padA || !padB || padA.equals(padB)) return [];
  const version = graphA.bunVersion?.version ?? graphB.bunVersion?.version;
  return [
    {
      code: "graph-padding",
      summary: `uninitialized padding in the module graph: the 4 padding bytes at the end of Offsets are ${padA.toString("hex")} in ${nameA} and ${padB.toString("hex")} in ${nameB}`,
      detail:
        `Bun${version ? ` ${version}` : ""} writes the graph's Offsets struct with its alignment padding, copied from uninitialized memory ` +
        "(Bun 1.2.4 to 1.2.10 leave non-zero bytes there; 1.3.3 put flags in that slot). Bun never reads them: the executables behave the same.",
      hint:
        "Build with `bun verify build`, which zeroes these bytes (docs/build.md, \"Supported Bun versions\"), or pin Bun 1.3.3 or later, where the slot holds flags.",
    },
  ];
}

export interface VariantContext {
  cacheDir: string;
  /** Where npm runs (its .npmrc applies). */
  projectDir: string;
}

export interface VariantFinding {
  /** The matching package(s); several when they are byte-identical (x64 baseline = modern from Bun 1.4). */
  matches: RuntimeVariant[];
  /** Candidates that could not be fetched, with npm's reason. */
  unavailable: string[];
}

/**
 * Which runtime package an executable carries, among the variants of its Bun version for its
 * OS and CPU (and libc, for ELF). The variant its version line names (" (baseline)") is tried
 * first, so the common case fetches one package.
 */
export async function identifyRuntimeVariant(bytes: Uint8Array, ctx: VariantContext): Promise<VariantFinding | undefined> {
  const layout = readLayout(bytes);
  const version = readBunVersion(bytes);
  if (!version || (layout.arch !== "x64" && layout.arch !== "arm64") || layout.os === "freebsd") return undefined;
  const candidates = runtimeVariants(layout.os as Os, layout.arch as Arch, libcOf(layout));
  candidates.sort((a, b) => Number(isNamedBy(b, version)) - Number(isNamedBy(a, version)));
  const matches: RuntimeVariant[] = [];
  const unavailable: string[] = [];
  for (const candidate of candidates) {
    let path: string;
    try {
      path = await cachedRuntimePackage(
        { name: candidate.package, version: version.version, entry: `package/bin/${layout.os === "windows" ? "bun.exe" : "bun"}` },
        ctx.cacheDir,
        ctx.projectDir,
      );
    } catch (error) {
      unavailable.push(`${candidate.package}@${version.version} (${(error as Error).message.split("\n")[0]})`);
      continue;
    }
    if (compareRuntime(bytes, readFileSync(path)).same) matches.push(candidate);
  }
  return { matches, unavailable };
}

function isNamedBy(variant: RuntimeVariant, version: BunVersion): boolean {
  return version.baseline ? variant.label.endsWith("baseline") : !variant.label.endsWith("baseline");
}

/**
 * When explain blames "a different Bun runtime" while both files report the same Bun version,
 * name the runtime each one carries, by comparison with the runtime packages. Changes the
 * cause in place; a lookup that fails is said in the detail, never fatal.
 */
export async function nameRuntimeVariants(result: Explanation, a: Uint8Array, b: Uint8Array, ctx: VariantContext): Promise<void> {
  const cause = result.causes.find((c) => c.code === "bun-runtime");
  if (!cause || !result.a.bunVersion || result.a.bunVersion !== result.b.bunVersion) return;
  let findings: [VariantFinding | undefined, VariantFinding | undefined];
  try {
    findings = [await identifyRuntimeVariant(a, ctx), await identifyRuntimeVariant(b, ctx)];
  } catch (error) {
    cause.detail += `\nRuntime variants: not named (${(error as Error).message.split("\n")[0]}).`;
    return;
  }
  const describe = (finding: VariantFinding | undefined): string => {
    if (!finding) return "unknown (no Bun version line, or a platform without runtime packages)";
    if (finding.matches.length > 0) return finding.matches.map((m) => `${m.label} (${m.package})`).join(" = ");
    return `none of the runtime packages${finding.unavailable.length ? ` that could be fetched (not fetched: ${finding.unavailable.join("; ")})` : ""}: a patched or self-built runtime`;
  };
  const [labelA, labelB] = [describe(findings[0]), describe(findings[1])];
  cause.detail += `\nRuntime variants, compared with the runtime packages of Bun ${result.a.bunVersion}:\n  ${result.a.name}: ${labelA}\n  ${result.b.name}: ${labelB}`;
  const short = (finding: VariantFinding | undefined) => finding?.matches[0]?.label;
  if (short(findings[0]) && short(findings[1]) && short(findings[0]) !== short(findings[1])) {
    cause.detail = cause.detail.replace(": the runtime was patched or built differently.", ", but they carry different builds of it (below).");
    cause.summary = `different runtime variants of Bun ${result.a.bunVersion}: ${result.a.name} carries ${short(findings[0])}, ${result.b.name} carries ${short(findings[1])}`;
    cause.hint = "Build both with the same --target (bun-linux-x64 vs bun-linux-x64-baseline, -musl ...) and the same locked runtime package (bun-runtimes.lock.json).";
  }
}

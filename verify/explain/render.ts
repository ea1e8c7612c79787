// Explain's human text: one line per cause (what parity and report show), and the full
// explanation with its details, differing ranges, regions and module-graph diff.
import type { BinaryFormat, BunVersion } from "../binary/index.ts";
import type { Cause, Evidence, ExplainedFile, Explanation } from "./types.ts";

export function formatLabel(format: BinaryFormat): string {
  return format === "elf" ? "ELF" : format === "pe" ? "PE" : "Mach-O";
}

export function versionLabel(version: BunVersion): string {
  return version.revision ? `${version.version} (${version.revision})` : version.version;
}

/** One line per cause, as parity and report show it: "likely: " when it rests on the bytes only. */
export function causeLine(cause: Cause): string {
  return `${cause.certainty === "likely" ? "likely: " : ""}${cause.summary}${cause.hint ? ` (${cause.hint})` : ""}`;
}

function evidenceLine(evidence: Evidence): string {
  if (evidence.kind === "bytes") return `Evidence: the bytes only (${evidence.why}), so each cause is likely, with what suggests it.`;
  return evidence.same
    ? `Evidence: the build fingerprints (${evidence.a}, ${evidence.b}) record the same inputs and settings, so the difference comes from something they do not record; the causes below are likely, from the bytes.`
    : `Evidence: the build fingerprints (${evidence.a}, ${evidence.b}).`;
}

export function formatExplanation(result: Explanation): string {
  const { a, b } = result;
  const describe = (file: ExplainedFile) =>
    [file.os && file.arch ? `${file.os}-${file.arch}` : undefined, file.format ? formatLabel(file.format) : undefined, `${file.size.toLocaleString("en-US")} bytes`, file.bunVersion ? `Bun ${file.bunVersion}` : undefined]
      .filter(Boolean)
      .join(", ");
  const lines: string[] = [];
  if (result.identical) {
    lines.push(result.causes[0]?.summary ?? `${a.name} and ${b.name} are identical`);
    return lines.join("\n");
  }
  lines.push(`${a.name} (${describe(a)}) and ${b.name} (${describe(b)}) differ:`);
  for (const cause of result.causes) lines.push(`  [${cause.code}] ${cause.certainty === "likely" ? "likely: " : ""}${cause.summary}`);
  lines.push(evidenceLine(result.evidence));

  lines.push("", "Details:");
  for (const cause of result.causes) {
    lines.push(`  ${cause.code}${cause.module ? ` (${cause.module})` : ""}:`);
    for (const line of cause.detail.split("\n")) lines.push(`    ${line}`);
    if (cause.evidence) lines.push(`    evidence: ${cause.evidence}`);
    lines.push(`    hint: ${cause.hint}`);
  }

  if (result.differingBytes > 0) {
    lines.push(
      "",
      `${result.differingBytes.toLocaleString("en-US")} differing byte(s) in ${result.differingRangeCount.toLocaleString("en-US")} range(s)${
        result.differingRangeCount > result.differingRanges.length ? ` (first ${result.differingRanges.length} shown)` : ""
      }:`,
    );
    for (const range of result.differingRanges) {
      const where = `${range.regionA ?? "past the end of " + a.name}${range.kindA ? ` [${range.kindA}]` : ""}${range.regionB ? `; in ${b.name}: ${range.regionB}` : ""}`;
      lines.push(`  0x${range.offset.toString(16).padStart(8, "0")} +${range.size}  ${where}`);
    }
  }
  const materialRegions = result.regionChanges.filter((change) => change.material);
  if (materialRegions.length > 0) {
    lines.push("", "Regions that differ (matched by name):");
    for (const change of materialRegions.slice(0, 20)) lines.push(`  ${change.name} [${change.kind}] ${change.status}`);
  }

  const graph = result.moduleGraph;
  if (graph) {
    lines.push("", "Module graph:");
    if (graph.changed.length === 0 && graph.onlyInA.length === 0 && graph.onlyInB.length === 0) lines.push(`  identical (${a.moduleCount ?? "?"} module(s))`);
    if (graph.entryPointA !== graph.entryPointB) lines.push(`  entry point: ${graph.entryPointA} vs ${graph.entryPointB}`);
    for (const name of graph.onlyInA) lines.push(`  only in ${a.name}: ${name}`);
    for (const name of graph.onlyInB) lines.push(`  only in ${b.name}: ${name}`);
    for (const change of graph.changed) {
      lines.push(`  changed: ${change.name}${change.nameB ? ` -> ${change.nameB}` : ""} (${change.fields.join(", ") || "name"})`);
    }
    for (const change of graph.changed) {
      if (!change.diff) continue;
      lines.push("");
      for (const line of change.diff.split("\n")) lines.push(`  ${line}`);
    }
  }
  return lines.join("\n");
}

// From what differs to why: the causes that concern the whole executable (no module graph on one
// side, another Bun runtime, only the code signature, the PE subsystem), then those read from the
// module graphs (graph-causes.ts) and the Bun-version quirks (bun-version.ts). A difference no
// known cause matches is reported as unexplained, with the regions it is in.
import type { BunModuleGraph, BunVersion, BinaryLayout } from "../binary/index.ts";
import { versionCauses } from "./bun-version.ts";
import { graphCauses } from "./graph-causes.ts";
import { HINTS } from "./hints.ts";
import type { GraphComparison } from "./module-graph.ts";
import { versionLabel } from "./render.ts";
import type { Cause, RegionChange } from "./types.ts";

export interface ClassifyInput {
  nameA: string;
  nameB: string;
  bufA: Buffer;
  bufB: Buffer;
  layoutA: BinaryLayout;
  layoutB: BinaryLayout;
  graphA?: BunModuleGraph;
  graphB?: BunModuleGraph;
  versionA?: BunVersion;
  versionB?: BunVersion;
  regionChanges: RegionChange[];
  graphDiff?: GraphComparison;
}

/** Every cause of the difference, container first, then the module graphs; "unexplained" when none matches. */
export function classify(input: ClassifyInput): Cause[] {
  const { nameA, nameB, graphA, graphB } = input;
  const material = input.regionChanges.filter((change) => change.material);
  const outsideGraph = material.filter((change) => !["bun-module-graph", "header", "code-signature"].includes(change.kind));

  // --- the container: module graph presence, runtime, signature
  const causes: Cause[] = [...missingGraphCauses(input), ...runtimeCauses(input, outsideGraph)];
  // A missing graph or another runtime already accounts for a changed signature.
  if (causes.length === 0) causes.push(...signatureOnlyCauses(input, material, outsideGraph));
  causes.push(...peSubsystemCauses(input));

  if (graphA && graphB && input.graphDiff) causes.push(...graphCauses(input, graphA, graphB, input.graphDiff));
  if (graphA && graphB) causes.push(...versionCauses(graphA, graphB, nameA, nameB)); // Bun-version quirks (bun-version.ts)

  if (causes.length === 0) causes.push(unexplainedCause(material.length > 0 ? material : input.regionChanges));
  return causes;
}

/** A module graph on one side only: one file is a compiled app, the other a plain runtime (or its .bun section was stripped). */
function missingGraphCauses({ nameA, nameB, graphA, graphB }: ClassifyInput): Cause[] {
  if ((graphA && graphB) || (!graphA && !graphB)) return [];
  const missing = graphA ? nameB : nameA;
  return [
    {
      code: "module-graph-missing",
      summary: `${missing} has no embedded Bun module graph (a plain Bun runtime, or the .bun section was stripped)`,
      detail: `${graphA ? nameA : nameB} carries an app (${(graphA ?? graphB)!.modules.length} module(s), entry ${(graphA ?? graphB)!.entryPoint}); ${missing} carries none.`,
      hint: HINTS.graphMissing,
    },
  ];
}

/** Another Bun runtime: the embedded version strings differ, or bytes differ outside the module graph when both or neither carry one. */
function runtimeCauses({ nameA, nameB, graphA, graphB, versionA, versionB }: ClassifyInput, outsideGraph: RegionChange[]): Cause[] {
  const regionList =
    outsideGraph.length > 0
      ? `\nRegions that differ outside the module graph (compared by name, so shifted offsets do not count):\n  ${outsideGraph
          .slice(0, 8)
          .map((change) => `${change.name} (${change.kind}, ${change.status})`)
          .join("\n  ")}`
      : "";
  if (versionA && versionB && versionLabel(versionA) !== versionLabel(versionB)) {
    return [
      {
        code: "bun-runtime",
        summary: `different Bun runtime: ${nameA} embeds Bun ${versionLabel(versionA)}, ${nameB} embeds Bun ${versionLabel(versionB)}`,
        detail: `${nameA}: "${versionA.text}"\n${nameB}: "${versionB.text}"${regionList}`,
        hint: HINTS.runtime,
      },
    ];
  }
  // (A compiled app and a bare runtime differ around the .bun slot by construction.)
  if (outsideGraph.length === 0 || (graphA === undefined) !== (graphB === undefined)) return [];
  return [
    {
      code: "bun-runtime",
      summary: `different Bun runtime: bytes differ outside the module graph, in ${outsideGraph
        .slice(0, 3)
        .map((change) => change.name)
        .join(", ")}${outsideGraph.length > 3 ? ` and ${outsideGraph.length - 3} more region(s)` : ""}`,
      detail:
        (versionA && versionB ? `Both report Bun ${versionLabel(versionA)}: the runtime was patched or built differently.` : "The Bun version string was not found.") +
        regionList,
      hint: HINTS.runtime,
    },
  ];
}

/** Only the code signature differs: the code, data and module graph bytes are identical, so re-signing (not the build) made the difference. */
function signatureOnlyCauses(input: ClassifyInput, material: RegionChange[], outsideGraph: RegionChange[]): Cause[] {
  const payloadA = input.layoutA.bunPayload;
  const payloadB = input.layoutB.bunPayload;
  const sameGraphBytes =
    payloadA !== undefined &&
    payloadB !== undefined &&
    input.bufA.subarray(payloadA.offset, payloadA.offset + payloadA.size).equals(input.bufB.subarray(payloadB.offset, payloadB.offset + payloadB.size));
  const signatureChanges = material.filter((change) => change.kind === "code-signature");
  if (!(signatureChanges.length > 0 && outsideGraph.length === 0 && sameGraphBytes)) return [];
  return [
    {
      code: "code-signature-only",
      summary: `only the code signature differs (${signatureChanges.map((change) => change.name).join(", ")})`,
      detail: "The executable code, data and the embedded module graph are byte-identical; the signature blob (and the header fields that locate it) differ.",
      hint: HINTS.signature,
    },
  ];
}

/** Windows: --windows-hide-console flips the PE subsystem (docs/internals.md, "Bun versions: what each one can compile"). */
function peSubsystemCauses({ nameA, nameB, layoutA, layoutB }: ClassifyInput): Cause[] {
  const subsystemA = layoutA.pe?.subsystemName;
  const subsystemB = layoutB.pe?.subsystemName;
  if (!(subsystemA && subsystemB && subsystemA !== subsystemB)) return [];
  return [
    {
      code: "compile-flags",
      summary: `different compile flags: --windows-hide-console (PE subsystem ${subsystemA} in ${nameA}, ${subsystemB} in ${nameB})`,
      detail: "The PE optional header's Subsystem field is 2 (GUI, no console window) with --windows-hide-console and 3 (console) without.",
      hint: "Pass the same --windows-hide-console setting to both builds (targets.json should own it).",
    },
  ];
}

/** No known cause matches: name the regions that differ so the reader knows where to look. */
function unexplainedCause(where: RegionChange[]): Cause {
  return {
    code: "unexplained",
    summary: `the files differ in ${where
      .slice(0, 3)
      .map((change) => change.name)
      .join(", ") || "bytes this tool cannot attribute"}, and no known cause matches`,
    detail: where.map((change) => `${change.name} (${change.kind}, ${change.status})`).join("\n") || "No region-level difference was found.",
    hint: "Look at the differing byte ranges below; if they are in the module graph, compare the embedded sources.",
  };
}

// Why two builds of the same Bun executable are not bit-for-bit identical.
//
// explainDifference() compares two artifacts at three levels and turns what it finds
// into causes with a one-line summary and a hint:
//   1. bytes (regions.ts): the differing byte ranges, each mapped to a region of the executable
//      (format.ts: header, section, code signature, Bun's module graph, overlay);
//   2. regions (regions.ts): the same named region in both files (sections move when the module
//      graph grows), so "bytes differ outside the module graph" survives shifted offsets;
//   3. Bun's embedded module graph (module-graph.ts, source-findings.ts): modules only in one file, changed
//      modules, a unified diff of their embedded sources, and token-level findings
//      (an inlined absolute path, an inlined NODE_ENV, a CommonJS wrapper...).
// The causes are the reproducibility leaks of `bun build --compile` listed in docs/parity.md
// (outfile basename, __dirname, NODE_ENV, runtime version, Mach-O signature, compile flags).
//
// Evidence: with the build fingerprints of both files (manifest.json, evidence.ts) the causes
// are the inputs and settings that differed, certain; without them every cause read from the
// bytes is "likely", with the evidence line that suggests it.
//
// Pure: Buffers in, a plain object out. Large files are compared in 1 MiB chunks with
// Buffer.equals (memcmp) and only differing chunks are scanned byte by byte, so two
// ~100 MB executables take well under a second when they are nearly equal.
import { readBunModuleGraph, readBunVersion, type BunModuleGraph, type BunVersion, detectFormat, readLayout } from "../binary/index.ts";
import { classify } from "./causes.ts";
import { compareFingerprints, fingerprintCauses } from "./evidence.ts";
import { diffGraphs } from "./module-graph.ts";
import { diffBytes, diffRegions } from "./regions.ts";
import { formatLabel, versionLabel } from "./render.ts";
import type { CauseCode, ExplainedFile, ExplainNames, ExplainOptions, Evidence, Explanation } from "./types.ts";

// ---------------------------------------------------------------------------
// Entry point

export function explainDifference(a: Uint8Array, b: Uint8Array, names: ExplainNames = {}, options: ExplainOptions = {}): Explanation {
  const explanation = explainBytes(a, b, names, bytesEvidence(options, names.a ?? "A", names.b ?? "B"));
  return weighEvidence(explanation, options, names.a ?? "A", names.b ?? "B");
}

function bytesEvidence(options: ExplainOptions, nameA: string, nameB: string): Evidence {
  const { a, b } = options.fingerprints ?? {};
  const missing = !a && !b ? "neither file has a build fingerprint" : `${!a ? nameA : nameB} has no build fingerprint`;
  return { kind: "bytes", why: a && b ? "" : `${missing}: no manifest.json from bun verify build lists these bytes` };
}

/**
 * With both fingerprints, the causes are the recorded differences (certain), and the causes read
 * from the bytes stay only where the fingerprints record nothing (the build path, the outfile
 * name, a signature): the rest become evidence lines of the certain causes. Without them, every
 * cause from the bytes is "likely".
 */
function weighEvidence(explanation: Explanation, options: ExplainOptions, nameA: string, nameB: string): Explanation {
  const { a, b, sourceA, sourceB } = options.fingerprints ?? {};
  const facts = new Set<CauseCode>(["identical", "different-format", "different-target"]);
  const byBytes = explanation.causes.map((cause) => ({
    ...cause,
    certainty: cause.certainty ?? (facts.has(cause.code) ? "certain" : "likely"),
    evidence: cause.evidence ?? cause.detail.split("\n")[0]!,
  }));
  if (!a || !b || explanation.identical) return { ...explanation, causes: byBytes };
  const proven = fingerprintCauses(compareFingerprints(a, b), nameA, nameB);
  const evidence: Evidence = { kind: "fingerprints", a: sourceA ?? "A's manifest.json", b: sourceB ?? "B's manifest.json", same: proven.length === 0 };
  if (proven.length === 0) return { ...explanation, evidence, causes: byBytes };
  const recorded = new Set<CauseCode>(["bun-runtime", "env-inlined", "compile-time-constant", "cjs-vs-esm", "dependency-version", "compile-flags", "source-changed", "unexplained"]);
  const shownInBytes = byBytes.filter((cause) => recorded.has(cause.code)).map((cause) => `${cause.summary} (${cause.code})`);
  const causes = [
    ...proven.map((cause) => (shownInBytes.length > 0 ? { ...cause, detail: `${cause.detail}\nIn the bytes: ${shownInBytes.join("; ")}` } : cause)),
    ...byBytes.filter((cause) => !recorded.has(cause.code)),
  ];
  return { ...explanation, evidence, causes };
}

function explainBytes(a: Uint8Array, b: Uint8Array, names: ExplainNames, evidence: Evidence): Explanation {
  const nameA = names.a ?? "A";
  const nameB = names.b ?? "B";
  const bufA = asBuffer(a);
  const bufB = asBuffer(b);
  const fileA: ExplainedFile = { name: nameA, size: bufA.length };
  const fileB: ExplainedFile = { name: nameB, size: bufB.length };

  if (bufA.length === bufB.length && bufA.equals(bufB)) {
    return {
      ...emptyExplanation(fileA, fileB, evidence),
      identical: true,
      causes: [
        {
          code: "identical",
          summary: `identical: ${nameA} and ${nameB} are the same ${bufA.length.toLocaleString("en-US")} bytes`,
          detail: "Every byte matches.",
          hint: "Nothing to do.",
        },
      ],
    };
  }

  const formatA = detectFormat(bufA, nameA);
  const formatB = detectFormat(bufB, nameB);
  fileA.format = formatA;
  fileB.format = formatB;
  const layoutA = readLayout(bufA, nameA);
  const layoutB = readLayout(bufB, nameB);
  Object.assign(fileA, { os: layoutA.os, arch: layoutA.arch });
  Object.assign(fileB, { os: layoutB.os, arch: layoutB.arch });

  if (formatA !== formatB || layoutA.os !== layoutB.os || layoutA.arch !== layoutB.arch) {
    const sameFormat = formatA === formatB;
    return {
      ...emptyExplanation(fileA, fileB, evidence),
      differingBytes: Math.max(bufA.length, bufB.length),
      causes: [
        {
          code: sameFormat ? "different-target" : "different-format",
          summary: sameFormat
            ? `different targets: ${nameA} is ${layoutA.os}-${layoutA.arch}, ${nameB} is ${layoutB.os}-${layoutB.arch}`
            : `different formats: ${nameA} is ${formatLabel(formatA)} (${layoutA.os}-${layoutA.arch}), ${nameB} is ${formatLabel(formatB)} (${layoutB.os}-${layoutB.arch})`,
          detail: "Executables for different targets never match; a byte comparison says nothing about reproducibility.",
          hint: "Compare two builds of the same --target (e.g. the native and the reference build of bun-linux-x64).",
        },
      ],
    };
  }

  const graphA = readBunModuleGraph(bufA, nameA);
  const graphB = readBunModuleGraph(bufB, nameB);
  const versionA = graphA?.bunVersion ?? readBunVersion(bufA);
  const versionB = graphB?.bunVersion ?? readBunVersion(bufB);
  describeGraph(fileA, graphA, versionA);
  describeGraph(fileB, graphB, versionB);

  const bytes = diffBytes(bufA, bufB, layoutA, layoutB);
  const regionChanges = diffRegions(bufA, bufB, layoutA, layoutB);
  const graphDiff = graphA && graphB ? diffGraphs(graphA, graphB, nameA, nameB) : undefined;

  const causes = classify({ nameA, nameB, bufA, bufB, layoutA, layoutB, graphA, graphB, versionA, versionB, regionChanges, graphDiff });
  return {
    identical: false,
    a: fileA,
    b: fileB,
    ...bytes,
    regionChanges,
    moduleGraph: graphDiff?.summary,
    causes,
    evidence,
  };
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function emptyExplanation(a: ExplainedFile, b: ExplainedFile, evidence: Evidence): Explanation {
  return {
    evidence,
    identical: false,
    a,
    b,
    differingBytes: 0,
    differingRanges: [],
    differingRangeCount: 0,
    differingBytesByRegion: [],
    regionChanges: [],
    causes: [],
  };
}

function describeGraph(file: ExplainedFile, graph: BunModuleGraph | undefined, version: BunVersion | undefined): void {
  if (version) file.bunVersion = versionLabel(version);
  if (graph) {
    file.entryPoint = graph.entryPoint;
    file.moduleCount = graph.modules.length;
  }
}

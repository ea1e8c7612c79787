// Why two builds of the same Bun executable are not bit-for-bit identical.
//
// explainDifference() compares two artifacts at three levels and turns what it finds
// into causes with a one-line summary and a hint:
//   1. bytes: the differing byte ranges, each mapped to a region of the executable
//      (format.ts: header, section, code signature, Bun's module graph, overlay);
//   2. regions: the same named region in both files (sections move when the module
//      graph grows), so "bytes differ outside the module graph" survives shifted offsets;
//   3. Bun's embedded module graph (bunfs.ts): modules only in one file, changed
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

import { versionCauses } from "./bun-version.ts";
import { COMPILE_FEATURES, supports } from "../bun/versions.ts";
import { displayName, readBunModuleGraph, readBunVersion, type BunModule, type BunModuleGraph, type BunVersion } from "../binary/bunfs.ts";
import { compareFingerprints, fingerprintCauses } from "./evidence.ts";
import type { BuildFingerprint } from "../build/inputs.ts";
import {
  detectFormat,
  readLayout,
  regionAt,
  type BinaryFormat,
  type BinaryLayout,
  type ByteRange,
  type Region,
  type RegionKind,
} from "../binary/format.ts";

export type CauseCode =
  | "identical"
  | "different-format"
  | "different-target"
  | "module-graph-missing"
  | "bun-runtime"
  | "outfile-basename"
  | "absolute-path"
  | "env-inlined"
  | "compile-time-constant"
  | "cjs-vs-esm"
  | "dependency-version"
  | "compile-flags"
  | "source-changed"
  | "code-signature-only"
  | "graph-padding"
  | "bytecode-unstable"
  | "unexplained";

export interface Cause {
  code: CauseCode;
  /** One line, for the headline. */
  summary: string;
  /** What exactly differs (may span lines). */
  detail: string;
  /** What to do about it. */
  hint: string;
  /** The embedded module the cause was found in, e.g. /$bunfs/root/app. */
  module?: string;
  /**
   * certain: the build fingerprints show it (or it is a plain fact: identical, another target);
   * likely: inferred from the bytes alone. Always set on the causes explainDifference returns.
   */
  certainty?: "certain" | "likely";
  /** What shows it, in one line: the fingerprints, or the bytes that suggest it. */
  evidence?: string;
}

export interface ExplainedFile {
  name: string;
  size: number;
  format?: BinaryFormat;
  os?: string;
  arch?: string;
  bunVersion?: string;
  entryPoint?: string;
  moduleCount?: number;
}

export interface DifferingRange {
  offset: number;
  size: number;
  /** The region of A (and of B, when it differs) that holds `offset`. */
  regionA?: string;
  kindA?: RegionKind;
  regionB?: string;
  kindB?: RegionKind;
}

export interface RegionChange {
  name: string;
  kind: RegionKind;
  status: "changed" | "resized" | "only-in-a" | "only-in-b";
  a?: ByteRange;
  b?: ByteRange;
  /** false when the change is only zero padding (a region that grew or shrank with the module graph). */
  material: boolean;
}

export interface ModuleChange {
  name: string;
  /** Set when the module is paired with a differently named one (the entry point, a hashed asset). */
  nameB?: string;
  /** Which stored fields differ: contents, sourcemap, bytecode, loader, encoding, format, side. */
  fields: string[];
  linesChanged?: number;
  /** Unified diff of the embedded source (capped, long lines clipped around the change). */
  diff?: string;
}

export interface ModuleGraphDiff {
  entryPointA: string;
  entryPointB: string;
  onlyInA: string[];
  onlyInB: string[];
  changed: ModuleChange[];
}

export interface Explanation {
  identical: boolean;
  a: ExplainedFile;
  b: ExplainedFile;
  /** Bytes that differ at the same offset, plus the length difference. */
  differingBytes: number;
  /** Merged differing ranges, first `MAX_RANGES` of `differingRangeCount`. */
  differingRanges: DifferingRange[];
  differingRangeCount: number;
  /** Bytes covered by the merged differing ranges, per region of A (largest first). */
  differingBytesByRegion: { name: string; kind: RegionKind; bytes: number }[];
  /** Regions whose contents differ when compared by name rather than by offset. */
  regionChanges: RegionChange[];
  moduleGraph?: ModuleGraphDiff;
  causes: Cause[];
  /** What the causes rest on. */
  evidence: Evidence;
}

export type Evidence =
  | { kind: "fingerprints"; a: string; b: string; /** Every recorded input and setting is the same. */ same: boolean }
  | { kind: "bytes"; /** Why there are no fingerprints to compare. */ why: string };

export interface ExplainNames {
  a?: string;
  b?: string;
}

export interface ExplainOptions {
  /** The build fingerprints of A and B (manifest.json), and where each came from. */
  fingerprints?: { a?: BuildFingerprint; b?: BuildFingerprint; sourceA?: string; sourceB?: string };
}

const CHUNK_SIZE = 1 << 20;
const BLOCK_SIZE = 4096;
const RANGE_MERGE_GAP = 16;
const MAX_RANGES = 50;
const MAX_DIFF_LINES_PER_MODULE = 80;
const MAX_DIFF_LINES_TOTAL = 300;
const MAX_LINE_WIDTH = 200;
const MAX_EDITS = 2000;

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

function formatLabel(format: BinaryFormat): string {
  return format === "elf" ? "ELF" : format === "pe" ? "PE" : "Mach-O";
}

function describeGraph(file: ExplainedFile, graph: BunModuleGraph | undefined, version: BunVersion | undefined): void {
  if (version) file.bunVersion = versionLabel(version);
  if (graph) {
    file.entryPoint = graph.entryPoint;
    file.moduleCount = graph.modules.length;
  }
}

function versionLabel(version: BunVersion): string {
  return version.revision ? `${version.version} (${version.revision})` : version.version;
}

// ---------------------------------------------------------------------------
// 1. Bytes at the same offset

function diffBytes(a: Buffer, b: Buffer, layoutA: BinaryLayout, layoutB: BinaryLayout) {
  const common = Math.min(a.length, b.length);
  const ranges: ByteRange[] = [];
  let rangeCount = 0;
  let differingBytes = 0;
  let open: ByteRange | undefined;
  const perRegion = new Map<Region, number>();

  const closeRange = () => {
    if (!open) return;
    rangeCount++;
    if (ranges.length < MAX_RANGES) ranges.push(open);
    attributeToRegions(layoutA.regions, open, perRegion);
    open = undefined;
  };

  for (let chunkStart = 0; chunkStart < common; chunkStart += CHUNK_SIZE) {
    const chunkEnd = Math.min(common, chunkStart + CHUNK_SIZE);
    if (a.subarray(chunkStart, chunkEnd).equals(b.subarray(chunkStart, chunkEnd))) continue;
    for (let blockStart = chunkStart; blockStart < chunkEnd; blockStart += BLOCK_SIZE) {
      const blockEnd = Math.min(chunkEnd, blockStart + BLOCK_SIZE);
      if (a.subarray(blockStart, blockEnd).equals(b.subarray(blockStart, blockEnd))) continue;
      for (let i = blockStart; i < blockEnd; i++) {
        if (a[i] === b[i]) continue;
        differingBytes++;
        if (open && i <= open.offset + open.size + RANGE_MERGE_GAP) {
          open.size = i + 1 - open.offset;
        } else {
          closeRange();
          open = { offset: i, size: 1 };
        }
      }
    }
  }
  closeRange();
  if (a.length !== b.length) {
    // Past the shorter file every byte counts as different.
    differingBytes += Math.abs(a.length - b.length);
    open = { offset: common, size: Math.abs(a.length - b.length) };
    closeRange();
  }

  const differingRanges: DifferingRange[] = ranges.map((range) => {
    const inA = regionAt(layoutA.regions, range.offset);
    const inB = regionAt(layoutB.regions, range.offset);
    const described: DifferingRange = { ...range, regionA: inA?.name, kindA: inA?.kind };
    if (inB && (inB.name !== inA?.name || inB.kind !== inA?.kind)) Object.assign(described, { regionB: inB.name, kindB: inB.kind });
    return described;
  });
  const differingBytesByRegion = [...perRegion.entries()]
    .map(([region, count]) => ({ name: region.name, kind: region.kind, bytes: count }))
    .sort((x, y) => y.bytes - x.bytes);
  return { differingBytes, differingRanges, differingRangeCount: rangeCount, differingBytesByRegion };
}

function attributeToRegions(regions: Region[], range: ByteRange, perRegion: Map<Region, number>): void {
  let at = range.offset;
  const end = range.offset + range.size;
  while (at < end) {
    const region = regionAt(regions, at);
    if (!region) return; // past the end of A: the length difference, attributed by its range
    const stop = Math.min(end, region.offset + region.size);
    perRegion.set(region, (perRegion.get(region) ?? 0) + (stop - at));
    at = stop;
  }
}

// ---------------------------------------------------------------------------
// 2. Regions compared by name (offsets shift when the module graph changes size)

function regionKey(regions: Region[]): Map<string, Region> {
  const seen = new Map<string, number>();
  const keyed = new Map<string, Region>();
  for (const region of regions) {
    const occurrence = seen.get(region.name) ?? 0;
    seen.set(region.name, occurrence + 1);
    keyed.set(`${region.name}#${occurrence}`, region);
  }
  return keyed;
}

function diffRegions(a: Buffer, b: Buffer, layoutA: BinaryLayout, layoutB: BinaryLayout): RegionChange[] {
  const regionsA = regionKey(layoutA.regions);
  const regionsB = regionKey(layoutB.regions);
  const changes: RegionChange[] = [];
  for (const key of new Set([...regionsA.keys(), ...regionsB.keys()])) {
    const ra = regionsA.get(key);
    const rb = regionsB.get(key);
    const bytesA = ra ? a.subarray(ra.offset, ra.offset + ra.size) : Buffer.alloc(0);
    const bytesB = rb ? b.subarray(rb.offset, rb.offset + rb.size) : Buffer.alloc(0);
    if (ra && rb && bytesA.equals(bytesB)) continue;
    const region = (ra ?? rb)!;
    changes.push({
      name: region.name,
      kind: region.kind,
      status: !rb ? "only-in-a" : !ra ? "only-in-b" : ra.size !== rb.size ? "resized" : "changed",
      a: ra && { offset: ra.offset, size: ra.size },
      b: rb && { offset: rb.offset, size: rb.size },
      material: !withoutTrailingZeros(bytesA).equals(withoutTrailingZeros(bytesB)),
    });
  }
  return changes;
}

function withoutTrailingZeros(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

// ---------------------------------------------------------------------------
// 3. The module graphs

interface ModulePair {
  a: BunModule;
  b: BunModule;
}

interface GraphComparison {
  summary: ModuleGraphDiff;
  pairs: ModulePair[];
  /** Pairs whose contents differ, with the analysis of their text. */
  analyses: ModuleAnalysis[];
}

/** A content hash Bun puts in asset names: note-pfwcwyzg.txt. Changes with the contents. */
const HASHED_NAME = /-[a-z0-9]{8}(?=\.[^./]+$|$)/;

function pairModules(graphA: BunModuleGraph, graphB: BunModuleGraph): { pairs: ModulePair[]; onlyInA: BunModule[]; onlyInB: BunModule[] } {
  const byNameB = new Map(graphB.modules.map((module) => [module.name, module]));
  const pairedB = new Set<BunModule>();
  const pairs: ModulePair[] = [];
  const unpairedA: BunModule[] = [];
  for (const module of graphA.modules) {
    const match = byNameB.get(module.name);
    if (match) {
      pairs.push({ a: module, b: match });
      pairedB.add(match);
    } else unpairedA.push(module);
  }
  const take = (predicate: (a: BunModule, b: BunModule) => boolean) => {
    for (const module of [...unpairedA]) {
      const candidates = graphB.modules.filter((candidate) => !pairedB.has(candidate) && predicate(module, candidate));
      if (candidates.length !== 1) continue;
      pairs.push({ a: module, b: candidates[0]! });
      pairedB.add(candidates[0]!);
      unpairedA.splice(unpairedA.indexOf(module), 1);
    }
  };
  // The entry point is named after --outfile; hashed assets are renamed when their bytes change.
  take((a, b) => a.isEntryPoint && b.isEntryPoint);
  take((a, b) => HASHED_NAME.test(a.name) && a.name.replace(HASHED_NAME, "") === b.name.replace(HASHED_NAME, ""));
  return { pairs, onlyInA: unpairedA, onlyInB: graphB.modules.filter((module) => !pairedB.has(module)) };
}

function diffGraphs(graphA: BunModuleGraph, graphB: BunModuleGraph, nameA: string, nameB: string): GraphComparison {
  const { pairs, onlyInA, onlyInB } = pairModules(graphA, graphB);
  const changed: ModuleChange[] = [];
  const analyses: ModuleAnalysis[] = [];
  let diffLinesLeft = MAX_DIFF_LINES_TOTAL;
  for (const pair of pairs) {
    const fields = changedFields(pair);
    if (fields.length === 0 && pair.a.name === pair.b.name) continue;
    const change: ModuleChange = { name: pair.a.name, fields };
    if (pair.a.name !== pair.b.name) change.nameB = pair.b.name;
    if (fields.includes("contents")) {
      const analysis = analyzeText(pair, nameA, nameB, Math.min(MAX_DIFF_LINES_PER_MODULE, diffLinesLeft));
      analyses.push(analysis);
      change.linesChanged = analysis.linesChanged;
      if (analysis.diff) {
        change.diff = analysis.diff;
        diffLinesLeft -= analysis.diff.split("\n").length;
      }
    }
    changed.push(change);
  }
  return {
    summary: {
      entryPointA: graphA.entryPoint,
      entryPointB: graphB.entryPoint,
      onlyInA: onlyInA.map((module) => module.name),
      onlyInB: onlyInB.map((module) => module.name),
      changed,
    },
    pairs,
    analyses,
  };
}

function changedFields({ a, b }: ModulePair): string[] {
  const fields: string[] = [];
  if (a.contentsSha256 !== b.contentsSha256) fields.push("contents");
  if (a.sourcemap?.sha256 !== b.sourcemap?.sha256) fields.push("sourcemap");
  if (a.bytecode?.sha256 !== b.bytecode?.sha256) fields.push("bytecode");
  if (a.moduleInfo?.sha256 !== b.moduleInfo?.sha256) fields.push("module-info");
  if (a.loader !== b.loader) fields.push("loader");
  if (a.encoding !== b.encoding) fields.push("encoding");
  if (a.moduleFormat !== b.moduleFormat) fields.push("format");
  if (a.side !== b.side) fields.push("side");
  if (a.bytecodeOriginPath !== b.bytecodeOriginPath) fields.push("bytecode-origin-path");
  return fields;
}

// ---------------------------------------------------------------------------
// 3b. What changed inside an embedded source

type Finding =
  | { type: "absolute-path"; a: string; b: string; context?: string }
  | { type: "env"; variable: string; a: string; b: string }
  | { type: "build-value"; a: string; b: string }
  /** A condition Bun folded to a constant: `if (true)` in one build, `if (false)` in the other. */
  | { type: "constant"; a: string; b: string }
  | { type: "dependency"; packageName: string; file: string; a?: string; b?: string }
  | { type: "cjs-wrapper"; source: string; wrappedIn: "a" | "b" }
  | { type: "text"; a: string; b: string };

interface ModuleAnalysis {
  pair: ModulePair;
  findings: Finding[];
  linesChanged: number;
  linesRemoved: number;
  linesAdded: number;
  /** Changed lines that are not blank (--sourcemap only adds blank lines once its comment is ignored). */
  substantiveLinesChanged: number;
  firstChangedLine?: number;
  minifiedA: boolean;
  minifiedB: boolean;
  diff?: string;
}

/** Trailing comments Bun adds for --sourcemap; they say nothing about the inputs. */
const SOURCEMAP_COMMENT = /^\/\/# (?:debugId|sourceMappingURL)=/;

function analyzeText(pair: ModulePair, nameA: string, nameB: string, maxDiffLines: number): ModuleAnalysis {
  const textA = pair.a.text;
  const textB = pair.b.text;
  if (textA === undefined || textB === undefined) {
    return { pair, findings: [], linesChanged: 0, linesRemoved: 0, linesAdded: 0, substantiveLinesChanged: 0, minifiedA: false, minifiedB: false };
  }
  const linesA = textA.split("\n").filter((line) => !SOURCEMAP_COMMENT.test(line));
  const linesB = textB.split("\n").filter((line) => !SOURCEMAP_COMMENT.test(line));
  const edits = diffSequences(linesA, linesB);
  const hunks = groupHunks(edits, 3);
  const analysis: ModuleAnalysis = {
    pair,
    findings: [],
    linesChanged: edits.filter((edit) => edit.kind !== "equal").length,
    linesRemoved: edits.filter((edit) => edit.kind === "delete").length,
    linesAdded: edits.filter((edit) => edit.kind === "insert").length,
    substantiveLinesChanged: edits.filter((edit) => {
      if (edit.kind === "equal") return false;
      return (edit.kind === "delete" ? linesA[edit.a]! : linesB[edit.b]!).trim() !== "";
    }).length,
    firstChangedLine: hunks[0] ? hunks[0].firstChangeA + 1 : undefined,
    minifiedA: looksMinified(textA),
    minifiedB: looksMinified(textB),
  };
  if (hunks.length > 0 && maxDiffLines > 0) {
    analysis.diff = renderUnifiedDiff(hunks, linesA, linesB, `${nameA}:${pair.a.name}`, `${nameB}:${pair.b.name}`, maxDiffLines);
  }
  // Token-level findings are meaningless between a minified and an unminified bundle.
  if (analysis.minifiedA !== analysis.minifiedB) return analysis;

  for (const hunk of hunks) {
    const removed = hunk.edits.filter((edit) => edit.kind === "delete").map((edit) => linesA[edit.a]!);
    const added = hunk.edits.filter((edit) => edit.kind === "insert").map((edit) => linesB[edit.b]!);
    const found = tokenFindings(removed.join("\n"), added.join("\n"));
    const packageA = enclosingPackage(linesA, hunk.firstChangeA);
    const packageB = enclosingPackage(linesB, hunk.firstChangeB);
    const dependency = packageA ?? packageB;
    const explained = found.some((finding) => finding.type === "absolute-path" || finding.type === "env" || finding.type === "build-value" || finding.type === "constant");
    if (dependency && !explained) {
      const versions = found.find((finding) => finding.type === "text" && isVersion(finding.a) && isVersion(finding.b));
      analysis.findings.push({
        type: "dependency",
        packageName: dependency.packageName,
        file: dependency.file,
        a: versions?.type === "text" ? versions.a : undefined,
        b: versions?.type === "text" ? versions.b : undefined,
      });
    } else {
      analysis.findings.push(...found);
    }
  }
  analysis.findings.push(...commonJsWrapperFindings(linesA, linesB));
  return analysis;
}

/**
 * Heuristic: Bun's unminified output keeps `// path/to/file.ts` comments above each file
 * and spaces around operators; --minify drops both. String literals are blanked first so
 * a ", " inside a string does not count as formatting.
 */
export function looksMinified(text: string): boolean {
  const body = text.replace(/^\/\/ @bun[^\n]*\n/, "");
  if (/^\/\/ \S+\.(?:[cm]?[jt]sx?|json|toml|txt|css|html|md)\s*$/m.test(body)) return false;
  const code = body.replace(/"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`/g, '""');
  const lines = code.split("\n").filter((line) => line.trim() !== "");
  const averageLineLength = code.length / Math.max(1, lines.length);
  return averageLineLength > 120 || !/[,;] \S|\) \{| = /.test(code);
}

/** The `// node_modules/<pkg>/...` comment Bun writes above each bundled file, nearest before `line`. */
function enclosingPackage(lines: string[], line: number): { packageName: string; file: string } | undefined {
  for (let i = Math.min(line, lines.length - 1); i >= 0; i--) {
    const comment = /^\/\/ (\S+)$/.exec(lines[i]!);
    if (!comment) continue;
    const file = comment[1]!;
    const match = /(?:^|\/)node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file.replace(/^.*node_modules\/\.bun\/[^/]+\//, ""));
    if (!match) return undefined; // the nearest file comment is the app's own source
    return { packageName: match[1]!, file };
  }
  return undefined;
}

const JS_TOKEN = /"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`|[A-Za-z_$][\w$]*|\d[\w.]*|\s+|[^\s\w$]/g;

function tokenize(text: string): string[] {
  return text.match(JS_TOKEN) ?? [];
}

/**
 * The classic NODE_ENV leak: Bun inlines "development" when NODE_ENV is unset where the release
 * build had "production". Other pairs ("test" vs "production") are as likely a plain source edit,
 * so without build fingerprints they are reported as one.
 */
function isNodeEnvLeak(a: string, b: string): boolean {
  return a !== b && ["development", "production"].includes(a) && ["development", "production"].includes(b);
}

/** `true`/`false` (or minified `!0`/`!1`) in the same place: a condition folded at build time. */
function foldedConstant(span: TokenSpan): [string, string] | undefined {
  const textA = span.a.join("");
  const textB = span.b.join("");
  const booleans = ["true", "false"];
  if (booleans.includes(textA) && booleans.includes(textB) && textA !== textB) return [textA, textB];
  if (/!\s*$/.test(span.before) && ["0", "1"].includes(textA) && ["0", "1"].includes(textB) && textA !== textB) return [`!${textA}`, `!${textB}`];
  return undefined;
}

/** The single word that differs between two strings that are otherwise equal, if that is all. */
function changedWords(a: string, b: string): [string | undefined, string | undefined] {
  const wordsA = a.split(/(\W+)/);
  const wordsB = b.split(/(\W+)/);
  if (wordsA.length !== wordsB.length) return [undefined, undefined];
  const differing = wordsA.map((w, i) => (w === wordsB[i] ? -1 : i)).filter((i) => i >= 0);
  return differing.length === 1 ? [wordsA[differing[0]!], wordsB[differing[0]!]] : [undefined, undefined];
}

/** Compares the removed and added text token by token and names what changed. */
function tokenFindings(removed: string, added: string): Finding[] {
  const tokensA = tokenize(removed);
  const tokensB = tokenize(added);
  const findings: Finding[] = [];
  for (const span of changedSpans(diffSequences(tokensA, tokensB), tokensA, tokensB)) {
    const constant = foldedConstant(span);
    if (constant) {
      findings.push({ type: "constant", a: constant[0], b: constant[1] });
      continue;
    }
    const literalsA = span.a.filter(isStringToken).map(unquote);
    const literalsB = span.b.filter(isStringToken).map(unquote);
    const textA = span.a.join("");
    const textB = span.b.join("");
    const envA = /process\.env\.([A-Za-z_]\w*)|process\.env\[["']([^"']+)["']\]/.exec(span.before + textA);
    const envB = /process\.env\.([A-Za-z_]\w*)|process\.env\[["']([^"']+)["']\]/.exec(span.before + textB);
    const pathsA = literalsA.flatMap(absolutePaths);
    const pathsB = literalsB.flatMap(absolutePaths);

    if ((pathsA.length > 0 || pathsB.length > 0) && pathsA.join("\n") !== pathsB.join("\n")) {
      // The binding the literal is assigned to (`var __dirname = "..."`), else any nearby leak source.
      const context =
        /\b(__dirname|__filename)\s*=\s*$/.exec(span.before)?.[1] ??
        /\b(__dirname|__filename|require\.resolve)\b/.exec(span.line)?.[1];
      findings.push({ type: "absolute-path", a: pathsA[0] ?? "(none)", b: pathsB[0] ?? "(none)", context });
    } else if (envA && !envB && literalsB.length > 0) {
      findings.push({ type: "env", variable: envA[1] ?? envA[2]!, a: `process.env.${envA[1] ?? envA[2]}`, b: JSON.stringify(literalsB[0]) });
    } else if (envB && !envA && literalsA.length > 0) {
      findings.push({ type: "env", variable: envB[1] ?? envB[2]!, a: JSON.stringify(literalsA[0]), b: `process.env.${envB[1] ?? envB[2]}` });
    } else if (literalsA.length > 0 && literalsA.length === literalsB.length) {
      literalsA.forEach((valueA, i) => {
        const valueB = literalsB[i]!;
        if (valueA === valueB) return;
        const [wordA, wordB] = changedWords(valueA, valueB);
        if (isNodeEnvLeak(valueA, valueB)) {
          findings.push({ type: "env", variable: "NODE_ENV", a: JSON.stringify(valueA), b: JSON.stringify(valueB) });
        } else if (wordA !== undefined && wordB !== undefined && isNodeEnvLeak(wordA, wordB)) {
          // With --minify Bun folds the inlined value into the surrounding string or template
          // (`(${process.env.NODE_ENV})` becomes `(production)`): the only changed word tells.
          findings.push({ type: "env", variable: "NODE_ENV", a: JSON.stringify(wordA), b: JSON.stringify(wordB) });
        } else if (isBuildValue(valueA) && isBuildValue(valueB)) {
          findings.push({ type: "build-value", a: valueA, b: valueB });
        } else {
          findings.push({ type: "text", a: valueA, b: valueB });
        }
      });
    } else {
      findings.push({ type: "text", a: clip(textA, 80), b: clip(textB, 80) });
    }
  }
  return findings;
}

interface TokenSpan {
  a: string[];
  b: string[];
  /** A few unchanged tokens in front of the change (to see `process.env.` before a name). */
  before: string;
  /** The A-side text around the change, to spot `__dirname = "..."`. */
  line: string;
}

function changedSpans(edits: Edit[], tokensA: string[], tokensB: string[]): TokenSpan[] {
  const spans: TokenSpan[] = [];
  let current: TokenSpan | undefined;
  for (const edit of edits) {
    if (edit.kind === "equal") {
      if (current) spans.push(current);
      current = undefined;
      continue;
    }
    if (!current) {
      // For both deletes and inserts, edit.a is where the change starts in A.
      const before = tokensA.slice(Math.max(0, edit.a - 12), edit.a).join("");
      current = { a: [], b: [], before, line: before + tokensA.slice(edit.a, edit.a + 12).join("") };
    }
    if (edit.kind === "delete") current.a.push(tokensA[edit.a]!);
    else current.b.push(tokensB[edit.b]!);
  }
  if (current) spans.push(current);
  return spans;
}

function isStringToken(token: string): boolean {
  return token.length >= 2 && (token[0] === '"' || token[0] === "'" || token[0] === "`");
}

function unquote(token: string): string {
  return token.slice(1, -1).replace(/\\\\/g, "\\");
}

/** Absolute paths inside a string: POSIX (/home/x/app, not Bun's /$bunfs/) or Windows (C:\x, C:/x). */
function absolutePaths(value: string): string[] {
  const posix = value.match(/(?<![\w$.:/])\/(?!\$bunfs\/)[\w.@+~-]+(?:\/[\w.@+~-]*)+|^\/[\w.@+~-]+$/g) ?? [];
  const windows = value.match(/\b[A-Za-z]:[\\/][^"'`\s]*/g) ?? [];
  return [...posix, ...windows].filter((path) => !path.startsWith("B:/~BUN/"));
}

function isVersion(value: string): boolean {
  return /^v?\d+\.\d+\.\d+(?:[-+][\w.-]+)?$/.test(value);
}

/** Values people inline with --define: git SHAs, timestamps, epoch milliseconds. */
function isBuildValue(value: string): boolean {
  return /^[0-9a-f]{7,40}$/.test(value) || /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}/.test(value) || /^1\d{9,12}$/.test(value);
}

const COMMONJS_WRAPPER = /^(\s*)var (require_[\w$]+) = __commonJS\(/;

/** Files wrapped in `var require_x = __commonJS(...)` in one build and not in the other. */
function commonJsWrapperFindings(linesA: string[], linesB: string[]): Finding[] {
  const wrapped = (lines: string[]) => {
    const found = new Map<string, string>();
    lines.forEach((line, i) => {
      const match = COMMONJS_WRAPPER.exec(line);
      if (!match) return;
      // The `// path` comment Bun writes above every bundled file names its source.
      let source = match[2]!.replace(/^require_/, "");
      for (let j = i - 1; j >= 0 && j >= i - 3; j--) {
        const comment = /^\s*\/\/ (\S+)$/.exec(lines[j]!);
        if (comment) {
          source = comment[1]!;
          break;
        }
      }
      found.set(source, match[2]!);
    });
    return found;
  };
  const inA = wrapped(linesA);
  const inB = wrapped(linesB);
  const findings: Finding[] = [];
  for (const source of inA.keys()) if (!inB.has(source)) findings.push({ type: "cjs-wrapper", source, wrappedIn: "a" });
  for (const source of inB.keys()) if (!inA.has(source)) findings.push({ type: "cjs-wrapper", source, wrappedIn: "b" });
  // The whole bundle switched between --format=esm and the `@bun-cjs` function wrapper.
  const cjsA = linesA[0]?.includes("@bun-cjs") ?? false;
  const cjsB = linesB[0]?.includes("@bun-cjs") ?? false;
  if (cjsA !== cjsB) findings.push({ type: "cjs-wrapper", source: "(whole bundle, @bun-cjs)", wrappedIn: cjsA ? "a" : "b" });
  return findings;
}

// ---------------------------------------------------------------------------
// 4. Causes

interface ClassifyInput {
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

const HINTS = {
  outfile:
    "The --outfile basename is embedded as the entry module's name (/$bunfs/root/<name>; B:/~BUN/root/<name> for Windows targets). Build with one fixed --outfile basename on every machine (e.g. --outfile=dist/<target>/app) and rename the file afterwards.",
  absolutePath:
    "Bun inlines __dirname/__filename as the build machine's absolute source directory (oven-sh/bun PR #29066). Build from the same absolute path on both sides (e.g. a fixed directory in the container), or use import.meta.dir, which resolves to /$bunfs/root.",
  nodeEnv:
    "process.env.NODE_ENV is inlined from the environment of the machine that runs `bun build` (default \"development\"). Set it explicitly for every build: NODE_ENV=production bun build --compile ..., or --define process.env.NODE_ENV='\"production\"'.",
  env: "--env=inline or --env=PREFIX_* inlines process.env values at build time. Give both builds the same value, or stop inlining it (--env=disable, the default).",
  constant:
    "Give both builds the same constants: pin NODE_ENV (targets.json build.env), the same --define values (targets.json build.define), and the same values for inlined variables (build.inlineEnv). With both manifest.json files, bun verify explain --manifest names the one that differed.",
  buildValue: "A --define'd build-time value (git SHA, timestamp) differs. Derive it from the commit (e.g. SOURCE_DATE_EPOCH, the commit SHA) rather than the clock, or leave it out of the binary.",
  cjs:
    'A file is bundled as CommonJS in one build and as ESM in the other. Bun follows package.json "type" (a missing package.json, or "type": "commonjs", wraps .js files that use require/module in __commonJS). Commit package.json with an explicit "type" and make sure both builds see it.',
  dependency:
    "The bundle contains different code from node_modules. Install from the committed lockfile on both sides (bun install --frozen-lockfile / npm ci) and compare the lockfiles.",
  runtime:
    "Both builds must embed the same Bun runtime: pin bun in package.json and pass the same checksummed runtime with --compile-executable-path.",
  signature:
    "The code and the module graph are identical; only the Mach-O code signature differs. One file was re-signed (codesign, rcodesign) or signed differently. Compare the artifacts before signing, or sign both the same way (an ad-hoc signature without a timestamp is deterministic).",
  graphMissing:
    "A compiled executable carries its app in Bun's .bun section. `strip` removes it (the binary then runs as plain bun). Compare the files `bun build --compile` wrote, and never strip them.",
  source: "The bundled sources differ: the two builds saw different input files. Compare the checkouts (git status, generated files) of both builds.",
  bytecode: "Bun before 1.4.1 writes different --bytecode output on every build, so no two builds are identical. Pin Bun 1.4.1 or later, or build without bytecode (targets.json build.bytecode false).",
};

function classify(input: ClassifyInput): Cause[] {
  const causes: Cause[] = [];
  const { nameA, nameB, graphA, graphB, versionA, versionB } = input;

  // --- the container: module graph presence, runtime, signature
  if (!graphA || !graphB) {
    if (graphA || graphB) {
      const missing = graphA ? nameB : nameA;
      causes.push({
        code: "module-graph-missing",
        summary: `${missing} has no embedded Bun module graph (a plain Bun runtime, or the .bun section was stripped)`,
        detail: `${graphA ? nameA : nameB} carries an app (${(graphA ?? graphB)!.modules.length} module(s), entry ${(graphA ?? graphB)!.entryPoint}); ${missing} carries none.`,
        hint: HINTS.graphMissing,
      });
    }
  }

  const material = input.regionChanges.filter((change) => change.material);
  const outsideGraph = material.filter((change) => !["bun-module-graph", "header", "code-signature"].includes(change.kind));
  const regionList =
    outsideGraph.length > 0
      ? `\nRegions that differ outside the module graph (compared by name, so shifted offsets do not count):\n  ${outsideGraph
          .slice(0, 8)
          .map((change) => `${change.name} (${change.kind}, ${change.status})`)
          .join("\n  ")}`
      : "";
  if (versionA && versionB && versionLabel(versionA) !== versionLabel(versionB)) {
    causes.push({
      code: "bun-runtime",
      summary: `different Bun runtime: ${nameA} embeds Bun ${versionLabel(versionA)}, ${nameB} embeds Bun ${versionLabel(versionB)}`,
      detail: `${nameA}: "${versionA.text}"\n${nameB}: "${versionB.text}"${regionList}`,
      hint: HINTS.runtime,
    });
  } else if (outsideGraph.length > 0 && (graphA === undefined) === (graphB === undefined)) {
    // (A compiled app and a bare runtime differ around the .bun slot by construction.)
    causes.push({
      code: "bun-runtime",
      summary: `different Bun runtime: bytes differ outside the module graph, in ${outsideGraph
        .slice(0, 3)
        .map((change) => change.name)
        .join(", ")}${outsideGraph.length > 3 ? ` and ${outsideGraph.length - 3} more region(s)` : ""}`,
      detail:
        (versionA && versionB ? `Both report Bun ${versionLabel(versionA)}: the runtime was patched or built differently.` : "The Bun version string was not found.") +
        regionList,
      hint: HINTS.runtime,
    });
  }

  const payloadA = input.layoutA.bunPayload;
  const payloadB = input.layoutB.bunPayload;
  const sameGraphBytes =
    payloadA !== undefined &&
    payloadB !== undefined &&
    input.bufA.subarray(payloadA.offset, payloadA.offset + payloadA.size).equals(input.bufB.subarray(payloadB.offset, payloadB.offset + payloadB.size));
  const signatureChanges = material.filter((change) => change.kind === "code-signature");
  if (signatureChanges.length > 0 && outsideGraph.length === 0 && sameGraphBytes && causes.length === 0) {
    causes.push({
      code: "code-signature-only",
      summary: `only the code signature differs (${signatureChanges.map((change) => change.name).join(", ")})`,
      detail: "The executable code, data and the embedded module graph are byte-identical; the signature blob (and the header fields that locate it) differ.",
      hint: HINTS.signature,
    });
  }

  // Windows: --windows-hide-console flips the PE subsystem (docs/internals.md, "Bun versions: what each one can compile").
  const subsystemA = input.layoutA.pe?.subsystemName;
  const subsystemB = input.layoutB.pe?.subsystemName;
  if (subsystemA && subsystemB && subsystemA !== subsystemB) {
    causes.push({
      code: "compile-flags",
      summary: `different compile flags: --windows-hide-console (PE subsystem ${subsystemA} in ${nameA}, ${subsystemB} in ${nameB})`,
      detail: "The PE optional header's Subsystem field is 2 (GUI, no console window) with --windows-hide-console and 3 (console) without.",
      hint: "Pass the same --windows-hide-console setting to both builds (targets.json should own it).",
    });
  }

  if (graphA && graphB && input.graphDiff) causes.push(...graphCauses(input, graphA, graphB, input.graphDiff));
  if (graphA && graphB) causes.push(...versionCauses(graphA, graphB, nameA, nameB)); // Bun-version quirks (bun-version-explain.ts)

  if (causes.length === 0) {
    const where = material.length > 0 ? material : input.regionChanges;
    causes.push({
      code: "unexplained",
      summary: `the files differ in ${where
        .slice(0, 3)
        .map((change) => change.name)
        .join(", ") || "bytes this tool cannot attribute"}, and no known cause matches`,
      detail: where.map((change) => `${change.name} (${change.kind}, ${change.status})`).join("\n") || "No region-level difference was found.",
      hint: "Look at the differing byte ranges below; if they are in the module graph, compare the embedded sources.",
    });
  }
  return causes;
}

function graphCauses(input: ClassifyInput, graphA: BunModuleGraph, graphB: BunModuleGraph, comparison: GraphComparison): Cause[] {
  const { nameA, nameB } = input;
  const causes: Cause[] = [];
  const diff = comparison.summary;

  // --- the outfile basename
  const entryA = graphA.modules[graphA.entryPointId]!;
  const entryB = graphB.modules[graphB.entryPointId]!;
  if (entryA.name !== entryB.name) {
    causes.push({
      code: "outfile-basename",
      summary: `output basename embedded: the entry point is ${entryA.name} in ${nameA} and ${entryB.name} in ${nameB}`,
      detail: `Bun names the entry module after the --outfile basename ("${displayName(entryA.name)}" vs "${displayName(entryB.name)}").`,
      hint: HINTS.outfile,
      module: entryA.name,
    });
  }

  // --- flags stored in the graph
  // Graph flag bits the CLI controls. The tsconfig/package.json bits are set by default
  // ("disable autoload") and cleared by --compile-autoload-tsconfig / -package-json.
  const cliFlags: { flag: string; option: string; optionSetsBit: boolean }[] = [
    { flag: "disable-default-env-files", option: "--no-compile-autoload-dotenv", optionSetsBit: true },
    { flag: "disable-autoload-bunfig", option: "--no-compile-autoload-bunfig", optionSetsBit: true },
    { flag: "disable-autoload-tsconfig", option: "--compile-autoload-tsconfig", optionSetsBit: false },
    { flag: "disable-autoload-package-json", option: "--compile-autoload-package-json", optionSetsBit: false },
  ];
  for (const { flag, option, optionSetsBit } of cliFlags) {
    const inA = graphA.flags.names.includes(flag);
    const inB = graphB.flags.names.includes(flag);
    if (inA === inB) continue;
    const side = inA === optionSetsBit ? nameA : nameB;
    causes.push(flagCause(option, side, `graph flag ${flag} is ${inA ? "set" : "clear"} in ${nameA} and ${inB ? "set" : "clear"} in ${nameB}.`));
  }
  if (graphA.execArgv !== graphB.execArgv) {
    causes.push(
      flagCause(
        "--compile-exec-argv",
        graphA.execArgv ? nameA : nameB,
        `exec argv: ${JSON.stringify(graphA.execArgv)} in ${nameA}, ${JSON.stringify(graphB.execArgv)} in ${nameB}.`,
        `--compile-exec-argv differs (${JSON.stringify(graphA.execArgv)} vs ${JSON.stringify(graphB.execArgv)})`,
      ),
    );
  }
  const withSourcemap = (graph: BunModuleGraph) => graph.modules.some((module) => module.sourcemap);
  if (withSourcemap(graphA) !== withSourcemap(graphB)) {
    const side = withSourcemap(graphA) ? nameA : nameB;
    causes.push(flagCause("--sourcemap", side, `an embedded source map is present in ${side} only (it also appends a //# debugId comment to the bundle).`));
  }
  const withBytecode = (graph: BunModuleGraph) => graph.modules.some((module) => module.bytecode);
  const bytecodeDiffers = withBytecode(graphA) !== withBytecode(graphB);
  if (bytecodeDiffers) {
    const side = withBytecode(graphA) ? nameA : nameB;
    causes.push(flagCause("--bytecode", side, `precompiled bytecode is embedded in ${side} only (with --bytecode Bun also emits the bundle as CommonJS).`));
  }
  // Bun before 1.4.1 writes different bytecode on every build of the same source.
  const bothBytecode = comparison.pairs.filter((pair) => pair.a.bytecode && pair.b.bytecode);
  const sameSource = bothBytecode.filter((pair) => pair.a.contentsSha256 === pair.b.contentsSha256 && pair.a.bytecode!.sha256 !== pair.b.bytecode!.sha256);
  const bunVersion = input.versionA?.version ?? input.versionB?.version;
  const unstableBun = bunVersion !== undefined && /^\d+\.\d+\.\d+/.test(bunVersion) && !supports(bunVersion, "reproducibleBytecode");
  if (sameSource.length > 0 || (unstableBun && bothBytecode.length > 0 && comparison.summary.changed.length > 0)) {
    const module = (sameSource[0] ?? bothBytecode[0]!).a.name;
    causes.push({
      code: "bytecode-unstable",
      summary: sameSource.length > 0
        ? `the bytecode of ${module} differs while its source is the same${bunVersion ? ` (Bun ${bunVersion})` : ""}`
        : `--bytecode with Bun ${bunVersion} is not reproducible: even the same source gets different bytecode on every build`,
      detail: `${sameSource.length > 0 ? `${sameSource.length} module(s) with identical source and different bytecode. ` : ""}${COMPILE_FEATURES.reproducibleBytecode.source}.`,
      hint: HINTS.bytecode,
      module,
      evidence: sameSource.length > 0 ? `the embedded source of ${module} is byte-for-byte the same, its bytecode is not` : `both sides embed bytecode from Bun ${bunVersion}`,
    });
  }
  const minifiedDiffers = comparison.analyses.find((analysis) => analysis.minifiedA !== analysis.minifiedB);
  if (minifiedDiffers) {
    const side = minifiedDiffers.minifiedA ? nameA : nameB;
    causes.push({
      ...flagCause("--minify", side, `${minifiedDiffers.pair.a.name} is minified in ${side} only.`),
      module: minifiedDiffers.pair.a.name,
    });
  }

  // --- findings inside the sources
  const formatChanges = comparison.pairs.filter((pair) => pair.a.moduleFormat !== pair.b.moduleFormat);
  for (const analysis of comparison.analyses) {
    const module = analysis.pair.a.name;
    const findings = analysis.findings;
    const paths = unique(findings.filter((f) => f.type === "absolute-path"));
    if (paths.length > 0) {
      const first = paths[0]!;
      causes.push({
        code: "absolute-path",
        summary: `absolute build path leaked into ${module}: "${first.a}" vs "${first.b}"${first.context ? ` (${first.context})` : ""}`,
        detail: paths.map((f) => `${f.context ? `${f.context}: ` : ""}"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
        hint: HINTS.absolutePath,
        module,
      });
    }
    for (const finding of unique(findings.filter((f) => f.type === "env"))) {
      causes.push({
        code: "env-inlined",
        summary:
          finding.variable === "NODE_ENV"
            ? `NODE_ENV inlined differently in ${module}: ${finding.a} in ${nameA}, ${finding.b} in ${nameB}`
            : `process.env.${finding.variable} inlined in ${module}: ${finding.a} in ${nameA}, ${finding.b} in ${nameB}`,
        detail: `The build inlined a value for process.env.${finding.variable}: ${finding.a} vs ${finding.b}.`,
        hint: finding.variable === "NODE_ENV" ? HINTS.nodeEnv : HINTS.env,
        module,
        evidence:
          finding.variable === "NODE_ENV" && !finding.a.startsWith("process.env") && !finding.b.startsWith("process.env")
            ? `${finding.a} in ${nameA} where ${nameB} has ${finding.b} in ${module}: the values NODE_ENV takes with and without NODE_ENV=production (a source edit looks the same; the manifests tell)`
            : `${finding.a} in ${nameA} where ${nameB} has ${finding.b} in ${module}`,
      });
    }
    const buildValues = unique(findings.filter((f) => f.type === "build-value"));
    if (buildValues.length > 0) {
      causes.push({
        code: "compile-time-constant",
        summary: `a compile-time constant differed (a define or an inlined env value: a commit, a time) in ${module}: "${buildValues[0]!.a}" vs "${buildValues[0]!.b}"`,
        detail: buildValues.map((f) => `"${f.a}" in ${nameA}, "${f.b}" in ${nameB}`).join("\n"),
        hint: HINTS.buildValue,
        module,
        evidence: `"${buildValues[0]!.a}" in ${nameA} where ${nameB} has "${buildValues[0]!.b}" (it looks like a commit or a time)`,
      });
    }
    const constants = unique(findings.filter((f) => f.type === "constant"));
    const envHere = findings.some((f) => f.type === "env");
    if (constants.length > 0 && !envHere) {
      causes.push({
        code: "compile-time-constant",
        summary: `a compile-time constant differed (NODE_ENV, a define, or an inlined env value): a condition in ${module} is folded to ${constants[0]!.a} in ${nameA} and ${constants[0]!.b} in ${nameB}`,
        detail: `Bun evaluates conditions on constants at build time (process.env.NODE_ENV === "production", a --define, an inlined process.env value) and keeps only their result. ${constants.length} such condition(s) differ; the branches kept differ with them.`,
        hint: HINTS.constant,
        module,
        evidence: `\`${constants[0]!.a}\` in ${nameA} where ${nameB} has \`${constants[0]!.b}\` in ${module} (a folded condition)`,
      });
    }
    const wrappers = unique(findings.filter((f) => f.type === "cjs-wrapper"));
    if (wrappers.length > 0 && !bytecodeDiffers) {
      const first = wrappers[0]!;
      const wrappedName = first.wrappedIn === "a" ? nameA : nameB;
      causes.push({
        code: "cjs-vs-esm",
        summary: `CommonJS wrapper vs ESM in ${module}: ${first.source} is wrapped in __commonJS in ${wrappedName} only`,
        detail: wrappers.map((f) => `${f.source}: CommonJS in ${f.wrappedIn === "a" ? nameA : nameB}, ESM in ${f.wrappedIn === "a" ? nameB : nameA}`).join("\n"),
        hint: HINTS.cjs,
        module,
      });
    }
    const dependencies = unique(findings.filter((f) => f.type === "dependency"));
    const packages = [...new Set(dependencies.map((f) => f.packageName))];
    if (packages.length > 0) {
      const versioned = dependencies.find((f) => f.a && f.b);
      causes.push({
        code: "dependency-version",
        summary: `different dependency code in ${module}: ${packages.join(", ")}${versioned ? ` ("${versioned.a}" vs "${versioned.b}")` : ""}`,
        detail: dependencies.map((f) => `${f.packageName}: ${f.file}${f.a ? ` ("${f.a}" vs "${f.b}")` : ""}`).join("\n"),
        hint: HINTS.dependency,
        module,
      });
    }
    const explainedHere = causes.some((cause) => cause.module === module);
    const explainedByFlags = analysis.minifiedA !== analysis.minifiedB || bytecodeDiffers;
    if (!explainedHere && !explainedByFlags && analysis.substantiveLinesChanged > 0) {
      // Prefer a sample that is not just a renamed asset path (/$bunfs/root/logo-<hash>.png).
      const texts = findings.filter((f) => f.type === "text");
      const sample = texts.find((f) => !/^(?:\/\$bunfs\/|B:\/~BUN\/)/.test(f.a)) ?? texts[0];
      causes.push({
        code: "source-changed",
        summary: `embedded source ${module} differs: ${analysis.linesRemoved} line(s) removed, ${analysis.linesAdded} added${analysis.firstChangedLine ? `, first at line ${analysis.firstChangedLine}` : ""}`,
        detail: sample?.type === "text" ? `e.g. ${JSON.stringify(sample.a)} in ${nameA} vs ${JSON.stringify(sample.b)} in ${nameB}` : "See the diff below.",
        hint: HINTS.source,
        module,
        evidence: `the embedded source differs${sample?.type === "text" ? ` (${JSON.stringify(sample.a)} vs ${JSON.stringify(sample.b)})` : ""}, and no build setting explains it`,
      });
    }
  }
  for (const pair of formatChanges) {
    if (bytecodeDiffers || causes.some((cause) => cause.code === "cjs-vs-esm" && cause.module === pair.a.name)) continue;
    causes.push({
      code: "cjs-vs-esm",
      summary: `module format of ${pair.a.name}: ${pair.a.moduleFormat} in ${nameA}, ${pair.b.moduleFormat} in ${nameB}`,
      detail: "The bundle was emitted as CommonJS in one build and as ESM in the other (--format, or package.json \"type\").",
      hint: HINTS.cjs,
      module: pair.a.name,
    });
  }

  // --- modules present on one side only, and changed binary assets
  const dependencyOnly = (names: string[]) => names.filter((name) => name.includes("node_modules/"));
  const appOnly = (names: string[]) => names.filter((name) => !name.includes("node_modules/"));
  const onlyDependencies = [...dependencyOnly(diff.onlyInA), ...dependencyOnly(diff.onlyInB)];
  if (onlyDependencies.length > 0) {
    causes.push({
      code: "dependency-version",
      summary: `embedded dependency files differ: ${onlyDependencies.slice(0, 3).join(", ")}`,
      detail: `only in ${nameA}: ${dependencyOnly(diff.onlyInA).join(", ") || "-"}\nonly in ${nameB}: ${dependencyOnly(diff.onlyInB).join(", ") || "-"}`,
      hint: HINTS.dependency,
    });
  }
  if (appOnly(diff.onlyInA).length > 0 || appOnly(diff.onlyInB).length > 0) {
    causes.push({
      code: "source-changed",
      summary: `the embedded file set differs: ${appOnly(diff.onlyInA).length} file(s) only in ${nameA}, ${appOnly(diff.onlyInB).length} only in ${nameB}`,
      detail: `only in ${nameA}: ${appOnly(diff.onlyInA).join(", ") || "-"}\nonly in ${nameB}: ${appOnly(diff.onlyInB).join(", ") || "-"}`,
      hint: HINTS.source,
    });
  }
  for (const pair of comparison.pairs) {
    const binaryChanged = pair.a.text === undefined && pair.a.contentsSha256 !== pair.b.contentsSha256;
    if (!binaryChanged) continue;
    causes.push({
      code: "source-changed",
      summary: `embedded asset ${pair.a.name} differs (${pair.a.contents.length} vs ${pair.b.contents.length} bytes)`,
      detail: `sha256 ${pair.a.contentsSha256} in ${nameA}, ${pair.b.contentsSha256} in ${nameB}`,
      hint: HINTS.source,
      module: pair.a.name,
    });
  }
  return causes;
}

function flagCause(flag: string, side: string, detail: string, summary?: string): Cause {
  return {
    code: "compile-flags",
    summary: `different compile flags: ${summary ?? `${flag} used for ${side} only`}`,
    detail,
    hint: `Build both with the same flags: take them from one place (targets.json / the build plan) rather than from the command line. Here: ${flag}.`,
  };
}

function unique<T>(items: T[]): T[] {
  const seen = new Set<string>();
  return items.filter((item) => {
    const key = JSON.stringify(item);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function clip(text: string, width: number): string {
  return text.length <= width ? text : `${text.slice(0, width - 1)}…`;
}

// ---------------------------------------------------------------------------
// 5. Human text

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

// ---------------------------------------------------------------------------
// 6. Sequence diff (Myers, O((N+M)·D) with common prefix/suffix trimmed first)

interface Edit {
  kind: "equal" | "delete" | "insert";
  /** Index in A (for equal/delete; for insert, the A position it is inserted before). */
  a: number;
  /** Index in B (for equal/insert; for delete, the B position). */
  b: number;
}

function diffSequences<T>(a: readonly T[], b: readonly T[], maxEdits = MAX_EDITS): Edit[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;

  const edits: Edit[] = [];
  for (let i = 0; i < prefix; i++) edits.push({ kind: "equal", a: i, b: i });
  const n = a.length - prefix - suffix;
  const m = b.length - prefix - suffix;
  const middle = myers(n, m, (x, y) => a[prefix + x] === b[prefix + y], maxEdits);
  if (middle) {
    for (const edit of middle) edits.push({ kind: edit.kind, a: edit.a + prefix, b: edit.b + prefix });
  } else {
    // Too many edits to align: report the middle as one replaced block.
    for (let i = 0; i < n; i++) edits.push({ kind: "delete", a: prefix + i, b: prefix });
    for (let j = 0; j < m; j++) edits.push({ kind: "insert", a: prefix + n, b: prefix + j });
  }
  for (let i = 0; i < suffix; i++) edits.push({ kind: "equal", a: a.length - suffix + i, b: b.length - suffix + i });
  return edits;
}

function myers(n: number, m: number, equal: (x: number, y: number) => boolean, maxEdits: number): Edit[] | undefined {
  if (n === 0 && m === 0) return [];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && equal(x, y)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number): Edit[] {
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const previousX = v[offset + previousK]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      edits.push({ kind: "equal", a: x, b: y });
    }
    if (d > 0) {
      if (x === previousX) edits.push({ kind: "insert", a: x, b: y - 1 });
      else edits.push({ kind: "delete", a: x - 1, b: y });
    }
    x = previousX;
    y = previousY;
  }
  return edits.reverse();
}

interface Hunk {
  edits: Edit[];
  firstChangeA: number;
  firstChangeB: number;
}

function groupHunks(edits: Edit[], context: number): Hunk[] {
  const changes = edits.flatMap((edit, index) => (edit.kind === "equal" ? [] : [index]));
  const hunks: Hunk[] = [];
  let start = 0;
  while (start < changes.length) {
    let end = start;
    while (end + 1 < changes.length && changes[end + 1]! - changes[end]! <= 2 * context + 1) end++;
    const from = Math.max(0, changes[start]! - context);
    const to = Math.min(edits.length, changes[end]! + context + 1);
    const first = edits[changes[start]!]!;
    hunks.push({ edits: edits.slice(from, to), firstChangeA: first.a, firstChangeB: first.b });
    start = end + 1;
  }
  return hunks;
}

function renderUnifiedDiff(hunks: Hunk[], linesA: string[], linesB: string[], labelA: string, labelB: string, maxLines: number): string {
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  for (const hunk of hunks) {
    const first = hunk.edits[0]!;
    const countA = hunk.edits.filter((edit) => edit.kind !== "insert").length;
    const countB = hunk.edits.filter((edit) => edit.kind !== "delete").length;
    out.push(`@@ -${first.a + 1},${countA} +${first.b + 1},${countB} @@`);
    const removed = hunk.edits.filter((edit) => edit.kind === "delete").map((edit) => linesA[edit.a]!);
    const added = hunk.edits.filter((edit) => edit.kind === "insert").map((edit) => linesB[edit.b]!);
    let removedIndex = 0;
    let addedIndex = 0;
    for (const edit of hunk.edits) {
      if (edit.kind === "equal") out.push(` ${clipLine(linesA[edit.a]!, 0)}`);
      else if (edit.kind === "delete") {
        const line = linesA[edit.a]!;
        out.push(`-${clipLine(line, firstDifference(line, added[removedIndex++] ?? ""))}`);
      } else {
        const line = linesB[edit.b]!;
        out.push(`+${clipLine(line, firstDifference(line, removed[addedIndex++] ?? ""))}`);
      }
      if (out.length >= maxLines + 2) {
        out.push(`… (diff truncated at ${maxLines} lines)`);
        return out.join("\n");
      }
    }
  }
  return out.join("\n");
}

function firstDifference(left: string, right: string): number {
  let i = 0;
  while (i < left.length && i < right.length && left[i] === right[i]) i++;
  return i;
}

/** Minified bundles are one long line: show a window around the first differing column. */
function clipLine(line: string, focus: number): string {
  if (line.length <= MAX_LINE_WIDTH) return line;
  const start = Math.max(0, Math.min(focus - 60, line.length - MAX_LINE_WIDTH));
  const end = start + MAX_LINE_WIDTH;
  return `${start > 0 ? "…" : ""}${line.slice(start, end)}${end < line.length ? "…" : ""}`;
}

// What explain produces: the causes of a difference (each with a summary, a hint and the evidence
// it rests on), and the facts behind them at the three levels it compares (bytes, regions, Bun's
// embedded module graph). Pure types.
import type { BunModule, BinaryFormat, ByteRange, RegionKind } from "../binary/index.ts";
import type { BuildFingerprint } from "../digest/index.ts";

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

/** A module of A and the module of B it is compared with (same name, or paired by role). */
export interface ModulePair {
  a: BunModule;
  b: BunModule;
}

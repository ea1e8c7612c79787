// The merged report's shape: one grid of targets x checks, each cell a verdict with its reasons.
// The merger, the text and Markdown renderer (report-text.ts) and the HTML page (html.ts) all
// read it, so it lives apart from each of them.
import type { ResultFile } from "../telemetry/index.ts";

export const CHECKS = ["built", "hashed", "parity", "inspect", "smoke", "security"] as const;
export type CheckName = (typeof CHECKS)[number];
/** no-data: none of the merged results says anything about this check. */
export type CellStatus = "pass" | "fail" | "not-run" | "no-data";

export interface Cell {
  status: CellStatus;
  /** One line: what passed, or why not. */
  summary: string;
  /** Every reason behind a fail or not-run, one per line. */
  reasons: string[];
}

export interface TargetReport {
  id: string;
  file?: string;
  os?: string;
  arch?: string;
  bytes?: number;
  /** targets.json maxBytes, when set. */
  maxBytes?: number;
  sha256?: string;
  /** Compile time of this executable (for a reused one: of the build that made it). */
  buildMs?: number;
  /** Reused from an earlier build (inputs unchanged). */
  cacheHit?: boolean;
  cells: Record<CheckName, Cell>;
  /** Why the artifact differs from the reference (parity's explain), one cause per line. */
  explanation?: string[];
}

export interface SourceInfo {
  file: string;
  command: string;
  time: string;
  exitCode: number;
  tool: string;
  host: string;
  sections: string[];
}

export interface CompareRow {
  id: string;
  bytes?: number;
  oldBytes?: number;
  buildMs?: number;
  oldBuildMs?: number;
}

export interface MergedReport {
  schemaVersion: 1;
  kind: "bun-parity-report";
  tool: { name: string; version: string };
  generatedAt: string;
  sources: SourceInfo[];
  /** The parity reference, when a parity result was merged. */
  reference?: string;
  targets: TargetReport[];
  /** Reference files no target accounts for. */
  extras: { file: string; verdict: string }[];
  /** Output of `bun verify explain` runs. */
  explains: { a: string; b: string; identical: boolean; text: string }[];
  /** Project-wide security checks (secrets in sources, supply chain, audit ...). */
  security?: { id: string; title: string; status: string; summary: string; errors: number; warnings: number }[];
  budgetsExceeded: { id: string; bytes: number; maxBytes: number }[];
  compare?: { against: string; rows: CompareRow[] };
  counts: Record<CellStatus, number>;
  /**
   * What fails the report besides a failed cell or budget: a merged result that did not exit 0
   * (a check failed, bad input, a crash), and reference files no target accounts for.
   */
  problems: string[];
  /** Every merged result exited 0, no cell failed, no budget is exceeded, nothing is extra. */
  passed: boolean;
}

export interface LoadedResult {
  file: string;
  data: ResultFile;
}

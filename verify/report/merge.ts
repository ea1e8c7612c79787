// `bun verify report`: merge the result files that commands write with --json=FILE into one grid
// of targets x checks, each cell a verdict with the reason behind it, plus sizes against budgets,
// build times, explanations, and changes against an earlier run. Pure: the per-section mergers are
// merge-sections.ts, the text and Markdown report-text.ts, the files on disk result-files.ts.
import type { Manifest } from "../digest/index.ts";
import type { ParityReport } from "../parity/index.ts";
import type { InspectFacts } from "../validate/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import {
  type BuildSection, type ExplainSection, mergeBuild, mergeExplain, mergeInspect, mergeManifest, mergeParity, mergeSecurity,
  mergeSmoke, type SecuritySection, type SmokeSection, TargetGrid,
} from "./merge-sections.ts";
import { CHECKS, type CompareRow, type LoadedResult, type MergedReport } from "./merged-report.ts";
import { formatBytes } from "./table.ts";

interface TargetInfo {
  id: string;
  os?: string;
  arch?: string;
  file?: string;
  maxBytes?: number;
}

/** Merges result files, oldest first, so a later result of the same check adds to an earlier one. */
export function mergeResults(results: LoadedResult[], options: { now?: Date } = {}): MergedReport {
  const ordered = [...results].sort((a, b) => a.data.time.localeCompare(b.data.time));
  const report = emptyReport(options.now ?? new Date());
  const grid = new TargetGrid();
  addKnownTargets(grid, ordered);
  for (const result of ordered) mergeResult(report, grid, result);
  finishReport(report, grid);
  return report;
}

function emptyReport(now: Date): MergedReport {
  return {
    schemaVersion: 1,
    kind: "bun-parity-report",
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    generatedAt: now.toISOString(),
    sources: [],
    targets: [],
    extras: [],
    explains: [],
    budgetsExceeded: [],
    counts: { pass: 0, fail: 0, "not-run": 0, "no-data": 0 },
    problems: [],
    passed: true,
  };
}

/**
 * Targets first (their order, files and budgets), from whichever result knows them:
 * targets.json order (recorded by parity), then build order; budgets come with either.
 */
function addKnownTargets(grid: TargetGrid, ordered: LoadedResult[]): void {
  const known = new Map<string, TargetInfo>();
  for (const { data } of ordered) for (const t of (data.result.targets as TargetInfo[] | undefined) ?? []) known.set(t.id, { ...known.get(t.id), ...t });
  for (const { data } of ordered) {
    const build = data.result.build as BuildSection | undefined;
    for (const o of build?.outcomes ?? []) if (!known.has(o.id)) known.set(o.id, { id: o.id });
    for (const [id, maxBytes] of Object.entries(build?.budgets ?? {})) known.set(id, { ...known.get(id), id, maxBytes });
  }
  for (const t of known.values()) Object.assign(grid.row(t.id), definedOnly({ file: t.file, os: t.os, arch: t.arch, maxBytes: t.maxBytes }));
}

/** One result file: recorded as a source, then each of its sections merged into the grid. */
function mergeResult(report: MergedReport, grid: TargetGrid, { file, data }: LoadedResult): void {
  report.sources.push({
    file,
    command: data.command,
    time: data.time,
    exitCode: data.exitCode,
    tool: `${data.tool.name} ${data.tool.version}`,
    host: `${data.host.os}-${data.host.arch}`,
    sections: Object.keys(data.result),
  });
  const r = data.result;
  mergeManifest(grid, r.manifest as Manifest | undefined);
  mergeBuild(grid, r.build as BuildSection | undefined);
  mergeParity(report, grid, r.parity as ParityReport | undefined);
  mergeInspect(grid, r.inspect as InspectFacts[] | undefined);
  mergeSmoke(grid, r.smoke as SmokeSection | undefined);
  mergeSecurity(report, grid, r.security as SecuritySection | undefined);
  mergeExplain(report, r.explain as ExplainSection | undefined);
}

/** Size budgets, the counts, and the verdict: what fails the report besides a failed cell. */
function finishReport(report: MergedReport, grid: TargetGrid): void {
  for (const t of grid.rows.values()) {
    if (t.maxBytes !== undefined && t.bytes !== undefined && t.bytes > t.maxBytes) {
      report.budgetsExceeded.push({ id: t.id, bytes: t.bytes, maxBytes: t.maxBytes });
      const reason = `${formatBytes(t.bytes)} is over the budget of ${formatBytes(t.maxBytes)} (targets.json maxBytes) by ${t.bytes - t.maxBytes} bytes`;
      grid.put(t.id, "built", { status: "fail", summary: reason, reasons: [reason] });
    }
    for (const c of CHECKS) report.counts[t.cells[c].status]++;
    report.targets.push(t);
  }
  // A result's exit code is its own verdict: a command that failed, refused its input or crashed
  // fails the report even when none of its sections reached a cell (a crash records none).
  for (const source of report.sources.filter((s) => s.exitCode !== 0)) {
    report.problems.push(`${source.file}: \`${source.command}\` exited with ${source.exitCode} (${exitMeaning(source.exitCode)})`);
  }
  for (const extra of report.extras) report.problems.push(`${extra.file}: ${extra.verdict} (no target accounts for it)`);
  report.passed =
    report.counts.fail === 0 &&
    report.budgetsExceeded.length === 0 &&
    (report.security ?? []).every((s) => s.status !== "failed") &&
    report.problems.length === 0;
}

/** The CLI's exit codes (verify/errors.ts EXIT); anything else is a signal or a foreign crash. */
function exitMeaning(code: number): string {
  if (code === 1) return "a check failed";
  if (code === 2) return "bad usage or input";
  if (code === 70) return "internal error: it crashed";
  if (code > 128) return `killed by signal ${code - 128}`;
  return "it did not finish normally";
}

/** Size and build time per target, now and in an earlier result or report. */
export function compareReports(current: MergedReport, old: MergedReport, against: string): { against: string; rows: CompareRow[] } {
  const before = new Map(old.targets.map((t) => [t.id, t]));
  return {
    against,
    rows: current.targets.map((t) => {
      const o = before.get(t.id);
      return definedOnly({ id: t.id, bytes: t.bytes, oldBytes: o?.bytes, buildMs: t.buildMs, oldBuildMs: o?.buildMs }) as CompareRow;
    }),
  };
}

function definedOnly<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}

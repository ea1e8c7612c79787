// `bun verify report`: merge the result files that commands write with
// --json=FILE into one grid of targets x checks, each cell a verdict with the reason behind it,
// plus sizes against budgets, build times, explanations, and changes against an earlier run.
// Pure, except readResultFiles / writeResultFile at the end.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { TargetOutcome } from "../build/index.ts";
import type { ParityReport } from "../parity/index.ts";
import { type Manifest, type ManifestTarget, stableJson, writeFileAtomic } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import type { InspectFacts, CaseResult } from "../validate/index.ts";
import type { ResultFile } from "../telemetry/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import { formatBytes, formatDuration, formatTable } from "./table.ts";

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

/** What a security result looks like (bun verify security --json), as far as the report reads it. */
interface SecuritySection {
  checks: { id: string; title: string; status: "passed" | "failed" | "not-run"; summary: string; findings: { severity: "error" | "warning"; message: string; artifact?: string; file?: string; module?: string; rule?: string }[] }[];
}

interface BuildSection {
  outcomes: TargetOutcome[];
  budgets?: Record<string, number>;
}

interface SmokeSection {
  host?: string;
  results: CaseResult[];
}

interface TargetInfo {
  id: string;
  os?: string;
  arch?: string;
  file?: string;
  maxBytes?: number;
}

export interface LoadedResult {
  file: string;
  data: ResultFile;
}

/** Which status wins when two results speak about the same cell: a failure anywhere is a failure. */
const RANK: Record<CellStatus, number> = { fail: 3, pass: 2, "not-run": 1, "no-data": 0 };

const noData = (): Cell => ({ status: "no-data", summary: "no result", reasons: [] });

export function mergeResults(results: LoadedResult[], options: { now?: Date } = {}): MergedReport {
  const ordered = [...results].sort((a, b) => a.data.time.localeCompare(b.data.time));
  const rows = new Map<string, TargetReport>();
  const order: string[] = [];
  const row = (id: string): TargetReport => {
    let r = rows.get(id);
    if (!r) {
      r = { id, cells: Object.fromEntries(CHECKS.map((c) => [c, noData()])) as Record<CheckName, Cell> };
      rows.set(id, r);
      order.push(id);
    }
    return r;
  };
  const put = (id: string, check: CheckName, cell: Cell) => {
    const r = row(id);
    const old = r.cells[check];
    if (RANK[cell.status] > RANK[old.status]) r.cells[check] = cell;
    else if (RANK[cell.status] === RANK[old.status] && cell.status !== "no-data") {
      r.cells[check] = { ...old, reasons: unique([...old.reasons, ...cell.reasons]) };
    }
  };
  const report: MergedReport = {
    schemaVersion: 1,
    kind: "bun-parity-report",
    tool: { name: TOOL_NAME, version: TOOL_VERSION },
    generatedAt: (options.now ?? new Date()).toISOString(),
    sources: [],
    targets: [],
    extras: [],
    explains: [],
    budgetsExceeded: [],
    counts: { pass: 0, fail: 0, "not-run": 0, "no-data": 0 },
    problems: [],
    passed: true,
  };

  // Targets first (their order, files and budgets), from whichever result knows them.
  // targets.json order (recorded by parity), then build order; budgets come with either.
  const known = new Map<string, TargetInfo>();
  for (const { data } of ordered) for (const t of (data.result.targets as TargetInfo[] | undefined) ?? []) known.set(t.id, { ...known.get(t.id), ...t });
  for (const { data } of ordered) {
    const build = data.result.build as BuildSection | undefined;
    for (const o of build?.outcomes ?? []) if (!known.has(o.id)) known.set(o.id, { id: o.id });
    for (const [id, maxBytes] of Object.entries(build?.budgets ?? {})) known.set(id, { ...known.get(id), id, maxBytes });
  }
  for (const t of known.values()) Object.assign(row(t.id), definedOnly({ file: t.file, os: t.os, arch: t.arch, maxBytes: t.maxBytes }));
  const targetOfFile = (file: string): string | undefined => {
    const base = path.basename(file);
    for (const r of rows.values()) if (r.file === base) return r.id;
    for (const r of rows.values()) if (base.replace(/\.exe$/i, "").endsWith(`-${r.id}`)) return r.id;
    return undefined;
  };

  for (const { file, data } of ordered) {
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

    const manifest = r.manifest as Manifest | undefined;
    for (const entry of manifest?.targets ?? []) {
      setArtifact(row(entry.id), entry, false);
      put(entry.id, "built", { status: "pass", summary: `built (manifest.json, ${formatBytes(entry.bytes)})`, reasons: [] });
      put(entry.id, "hashed", { status: "pass", summary: `sha256 ${entry.sha256.slice(0, 12)}…`, reasons: [] });
    }

    const build = r.build as BuildSection | undefined;
    for (const o of build?.outcomes ?? []) {
      if (o.entry) setArtifact(row(o.id), o.entry, o.status === "reused");
      if (o.status === "failed") {
        const reasons = firstLines(o.error ?? "failed", 6);
        put(o.id, "built", { status: "fail", summary: reasons[0] ?? "failed", reasons });
        put(o.id, "hashed", { status: "not-run", summary: "not hashed: the build failed", reasons: ["not hashed: the build failed"] });
      } else if (o.entry) {
        const how = o.status === "reused" ? "reused (inputs unchanged)" : `built in ${formatDuration(o.entry.durationMs)}`;
        put(o.id, "built", { status: "pass", summary: how, reasons: [] });
        put(o.id, "hashed", { status: "pass", summary: `sha256 ${o.entry.sha256.slice(0, 12)}…`, reasons: [] });
      }
    }

    const parity = r.parity as ParityReport | undefined;
    if (parity) {
      const ref = parity.reference;
      report.reference = `${ref.kind}${ref.kind === "folder" || ref.kind === "listing" ? ` ${ref.location}` : ""}`;
      for (const p of parity.rows) {
        if (!p.target) {
          report.extras.push({ file: p.file, verdict: p.verdict });
          continue;
        }
        const t = row(p.target);
        t.file ??= p.file;
        if (p.native?.sha256) {
          t.sha256 ??= p.native.sha256;
          if (p.native.bytes !== undefined) t.bytes ??= p.native.bytes;
          put(p.target, "hashed", { status: "pass", summary: `sha256 ${p.native.sha256.slice(0, 12)}…`, reasons: [] });
        }
        if (p.verdict === "identical") {
          put(p.target, "parity", { status: "pass", summary: `identical to the ${ref.kind} reference`, reasons: [] });
        } else {
          const reasons = p.explanation ?? [];
          put(p.target, "parity", { status: "fail", summary: `${p.verdict} (${report.reference} reference)`, reasons });
          if (p.explanation) t.explanation = p.explanation;
        }
      }
    }

    for (const facts of (r.inspect as InspectFacts[] | undefined) ?? []) {
      const id = /\(([^)]+)\)$/.exec(facts.claim?.source ?? "")?.[1] ?? targetOfFile(facts.file);
      if (!id) continue;
      if (facts.ok) {
        put(id, "inspect", { status: "pass", summary: inspectSummary(facts), reasons: [] });
      } else {
        put(id, "inspect", { status: "fail", summary: facts.problems[0] ?? "failed", reasons: facts.problems });
        if (facts.problems.some((p) => p.startsWith("sha256 differs from manifest.json"))) {
          put(id, "hashed", { status: "fail", summary: "the file changed after it was hashed", reasons: ["sha256 differs from manifest.json: the file changed after the build"] });
        }
      }
    }

    const smoke = r.smoke as SmokeSection | undefined;
    const byTarget = new Map<string, CaseResult[]>();
    for (const c of smoke?.results ?? []) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
    for (const [id, cases] of byTarget) put(id, "smoke", smokeCell(cases, smoke?.host));

    const security = r.security as SecuritySection | undefined;
    if (security) mergeSecurity(security, report, rows, put);

    const explain = r.explain as { identical: boolean; a: { name?: string }; b: { name?: string }; text?: string } | undefined;
    if (explain) report.explains.push({ a: explain.a?.name ?? "A", b: explain.b?.name ?? "B", identical: explain.identical, text: explain.text ?? "" });
  }

  for (const id of order) {
    const t = rows.get(id)!;
    if (t.maxBytes !== undefined && t.bytes !== undefined && t.bytes > t.maxBytes) {
      report.budgetsExceeded.push({ id, bytes: t.bytes, maxBytes: t.maxBytes });
      const reason = `${formatBytes(t.bytes)} is over the budget of ${formatBytes(t.maxBytes)} (targets.json maxBytes) by ${t.bytes - t.maxBytes} bytes`;
      put(id, "built", { status: "fail", summary: reason, reasons: [reason] });
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
  return report;
}

/** The CLI's exit codes (verify/errors.ts EXIT); anything else is a signal or a foreign crash. */
function exitMeaning(code: number): string {
  if (code === 1) return "a check failed";
  if (code === 2) return "bad usage or input";
  if (code === 70) return "internal error: it crashed";
  if (code > 128) return `killed by signal ${code - 128}`;
  return "it did not finish normally";
}

function setArtifact(t: TargetReport, entry: ManifestTarget, cacheHit: boolean): void {
  // The same bytes seen built fresh in an earlier result stay "built", not "cached".
  if (cacheHit && t.sha256 === entry.sha256 && !t.cacheHit) cacheHit = false;
  t.file = entry.file;
  t.os ??= entry.os;
  t.arch ??= entry.arch;
  t.bytes = entry.bytes;
  t.sha256 = entry.sha256;
  t.buildMs = entry.durationMs;
  if (cacheHit) t.cacheHit = true;
  else delete t.cacheHit;
}

function inspectSummary(f: InspectFacts): string {
  const parts = [`${f.format} ${f.os}/${f.arch}`];
  if (f.elf) parts.push(f.elf.static ? "static" : `${f.elf.libc}${f.elf.minimumGlibc ? ` ≥ ${f.elf.minimumGlibc}` : ""}`);
  if (f.pe) parts.push(f.pe.subsystem);
  if (f.macho) parts.push(`signature ${f.macho.signature}`);
  if (f.bun?.version) parts.push(`Bun ${f.bun.version}`);
  return parts.join(", ");
}

function smokeCell(cases: CaseResult[], host: string | undefined): Cell {
  const failed = cases.filter((c) => c.status === "fail");
  const passed = cases.filter((c) => c.status === "pass");
  if (failed.length > 0) {
    const reasons = failed.flatMap((c) => firstLines(`${c.case}: ${c.reason}`, 8));
    return { status: "fail", summary: `${failed.length} of ${cases.length} case(s) failed: ${failed.map((c) => c.case).join(", ")}`, reasons };
  }
  if (passed.length > 0) {
    const how = unique(passed.map((c) => c.how ?? c.reason)).join(", ");
    return { status: "pass", summary: `${passed.length}/${cases.length} cases passed (${how}${host ? ` on ${host}` : ""})`, reasons: [] };
  }
  const reasons = unique(cases.map((c) => c.reason));
  return { status: "not-run", summary: reasons[0] ?? "not run", reasons };
}

function mergeSecurity(
  security: SecuritySection,
  report: MergedReport,
  rows: Map<string, TargetReport>,
  put: (id: string, check: CheckName, cell: Cell) => void,
): void {
  report.security = security.checks.map((c) => ({
    id: c.id,
    title: c.title,
    status: c.status,
    summary: c.summary,
    errors: c.findings.filter((f) => f.severity === "error").length,
    warnings: c.findings.filter((f) => f.severity === "warning").length,
  }));
  const projectErrors = security.checks.flatMap((c) =>
    c.findings.filter((f) => f.severity === "error" && !f.artifact).map((f) => `${c.title}: ${f.message}${f.file ? ` (${f.file}${f.module ? `, ${f.module}` : ""})` : ""}`),
  );
  const leaks = security.checks.find((c) => c.id === "artifact-leaks");
  for (const t of rows.values()) {
    const mine = security.checks.flatMap((c) =>
      c.findings.filter((f) => f.severity === "error" && f.artifact && f.artifact === t.file).map((f) => `${c.title}: ${f.message}${f.module ? ` (${f.module})` : ""}`),
    );
    const reasons = [...mine, ...projectErrors];
    if (reasons.length > 0) put(t.id, "security", { status: "fail", summary: reasons[0]!, reasons });
    else if (leaks?.status === "not-run") put(t.id, "security", { status: "not-run", summary: leaks.summary, reasons: [leaks.summary] });
    else put(t.id, "security", { status: "pass", summary: "no findings", reasons: [] });
  }
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

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

function firstLines(text: string, n: number): string[] {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim());
  return lines.length > n ? [...lines.slice(0, n), `… (${lines.length - n} more lines)`] : lines;
}

// ---------------------------------------------------------------------------------------------
// Rendering: terminal and Markdown (the HTML page is html.ts).

export const STATUS_WORD: Record<CellStatus, string> = { pass: "pass", fail: "FAIL", "not-run": "not run", "no-data": "-" };
const STATUS_ICON: Record<CellStatus, string> = { pass: "✅", fail: "❌", "not-run": "⏭️", "no-data": "➖" };

export function signedDelta(now: number | undefined, before: number | undefined, format: (n: number) => string): string {
  if (now === undefined || before === undefined) return "";
  const d = now - before;
  if (d === 0) return "±0";
  const pct = before > 0 ? ` (${d > 0 ? "+" : ""}${((d / before) * 100).toFixed(1)}%)` : "";
  return `${d > 0 ? "+" : "-"}${format(Math.abs(d))}${pct}`;
}

/** Every cell that is not a pass, with its reasons: what the report must always show. */
export function nonPassCells(report: MergedReport): { target: string; check: CheckName; cell: Cell }[] {
  return report.targets.flatMap((t) => CHECKS.filter((c) => t.cells[c].status === "fail" || t.cells[c].status === "not-run").map((c) => ({ target: t.id, check: c, cell: t.cells[c] })));
}

function sizeText(t: TargetReport): string {
  if (t.bytes === undefined) return "";
  return t.maxBytes !== undefined ? `${formatBytes(t.bytes)} / ${formatBytes(t.maxBytes)} (${Math.round((t.bytes / t.maxBytes) * 100)}%)` : formatBytes(t.bytes);
}

function timeText(t: TargetReport): string {
  if (t.buildMs === undefined) return "";
  return `${formatDuration(t.buildMs)}${t.cacheHit ? " (cached)" : ""}`;
}

export function reportText(report: MergedReport): string {
  let out = `bun-parity report: ${report.targets.length} targets from ${report.sources.length} result file(s)${report.reference ? `; parity reference: ${report.reference}` : ""}\n\n`;
  out += formatTable(
    ["target", ...CHECKS, "size (budget)", "build time"],
    report.targets.map((t) => [t.id, ...CHECKS.map((c) => STATUS_WORD[t.cells[c].status]), sizeText(t), timeText(t)]),
  );
  const why = nonPassCells(report);
  if (why.length > 0) {
    out += "\nwhy:\n";
    for (const { target, check, cell } of why) {
      out += `  ${target} ${check}: ${STATUS_WORD[cell.status]}: ${cell.summary}\n`;
      for (const reason of cell.reasons.filter((r) => r !== cell.summary)) out += `      ${reason}\n`;
    }
  }
  for (const e of report.extras) out += `\nextra in the reference: ${e.file} (${e.verdict})\n`;
  if (report.compare) {
    out += `\nchanges since ${report.compare.against}:\n`;
    out += formatTable(
      ["target", "size", "change", "build time", "change"],
      report.compare.rows.map((r) => [
        r.id,
        r.bytes !== undefined ? formatBytes(r.bytes) : "",
        signedDelta(r.bytes, r.oldBytes, formatBytes),
        r.buildMs !== undefined ? formatDuration(r.buildMs) : "",
        signedDelta(r.buildMs, r.oldBuildMs, formatDuration),
      ]),
      { rightAlign: [1, 2, 3, 4] },
    );
  }
  if (report.problems.length > 0) out += `\nalso failing the report:\n${report.problems.map((p) => `  ${p}\n`).join("")}`;
  out += report.passed ? `\nREPORT: every merged result exited 0 and every check that ran passed.\n` : `\nREPORT: FAIL: ${failureParts(report).join("; ")}.\n`;
  return out;
}

/** Why the report fails, one part per reason (empty when it passes). */
export function failureParts(report: MergedReport): string[] {
  const exited = report.sources.filter((s) => s.exitCode !== 0).length;
  return [
    report.counts.fail > 0 ? `${report.counts.fail} check(s) failed` : "",
    report.budgetsExceeded.length > 0 ? `${report.budgetsExceeded.length} size budget(s) exceeded (${report.budgetsExceeded.map((b) => b.id).join(", ")})` : "",
    report.security?.some((s) => s.status === "failed") ? "a security check failed" : "",
    exited > 0 ? `${exited} merged result(s) did not exit 0` : "",
    report.extras.length > 0 ? `${report.extras.length} file(s) extra in the reference` : "",
  ].filter(Boolean);
}

const md = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ").replaceAll("<", "&lt;");

export function reportMarkdown(report: MergedReport): string {
  let out = `## bun-parity report ${report.passed ? "✅" : "❌"}\n\n`;
  out += `${report.targets.length} targets, ${report.sources.length} result file(s) (${unique(report.sources.map((s) => s.command)).join(", ")})${report.reference ? `; parity reference: **${md(report.reference)}**` : ""}.\n\n`;
  out += `| target | ${CHECKS.join(" | ")} | size (budget) | build time |\n|---|${CHECKS.map(() => "---").join("|")}|---:|---:|\n`;
  for (const t of report.targets) {
    out += `| ${t.id} | ${CHECKS.map((c) => `${STATUS_ICON[t.cells[c].status]} ${STATUS_WORD[t.cells[c].status]}`).join(" | ")} | ${sizeText(t)} | ${timeText(t)} |\n`;
  }
  const why = nonPassCells(report);
  if (why.length > 0 || report.problems.length > 0) {
    out += `\n**Why**\n\n`;
    for (const { target, check, cell } of why) out += `- ${STATUS_ICON[cell.status]} **${target}** ${check}: ${md(cell.summary)}\n`;
    for (const problem of report.problems) out += `- ❌ ${md(problem)}\n`;
  }
  for (const t of report.targets.filter((x) => x.explanation)) {
    out += `\n<details><summary>${t.id} differs: explain</summary>\n\n${t.explanation!.map((l) => `- ${md(l)}`).join("\n")}\n</details>\n`;
  }
  if (report.compare) {
    out += `\n**Changes since \`${md(report.compare.against)}\`**\n\n| target | size | change | build time | change |\n|---|---:|---:|---:|---:|\n`;
    for (const r of report.compare.rows) {
      out += `| ${r.id} | ${r.bytes !== undefined ? formatBytes(r.bytes) : ""} | ${signedDelta(r.bytes, r.oldBytes, formatBytes)} | ${r.buildMs !== undefined ? formatDuration(r.buildMs) : ""} | ${signedDelta(r.buildMs, r.oldBuildMs, formatDuration)} |\n`;
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Files.

export async function writeResultFile(file: string, data: ResultFile | MergedReport): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFileAtomic(file, stableJson(data));
}

/** Result files from arguments: files, or folders (every *.json in them that is a result file). */
export function readResultFiles(inputs: string[], cwd: string): { results: LoadedResult[]; skipped: string[] } {
  const results: LoadedResult[] = [];
  const skipped: string[] = [];
  for (const input of inputs) {
    const abs = path.resolve(cwd, input);
    if (!existsSync(abs)) throw new UsageError(`${input}: no such file or folder`, "Pass result files written with --json=FILE, or the folder they are in.");
    if (statSync(abs).isDirectory()) {
      for (const name of readdirSync(abs).filter((n) => n.endsWith(".json")).sort()) {
        const file = path.join(abs, name);
        const data = parseJsonFile(file);
        // An earlier report's own result (report --json=FILE) is an output, not an input.
        if (isResultFile(data) && data.command !== "report") results.push({ file: path.relative(cwd, file) || file, data });
        else skipped.push(path.relative(cwd, file));
      }
      continue;
    }
    const data = parseJsonFile(abs);
    if (!isResultFile(data)) {
      throw new UsageError(`${input}: not a bun-parity result file (kind "bun-parity-result" expected)`, "Write one with --json=FILE, e.g. bun verify build --json=results/build.json.");
    }
    results.push({ file: path.relative(cwd, abs) || abs, data });
  }
  return { results, skipped };
}

/** An earlier run for --compare: a report JSON (report --json=FILE) or a result file. */
export function readComparison(file: string, cwd: string): MergedReport {
  const abs = path.resolve(cwd, file);
  if (!existsSync(abs)) throw new UsageError(`--compare ${file}: no such file`, "Pass a report or result JSON of an earlier run.");
  const data = parseJsonFile(abs);
  const isReport = (value: unknown): value is MergedReport => (value as MergedReport)?.kind === "bun-parity-report" && Array.isArray((value as MergedReport).targets);
  if (isReport(data)) return data; // bun verify report --json > FILE
  if (isResultFile(data)) return isReport(data.result.report) ? data.result.report : mergeResults([{ file, data }]); // report --json=FILE, or any command's result
  throw new UsageError(`--compare ${file}: neither a bun-parity report nor a result file`, "Pass the JSON of an earlier `bun verify report --json=FILE` or a --json=FILE result.");
}

function parseJsonFile(file: string): unknown {
  try {
    return JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new UsageError(`${file}: not valid JSON (${(error as Error).message})`, "Pass result files written with --json=FILE.");
  }
}

function isResultFile(data: unknown): data is ResultFile {
  const d = data as ResultFile | undefined;
  return d?.kind === "bun-parity-result" && typeof d.command === "string" && typeof d.result === "object" && d.result !== null;
}

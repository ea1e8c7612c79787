// One merger per section of a result file (manifest, build, parity, inspect, smoke, security,
// explain), each filling the cells of the grid it speaks about. mergeResults (merge.ts) runs
// them in turn for every result file; adding a section means adding one function here.
import path from "node:path";
import type { TargetOutcome } from "../build/index.ts";
import type { Manifest, ManifestTarget } from "../digest/index.ts";
import type { ParityReport } from "../parity/index.ts";
import type { CaseResult, InspectFacts } from "../validate/index.ts";
import { type Cell, type CellStatus, CHECKS, type CheckName, type MergedReport, type TargetReport } from "./merged-report.ts";
import { formatBytes, formatDuration } from "./table.ts";

/** What a security result looks like (bun verify security --json), as far as the report reads it. */
export interface SecuritySection {
  checks: { id: string; title: string; status: "passed" | "failed" | "not-run"; summary: string; findings: { severity: "error" | "warning"; message: string; artifact?: string; file?: string; module?: string; rule?: string }[] }[];
}

export interface BuildSection {
  outcomes: TargetOutcome[];
  budgets?: Record<string, number>;
}

export interface SmokeSection {
  host?: string;
  results: CaseResult[];
}

export interface ExplainSection {
  identical: boolean;
  a: { name?: string };
  b: { name?: string };
  text?: string;
}

/** Which status wins when two results speak about the same cell: a failure anywhere is a failure. */
const RANK: Record<CellStatus, number> = { fail: 3, pass: 2, "not-run": 1, "no-data": 0 };

const noData = (): Cell => ({ status: "no-data", summary: "no result", reasons: [] });

/** The rows of the report, one per target in the order first seen, and how cells combine. */
export class TargetGrid {
  readonly rows = new Map<string, TargetReport>();

  row(id: string): TargetReport {
    let r = this.rows.get(id);
    if (!r) {
      r = { id, cells: Object.fromEntries(CHECKS.map((c) => [c, noData()])) as Record<CheckName, Cell> };
      this.rows.set(id, r);
    }
    return r;
  }

  /** The higher-ranked status wins; at the same status the reasons of both are kept. */
  put(id: string, check: CheckName, cell: Cell): void {
    const r = this.row(id);
    const old = r.cells[check];
    if (RANK[cell.status] > RANK[old.status]) r.cells[check] = cell;
    else if (RANK[cell.status] === RANK[old.status] && cell.status !== "no-data") {
      r.cells[check] = { ...old, reasons: unique([...old.reasons, ...cell.reasons]) };
    }
  }

  /** The target a file belongs to: by its recorded file name, else by the `-<target>` suffix. */
  targetOfFile(file: string): string | undefined {
    const base = path.basename(file);
    for (const r of this.rows.values()) if (r.file === base) return r.id;
    for (const r of this.rows.values()) if (base.replace(/\.exe$/i, "").endsWith(`-${r.id}`)) return r.id;
    return undefined;
  }
}

export function mergeManifest(grid: TargetGrid, manifest: Manifest | undefined): void {
  for (const entry of manifest?.targets ?? []) {
    setArtifact(grid.row(entry.id), entry, false);
    grid.put(entry.id, "built", { status: "pass", summary: `built (manifest.json, ${formatBytes(entry.bytes)})`, reasons: [] });
    grid.put(entry.id, "hashed", { status: "pass", summary: `sha256 ${entry.sha256.slice(0, 12)}…`, reasons: [] });
  }
}

export function mergeBuild(grid: TargetGrid, build: BuildSection | undefined): void {
  for (const o of build?.outcomes ?? []) {
    if (o.entry) setArtifact(grid.row(o.id), o.entry, o.status === "reused");
    if (o.status === "failed") {
      const reasons = firstLines(o.error ?? "failed", 6);
      grid.put(o.id, "built", { status: "fail", summary: reasons[0] ?? "failed", reasons });
      grid.put(o.id, "hashed", { status: "not-run", summary: "not hashed: the build failed", reasons: ["not hashed: the build failed"] });
    } else if (o.entry) {
      const how = o.status === "reused" ? "reused (inputs unchanged)" : `built in ${formatDuration(o.entry.durationMs)}`;
      grid.put(o.id, "built", { status: "pass", summary: how, reasons: [] });
      grid.put(o.id, "hashed", { status: "pass", summary: `sha256 ${o.entry.sha256.slice(0, 12)}…`, reasons: [] });
    }
  }
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

export function mergeParity(report: MergedReport, grid: TargetGrid, parity: ParityReport | undefined): void {
  if (!parity) return;
  const ref = parity.reference;
  report.reference = `${ref.kind}${ref.kind === "folder" || ref.kind === "listing" ? ` ${ref.location}` : ""}`;
  for (const p of parity.rows) {
    if (!p.target) {
      report.extras.push({ file: p.file, verdict: p.verdict });
      continue;
    }
    const t = grid.row(p.target);
    t.file ??= p.file;
    if (p.native?.sha256) {
      t.sha256 ??= p.native.sha256;
      if (p.native.bytes !== undefined) t.bytes ??= p.native.bytes;
      grid.put(p.target, "hashed", { status: "pass", summary: `sha256 ${p.native.sha256.slice(0, 12)}…`, reasons: [] });
    }
    if (p.verdict === "identical") {
      grid.put(p.target, "parity", { status: "pass", summary: `identical to the ${ref.kind} reference`, reasons: [] });
    } else {
      const reasons = p.explanation ?? [];
      grid.put(p.target, "parity", { status: "fail", summary: `${p.verdict} (${report.reference} reference)`, reasons });
      if (p.explanation) t.explanation = p.explanation;
    }
  }
}

export function mergeInspect(grid: TargetGrid, inspect: InspectFacts[] | undefined): void {
  for (const facts of inspect ?? []) {
    const id = /\(([^)]+)\)$/.exec(facts.claim?.source ?? "")?.[1] ?? grid.targetOfFile(facts.file);
    if (!id) continue;
    if (facts.ok) {
      grid.put(id, "inspect", { status: "pass", summary: inspectSummary(facts), reasons: [] });
    } else {
      grid.put(id, "inspect", { status: "fail", summary: facts.problems[0] ?? "failed", reasons: facts.problems });
      if (facts.problems.some((p) => p.startsWith("sha256 differs from manifest.json"))) {
        grid.put(id, "hashed", { status: "fail", summary: "the file changed after it was hashed", reasons: ["sha256 differs from manifest.json: the file changed after the build"] });
      }
    }
  }
}

function inspectSummary(f: InspectFacts): string {
  const parts = [`${f.format} ${f.os}/${f.arch}`];
  if (f.elf) parts.push(f.elf.static ? "static" : `${f.elf.libc}${f.elf.minimumGlibc ? ` ≥ ${f.elf.minimumGlibc}` : ""}`);
  if (f.pe) parts.push(f.pe.subsystem);
  if (f.macho) parts.push(`signature ${f.macho.signature}`);
  if (f.bun?.version) parts.push(`Bun ${f.bun.version}`);
  return parts.join(", ");
}

export function mergeSmoke(grid: TargetGrid, smoke: SmokeSection | undefined): void {
  const byTarget = new Map<string, CaseResult[]>();
  for (const c of smoke?.results ?? []) byTarget.set(c.target, [...(byTarget.get(c.target) ?? []), c]);
  for (const [id, cases] of byTarget) grid.put(id, "smoke", smokeCell(cases, smoke?.host));
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

/** Project-wide findings fail every target; an artifact's own findings fail only its target. */
export function mergeSecurity(report: MergedReport, grid: TargetGrid, security: SecuritySection | undefined): void {
  if (!security) return;
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
  for (const t of grid.rows.values()) {
    const mine = security.checks.flatMap((c) =>
      c.findings.filter((f) => f.severity === "error" && f.artifact && f.artifact === t.file).map((f) => `${c.title}: ${f.message}${f.module ? ` (${f.module})` : ""}`),
    );
    const reasons = [...mine, ...projectErrors];
    if (reasons.length > 0) grid.put(t.id, "security", { status: "fail", summary: reasons[0]!, reasons });
    else if (leaks?.status === "not-run") grid.put(t.id, "security", { status: "not-run", summary: leaks.summary, reasons: [leaks.summary] });
    else grid.put(t.id, "security", { status: "pass", summary: "no findings", reasons: [] });
  }
}

export function mergeExplain(report: MergedReport, explain: ExplainSection | undefined): void {
  if (explain) report.explains.push({ a: explain.a?.name ?? "A", b: explain.b?.name ?? "B", identical: explain.identical, text: explain.text ?? "" });
}

function unique(lines: string[]): string[] {
  return [...new Set(lines)];
}

function firstLines(text: string, n: number): string[] {
  const lines = text.split("\n").map((l) => l.trimEnd()).filter((l) => l.trim());
  return lines.length > n ? [...lines.slice(0, n), `… (${lines.length - n} more lines)`] : lines;
}

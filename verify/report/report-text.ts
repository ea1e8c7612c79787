// The merged report as terminal text and as Markdown (the GitHub job summary); the HTML page is
// html.ts. Pure: MergedReport in, text out.
import { CHECKS, type Cell, type CellStatus, type CheckName, type MergedReport, type TargetReport } from "./merged-report.ts";
import { formatBytes, formatDuration, formatTable } from "./table.ts";

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
  out += `${report.targets.length} targets, ${report.sources.length} result file(s) (${[...new Set(report.sources.map((s) => s.command))].join(", ")})${report.reference ? `; parity reference: **${md(report.reference)}**` : ""}.\n\n`;
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

// The parity report as terminal text and as Markdown (a GitHub step summary).
import type { ParityReport, ParityRow } from "../parity/index.ts";
import { formatTable } from "./table.ts";

const short = (sha?: string) => (sha ? sha.slice(0, 16) : "-");

function referenceLine(report: ParityReport): string {
  const r = report.reference;
  const why = r.chosenBecause ? ` (${r.chosenBecause})` : "";
  const room = r.cleanRoom ? `\n  checkout: ${r.cleanRoom.checkout.description}\n  install: ${r.cleanRoom.install.how}` : "";
  return `reference: ${r.kind} ${r.location}${why}${room}${r.command ? `\n  ran: ${r.command}` : ""}`;
}

export function parityText(report: ParityReport): string {
  let out = `\nparity for ${report.project}\nnative:    ${report.native.command} -> ${report.native.distDir}\n${referenceLine(report)}\n\n`;
  out += formatTable(
    ["target", "file", "native sha256", "reference sha256", "verdict"],
    report.rows.map((r) => [r.target || "-", r.file, short(r.native?.sha256), short(r.reference?.sha256), r.verdict]),
  );
  for (const row of report.rows.filter((r) => r.explanation)) {
    out += `\n${row.target || row.file} differs:\n${row.explanation!.map((line) => `  - ${line}`).join("\n")}\n`;
  }
  const room = report.reference.cleanRoom;
  if (room) {
    out += `\nclean-room variations (reprotest names):\n`;
    out += formatTable(["variation", "what", "native", "clean room"], room.variations.map((v) => [v.reprotest, v.what, v.native, v.cleanRoom]));
    out += `not applied: ${room.notApplied.map((n) => `${n.reprotest} (${n.why})`).join("; ")}\n`;
    out += `shared verified caches: ${room.sharedCaches.join(", ")}\n`;
    if (room.checkout.leftOut.length > 0) out += `left out of the clean room (ignored by git; a build that reads one differs): ${room.checkout.leftOut.join(", ")}\n`;
  }
  out += validationText(report);
  const bad = report.rows.filter((r) => r.verdict !== "identical").length;
  out += bad === 0
    ? `\nPARITY: all ${report.rows.length} artifacts are bit-for-bit identical.\n`
    : `\nNO PARITY: ${bad} of ${report.rows.length} artifacts are not identical.\n`;
  return out;
}

function validationText(report: ParityReport): string {
  const { inspect, smoke } = report.validation;
  let out = `\nnative artifacts: inspect ${inspect.checked - inspect.failures.length}/${inspect.checked} ok; smoke ${smoke.passed} passed, ${smoke.failed.length} failed, ${smoke.notRun} not run here\n`;
  for (const f of inspect.failures) out += `  inspect FAIL ${f.file}: ${f.problems.join("; ")}\n`;
  for (const f of smoke.failed) out += `  smoke FAIL ${f.target} / ${f.case}: ${f.reason.split("\n")[0]}\n`;
  for (const w of smoke.warnings ?? []) out += `  smoke WARNING: ${w}\n`;
  return out;
}

const cell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const icon = (row: ParityRow) => (row.verdict === "identical" ? "✅" : "❌");

export function parityMarkdown(report: ParityReport): string {
  const r = report.reference;
  let md = `## bun-parity: parity ${report.passed ? "✅" : "❌"}\n\n`;
  md += `Native: \`${report.native.command}\`. Reference: **${r.kind}** ${r.kind === "listing" || r.kind === "folder" ? `\`${r.location}\`` : ""}${r.chosenBecause ? ` (${cell(r.chosenBecause)})` : ""}.\n\n`;
  if (r.cleanRoom) md += `Clean room: git checkout of ${cell(r.cleanRoom.checkout.description)}; install: ${cell(r.cleanRoom.install.how)}.\n\n`;
  md += `| target | file | native sha256 | reference sha256 | verdict |\n|---|---|---|---|---|\n`;
  for (const row of report.rows) {
    md += `| ${row.target || "-"} | \`${row.file}\` | \`${short(row.native?.sha256)}\` | \`${short(row.reference?.sha256)}\` | ${icon(row)} ${row.verdict} |\n`;
  }
  for (const row of report.rows.filter((x) => x.explanation)) {
    md += `\n**${row.target || row.file}** differs:\n${row.explanation!.map((line) => `- ${cell(line)}`).join("\n")}\n`;
  }
  const { inspect, smoke } = report.validation;
  md += `\nNative artifacts: inspect ${inspect.checked - inspect.failures.length}/${inspect.checked} ok; smoke ${smoke.passed} passed, ${smoke.failed.length} failed, ${smoke.notRun} not run on this host.\n`;
  for (const f of inspect.failures) md += `- ❌ inspect \`${f.file}\`: ${cell(f.problems.join("; "))}\n`;
  for (const f of smoke.failed) md += `- ❌ smoke ${f.target} / ${cell(f.case)}: ${cell(f.reason.split("\n")[0]!)}\n`;
  for (const w of smoke.warnings ?? []) md += `- ⚠️ smoke: ${cell(w)}\n`;
  if (r.cleanRoom) {
    md += `\n<details><summary>Clean-room variations (reprotest names)</summary>\n\n| variation | what | native | clean room |\n|---|---|---|---|\n`;
    for (const v of r.cleanRoom.variations) md += `| ${v.reprotest} | ${cell(v.what)} | ${cell(v.native)} | ${cell(v.cleanRoom)} |\n`;
    md += `\nNot applied: ${r.cleanRoom.notApplied.map((n) => `${n.reprotest} (${cell(n.why)})`).join("; ")}.\n</details>\n`;
  }
  return md;
}

// The report as one self-contained HTML page: no scripts, no fonts, no images
// from anywhere (a Content-Security-Policy forbids every fetch); inline CSS and SVG charts.
// Pure: MergedReport in, HTML text out.
import { formatBytes, formatDuration } from "./table.ts";
import { CHECKS, type CellStatus, type MergedReport, type TargetReport } from "./merged-report.ts";
import { STATUS_WORD, nonPassCells, signedDelta } from "./report-text.ts";

const esc = (s: unknown) =>
  String(s).replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;").replaceAll('"', "&quot;").replaceAll("'", "&#39;");

const CSS = `
:root { --pass:#1a7f37; --pass-bg:#dafbe1; --fail:#cf222e; --fail-bg:#ffebe9; --skip:#9a6700; --skip-bg:#fff8c5; --none:#6e7781; --none-bg:#f6f8fa;
  --ink:#1f2328; --muted:#59636e; --line:#d1d9e0; --bar:#0969da; }
* { box-sizing: border-box; }
body { margin: 0; font: 14px/1.45 -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; color: var(--ink); background: #fff; }
header { padding: 20px 28px 14px; border-bottom: 1px solid var(--line); background: #f6f8fa; }
h1 { margin: 0 0 4px; font-size: 22px; } h2 { font-size: 17px; margin: 28px 0 10px; }
main { padding: 0 28px 28px; max-width: 1400px; }
.meta { color: var(--muted); margin: 2px 0; }
.badge { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600; font-size: 13px; vertical-align: middle; margin-left: 8px; }
.badge.pass { background: var(--pass-bg); color: var(--pass); border: 1px solid var(--pass); }
.badge.fail { background: var(--fail-bg); color: var(--fail); border: 1px solid var(--fail); }
.chips span { display: inline-block; margin-right: 10px; font-size: 13px; }
table { border-collapse: collapse; }
table.grid { width: 100%; table-layout: fixed; }
.grid th, .grid td { border: 1px solid var(--line); padding: 6px 8px; vertical-align: top; text-align: left; }
.grid thead th { background: #f6f8fa; font-weight: 600; }
.grid th.target { width: 170px; } .grid th.num { width: 150px; }
.file { font: 12px ui-monospace, "DejaVu Sans Mono", monospace; color: var(--muted); font-weight: normal; word-break: break-all; }
td.cell .status { display: block; font-weight: 700; text-transform: uppercase; font-size: 12px; letter-spacing: .04em; }
td.cell .summary { display: block; font-size: 12px; word-break: break-word; }
td.cell ul { margin: 4px 0 0; padding-left: 16px; font-size: 12px; }
td.cell li { word-break: break-word; }
td.pass { background: var(--pass-bg); } td.pass .status { color: var(--pass); }
td.fail { background: var(--fail-bg); } td.fail .status { color: var(--fail); }
td.not-run { background: var(--skip-bg); } td.not-run .status { color: var(--skip); }
td.no-data { background: var(--none-bg); color: var(--none); }
td.num { font-variant-numeric: tabular-nums; font-size: 13px; }
.over { color: var(--fail); font-weight: 700; }
.legend span { display: inline-block; padding: 1px 8px; margin-right: 6px; border-radius: 4px; font-size: 12px; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; }
.chart { border: 1px solid var(--line); border-radius: 6px; padding: 10px 12px; margin: 0; }
.chart h3 { margin: 0 0 6px; font-size: 14px; }
svg text { font: 12px -apple-system, "Segoe UI", "DejaVu Sans", Helvetica, Arial, sans-serif; fill: var(--ink); }
pre { background: #f6f8fa; border: 1px solid var(--line); border-radius: 6px; padding: 10px; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, "DejaVu Sans Mono", monospace; }
details { margin: 8px 0; } summary { cursor: pointer; font-weight: 600; }
.small { font-size: 12px; color: var(--muted); }
table.plain th, table.plain td { border-bottom: 1px solid var(--line); padding: 4px 10px 4px 0; text-align: left; font-size: 13px; }
`;

export function reportHtml(report: MergedReport): string {
  const title = `bun-parity report: ${report.passed ? "pass" : "FAIL"}`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<header>
<h1>bun-parity report <span class="badge ${report.passed ? "pass" : "fail"}" id="verdict">${report.passed ? "PASS" : "FAIL"}</span></h1>
<p class="meta">${report.targets.length} targets from ${report.sources.length} result file(s): ${esc([...new Set(report.sources.map((s) => s.command))].join(", "))}${report.reference ? ` · parity reference: <b>${esc(report.reference)}</b>` : ""}</p>
<p class="meta">generated ${esc(report.generatedAt)} by ${esc(report.tool.name)} ${esc(report.tool.version)}</p>
<p class="chips">${(["pass", "fail", "not-run", "no-data"] as CellStatus[]).map((s) => `<span>${esc(STATUS_WORD[s] === "-" ? "no data" : STATUS_WORD[s])}: <b>${report.counts[s]}</b></span>`).join("")}</p>
</header>
<main>
${gridSection(report)}
${chartsSection(report)}
${explainSection(report)}
${securitySection(report)}
${compareSection(report)}
${sourcesSection(report)}
</main>
</body>
</html>
`;
}

function gridSection(report: MergedReport): string {
  const legend = `<p class="legend"><span class="pass" style="background:var(--pass-bg)">pass</span><span style="background:var(--fail-bg)">fail</span><span style="background:var(--skip-bg)">not run (with the reason)</span><span style="background:var(--none-bg)">no result merged</span></p>`;
  const head = `<tr><th class="target">target</th>${CHECKS.map((c) => `<th>${c}</th>`).join("")}<th class="num">size / budget</th><th class="num">build time</th></tr>`;
  const rows = report.targets.map((t) => {
    const cells = CHECKS.map((c) => {
      const cell = t.cells[c];
      const reasons = cell.status === "fail" || cell.status === "not-run" ? cell.reasons.filter((r) => r !== cell.summary).slice(0, 8) : [];
      return `<td class="cell ${cell.status}" data-target="${esc(t.id)}" data-check="${c}" data-status="${cell.status}"><span class="status">${esc(STATUS_WORD[cell.status] === "-" ? "no data" : STATUS_WORD[cell.status])}</span><span class="summary">${esc(cell.summary)}</span>${reasons.length > 0 ? `<ul>${reasons.map((r) => `<li>${esc(r)}</li>`).join("")}</ul>` : ""}</td>`;
    }).join("");
    return `<tr data-target="${esc(t.id)}"><th scope="row">${esc(t.id)}${t.file ? `<div class="file">${esc(t.file)}</div>` : ""}</th>${cells}<td class="num">${sizeCell(t)}</td><td class="num">${t.buildMs !== undefined ? `${esc(formatDuration(t.buildMs))}${t.cacheHit ? ' <span class="small">(cached)</span>' : ""}` : ""}</td></tr>`;
  });
  const why = nonPassCells(report);
  const whyList = why.length === 0 ? "" : `<h2>Why not a pass</h2><ul id="why">${why.map(({ target, check, cell }) => `<li><b>${esc(target)}</b> ${check}: <b>${esc(STATUS_WORD[cell.status])}</b>: ${esc(cell.summary)}</li>`).join("")}</ul>`;
  const extras = report.extras.length === 0 ? "" : `<p>Files in the reference that no target accounts for: ${report.extras.map((e) => `<code>${esc(e.file)}</code> (${esc(e.verdict)})`).join(", ")}</p>`;
  const problems = report.problems.length === 0 ? "" : `<h2>Also failing the report</h2><ul id="problems">${report.problems.map((p) => `<li>${esc(p)}</li>`).join("")}</ul>`;
  return `<h2>Checks per target</h2>${legend}<table class="grid" id="grid"><thead>${head}</thead><tbody>${rows.join("\n")}</tbody></table>${extras}${whyList}${problems}`;
}

function sizeCell(t: TargetReport): string {
  if (t.bytes === undefined) return "";
  if (t.maxBytes === undefined) return esc(formatBytes(t.bytes));
  const pct = Math.round((t.bytes / t.maxBytes) * 100);
  return `${esc(formatBytes(t.bytes))} / ${esc(formatBytes(t.maxBytes))}<br><span class="${t.bytes > t.maxBytes ? "over" : "small"}">${pct}% of budget</span>`;
}

interface Bar {
  label: string;
  value: number;
  /** A marker line: the size budget. */
  limit?: number;
  /** The same measure in the compared run. */
  before?: number;
  note?: string;
}

function barChart(id: string, title: string, bars: Bar[], format: (n: number) => string): string {
  if (bars.length === 0) return "";
  const labelW = 110;
  const valueW = 150;
  const plotW = 360;
  const rowH = 26;
  const top = 6;
  const max = Math.max(...bars.flatMap((b) => [b.value, b.limit ?? 0, b.before ?? 0]), 1) * 1.04;
  const x = (v: number) => labelW + (v / max) * plotW;
  const height = top + bars.length * rowH + 8;
  const width = labelW + plotW + valueW;
  const rows = bars.map((b, i) => {
    const y = top + i * rowH;
    const over = b.limit !== undefined && b.value > b.limit;
    const near = b.limit !== undefined && !over && b.value > 0.9 * b.limit;
    const color = over ? "#cf222e" : near ? "#bf8700" : "#0969da";
    let g = `<text x="${labelW - 8}" y="${y + 16}" text-anchor="end">${esc(b.label)}</text>`;
    g += `<rect x="${labelW}" y="${y + 4}" width="${Math.max(1, x(b.value) - labelW).toFixed(1)}" height="16" rx="2" fill="${color}"${b.note ? ' fill-opacity="0.55"' : ""}><title>${esc(`${b.label}: ${format(b.value)}`)}</title></rect>`;
    if (b.before !== undefined) g += `<rect x="${labelW}" y="${y + 20}" width="${Math.max(1, x(b.before) - labelW).toFixed(1)}" height="3" fill="#6e7781"><title>${esc(`before: ${format(b.before)}`)}</title></rect>`;
    if (b.limit !== undefined) g += `<line x1="${x(b.limit).toFixed(1)}" x2="${x(b.limit).toFixed(1)}" y1="${y + 1}" y2="${y + 25}" stroke="#cf222e" stroke-width="2" stroke-dasharray="3 2"><title>${esc(`budget ${format(b.limit)}`)}</title></line>`;
    g += `<text x="${labelW + plotW + 8}" y="${y + 16}">${esc(format(b.value))}${b.note ? ` ${esc(b.note)}` : ""}${b.limit !== undefined ? ` · ${Math.round((b.value / b.limit) * 100)}%` : ""}</text>`;
    return g;
  });
  return `<figure class="chart" id="${id}"><h3>${esc(title)}</h3><svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="${esc(title)}">${rows.join("")}</svg></figure>`;
}

function chartsSection(report: MergedReport): string {
  const before = new Map((report.compare?.rows ?? []).map((r) => [r.id, r]));
  const sized = report.targets.filter((t) => t.bytes !== undefined);
  const timed = report.targets.filter((t) => t.buildMs !== undefined);
  const sizes = barChart(
    "chart-size",
    `Artifact size${sized.some((t) => t.maxBytes !== undefined) ? " (dashed line: the targets.json budget)" : ""}${report.compare ? " (grey: before)" : ""}`,
    sized.map((t) => ({ label: t.id, value: t.bytes!, limit: t.maxBytes, before: before.get(t.id)?.oldBytes })),
    formatBytes,
  );
  const times = barChart(
    "chart-time",
    `Build time${timed.some((t) => t.cacheHit) ? " (pale: reused, time of the build that made it)" : ""}${report.compare ? " (grey: before)" : ""}`,
    timed.map((t) => ({ label: t.id, value: t.buildMs!, before: before.get(t.id)?.oldBuildMs, note: t.cacheHit ? "(cached)" : undefined })),
    formatDuration,
  );
  if (!sizes && !times) return "";
  return `<h2>Sizes and build times</h2><div class="charts">${sizes}${times}</div>`;
}

function explainSection(report: MergedReport): string {
  const parts: string[] = [];
  for (const t of report.targets.filter((x) => x.explanation)) {
    parts.push(`<details open class="explain" data-target="${esc(t.id)}"><summary>${esc(t.id)} differs from the reference: why</summary><pre>${esc(t.explanation!.map((l) => `- ${l}`).join("\n"))}</pre></details>`);
  }
  for (const e of report.explains) {
    parts.push(`<details ${e.identical ? "" : "open "}class="explain"><summary>explain ${esc(e.a)} ${esc(e.b)}: ${e.identical ? "identical" : "different"}</summary><pre>${esc(e.text)}</pre></details>`);
  }
  return parts.length === 0 ? "" : `<h2>Explanations of mismatches</h2>${parts.join("\n")}`;
}

function securitySection(report: MergedReport): string {
  if (!report.security) return "";
  const rows = report.security.map((c) => `<tr><td>${esc(c.title)}</td><td>${esc(c.status)}</td><td>${c.errors} error(s), ${c.warnings} warning(s)</td><td>${esc(c.summary)}</td></tr>`);
  return `<h2>Security checks (project)</h2><table class="plain"><tr><th>check</th><th>status</th><th>findings</th><th>summary</th></tr>${rows.join("")}</table>`;
}

function compareSection(report: MergedReport): string {
  if (!report.compare) return "";
  const rows = report.compare.rows.map(
    (r) => `<tr><td>${esc(r.id)}</td><td>${r.bytes !== undefined ? esc(formatBytes(r.bytes)) : ""}</td><td>${esc(signedDelta(r.bytes, r.oldBytes, formatBytes))}</td><td>${r.buildMs !== undefined ? esc(formatDuration(r.buildMs)) : ""}</td><td>${esc(signedDelta(r.buildMs, r.oldBuildMs, formatDuration))}</td></tr>`,
  );
  return `<h2>Changes since ${esc(report.compare.against)}</h2><table class="plain" id="compare"><tr><th>target</th><th>size</th><th>change</th><th>build time</th><th>change</th></tr>${rows.join("")}</table>`;
}

function sourcesSection(report: MergedReport): string {
  const rows = report.sources.map(
    (s) => `<tr><td><code>${esc(s.file)}</code></td><td>${esc(s.command)}</td><td>${esc(s.time)}</td><td>${s.exitCode}</td><td>${esc(s.host)}</td><td>${esc(s.tool)}</td><td>${esc(s.sections.join(", "))}</td></tr>`,
  );
  return `<h2>Merged results</h2><table class="plain"><tr><th>file</th><th>command</th><th>time</th><th>exit</th><th>host</th><th>tool</th><th>sections</th></tr>${rows.join("")}</table>`;
}

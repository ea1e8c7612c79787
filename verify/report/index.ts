// report/: how results are shown: terminal tables, the parity report as text and Markdown, the
// GitHub job summary, build progress, and `bun verify report` (result files merged into one grid
// of targets x checks, as text, Markdown and one HTML page).
// In: the results of build, parity, validate (and --json=FILE result files). Out: text, Markdown, HTML.

export { writeMarkdown } from "./github.ts";
export { reportHtml } from "./html.ts";
export { compareReports, mergeResults } from "./merge.ts";
export { failureParts, reportMarkdown, reportText } from "./report-text.ts";
export { readComparison, readResultFiles, writeResultFile } from "./result-files.ts";
export { parityMarkdown, parityText } from "./parity.ts";
export { buildProgress, isLiveTerminal } from "./progress.ts";
export { formatBytes, formatDuration, formatTable } from "./table.ts";

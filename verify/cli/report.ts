// `bun verify report`: merge the --json=FILE results of other commands into one grid of targets
// x checks, as a terminal table, Markdown (the GitHub job summary) and one HTML page.
import path from "node:path";
import { stableJson, writeFileAtomic } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { logEvent, recordResult } from "../telemetry/index.ts";
import { writeMarkdown, reportHtml, compareReports, failureParts, mergeResults, readComparison, readResultFiles, reportMarkdown, reportText } from "../report/index.ts";
import type { Io } from "../io.ts";

export interface ReportFlags {
  json?: boolean;
  html?: string;
  markdown?: string;
  compare?: string;
}

export async function runReport(io: Io, flags: ReportFlags, inputs: string[]): Promise<number> {
  if (inputs.length === 0) {
    throw new UsageError(
      "report needs result files",
      "Write them with --json=FILE (e.g. bun verify parity --json=results/parity.json), then run: bun verify report results/ --html report.html",
    );
  }
  const { results, skipped } = readResultFiles(inputs, io.cwd);
  for (const file of skipped) io.stderr.write(`note: skipped ${file} (not a bun-parity result file)\n`);
  if (results.length === 0) throw new UsageError(`no result files in ${inputs.join(", ")}`, "Write them with --json=FILE, e.g. bun verify build --json=results/build.json.");

  const report = mergeResults(results);
  if (flags.compare) report.compare = compareReports(report, readComparison(flags.compare, io.cwd), flags.compare);
  recordResult("report", report);

  io.stdout.write(flags.json ? stableJson(report) : reportText(report));
  await writeMarkdown(io, flags.markdown, reportMarkdown(report));
  if (flags.html) {
    const file = path.resolve(io.cwd, flags.html);
    await writeFileAtomic(file, reportHtml(report));
    if (!flags.json) io.stderr.write(`wrote ${path.relative(io.cwd, file) || file} (one self-contained page)\n`);
    logEvent("info", "report.html", { file: flags.html });
  }
  if (!report.passed) throw new CheckFailed(failureParts(report).join("; "));
  return 0;
}

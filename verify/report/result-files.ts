// Result files on disk: writing one (--json=FILE), reading the ones `bun verify report` merges,
// and the earlier run that --compare reads. The only file I/O of the report, kept apart from the
// pure merge and rendering.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import { stableJson, writeFileAtomic } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import type { ResultFile } from "../telemetry/index.ts";
import { mergeResults } from "./merge.ts";
import type { LoadedResult, MergedReport } from "./merged-report.ts";

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

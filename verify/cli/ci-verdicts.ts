// The verdict modes of `bun verify ci`, read from result files and the needs context: one
// validate job's checks (--summary), the release gate over every target (--release-check), and the
// verdict job over every job (--verdict). The judging is pure, in ../ci/verdicts.ts; this reads
// the files, prints, annotates and sets the exit code.
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { type CheckId, type FoundResult, jobsMarkdown, jobVerdicts, releaseMarkdown, releaseVerdicts, resultFileName, verdicts, verdictsMarkdown } from "../ci/index.ts";
import { type Config, selectTargets } from "../config/index.ts";
import { stableJson } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import type { Io } from "../io.ts";
import { formatTable, writeMarkdown } from "../report/index.ts";
import { annotate } from "../telemetry/index.ts";
import { displayPath } from "./ci-project.ts";

/** The flags the verdict modes read (a part of CiFlags). */
export interface ResultFlags {
  target?: string[];
  results?: string;
  markdown?: string;
  json?: boolean;
}

/** The result file a validate step wrote, read without trusting it (checkVerdict judges it). */
function readFound(resultsDir: string, target: { id: string }, check: CheckId): FoundResult {
  const file = path.join(resultsDir, ...resultFileName(target, check).split("/"));
  if (!existsSync(file)) return { kind: "missing" };
  try {
    return { kind: "file", data: JSON.parse(readFileSync(file, "utf8")) as unknown };
  } catch (error) {
    return { kind: "unreadable", reason: (error as Error).message.split("\n")[0]! };
  }
}

function resultsDir(io: Io, flags: ResultFlags, mode: string): string {
  if (!flags.results) {
    throw new UsageError(`--${mode} needs --results DIR`, "Pass the folder the validate steps wrote their --json=FILE results to, e.g. --results results (results/<target>/<check>.json).");
  }
  const dir = path.resolve(io.cwd, flags.results);
  // A missing folder is not bad input here: every check then reads "not run", which fails.
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--results ${flags.results}: is a file, not a folder`, "Pass the folder that holds <target>/<check>.json.");
  return dir;
}

// --summary -------------------------------------------------------------------------------------

export async function summary(io: Io, config: Config, flags: ResultFlags): Promise<number> {
  if (!flags.target || flags.target.length !== 1) {
    throw new UsageError("--summary needs exactly one --target", "Pass the validate job's target, e.g. --summary --target linux-x64.");
  }
  const [target] = selectTargets(config, flags.target);
  const dir = resultsDir(io, flags, "summary");
  const rows = verdicts(config, target!, io.env, (check) => readFound(dir, target!, check));
  if (flags.json) io.stdout.write(stableJson({ target: target!.id, runner: target!.runner, checks: rows }));
  else {
    io.stdout.write(`validate ${target!.id} on ${target!.runner}\n`);
    io.stdout.write(formatTable(["check", "result", "details"], rows.map((r) => [r.check, r.verdict === "fail" ? "FAIL" : r.verdict, r.detail])));
  }
  await writeMarkdown(io, flags.markdown, verdictsMarkdown(target!, rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) {
    annotate(
      io, "error", `validate ${target!.id}: ${r.check}`,
      `${r.check} ${r.verdict === "fail" ? "failed" : "did not run"} on ${target!.runner}${r.detail ? `: ${r.detail}` : ""}. It proves ${r.proves}.${r.reproduce ? ` Reproduce: ${r.reproduce}` : ""}`,
    );
  }
  if (bad.length > 0) throw new CheckFailed(`validate ${target!.id}: ${bad.map((r) => `${r.check} ${r.verdict}`).join(", ")}`);
  return 0;
}

// --release-check -------------------------------------------------------------------------------

export async function releaseCheck(io: Io, config: Config, flags: ResultFlags): Promise<number> {
  const dir = resultsDir(io, flags, "release-check");
  const rows = releaseVerdicts(config, (target, check) => readFound(dir, target, check));
  if (flags.json) io.stdout.write(stableJson({ results: displayPath(config, dir), checks: rows }));
  else io.stdout.write(formatTable(["target", "check", "result", "details"], rows.map((r) => [r.target, r.check, r.verdict === "fail" ? "FAIL" : r.verdict, r.detail])));
  await writeMarkdown(io, flags.markdown, releaseMarkdown(rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) annotate(io, "error", `release: ${r.target} ${r.check}`, `${r.check} of ${r.target} ${r.verdict === "fail" ? "failed" : "did not run"}: ${r.detail}. Nothing is published.`);
  if (bad.length > 0) {
    throw new CheckFailed(`not releasing: ${bad.map((r) => `${r.target} ${r.check} ${r.verdict}`).join(", ")}`);
  }
  return 0;
}

// --verdict -------------------------------------------------------------------------------------

const NEEDS_ENV = "BUN_PARITY_NEEDS";

export async function verdictJob(io: Io, flags: ResultFlags): Promise<number> {
  const text = io.env[NEEDS_ENV];
  const fix = `Set ${NEEDS_ENV} to \${{ toJSON(needs) }} in a job that needs every other job (the starter workflow's verdict job does).`;
  if (!text) throw new UsageError(`--verdict reads the needs context from $${NEEDS_ENV}, which is not set`, fix);
  let rows;
  try {
    rows = jobVerdicts(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`$${NEEDS_ENV}: ${(error as Error).message}`, fix);
  }
  if (flags.json) io.stdout.write(stableJson({ jobs: rows }));
  else io.stdout.write(formatTable(["job", "result"], rows.map((r) => [r.job, r.verdict === "pass" ? r.result : r.result.toUpperCase()])));
  await writeMarkdown(io, flags.markdown, jobsMarkdown(rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) annotate(io, "error", `verdict: ${r.job}`, `job ${r.job}: ${r.result}`);
  if (bad.length > 0) throw new CheckFailed(`${bad.length} of ${rows.length} jobs did not succeed: ${bad.map((r) => `${r.job} ${r.result}`).join(", ")}`);
  return 0;
}

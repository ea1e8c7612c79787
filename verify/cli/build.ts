// `bun verify build`: run the plan, write the executables, SHA256SUMS and manifest.json.
import path from "node:path";
import { type BuildResult, runBuild } from "../build/index.ts";
import { stableJson } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { buildProgress, isLiveTerminal, formatBytes, formatDuration, formatTable } from "../report/index.ts";
import type { Io } from "../io.ts";
import { type PlanFlags, planFor } from "./plan.ts";

export interface BuildFlags extends PlanFlags {
  force?: boolean;
  jobs?: string;
}

export async function runBuildCommand(io: Io, flags: BuildFlags): Promise<number> {
  const concurrency = flags.jobs === undefined ? undefined : jobsFlag(flags.jobs);
  const { project, plan } = await planFor(io, flags);
  const progress = flags.json ? undefined : buildProgress(io.stderr, isLiveTerminal(io.stderr, io.env));
  let result: BuildResult;
  try {
    const options: Parameters<typeof runBuild>[1] = {
      compiler: project.compiler,
      lock: project.lock,
      cacheDir: project.cacheDir,
      force: Boolean(flags.force),
      env: io.env,
      log: (line) => io.stderr.write(`${line}\n`),
    };
    if (concurrency !== undefined) options.concurrency = concurrency;
    if (progress) options.onEvent = progress.onEvent;
    result = await runBuild(plan, options);
  } finally {
    progress?.finish();
  }
  const failed = result.outcomes.filter((o) => o.status === "failed");
  if (flags.json) {
    io.stdout.write(stableJson({ outDir: result.outDir, durationMs: result.durationMs, outcomes: result.outcomes }));
  } else {
    io.stdout.write(formatBuildSummary(result));
    for (const f of failed) io.stderr.write(`\n${f.id} failed:\n${f.error}\n`);
  }
  if (failed.length > 0) throw new CheckFailed(`${failed.length} of ${result.outcomes.length} targets failed: ${failed.map((f) => f.id).join(", ")}`);
  return 0;
}

function jobsFlag(value: string): number {
  const jobs = Number(value);
  if (!/^\d+$/.test(value) || jobs < 1) throw new UsageError(`--jobs ${JSON.stringify(value)}: not a whole number of 1 or more`, "Pass e.g. --jobs 2 (default: one compile per core).");
  return jobs;
}

export function formatBuildSummary(result: BuildResult): string {
  const rows = result.outcomes.map((o) => [
    o.id,
    o.status,
    o.entry ? o.entry.file : "",
    o.entry ? formatBytes(o.entry.bytes) : "",
    o.entry && o.status === "built" ? formatDuration(o.entry.durationMs) : "",
    o.entry ? o.entry.sha256 : (o.error ?? "").split("\n")[0]!,
  ]);
  const rel = path.relative(process.cwd(), result.outDir) || ".";
  return (
    `\n${formatTable(["target", "status", "file", "size", "time", "sha256"], rows, { rightAlign: [3, 4] })}` +
    `\n${rel}/SHA256SUMS and ${rel}/manifest.json written in ${formatDuration(result.durationMs)}. Check with: (cd ${rel} && sha256sum -c SHA256SUMS)\n`
  );
}

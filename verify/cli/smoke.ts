// `bun verify smoke`: run the smoke cases of targets.json on every artifact this host can run.
import path from "node:path";
import { selectTargets } from "../config/index.ts";
import { stableJson } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { formatBytes, formatDuration, formatTable } from "../report/index.ts";
import { type CaseResult, currentHost, exitCodeOnlyCases, smokeDist, smokeWarnings } from "../validate/index.ts";
import { loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface SmokeFlags {
  config?: string;
  target?: string[];
  dist?: string;
  json?: boolean;
  "require-all"?: boolean;
}

export async function runSmokeCommand(io: Io, flags: SmokeFlags): Promise<number> {
  const { config } = await loadProject(io, flags.config);
  if (config.smoke.length === 0) {
    throw new UsageError(`${config.file} has no smoke cases`, 'Add e.g. "smoke": [{ "name": "version", "args": ["--version"], "compare": "source" }] (see docs/targets.md).');
  }
  const distDir = flags.dist ? path.resolve(io.cwd, flags.dist) : config.outDir;
  const host = currentHost();
  const results = await smokeDist(distDir, config, selectTargets(config, flags.target), host);

  const failed = results.filter((r) => r.status === "fail" || (flags["require-all"] && r.status === "not-run"));
  const warnings = smokeWarnings(results);
  if (flags.json) {
    io.stdout.write(stableJson({ host: `${host.os}-${host.arch}`, distDir, requireAll: Boolean(flags["require-all"]), results, warnings }));
  } else {
    io.stdout.write(formatSmoke(results));
    for (const r of results.filter((r) => r.status === "fail")) io.stderr.write(`\n${r.target} / ${r.case} failed:\n${r.reason}\n`);
  }
  for (const warning of warnings) io.stderr.write(`\nwarning: ${warning}\n`);
  const passed = results.filter((r) => r.status === "pass").length;
  const notRun = results.filter((r) => r.status === "not-run").length;
  const exitCodeOnly = exitCodeOnlyCases(results).length;
  const only = exitCodeOnly > 0 ? `; ${exitCodeOnly} case(s) check only an exit code` : "";
  io.stderr.write(`\nsmoke: ${passed} passed, ${results.length - passed - notRun} failed, ${notRun} not run here${only}\n`);
  if (failed.length > 0) {
    throw new CheckFailed(
      flags["require-all"] && notRun > 0
        ? `${failed.length} smoke case(s) failed or could not run here (--require-all)`
        : `${failed.length} smoke case(s) failed`,
    );
  }
  return 0;
}

export function formatSmoke(results: CaseResult[]): string {
  return formatTable(
    ["target", "case", "result", "time", "peak memory", "how / why"],
    results.map((r) => [
      r.target,
      r.case,
      r.status === "not-run" ? "not run" : r.status.toUpperCase(),
      r.durationMs !== undefined ? formatDuration(r.durationMs) : "",
      r.peakRssBytes !== undefined ? formatBytes(r.peakRssBytes) : "",
      r.status === "fail" ? r.reason.split("\n")[0]! : r.reason,
    ]),
    { rightAlign: [3, 4] },
  );
}

// Validation of a dist folder, shared by `inspect`, `smoke` and `parity`: read each
// artifact, inspect it against its target, and run the smoke cases this host can run.
import { existsSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import { artifactsIn } from "./artifacts.ts";
import type { Config, Target } from "./config.ts";
import { readWholeFile, sha256Hex } from "./digest.ts";
import { type Claim, type InspectFacts, claimOfTarget, inspectBytes } from "./inspect.ts";
import { logEvent, recordResult } from "./log.ts";
import { checkExecutable } from "./paths.ts";
import { type CaseResult, type Host, currentHost, executorFor, runCase } from "./smoke.ts";
import { currentSpan, withSpan } from "./telemetry.ts";

export interface InspectItem {
  file: string;
  claim?: Claim;
  /** sha256 the manifest lists for it. */
  listed?: string;
}

/** The dist folder's artifacts for some targets, each claiming its target (and manifest hash). */
export async function distItems(distDir: string, config: Config, targets: Target[]): Promise<InspectItem[]> {
  return (await artifactsIn(distDir, config, targets)).map((a) => {
    const item: InspectItem = { file: a.file, claim: claimOfTarget(a.target, a.entry ? `manifest (${a.target.id})` : `targets.json (${a.target.id})`) };
    if (a.entry) item.listed = a.entry.sha256;
    return item;
  });
}

export async function inspectItems(items: InspectItem[], cwd: string): Promise<InspectFacts[]> {
  const results: InspectFacts[] = [];
  for (const item of items) {
    // "manifest (linux-x64)" / "targets.json (linux-x64)": the target the file claims to be.
    const target = /\(([^)]+)\)$/.exec(item.claim?.source ?? "")?.[1];
    const name = path.basename(item.file);
    const facts = await withSpan(`inspect ${target ?? name}`, { "bun_parity.target": target, "bun_parity.file": name }, async (span) => {
      const facts = await inspectItem(item, cwd);
      span.setAttributes({ "bun_parity.verdict": facts.ok ? "ok" : "fail", "bun_parity.bytes": facts.bytes, "bun_parity.format": facts.format, "bun_parity.os": facts.os, "bun_parity.arch": facts.arch });
      if (!facts.ok) span.fail(facts.problems.join("; "));
      return facts;
    });
    logEvent(facts.ok ? "info" : "error", "inspect.artifact", {
      target, file: name, verdict: facts.ok ? "ok" : "fail", format: facts.format, os: facts.os, arch: facts.arch, bytes: facts.bytes, problems: facts.problems, message: facts.problems.join("; "),
    }, { annotate: false });
    results.push(facts);
  }
  recordResult("inspect", results);
  return results;
}

async function inspectItem(item: InspectItem, cwd: string): Promise<InspectFacts> {
  const shown = path.relative(cwd, item.file) || item.file;
  if (!existsSync(item.file)) {
    const missing = `missing: ${shown} (run bun verify build, or pass --dist)`;
    return { file: item.file, bytes: 0, format: "-", os: "-", arch: "-", problems: [missing], notes: [], ok: false };
  }
  const bytes = readWholeFile(item.file);
  const facts = inspectBytes(bytes, shown, item.claim);
  const modeProblem = executableModeProblem(item.file, facts.format, shown);
  if (modeProblem) {
    facts.problems.push(modeProblem);
    facts.ok = false;
  }
  if (item.listed && sha256Hex(bytes) !== item.listed) {
    facts.problems.push("sha256 differs from manifest.json: the file changed after the build");
    facts.ok = false;
  }
  return facts;
}

/**
 * An ELF or Mach-O file nobody may execute does not run where it is copied (GitHub's
 * upload-artifact and many archivers drop the mode). Windows has no mode bits, and a PE file
 * does not need one to run on Windows.
 */
export function executableModeProblem(file: string, format: string, shown: string): string | undefined {
  if (process.platform === "win32" || !/^(elf|mach-?o)$/i.test(format)) return undefined;
  const mode = statSync(file).mode & 0o777;
  if ((mode & 0o111) !== 0) return undefined;
  return `not executable: mode ${mode.toString(8).padStart(4, "0")}; fix: chmod 0755 ${shown} (bun verify build writes 0755)`;
}

/** Every smoke case for every target's artifact, each target's cases in order, targets in parallel. */
export async function smokeDist(distDir: string, config: Config, targets: Target[], host: Host = currentHost()): Promise<CaseResult[]> {
  const artifacts = await artifactsIn(distDir, config, targets);
  // A file that lost its x bit (GitHub's upload-artifact drops modes) cannot start: say so, not EACCES.
  for (const artifact of artifacts.filter((a) => a.exists && executorFor(a.target, a.file, host).kind !== "not-run")) {
    checkExecutable(artifact.file, { what: `the ${artifact.target.id} executable`, fix: `chmod 0755 ${artifact.file} (bun verify build writes 0755; archives and artifact uploads may drop the mode)` });
  }
  const limit = pLimit(availableParallelism());
  const parent = currentSpan();
  const perTarget = await Promise.all(
    artifacts.map((artifact) =>
      limit(async () => {
        const out: CaseResult[] = [];
        for (const smoke of config.smoke.filter((c) => !c.targets || c.targets.includes(artifact.target.id))) {
          const id = artifact.target.id;
          const result = await withSpan(`smoke ${id} / ${smoke.name}`, { "bun_parity.target": id, "bun_parity.smoke.case": smoke.name }, async (span) => {
            const result: CaseResult = artifact.exists
              ? await runCase(artifact.target, smoke, executorFor(artifact.target, artifact.file, host))
              : { target: id, case: smoke.name, status: "fail", reason: `missing: ${artifact.file} (run bun verify build)` };
            span.setAttributes({ "bun_parity.verdict": result.status, "bun_parity.smoke.how": result.how, "bun_parity.exit_code": result.exitCode ?? undefined, "bun_parity.duration_ms": result.durationMs, "bun_parity.peak_rss_bytes": result.peakRssBytes });
            if (result.status === "fail") span.fail(result.reason);
            if (result.status === "not-run") span.setAttributes({ "bun_parity.not_run_reason": result.reason });
            return result;
          }, parent);
          logEvent(result.status === "fail" ? "error" : "info", "smoke.case", {
            target: id, case: smoke.name, verdict: result.status, reason: result.reason.split("\n")[0], exitCode: result.exitCode, durationMs: result.durationMs, peakRssBytes: result.peakRssBytes, message: result.reason,
          }, { annotate: false });
          out.push(result);
        }
        return out;
      }),
    ),
  );
  const results = perTarget.flat();
  recordResult("smoke", { host: `${host.os}-${host.arch}`, distDir, results: results.map(({ stdout: _stdout, stderr: _stderr, ...rest }) => rest) });
  return results;
}

// Validation of a dist folder, shared by `inspect`, `smoke` and `parity`: read each
// artifact, inspect it against its target, and run the smoke cases this host can run.
import { chmodSync, copyFileSync, existsSync, linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import { artifactsIn } from "./artifacts.ts";
import { runtimePackageFor } from "../bun/index.ts";
import type { Config, Target } from "../config/index.ts";
import { readWholeFile, sha256Hex } from "../digest/index.ts";
import { type Claim, type InspectFacts, claimOfTarget, inspectBytes } from "./inspect.ts";
import { logEvent, recordResult, currentSpan, withSpan } from "../telemetry/index.ts";
import { ConfigError, UsageError } from "../errors.ts";
import {
  type CaseResult, type Executor, type Host, type RunContext, type SourceCommand,
  caseChecks, currentHost, executorFor, exitCodeOnlyWarning, runCase,
} from "./smoke.ts";
import { probeIsolation } from "./smoke-process.ts";
import { sourceFlags } from "./source-run.ts";
import { type Compiler, defaultCacheDir, ensureRuntime, findCompiler, lockEntryFor, readToolchainLock } from "../toolchain/index.ts";
import { checkExecutable } from "../paths.ts";

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
  missingCaseFolders(config);
  const artifacts = await artifactsIn(distDir, config, targets);
  // A file that lost its x bit (GitHub's upload-artifact drops modes) cannot start: say so, not EACCES.
  for (const artifact of artifacts.filter((a) => a.exists && executorFor(a.target, a.file, host).kind !== "not-run")) {
    checkExecutable(artifact.file, { what: `the ${artifact.target.id} executable`, fix: `chmod 0755 ${artifact.file} (bun verify build writes 0755; archives and artifact uploads may drop the mode)` });
  }
  const limit = pLimit(availableParallelism());
  const parent = currentSpan();
  const isolation = await probeIsolation();
  const sources = new SourceCommands(config, host);
  const perTarget = await Promise.all(
    artifacts.map((artifact) =>
      limit(async () => {
        const out: CaseResult[] = [];
        const id = artifact.target.id;
        const executor = executorFor(artifact.target, artifact.file, host);
        const context: RunContext = { projectDir: config.projectDir, embeddedName: embeddedName(config, artifact.target), isolation };
        for (const smoke of config.smoke.filter((c) => !c.targets || c.targets.includes(id))) {
          if (smoke.compare === "source" && executor.kind !== "not-run") context.source ??= await sources.forTarget(artifact.target, executor);
          const result = await withSpan(`smoke ${id} / ${smoke.name}`, { "bun_parity.target": id, "bun_parity.smoke.case": smoke.name }, async (span) => {
            const result: CaseResult = artifact.exists
              ? await runCase(artifact.target, smoke, executor, context)
              : { target: id, case: smoke.name, checks: caseChecks(smoke), status: "fail", reason: `missing: ${artifact.file} (run bun verify build)` };
            span.setAttributes({ "bun_parity.verdict": result.status, "bun_parity.smoke.how": result.how, "bun_parity.smoke.checks": result.checks, "bun_parity.exit_code": result.exitCode ?? undefined, "bun_parity.duration_ms": result.durationMs, "bun_parity.peak_rss_bytes": result.peakRssBytes });
            if (result.status === "fail") span.fail(result.reason);
            if (result.status === "not-run") span.setAttributes({ "bun_parity.not_run_reason": result.reason });
            return result;
          }, parent);
          logEvent(result.status === "fail" ? "error" : "info", "smoke.case", {
            target: id, case: smoke.name, verdict: result.status, checks: result.checks, reason: result.reason.split("\n")[0], exitCode: result.exitCode, durationMs: result.durationMs, peakRssBytes: result.peakRssBytes, message: result.reason,
          }, { annotate: false });
          out.push(result);
        }
        return out;
      }),
    ),
  );
  const results = perTarget.flat();
  const warnings = smokeWarnings(results);
  for (const message of warnings) logEvent("warn", "smoke.warning", { message }, { title: "bun-parity smoke" });
  recordResult("smoke", { host: `${host.os}-${host.arch}`, distDir, results: results.map(withoutOutput), warnings });
  return results;
}

/** The case names (in order, once each) that check nothing but an exit code. */
export function exitCodeOnlyCases(results: CaseResult[]): string[] {
  return [...new Set(results.filter((r) => r.checks === "exit-code-only").map((r) => r.case))];
}

/**
 * What a pass does not prove: cases that check only an exit code, and runs in which the
 * project folder could not be hidden from the executable. Once each.
 */
export function smokeWarnings(results: CaseResult[]): string[] {
  const warnings = exitCodeOnlyCases(results).map(exitCodeOnlyWarning);
  if (results.length === 0) {
    warnings.push("no smoke cases in targets.json: nothing checked that the executables run and print what the program prints; add cases (`compare: \"source\"` runs the same arguments through `bun <entry>`), or let `bun-parity init` probe for them.");
  }
  const visible = results.find((r) => r.projectFolder?.startsWith("visible"));
  if (visible) {
    warnings.push(
      `the project folder was not hidden from the executables (${visible.projectFolder!.replace(/^visible: /, "")}): ` +
        "a program that reads files of the build tree at run time (__dirname, unbundled node_modules) passes here and fails on users' machines.",
    );
  }
  return warnings;
}

/** A result without the captured output (the JSON result stays small). */
function withoutOutput({ stdout: _stdout, stderr: _stderr, source, ...rest }: CaseResult): Omit<CaseResult, "stdout" | "stderr"> {
  if (!source) return rest;
  const { stdout: _s, stderr: _e, ...sourceRest } = source;
  return { ...rest, source: sourceRest as CaseResult["source"] };
}

/** The name of the entry module inside the executable: the build's outfile basename (verify/plan/plan.ts). */
function embeddedName(config: Config, target: Target): string {
  return config.name + (target.os === "windows" ? ".exe" : "");
}

/** A case's cwd folder must exist: it is copied before every run. */
function missingCaseFolders(config: Config): void {
  for (const [i, smoke] of config.smoke.entries()) {
    if (smoke.cwd === undefined) continue;
    const dir = path.join(config.projectDir, smoke.cwd);
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      throw new ConfigError(
        config.file, `$.smoke[${i}].cwd`, `"${smoke.cwd}" is not a folder (looked for ${dir})`,
        "a folder of the project holding what the case needs in its working folder",
        "Create the folder, or fix the path in targets.json.",
      );
    }
  }
}

/**
 * The compiler as a file named `bun`: Bun sets process.argv[0] of a script to its own real
 * path, and npm's bun package names the binary bin/bun.exe on every OS, so `bun <entry>` would
 * print "bun.exe" where an installed Bun (and yargs' $0 in help output, with its column
 * padding) prints "bun". A hard link (a copy across file systems) in the cache, per version.
 */
export function bunNamedBun(compiler: Pick<Compiler, "path" | "version">): string {
  const name = process.platform === "win32" ? "bun.exe" : "bun";
  if (path.basename(compiler.path) === name) return compiler.path;
  const size = statSync(compiler.path).size;
  const target = path.join(defaultCacheDir(), "source-bun", `${compiler.version}-${size}`, name);
  if (existsSync(target) && statSync(target).size === size) return target;
  try {
    mkdirSync(path.dirname(target), { recursive: true });
    const temp = `${target}.${process.pid}.tmp`;
    rmSync(temp, { force: true });
    try {
      linkSync(compiler.path, temp);
    } catch {
      copyFileSync(compiler.path, temp);
      chmodSync(temp, 0o755);
    }
    renameSync(temp, target);
    return target;
  } catch {
    return compiler.path; // the cache is not writable: run it under its own name
  }
}

/**
 * How each target runs `bun <entry>`: the host's own target with the compiler Bun (the one
 * the build uses), every other target with that target's pinned Bun runtime (the one its
 * executable was built from) through the same emulator, so process.arch and friends agree.
 */
class SourceCommands {
  private compiler?: Promise<Compiler>;
  constructor(private readonly config: Config, private readonly host: Host) {}

  async forTarget(target: Target, executor: Exclude<Executor, { kind: "not-run" }>): Promise<SourceCommand> {
    const { config } = this;
    const entry = path.join(config.projectDir, config.entrypoint);
    const shown = `bun ${config.entrypoint}`;
    let compiler: Compiler;
    try {
      compiler = await (this.compiler ??= findCompiler(config.projectDir));
    } catch (error) {
      return { kind: "not-run", reason: `not run here: no Bun to run the source with (${(error as Error).message})` };
    }
    let bun: string;
    if (target.os !== this.host.os || target.arch !== this.host.arch) {
      const runtime = runtimePackageFor(target, compiler.version);
      try {
        const locked = lockEntryFor(readToolchainLock(config.projectDir), config.projectDir, runtime);
        bun = (await ensureRuntime(runtime, locked, defaultCacheDir(), config.projectDir)).path;
      } catch (error) {
        if (!(error instanceof UsageError)) throw error;
        return { kind: "not-run", reason: `not run here: the source runs on ${runtime.name}@${runtime.version}, which is not available: ${error.message}` };
      }
    } else {
      bun = bunNamedBun(compiler);
    }
    const isolation = await probeIsolation();
    const wrapper = isolation.kind === "hidden" ? isolation.sourcePrefix : [];
    const command = [...wrapper, ...executor.command.slice(0, -1), bun, ...sourceFlags(config.build), entry];
    return { kind: "run", command, bun, entry, shown };
  }
}

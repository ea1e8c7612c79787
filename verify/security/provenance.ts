// Check 6, provenance: one in-toto Statement v1 per artifact with a SLSA Provenance v1
// predicate (source commit, targets.json digest, builder, Bun version, runtime digest, bundled
// packages), written unsigned to <dist>/attestations/<file>.provenance.intoto.json. After a
// parity run, writeParityVsas() records a SLSA Verification Summary Attestation per artifact
// (<file>.vsa.intoto.json): the reference used and the verdict. The GitHub workflow signs them
// with actions/attest; `gh attestation verify` checks them (docs/security.md).
//
// Specs: https://github.com/in-toto/attestation/blob/main/spec/v1/statement.md,
// https://slsa.dev/spec/v1.0/provenance, https://slsa.dev/spec/v1.0/verification_summary.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import type { ParityReport } from "../parity/index.ts";
import { type Manifest, type ManifestTarget, hashFiles, sha256Hex, stableJson, writeFileAtomic } from "../digest/index.ts";
import { type ToolchainLock, LOCK_FILE } from "../toolchain/index.ts";
import { TOOL_NAME, TOOL_VERSION } from "../version.ts";
import type { LoadedArtifact } from "./artifacts.ts";
import { type CheckResult, type Finding, checkResult, notRun, redactUrlCredentials } from "./findings.ts";
import { npmPurl, splitPackageId, type PackageIndex } from "./sbom.ts";

export const ATTESTATION_FOLDER = "attestations";
export const STATEMENT_TYPE = "https://in-toto.io/Statement/v1";
export const PROVENANCE_TYPE = "https://slsa.dev/provenance/v1";
export const VSA_TYPE = "https://slsa.dev/verification_summary/v1";
const TOOL_REPO = "https://github.com/bun-parity/bun-parity";
/** What the buildType means is documented in docs/security.md#build-type. */
export const BUILD_TYPE = `${TOOL_REPO}/blob/v${TOOL_VERSION}/docs/security.md#build-type-v1`;
/** Extension field of the VSA with the parity details (VSA v1: extension field names are URIs). */
export const VSA_PARITY_FIELD = `${TOOL_REPO}/blob/v${TOOL_VERSION}/docs/security.md#vsa-parity-v1`;
const PARITY_LEVEL = "BUN_PARITY_REPRODUCED";

export function provenanceFile(distDir: string, artifactFile: string): string {
  return path.join(distDir, ATTESTATION_FOLDER, `${artifactFile}.provenance.intoto.json`);
}

export function vsaFile(distDir: string, artifactFile: string): string {
  return path.join(distDir, ATTESTATION_FOLDER, `${artifactFile}.vsa.intoto.json`);
}

// ---------------------------------------------------------------------------------------
// Who built it, from what

export interface SourceInfo {
  /** git commit of HEAD, or "unknown" outside git. */
  commit: string;
  /** e.g. git+https://github.com/o/r@refs/heads/main; undefined without a remote. */
  uri?: string;
  ref?: string;
  /** Uncommitted changes to tracked files when the statement was made. */
  dirty?: boolean;
}

export interface BuilderInfo {
  id: string;
  invocationId?: string;
  runnerEnvironment?: string;
}

/** The source commit: GITHUB_SHA on Actions, else `git rev-parse HEAD`; "unknown" outside git. */
export async function sourceInfo(projectDir: string, env: NodeJS.ProcessEnv): Promise<SourceInfo> {
  const { execa } = await import("execa");
  const git = async (...args: string[]) => {
    const run = await execa("git", args, { cwd: projectDir, env, reject: false });
    return run.exitCode === 0 ? String(run.stdout).trim() : undefined;
  };
  const onActions = env.GITHUB_ACTIONS === "true" && env.GITHUB_REPOSITORY && env.GITHUB_SERVER_URL;
  const commit = (await git("rev-parse", "HEAD")) ?? (onActions ? env.GITHUB_SHA : undefined) ?? "unknown";
  const ref = (onActions ? env.GITHUB_REF : undefined) ?? (await git("symbolic-ref", "-q", "HEAD"));
  const remote = onActions ? `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}` : await git("remote", "get-url", "origin");
  const info: SourceInfo = { commit };
  const repo = remote ? normalizeRemote(remote) : undefined;
  if (repo) info.uri = `git+${repo}${ref ? `@${ref}` : ""}`;
  if (ref) info.ref = ref;
  if (commit !== "unknown") {
    const status = await git("status", "--porcelain", "--untracked-files=no");
    if (status !== undefined) info.dirty = status !== "";
  }
  return info;
}

/** https form of a git remote, without credentials: git@github.com:o/r.git -> https://github.com/o/r. */
export function normalizeRemote(remote: string): string | undefined {
  const r = remote.trim();
  const scp = /^[\w.-]+@([^:/]+):(.+?)(?:\.git)?\/?$/.exec(r);
  if (scp) return `https://${scp[1]}/${scp[2]}`;
  const url = /^(?:git\+)?(https?|ssh|git):\/\/(?:[^@/]+@)?([^/]+)\/(.+?)(?:\.git)?\/?$/.exec(r);
  if (url) return `https://${url[2]!.replace(/:\d+$/, "")}/${url[3]}`;
  return undefined; // a local path: not a URI worth recording (and it would leak the machine's layout)
}

/**
 * On GitHub Actions: the workflow that ran (server/owner/repo/.github/workflows/x.yml@ref),
 * with the run as invocation id. Elsewhere: bun-parity on a local machine, by version.
 */
export function builderInfo(env: NodeJS.ProcessEnv): BuilderInfo {
  if (env.GITHUB_ACTIONS === "true" && env.GITHUB_SERVER_URL && env.GITHUB_WORKFLOW_REF) {
    const info: BuilderInfo = { id: `${env.GITHUB_SERVER_URL}/${env.GITHUB_WORKFLOW_REF}` };
    if (env.GITHUB_REPOSITORY && env.GITHUB_RUN_ID) {
      info.invocationId = `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}/attempts/${env.GITHUB_RUN_ATTEMPT ?? "1"}`;
    }
    if (env.RUNNER_ENVIRONMENT) info.runnerEnvironment = env.RUNNER_ENVIRONMENT;
    return info;
  }
  return { id: `${TOOL_REPO}/local@v${TOOL_VERSION}` };
}

// ---------------------------------------------------------------------------------------
// SLSA provenance

export interface ProvenanceInput {
  manifest: Manifest;
  target: ManifestTarget;
  sha256: string;
  source: SourceInfo;
  builder: BuilderInfo;
  /** Project files and their sha256 (targets.json, lockfiles, bun-runtimes.lock.json). */
  projectFiles: { name: string; sha256: string }[];
  configFile: string;
  lock: ToolchainLock | undefined;
  packages: PackageIndex;
}

export function provenanceStatement(input: ProvenanceInput): Record<string, unknown> {
  const { target, manifest, source } = input;
  const resolvedDependencies: Record<string, unknown>[] = [];
  if (source.commit !== "unknown") resolvedDependencies.push({ ...(source.uri ? { uri: source.uri } : { name: "source" }), digest: { gitCommit: source.commit } });
  for (const file of input.projectFiles) resolvedDependencies.push({ name: file.name, digest: { sha256: file.sha256 } });
  const runtime = target.runtime;
  const locked = input.lock?.runtimes[runtime.package];
  resolvedDependencies.push({
    uri: npmPurl(runtime.package, runtime.version),
    digest: { sha256: runtime.sha256 },
    annotations: { role: "bun runtime embedded in the executable", executable: locked?.entry ?? "package/bin/bun" },
  });
  const compiler = input.packages.get("bun", manifest.bun);
  resolvedDependencies.push({ uri: npmPurl("bun", manifest.bun), ...(hexDigest(compiler.integrity) ? { digest: hexDigest(compiler.integrity) } : {}), annotations: { role: "compiler" } });
  for (const id of [...target.packages].sort()) {
    const { name, version } = splitPackageId(id);
    const digest = hexDigest(input.packages.get(name, version).integrity);
    resolvedDependencies.push({ uri: npmPurl(name, version), ...(digest ? { digest } : {}), annotations: { role: "bundled npm package" } });
  }
  const externalParameters: Record<string, unknown> = {
    source: source.uri ?? (source.commit === "unknown" ? "unknown: not a git checkout" : "local git checkout without a remote"),
    sourceCommit: source.commit,
    config: input.configFile,
    target: target.id,
  };
  const internalParameters: Record<string, unknown> = {
    bunVersion: manifest.bun,
    bunTarget: target.bunTarget,
    bunParityVersion: manifest.tool.version,
    inputDigest: target.inputDigest,
  };
  if (source.dirty !== undefined) internalParameters.sourceTreeDirty = source.dirty;
  if (input.builder.runnerEnvironment) internalParameters.runnerEnvironment = input.builder.runnerEnvironment;
  return {
    _type: STATEMENT_TYPE,
    subject: [{ name: target.file, digest: { sha256: input.sha256 } }],
    predicateType: PROVENANCE_TYPE,
    predicate: {
      buildDefinition: { buildType: BUILD_TYPE, externalParameters, internalParameters, resolvedDependencies },
      runDetails: {
        builder: { id: input.builder.id, version: { [TOOL_NAME]: TOOL_VERSION, bun: manifest.bun } },
        ...(input.builder.invocationId ? { metadata: { invocationId: input.builder.invocationId } } : {}),
      },
    },
  };
}

/** sha512-<base64> -> { sha512: <hex> } (in-toto DigestSet: lowercase hex). */
function hexDigest(integrity: string | undefined): Record<string, string> | undefined {
  const match = /^sha(256|384|512)-([A-Za-z0-9+/=]+)$/.exec(integrity ?? "");
  return match ? { [`sha${match[1]}`]: Buffer.from(match[2]!, "base64").toString("hex") } : undefined;
}

export async function writeProvenance(
  artifacts: LoadedArtifact[],
  manifest: Manifest,
  options: { distDir: string; projectDir: string; configFile: string; lock: ToolchainLock | undefined; packages: PackageIndex; env: NodeJS.ProcessEnv },
): Promise<CheckResult> {
  if (artifacts.length === 0) return notRun("provenance", "the manifest lists no artifacts");
  const source = await sourceInfo(options.projectDir, options.env);
  const builder = builderInfo(options.env);
  const configName = path.relative(options.projectDir, options.configFile).split(path.sep).join("/");
  const projectFiles = [configName, "package.json", "package-lock.json", "npm-shrinkwrap.json", "bun.lock", LOCK_FILE]
    .filter((name, i, all) => all.indexOf(name) === i && existsSync(path.join(options.projectDir, name)))
    .map((name) => ({ name, sha256: sha256Hex(readFileSync(path.join(options.projectDir, name))) }));
  const findings: Finding[] = [];
  const outputs: string[] = [];
  const vsas: string[] = [];
  for (const artifact of artifacts) {
    const where = { artifact: artifact.entry.file };
    if (!artifact.exists || !artifact.sha256) {
      findings.push({ ...where, severity: "error", rule: "provenance/missing-artifact", message: "no provenance: the executable is missing (run bun verify build)" });
      continue;
    }
    if (artifact.sha256 !== artifact.entry.sha256) {
      findings.push({ ...where, severity: "error", rule: "provenance/stale-manifest", message: "no provenance: the file is not the one manifest.json describes; rebuild with bun verify build" });
      continue;
    }
    const statement = provenanceStatement({ manifest, target: artifact.entry, sha256: artifact.sha256, source, builder, projectFiles, configFile: configName, lock: options.lock, packages: options.packages });
    // Release archives of this executable (bun verify package) are outputs of the same build:
    // extra subjects, so `gh attestation verify <archive>` finds this statement too.
    const archives = (manifest.archives ?? []).filter((a) => a.target === artifact.entry.id && a.executableSha256 === artifact.sha256);
    const present = archives.filter((a) => existsSync(path.join(options.distDir, a.file)));
    const digests = await hashFiles(present.map((a) => path.join(options.distDir, a.file)));
    present.forEach((archive, i) => {
      if (digests[i]!.sha256 === archive.sha256) {
        (statement.subject as unknown[]).push({ name: archive.file, digest: { sha256: archive.sha256 } });
      } else {
        findings.push({ ...where, severity: "warning", rule: "provenance/stale-archive", message: `${archive.file} is not the archive manifest.json lists: left out of the provenance (run bun verify package again)` });
      }
    });
    const file = provenanceFile(options.distDir, artifact.entry.file);
    await mkdir(path.dirname(file), { recursive: true });
    await writeFileAtomic(file, stableJson(statement));
    outputs.push(file);
    const vsa = readVsa(vsaFile(options.distDir, artifact.entry.file));
    if (vsa === undefined) continue;
    if (vsa.sha256 !== artifact.sha256) {
      findings.push({ ...where, severity: "warning", rule: "vsa/stale", message: `${path.basename(vsaFile(options.distDir, artifact.entry.file))} is for other bytes (an earlier build): run bun verify parity again` });
    } else {
      vsas.push(`${artifact.entry.id} ${vsa.result}`);
      if (vsa.result !== "PASSED") findings.push({ ...where, severity: "warning", rule: "vsa/failed", message: `the last parity run did not reproduce this executable (VSA verificationResult ${vsa.result})` });
    }
  }
  const commit = source.commit === "unknown" ? "source commit unknown (not a git checkout)" : `commit ${source.commit.slice(0, 12)}${source.dirty ? " with uncommitted changes" : ""}`;
  const folder = path.relative(options.projectDir, path.join(options.distDir, ATTESTATION_FOLDER)) || ATTESTATION_FOLDER;
  const vsaNote = vsas.length > 0 ? `; parity VSA: ${vsas.join(", ")}` : "; no parity VSA yet (bun verify parity writes one)";
  return checkResult("provenance", findings, `${outputs.length} unsigned SLSA v1 provenance statement(s) in ${folder}/ (${commit}, builder ${builder.id})${vsaNote}`, outputs);
}

function readVsa(file: string): { sha256?: string; result?: string } | undefined {
  if (!existsSync(file)) return undefined;
  try {
    const statement = JSON.parse(readFileSync(file, "utf8")) as { subject?: { digest?: { sha256?: string } }[]; predicate?: { verificationResult?: string } };
    return { sha256: statement.subject?.[0]?.digest?.sha256, result: statement.predicate?.verificationResult };
  } catch {
    return { result: "unreadable" };
  }
}

// ---------------------------------------------------------------------------------------
// Verification Summary Attestation, after `bun verify parity`

export interface VsaOptions {
  env?: NodeJS.ProcessEnv;
  /** When the verification happened (default: now). */
  now?: Date;
}

/** One VSA statement per native artifact of a parity report (pure). */
export function parityVsaStatements(report: ParityReport, options: VsaOptions = {}): { file: string; statement: Record<string, unknown> }[] {
  const env = options.env ?? {};
  const time = (options.now ?? new Date()).toISOString();
  const verifier = builderInfo(env);
  const reference = {
    kind: report.reference.kind,
    location: portableLocation(report.reference.location, report.project),
    ...(report.reference.chosenBecause ? { chosenBecause: report.reference.chosenBecause } : {}),
  };
  const out: { file: string; statement: Record<string, unknown> }[] = [];
  const targets = [...new Set(report.rows.map((r) => r.target).filter((t) => t !== ""))];
  for (const target of targets) {
    // A target has a row for its executable and one per release archive (verify/parity/). The
    // subject is the native executable: the executable's own row, or an archive row whose
    // native side is the executable (a reference that ships archives only).
    const rows = report.rows.filter((r) => r.target === target);
    const executableRow = rows.find((r) => r.native && !isArchiveName(r.file) && !r.native.archive);
    const viaArchive = rows.find((r) => r.native?.path && !r.native.archive && isArchiveName(r.file) && !isArchiveName(path.basename(r.native.path)));
    const exe = executableRow
      ? { name: executableRow.file, sha256: executableRow.native!.sha256 }
      : viaArchive
        ? { name: path.basename(viaArchive.native!.path!), sha256: viaArchive.native!.sha256 }
        : undefined;
    if (!exe) continue;
    // Native archives compared by hash (the reference listed them) are subjects too.
    const archives = rows
      .filter((r) => r.native && isArchiveName(r.file) && !r.native.archive && (!r.native.path || isArchiveName(path.basename(r.native.path))))
      .map((r) => ({ name: r.file, digest: { sha256: r.native!.sha256 } }));
    // The policy (docs/parity.md): every row of the target identical to the reference, and the
    // native executable passes inspect and its smoke cases.
    const inspectProblems = (report.validation?.inspect.failures ?? []).filter((f) => path.basename(f.file) === exe.name).flatMap((f) => f.problems);
    const smokeFailures = (report.validation?.smoke.failed ?? []).filter((f) => f.target === target).map((f) => `${f.case}: ${f.reason.split("\n")[0]}`);
    const passed = rows.every((r) => r.verdict === "identical") && inspectProblems.length === 0 && smokeFailures.length === 0;
    out.push({
      file: exe.name,
      statement: {
        _type: STATEMENT_TYPE,
        subject: [{ name: exe.name, digest: { sha256: exe.sha256 } }, ...archives],
        predicateType: VSA_TYPE,
        predicate: {
          verifier: { id: verifier.id },
          timeVerified: time,
          resourceUri: `pkg:generic/${encodeURIComponent(exe.name)}?checksum=sha256:${exe.sha256}`,
          policy: { uri: `${TOOL_REPO}/blob/v${TOOL_VERSION}/docs/parity.md` },
          verificationResult: passed ? "PASSED" : "FAILED",
          verifiedLevels: [passed ? PARITY_LEVEL : "FAILED"],
          slsaVersion: "1.0",
          [VSA_PARITY_FIELD]: {
            target,
            reference,
            native: report.native.command,
            comparisons: rows.map((r) => ({
              file: r.file,
              verdict: r.verdict,
              ...(r.reference ? { referenceSha256: r.reference.sha256 } : {}),
              ...(r.explanation ? { explanation: r.explanation } : {}),
            })),
            ...(report.validation ? { inspect: inspectProblems.length === 0 ? "passed" : inspectProblems, smoke: smokeFailures.length === 0 ? "no failures" : smokeFailures } : {}),
            ...(verifier.invocationId ? { invocationId: verifier.invocationId } : {}),
            tool: `${TOOL_NAME} ${TOOL_VERSION}`,
          },
        },
      },
    });
  }
  return out;
}

function isArchiveName(file: string): boolean {
  return /\.(tar\.gz|tgz|zip)$/i.test(file);
}

/**
 * Writes <distDir>/attestations/<file>.vsa.intoto.json for every native artifact of the
 * report; returns the files written. Call it from `bun verify parity` once the report exists.
 */
export async function writeParityVsas(report: ParityReport, options: VsaOptions = {}): Promise<string[]> {
  const files: string[] = [];
  for (const { file, statement } of parityVsaStatements(report, options)) {
    const target = vsaFile(report.native.distDir, file);
    await mkdir(path.dirname(target), { recursive: true });
    await writeFileAtomic(target, stableJson(statement));
    files.push(target);
  }
  return files;
}

/** A reference location fit for an attestation: URLs without credentials, paths relative to the project. */
function portableLocation(location: string, projectDir: string): string {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(location)) return redactUrlCredentials(location);
  if (!path.isAbsolute(location)) return location;
  const relative = path.relative(projectDir, location);
  return relative && !relative.startsWith("..") ? relative.split(path.sep).join("/") : path.basename(location);
}

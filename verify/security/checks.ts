// `bun verify security`: six checks, each passed / failed / not run with the reason.
//   1 secrets in sources        security/secrets.ts        secretlint, recommended preset
//   2 secrets and leaks in the  security/artifact-leaks.ts the same rules over Bun's embedded modules and
//     artifacts                                            sourcemaps, plus paths, process.env, .env
//   3 supply chain              security/supply-chain.ts   runtime digests, lockfile integrity and sources
//   4 known vulnerabilities     security/audit.ts          npm audit; not run when the service is unreachable
//   5 SBOM per artifact         security/sbom.ts           CycloneDX 1.6 -> <dist>/sbom/
//   6 provenance                security/provenance.ts     in-toto + SLSA v1 -> <dist>/attestations/
// The checks never throw for what they find; a crash in one is reported as that check failing.
// What checks 2, 5 and 6 read (a build folder, any folder of executables, named files) is decided
// first, by security/scope.ts.
import path from "node:path";
import type { Project } from "../toolchain/index.ts";
import { MANIFEST_FILE } from "../digest/index.ts";
import { type ArtifactRef, type LoadedArtifact, loadArtifact, loadZstd } from "./artifacts.ts";
import { checkAudit } from "./audit.ts";
import {
  CHECK_TITLES,
  type CheckId,
  type CheckResult,
  type Finding,
  type SecurityReport,
  checkResult,
  findingLocation,
  notRun,
  reportPassed,
} from "./findings.ts";
import { scanArtifacts } from "./artifact-leaks.ts";
import { leakContext } from "./leak-context.ts";
import { writeProvenance } from "./provenance.ts";
import { PackageIndex, writeSboms } from "./sbom.ts";
import { type ScanScope, SUMS_FILE } from "./scope.ts";
import { type SecretScanner, scanSources, secretScanner, sourceFiles } from "./secrets.ts";
import { checkSupplyChain } from "./supply-chain.ts";
import { formatTable } from "../report/index.ts";
import { withSpan } from "../telemetry/index.ts";

export * from "./findings.ts";

export interface SecurityOptions {
  /** What the artifact checks read (security/scope.ts resolves it from --dist and the file arguments). */
  scope: ScanScope;
  strict: boolean;
  env: NodeJS.ProcessEnv;
  /** Progress lines (stderr). */
  log?: (line: string) => void;
}

/** Runs the six checks in the order that overlaps the network wait with local work, and reports each. */
export async function runSecurityChecks(project: Project, options: SecurityOptions): Promise<SecurityReport> {
  const { config } = project;
  const { scope } = options;
  const log = options.log ?? (() => {});
  const manifest = scope.kind === "manifest" ? scope.manifest : undefined;
  // Where SBOMs and attestations would go, and what the report names: the scanned folder.
  const distDir = scope.kind === "executables" ? (scope.distDir ?? config.outDir) : scope.distDir;
  // npm audit waits on the network: start it first, read the artifacts meanwhile.
  const audit = guarded("audit", () => checkAudit({ projectDir: config.projectDir, env: options.env }));

  log("security: scanning sources with secretlint");
  const scanner = await secretScanner();
  const secrets = await guarded("secrets", async () => scanSources(config.projectDir, await sourceFiles(config.projectDir, config.outDir, options.env), scanner));

  const packages = new PackageIndex(config.projectDir);
  const scanned = await artifactLeaks(project, options, scanner, log);

  log("security: checking the supply chain");
  const supplyChain = await guarded("supply-chain", () =>
    checkSupplyChain({ projectDir: config.projectDir, manifest, lock: project.lock, cacheDir: project.cacheDir, env: options.env }),
  );

  const { sbom, provenance } = await buildRecords(project, options, scanned.artifacts, packages, distDir);
  // The executables' bytes are not needed while npm audit finishes.
  scanned.artifacts = [];

  log("security: waiting for npm audit");
  const checks = [secrets, scanned.leaks, supplyChain, await audit, sbom, provenance].map((c) => ({
    ...c,
    outputs: c.outputs.map((file) => displayPath(file, config.projectDir)),
  }));
  return {
    project: config.projectDir,
    distDir,
    scope: scope.description,
    strict: options.strict,
    checks,
    passed: reportPassed(checks, options.strict),
  };
}

/** Check 2 over what the scope names: a build folder's artifacts (kept for the SBOM and provenance), loose executables (checked against SHA256SUMS first), or not run with the scope's reason. */
async function artifactLeaks(
  project: Project,
  options: SecurityOptions,
  scanner: SecretScanner,
  log: (line: string) => void,
): Promise<{ artifacts: LoadedArtifact[]; leaks: CheckResult }> {
  const { config } = project;
  const { scope } = options;
  if (scope.kind === "manifest") {
    await loadZstd();
    const artifacts: LoadedArtifact[] = [];
    for (const entry of [...scope.manifest.targets].sort((a, b) => a.id.localeCompare(b.id))) {
      log(`security: reading ${entry.file}`);
      artifacts.push(await loadArtifact(scope.distDir, entry));
    }
    const leaks = await guarded("artifact-leaks", () => scanArtifacts(artifacts, leakContext(config, options.env, project.cacheDir), scanner));
    return { artifacts, leaks };
  }
  if (scope.kind === "executables") {
    await loadZstd();
    const loaded: LoadedArtifact<ArtifactRef>[] = [];
    const integrity: Finding[] = [...scope.findings];
    for (const executable of scope.executables) {
      log(`security: reading ${executable.file}`);
      const artifact = await loadArtifact(path.dirname(executable.path), { file: executable.file });
      if (executable.listedSha256 && artifact.sha256 && artifact.sha256 !== executable.listedSha256) {
        integrity.push({
          severity: "error",
          rule: "artifact/sha256sums-mismatch",
          artifact: executable.file,
          message: `sha256 ${artifact.sha256.slice(0, 12)}… but ${SUMS_FILE} lists ${executable.listedSha256.slice(0, 12)}…: the file was replaced or altered after it was hashed`,
        });
      }
      loaded.push(artifact);
    }
    const leaks = await guarded("artifact-leaks", async () => {
      const scanned = await scanArtifacts(loaded, leakContext(config, options.env, project.cacheDir), scanner);
      return checkResult("artifact-leaks", [...integrity, ...scanned.findings], `${scanned.summary} (${scope.description})`);
    });
    return { artifacts: [], leaks };
  }
  return { artifacts: [], leaks: notRun("artifact-leaks", scope.reason) };
}

/** Checks 5 and 6 (SBOM, provenance): written from manifest.json and the loaded artifacts, or not run without a manifest. */
async function buildRecords(
  project: Project,
  options: SecurityOptions,
  artifacts: LoadedArtifact[],
  packages: PackageIndex,
  distDir: string,
): Promise<{ sbom: CheckResult; provenance: CheckResult }> {
  const { config } = project;
  const { scope } = options;
  if (scope.kind === "manifest") {
    const manifest = scope.manifest;
    const sbom = await guarded("sbom", () =>
      writeSboms(artifacts, manifest, { distDir, projectDir: config.projectDir, projectName: config.name, projectVersion: config.version, lock: project.lock, compilerPath: project.compiler.path }),
    );
    const provenance = await guarded("provenance", () =>
      writeProvenance(artifacts, manifest, {
        distDir,
        projectDir: config.projectDir,
        configFile: config.file,
        lock: project.lock,
        packages,
        env: options.env,
      }),
    );
    return { sbom, provenance };
  }
  // Without manifest.json the bundled packages, the runtime and the build inputs are unknown:
  // an SBOM or a provenance statement would have to guess them.
  const reason = scope.kind === "none"
    ? scope.reason
    : `no ${MANIFEST_FILE} for ${scope.description}: the bundled packages and build inputs an SBOM or provenance records are only in ${MANIFEST_FILE} (bun verify build writes it)`;
  return { sbom: notRun("sbom", reason), provenance: notRun("provenance", reason) };
}

/** Runs a check in its span; an exception becomes that check failing with the error as its finding. */
async function guarded(id: CheckId, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await withSpan(`security ${id}`, { "bun_parity.security.check": id }, async (span) => {
      const result = await run();
      span.setAttributes({ "bun_parity.security.status": result.status, "bun_parity.security.findings": result.findings.length });
      return result;
    });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      id,
      title: CHECK_TITLES[id],
      status: "failed",
      summary: `the check could not complete: ${message.split("\n")[0]}`,
      findings: [{ severity: "error", rule: "check/crashed", message }],
      outputs: [],
    };
  }
}

function displayPath(file: string, projectDir: string): string {
  const relative = path.relative(projectDir, file);
  return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative.split(path.sep).join("/") : file;
}

// ---------------------------------------------------------------------------------------
// Reports

const STATUS_TEXT = { passed: "passed", failed: "FAILED", "not-run": "not run" } as const;

export function securityText(report: SecurityReport): string {
  const table = formatTable(
    ["check", "result", "details"],
    report.checks.map((c) => [c.title, STATUS_TEXT[c.status], c.summary]),
  );
  const findings = report.checks.flatMap((c) => c.findings.map((f) => ({ check: c.title, f })));
  const lines = [table];
  if (findings.length > 0) {
    const errors = findings.filter((x) => x.f.severity === "error").length;
    lines.push(`findings: ${errors} error(s), ${findings.length - errors} warning(s)`);
    for (const { check, f } of findings) lines.push(`  ${f.severity === "error" ? "error  " : "warning"}  ${check}: ${describe(f)}`);
    lines.push("");
  }
  const outputs = report.checks.flatMap((c) => c.outputs);
  if (outputs.length > 0) {
    lines.push(`written (unsigned; see docs/security.md to sign and verify):`);
    for (const file of outputs) lines.push(`  ${file}`);
    lines.push("");
  }
  return lines.join("\n");
}

export function describe(f: Finding): string {
  const where = findingLocation(f);
  return `${where ? `${where}  ` : ""}${f.message}  [${f.rule}]`;
}

export function securityMarkdown(report: SecurityReport): string {
  const icon = { passed: "✅ passed", failed: "❌ failed", "not-run": "⚪ not run" } as const;
  const escape = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = [
    `## bun verify security: ${report.passed ? "passed" : "failed"}${report.strict ? " (--strict)" : ""}`,
    "",
    "| check | result | details |",
    "|---|---|---|",
    ...report.checks.map((c) => `| ${c.title} | ${icon[c.status]} | ${escape(c.summary)} |`),
  ];
  const findings = report.checks.flatMap((c) => c.findings.map((f) => ({ check: c.title, f })));
  if (findings.length > 0) {
    lines.push("", "| severity | check | where | finding |", "|---|---|---|---|");
    for (const { check, f } of findings.slice(0, 200)) {
      lines.push(`| ${f.severity} | ${check} | \`${escape(findingLocation(f) || "-")}\` | ${escape(f.message)} (${f.rule}) |`);
    }
    if (findings.length > 200) lines.push("", `${findings.length - 200} more findings: see the job log or --json.`);
  }
  return lines.join("\n") + "\n";
}

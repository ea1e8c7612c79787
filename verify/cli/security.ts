// `bun verify security [FILE...] [--dist dir] [--json] [--strict] [--config file]`: secrets in
// sources, secrets and leaks inside the artifacts, supply chain, known vulnerabilities, an SBOM and
// a provenance statement per artifact (verify/security/). Exit 1 when a check fails, or with
// --strict when a check could not run; exit 2 when a folder or file named cannot be scanned.
import path from "node:path";
import { stableJson } from "../digest/index.ts";
import { CheckFailed } from "../errors.ts";
import { recordResult, annotate } from "../telemetry/index.ts";
import { writeMarkdown } from "../report/index.ts";
import { loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface SecurityFlags {
  config?: string;
  dist?: string;
  json?: boolean;
  strict?: boolean;
  markdown?: string;
}

export async function runSecurity(io: Io, flags: SecurityFlags, files: string[] = []): Promise<number> {
  const project = await loadProject(io, flags.config);
  const { resolveScope } = await import("../security/index.ts");
  const scope = await resolveScope({
    defaultDistDir: project.config.outDir,
    ...(flags.dist ? { distDir: path.resolve(io.cwd, flags.dist) } : {}),
    files: files.map((f) => path.resolve(io.cwd, f)),
    display: (file) => {
      const relative = path.relative(io.cwd, file);
      return relative && !relative.startsWith("..") && !path.isAbsolute(relative) ? relative.split(path.sep).join("/") : file;
    },
  });
  const { runSecurityChecks, securityText, securityMarkdown, describe } = await import("../security/index.ts");
  const quiet = Boolean(flags.json);
  const report = await runSecurityChecks(project, {
    scope,
    strict: Boolean(flags.strict),
    env: io.env,
    log: quiet ? undefined : (line) => io.stderr.write(`${line}\n`),
  });

  recordResult("security", report); // for --json=FILE and `bun verify report`
  io.stdout.write(flags.json ? stableJson(report) : securityText(report));
  await writeMarkdown(io, flags.markdown, securityMarkdown(report));
  for (const check of report.checks) {
    for (const f of check.findings.filter((x) => x.severity === "error").slice(0, 50)) {
      annotate(io, "error", `security: ${check.title}`, describe(f), f.file && !f.artifact ? f.file : undefined);
    }
    if (check.status === "not-run") annotate(io, report.strict ? "error" : "warning", `security: ${check.title} not run`, check.summary);
  }

  const failed = report.checks.filter((c) => c.status === "failed");
  const notRun = report.checks.filter((c) => c.status === "not-run");
  const passed = report.checks.length - failed.length - notRun.length;
  io.stderr.write(
    `\nsecurity: ${passed} passed, ${failed.length} failed, ${notRun.length} not run${notRun.length > 0 ? ` (${notRun.map((c) => c.title).join(", ")})` : ""}\n`,
  );
  if (!report.passed) {
    const names = [...failed, ...(report.strict ? notRun : [])].map((c) => c.title).join(", ");
    throw new CheckFailed(
      report.strict && notRun.length > 0 ? `${names}: failed or not run (--strict)` : `${failed.length} security check(s) failed: ${names}`,
    );
  }
  return 0;
}

// Check 4, known vulnerabilities: `npm audit --json` against the advisory service of the
// configured registry. Three outcomes, told apart by the JSON npm prints (its exit code is 1
// both for "found vulnerabilities" and for "could not ask"):
//   - a report (auditReportVersion + metadata.vulnerabilities): passed, or failed with one
//     finding per vulnerable package;
//   - an error object (message/error, e.g. "405 Method Not Allowed - POST .../advisories/bulk"
//     or ECONNREFUSED): not run, with npm's reason;
//   - anything else (no npm, no lockfile, no JSON): not run, with the reason.
// --strict turns "not run" into a failure, so a CI job cannot pass without an answer.
import { existsSync } from "node:fs";
import path from "node:path";
import { type CheckResult, type Finding, checkResult, notRun, redactUrlCredentials } from "./findings.ts";

export interface AuditInput {
  projectDir: string;
  env: NodeJS.ProcessEnv;
  /** Milliseconds before npm is stopped (default two minutes). */
  timeoutMs?: number;
}

const LOCKFILES = ["npm-shrinkwrap.json", "package-lock.json"];

export async function checkAudit(input: AuditInput): Promise<CheckResult> {
  const lockfile = LOCKFILES.find((f) => existsSync(path.join(input.projectDir, f)));
  if (!lockfile) {
    const other = ["bun.lock", "bun.lockb", "yarn.lock", "pnpm-lock.yaml"].find((f) => existsSync(path.join(input.projectDir, f)));
    return notRun(
      "audit",
      other
        ? `npm audit needs package-lock.json; this project has ${other} (audit it with its own package manager, or generate a package-lock.json with npm install --package-lock-only)`
        : "no package-lock.json: npm audit needs the npm lockfile",
    );
  }
  const { execa } = await import("execa");
  const run = await execa("npm", ["audit", "--json"], {
    cwd: input.projectDir,
    env: input.env,
    extendEnv: false,
    reject: false,
    timeout: input.timeoutMs ?? 120_000,
  });
  if ((run as { code?: string }).code === "ENOENT") return notRun("audit", "npm is not on PATH: npm audit could not run");
  if (run.timedOut) return notRun("audit", `npm audit did not answer within ${Math.round((input.timeoutMs ?? 120_000) / 1000)} s`);
  return interpretAudit(String(run.stdout), String(run.stderr), run.exitCode ?? -1, lockfile);
}

interface AuditVulnerability {
  name?: string;
  severity?: string;
  isDirect?: boolean;
  via?: (string | { title?: string; url?: string; source?: number; name?: string })[];
  range?: string;
  nodes?: string[];
  fixAvailable?: boolean | { name?: string; version?: string; isSemVerMajor?: boolean };
}

interface AuditReport {
  auditReportVersion?: number;
  vulnerabilities?: Record<string, AuditVulnerability>;
  metadata?: { vulnerabilities?: Record<string, number>; dependencies?: { total?: number } };
  message?: string;
  error?: { summary?: string; detail?: string; code?: string };
}

/** Pure: npm's output and exit code -> the check result. */
export function interpretAudit(stdout: string, stderr: string, exitCode: number, lockfile = "package-lock.json"): CheckResult {
  let report: AuditReport | undefined;
  try {
    report = JSON.parse(stdout) as AuditReport;
  } catch {
    report = undefined;
  }
  if (report && typeof report.auditReportVersion === "number" && report.metadata?.vulnerabilities) {
    const counts = report.metadata.vulnerabilities;
    const total = counts.total ?? Object.values(report.vulnerabilities ?? {}).length;
    const findings: Finding[] = Object.entries(report.vulnerabilities ?? {})
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, v]) => vulnerabilityFinding(name, v, lockfile));
    const dependencies = report.metadata.dependencies?.total;
    const levels = ["critical", "high", "moderate", "low", "info"].filter((l) => (counts[l] ?? 0) > 0).map((l) => `${counts[l]} ${l}`);
    const summary =
      total === 0
        ? `npm audit: no known vulnerabilities${dependencies !== undefined ? ` in ${dependencies} dependencies` : ""}`
        : `npm audit: ${total} vulnerable package(s) (${levels.join(", ")})`;
    return checkResult("audit", findings, summary);
  }
  const reason = report?.message ?? report?.error?.summary ?? report?.error?.detail ?? lastLines(stderr) ?? `exit code ${exitCode}`;
  return notRun("audit", `npm audit could not reach the advisory service: ${redactUrlCredentials(firstLine(reason))}`);
}

function vulnerabilityFinding(name: string, v: AuditVulnerability, lockfile: string): Finding {
  const advisories = (v.via ?? []).flatMap((via) => (typeof via === "string" ? [] : [`${via.title ?? "advisory"}${via.url ? ` (${via.url})` : ""}`]));
  const through = (v.via ?? []).filter((via): via is string => typeof via === "string");
  const fix =
    v.fixAvailable === true
      ? "fix: npm audit fix"
      : v.fixAvailable && typeof v.fixAvailable === "object"
        ? `fix: ${v.fixAvailable.name}@${v.fixAvailable.version}${v.fixAvailable.isSemVerMajor ? " (semver-major)" : ""}`
        : "no fix available";
  const what = advisories.length > 0 ? advisories.join("; ") : through.length > 0 ? `through ${through.join(", ")}` : "see npm audit";
  return {
    severity: v.severity === "info" ? "warning" : "error",
    rule: `audit/${v.severity ?? "unknown"}`,
    file: lockfile,
    message: `${name}${v.range ? ` ${v.range}` : ""} (${v.severity ?? "unknown"}${v.isDirect ? ", direct" : ""}): ${what}; ${fix}`,
  };
}

function firstLine(text: string): string {
  return text.trim().split(/\r?\n/)[0] ?? "";
}

function lastLines(text: string): string | undefined {
  const lines = text
    .trim()
    .split(/\r?\n/)
    .filter((l) => l.trim() !== "" && !/complete log of this run/.test(l));
  return lines.length > 0 ? lines.slice(-2).join(" ") : undefined;
}

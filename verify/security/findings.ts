// What every security check reports: a status (passed / failed / not run, with the reason), a
// one-line summary, findings that say where (source file, or artifact + embedded module), and the
// files it wrote. Pure helpers only.

export type CheckId = "secrets" | "artifact-leaks" | "supply-chain" | "audit" | "sbom" | "provenance";
export type CheckStatus = "passed" | "failed" | "not-run";

export const CHECK_TITLES: Record<CheckId, string> = {
  secrets: "secrets in sources",
  "artifact-leaks": "secrets and leaks in artifacts",
  "supply-chain": "supply chain",
  audit: "known vulnerabilities",
  sbom: "SBOM (CycloneDX 1.6)",
  provenance: "provenance (in-toto, SLSA)",
};

export interface Finding {
  /** error: the check fails; warning: reported, the check still passes. */
  severity: "error" | "warning";
  /** What was found, never the secret itself. */
  message: string;
  /** Rule or detector id, e.g. @secretlint/secretlint-rule-aws or path/home-folder. */
  rule: string;
  /** A project file, relative to the project folder (sources, lockfiles, targets.json). */
  file?: string;
  /** The executable's file name in the dist folder. */
  artifact?: string;
  /** The embedded module, as named inside the executable (e.g. `app`, `.env-1a2b3c4d.production`). */
  module?: string;
  /** For findings inside an embedded sourcemap: the original source file it carries. */
  source?: string;
  /** 1-based line and column in the file, module or original source. */
  line?: number;
  column?: number;
}

export interface CheckResult {
  id: CheckId;
  title: string;
  status: CheckStatus;
  /** One line: what was checked, or for "not run" why not. */
  summary: string;
  findings: Finding[];
  /** Files written by the check (SBOMs, attestations), relative to the project folder when inside it. */
  outputs: string[];
}

export interface SecurityReport {
  project: string;
  distDir: string;
  /** What the artifact checks read, in words: the folder and how its executables were found. */
  scope: string;
  strict: boolean;
  checks: CheckResult[];
  /** false when a check failed, or (with --strict) did not run. */
  passed: boolean;
}

export function checkResult(id: CheckId, findings: Finding[], summary: string, outputs: string[] = []): CheckResult {
  return {
    id,
    title: CHECK_TITLES[id],
    status: findings.some((f) => f.severity === "error") ? "failed" : "passed",
    summary,
    findings: sortFindings(findings),
    outputs,
  };
}

export function notRun(id: CheckId, reason: string, findings: Finding[] = []): CheckResult {
  return { id, title: CHECK_TITLES[id], status: "not-run", summary: reason, findings: sortFindings(findings), outputs: [] };
}

export function reportPassed(checks: CheckResult[], strict: boolean): boolean {
  return checks.every((c) => c.status === "passed" || (c.status === "not-run" && !strict));
}

function sortFindings(findings: Finding[]): Finding[] {
  const key = (f: Finding) =>
    [f.severity === "error" ? 0 : 1, f.artifact ?? "", f.file ?? "", f.module ?? "", f.source ?? "", String(f.line ?? 0).padStart(9, "0"), String(f.column ?? 0).padStart(9, "0"), f.rule, f.message].join("\u0000");
  return [...findings].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/** Where a finding is: `file:line:col`, or `artifact › module › sourcemap source:line:col`. */
export function findingLocation(f: Finding): string {
  const position = f.line !== undefined ? `:${f.line}${f.column !== undefined ? `:${f.column}` : ""}` : "";
  if (f.artifact) {
    const parts = [f.artifact, ...(f.module ? [f.module] : []), ...(f.source ? [`sourcemap ${f.source}`] : [])];
    return parts.join(" › ") + position;
  }
  return f.file ? `${f.file}${position}` : "";
}

/** Line and column (both 1-based) of a character offset, counting \n, \r\n and \r as line ends. */
export function lineColumn(text: string, index: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < index && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: index - lineStart + 1 };
}

/** Precomputed line starts, for many lookups in one large text (bundles are one long line or thousands). */
export class LineIndex {
  private readonly starts: number[] = [0];
  constructor(text: string) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 10 || (c === 13 && text.charCodeAt(i + 1) !== 10)) this.starts.push(i + 1);
    }
  }
  at(index: number): { line: number; column: number } {
    let lo = 0;
    let hi = this.starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (this.starts[mid]! <= index) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: index - this.starts[lo]! + 1 };
  }
}

/** Removes credentials from URLs in a message (`https://user:token@host` -> `https://***@host`). */
export function redactUrlCredentials(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/\s@]+@/gi, "$1***@");
}

/** A short hint of a value that is not itself secret-revealing: its length and first two characters. */
export function valueHint(value: string): string {
  return `${JSON.stringify(value.slice(0, 2))}… (${value.length} characters)`;
}

// Verdicts from result files: a validate job (--summary), the release (--release-check), and the
// verdict job (--verdict). Every validate step writes its result with --json=FILE; a verdict is
// read from that file alone, so a step that silently did nothing (bash steps that exit 0 with no
// output have been reported on windows-11-arm, actions/partner-runner-images#169) is "not run".
import type { Config, Target } from "../config/index.ts";
import { artifactFileName, DAGGER_DIST } from "./workflow.ts";

export type CheckId = "inspect" | "smoke" | "parity";

export interface CheckInfo {
  id: CheckId;
  title: string;
  /** The `bun verify` command whose result file this check reads. */
  command: string;
  proves: string;
  reproduce: (target: Target, file: string) => string;
}

export const VALIDATE_CHECKS: CheckInfo[] = [
  {
    id: "inspect",
    title: "inspect",
    command: "inspect",
    proves: "format, architecture, linkage and (macOS) code signature are right for the target, and the bytes are the ones build-all listed in manifest.json",
    reproduce: (t) => `bun verify inspect --dist ${DAGGER_DIST} --target ${t.id}`,
  },
  {
    id: "smoke",
    title: "smoke",
    command: "smoke",
    proves: "the Dagger-built executable runs on this OS and passes every smoke case in targets.json",
    reproduce: (t) => `bun verify smoke --require-all --target ${t.id} --dist ${DAGGER_DIST}`,
  },
  {
    id: "parity",
    title: "parity",
    command: "parity",
    proves: "a native rebuild on this runner (just build) is bit-for-bit identical to the Dagger build",
    reproduce: (t) => `bun verify parity --reference ${DAGGER_DIST} --target ${t.id}`,
  },
];

/** The checks a release needs for every target it publishes. */
export const RELEASE_CHECKS: CheckId[] = ["smoke", "parity"];

/** Where a validate step writes its result: `<results>/<target id>/<check>.json`. */
export function resultFileName(target: Pick<Target, "id">, check: CheckId): string {
  return `${target.id}/${check}.json`;
}

/** What a step left behind: nothing, a file that could not be read, or its JSON. */
export type FoundResult = { kind: "missing" } | { kind: "unreadable"; reason: string } | { kind: "file"; data: unknown };

export type Verdict = "pass" | "fail" | "not run";

export interface VerdictRow {
  check: string;
  verdict: Verdict;
  detail: string;
  proves: string;
  reproduce?: string;
}

const RUNNER_OS: Record<string, Target["os"]> = { Linux: "linux", macOS: "darwin", Windows: "windows" };
const RUNNER_ARCH: Record<string, Target["arch"]> = { X64: "x64", ARM64: "arm64" };

const baseName = (file: string) => file.split(/[\\/]/).pop() ?? file;

/** One check's verdict from the result file its step wrote (verify/telemetry/log.ts, ResultFile). */
export function checkVerdict(check: CheckInfo, target: Target, file: string, found: FoundResult): { verdict: Verdict; detail: string } {
  const where = resultFileName(target, check.id);
  if (found.kind === "missing") return { verdict: "not run", detail: `no result file ${where} (the step did not run, or ended before writing it)` };
  if (found.kind === "unreadable") return { verdict: "fail", detail: `${where}: ${found.reason}` };
  const data = found.data as { kind?: unknown; command?: unknown; exitCode?: unknown; result?: Record<string, unknown> } | null;
  if (typeof data !== "object" || data === null || data.kind !== "bun-parity-result" || typeof data.result !== "object" || data.result === null) {
    return { verdict: "fail", detail: `${where} is not a bun-parity result file (written with --json=FILE)` };
  }
  if (data.command !== check.command) return { verdict: "fail", detail: `${where} was written by "bun verify ${String(data.command)}", not "bun verify ${check.command}"` };
  const evidence = evidenceFor(check.id, target, file, data.result);
  if (data.exitCode !== 0) {
    const how = data.exitCode === 1 ? "the check failed" : data.exitCode === 2 ? "bad usage or input (exit 2)" : `ended with exit code ${String(data.exitCode)}`;
    return { verdict: "fail", detail: [how, evidence.verdict === "pass" ? "" : evidence.detail].filter(Boolean).join(": ") };
  }
  return evidence;
}

/** What the result says about this target, whatever the exit code: a pass needs positive evidence. */
function evidenceFor(check: CheckId, target: Target, file: string, result: Record<string, unknown>): { verdict: Verdict; detail: string } {
  if (check === "inspect") {
    const rows = Array.isArray(result.inspect) ? (result.inspect as { file?: string; ok?: boolean; problems?: string[] }[]) : [];
    const row = rows.find((r) => typeof r.file === "string" && baseName(r.file) === file);
    if (!row) return { verdict: "not run", detail: `the result does not inspect ${file}` };
    return row.ok === true ? { verdict: "pass", detail: "" } : { verdict: "fail", detail: (row.problems ?? []).join("; ") || "inspection failed" };
  }
  if (check === "smoke") {
    const smoke = result.smoke as { results?: { target?: string; case?: string; status?: string; reason?: string }[] } | undefined;
    const cases = (smoke?.results ?? []).filter((r) => r.target === target.id);
    if (cases.length === 0) return { verdict: "not run", detail: `no smoke case ran for ${target.id}` };
    const failed = cases.filter((c) => c.status === "fail");
    const notRun = cases.filter((c) => c.status !== "pass" && c.status !== "fail");
    if (failed.length > 0) return { verdict: "fail", detail: failed.map((c) => `${c.case}: ${String(c.reason ?? "").split("\n")[0]}`).join("; ") };
    if (notRun.length > 0) return { verdict: "not run", detail: notRun.map((c) => `${c.case}: ${String(c.reason ?? "not run").split("\n")[0]}`).join("; ") };
    return { verdict: "pass", detail: `${cases.length} case(s) passed` };
  }
  const parity = result.parity as { rows?: { target?: string; file?: string; verdict?: string; explanation?: string[] }[] } | undefined;
  const row = (parity?.rows ?? []).find((r) => r.target === target.id && r.file === file);
  if (!row) return { verdict: "not run", detail: `the parity result has no row for ${file}` };
  if (row.verdict === "identical") return { verdict: "pass", detail: "identical" };
  return { verdict: "fail", detail: [row.verdict, ...(row.explanation ?? [])].join(": ") };
}

/**
 * The verdict rows of one validate job: first whether the runner is the target's OS and CPU
 * (a runner label that moved to another CPU makes every other check meaningless), then each
 * check, from its result file.
 */
export function verdicts(config: Config, target: Target, env: NodeJS.ProcessEnv, found: (check: CheckId) => FoundResult): VerdictRow[] {
  const file = artifactFileName(config, target);
  const os = env.RUNNER_OS;
  const arch = env.RUNNER_ARCH;
  const runnerRow: VerdictRow = {
    check: "runner",
    verdict: "not run",
    detail: "RUNNER_OS / RUNNER_ARCH not set (not on GitHub Actions)",
    proves: `the job ran on ${target.os}/${target.arch}, the target's own OS and CPU (runner label ${target.runner})`,
  };
  if (os && arch) {
    const hostOs = RUNNER_OS[os];
    const hostArch = RUNNER_ARCH[arch];
    const ok = hostOs === target.os && hostArch === target.arch;
    runnerRow.verdict = ok ? "pass" : "fail";
    runnerRow.detail = ok
      ? `${os} ${arch}`
      : `runner label ${target.runner} gave ${os} ${arch}, but ${target.id} is ${target.os}/${target.arch}: set "runner" of ${target.id} in targets.json to a label of that OS and CPU, then bun verify ci --write`;
  }
  const rows: VerdictRow[] = [runnerRow];
  for (const check of VALIDATE_CHECKS) {
    const { verdict, detail } = checkVerdict(check, target, file, found(check.id));
    rows.push({ check: check.title, verdict, detail, proves: check.proves, reproduce: check.reproduce(target, file) });
  }
  return rows;
}

export interface ReleaseRow {
  target: string;
  check: CheckId;
  verdict: Verdict;
  detail: string;
}

/** Before a release: every target's smoke and parity passed, read from the validate jobs' result files. */
export function releaseVerdicts(config: Config, found: (target: Target, check: CheckId) => FoundResult): ReleaseRow[] {
  return config.targets.flatMap((target) =>
    RELEASE_CHECKS.map((id) => {
      const check = VALIDATE_CHECKS.find((c) => c.id === id)!;
      return { target: target.id, check: id, ...checkVerdict(check, target, artifactFileName(config, target), found(target, id)) };
    }),
  );
}

export interface JobRow {
  job: string;
  result: string;
  verdict: Verdict;
}

/**
 * The verdict job: `toJSON(needs)` of a job that needs every other one. Only "success" passes; a
 * job that failed, was cancelled or was skipped (its own needs failed) fails the verdict.
 */
export function jobVerdicts(needs: unknown): JobRow[] {
  if (typeof needs !== "object" || needs === null || Array.isArray(needs) || Object.keys(needs).length === 0) {
    throw new Error("expected the JSON object of needs.<job>.result (toJSON(needs) of a job with needs)");
  }
  return Object.entries(needs as Record<string, { result?: unknown }>).map(([job, value]) => {
    const result = typeof value?.result === "string" ? value.result : "unknown";
    return { job, result, verdict: result === "success" ? "pass" : result === "skipped" ? "not run" : "fail" };
  });
}

const escapeCell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
const verdictLabel = (v: Verdict) => (v === "pass" ? "pass" : v === "fail" ? "**FAIL**" : "**not run**");

export function verdictsMarkdown(target: Target, rows: VerdictRow[]): string {
  const lines = [
    `### validate ${target.id} on ${target.runner}`,
    "",
    "| check | result | what it proves | details |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.check} | ${verdictLabel(r.verdict)} | ${escapeCell(r.proves)} | ${escapeCell([r.detail, r.verdict !== "pass" && r.reproduce ? `reproduce: \`${r.reproduce}\`` : ""].filter(Boolean).join("; "))} |`),
    "",
  ];
  return lines.join("\n");
}

export function releaseMarkdown(rows: ReleaseRow[]): string {
  return [
    "### release: what was validated",
    "",
    "| target | check | result | details |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.target} | ${r.check} | ${verdictLabel(r.verdict)} | ${escapeCell(r.detail)} |`),
    "",
  ].join("\n");
}

export function jobsMarkdown(rows: JobRow[]): string {
  return [
    "### verdict",
    "",
    "| job | result |",
    "|---|---|",
    ...rows.map((r) => `| ${r.job} | ${r.verdict === "pass" ? "success" : `**${r.result}**`} |`),
    "",
  ].join("\n");
}

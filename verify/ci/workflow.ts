// The GitHub workflow, generated then checked. Pure: text and config in, text and findings out;
// verify/commands/ci.ts does the reading, writing, linting and reporting.
//
// What is generated from targets.json: the validate job's matrix, and build-all's upload steps
// (one artifact per target, so each validate job downloads one executable), each between two
// marker comments. Everything else in the workflow is the user's to edit; `bun verify ci --write`
// rewrites only the lines between the markers (or writes the starter workflow below when there is
// no workflow yet), and `bun verify ci --check` compares them with targets.json and names every
// difference.
import type { Config, Target } from "../config/index.ts";

export const WORKFLOW_PATH = ".github/workflows/ci.yml";
export const ACTIONLINT_CONFIG_PATH = ".github/actionlint.yaml";
export const BEGIN_MARKER = "# bun-parity:matrix:begin";
export const END_MARKER = "# bun-parity:matrix:end";
export const UPLOADS_BEGIN_MARKER = "# bun-parity:uploads:begin";
export const UPLOADS_END_MARKER = "# bun-parity:uploads:end";
const GENERATED_NOTE = "(generated from targets.json by `bun verify ci --write`; do not edit by hand)";

export type BlockKind = "matrix" | "uploads";
const MARKERS: Record<BlockKind, { begin: string; end: string }> = {
  matrix: { begin: BEGIN_MARKER, end: END_MARKER },
  uploads: { begin: UPLOADS_BEGIN_MARKER, end: UPLOADS_END_MARKER },
};

/** The Dagger CLI the starter workflow installs when the project has no dagger.json. */
export const DEFAULT_DAGGER_VERSION = "0.21.9";
/** Where build-all exports the Dagger build in the workflow. */
export const DAGGER_DIST = "dist/dagger";
/** Artifact of one target's Dagger build (`dist-dagger-<id>`): its executable, SHA256SUMS, manifest.json. */
export const DIST_ARTIFACT_PREFIX = "dist-dagger-";
/** Artifact of one validate job's evidence (`evidence-<id>`): its result files and parity's VSA. */
export const EVIDENCE_ARTIFACT_PREFIX = "evidence-";
/** Where validate steps write their result files (`--json=results/<id>/<check>.json`). */
export const RESULTS_DIR = "results";
/** Runners the starter workflow runs the project's own test suite on, besides Linux (Dagger). */
export const TEST_OS_RUNNERS = ["macos-15", "windows-2025"] as const;

/** The fields of one matrix entry, in the order they are written. */
export const MATRIX_FIELDS = ["target", "runner", "file"] as const;
export type MatrixField = (typeof MATRIX_FIELDS)[number];
export type MatrixEntry = Record<MatrixField, string>;

/**
 * Actions pinned by commit SHA. Each SHA is the commit the release tag points to in the action's
 * own repository (read with git from a snapshot of it; see docs/ci.md, "Pinned actions"); the
 * release is what `uses:` lines carry as a comment.
 */
export const ACTIONS = {
  checkout: { uses: "actions/checkout@de0fac2e4500dabe0009e67214ff5f5447ce83dd", release: "v6.0.2" },
  setupNode: { uses: "actions/setup-node@249970729cb0ef3589644e2896645e5dc5ba9c38", release: "v6.5.0" },
  cache: { uses: "actions/cache@27d5ce7f107fe9357f9df03efb73ab90386fccae", release: "v5.0.5" },
  uploadArtifact: { uses: "actions/upload-artifact@b7c566a772e6b6bfb58ed0dc250532a479d7789f", release: "v6.0.0" },
  downloadArtifact: { uses: "actions/download-artifact@37930b1c2abaa49bbe596cd826c3c89aef350131", release: "v7.0.0" },
  attestBuildProvenance: { uses: "actions/attest-build-provenance@a2bbfa25375fe432b6a289bc6b6cd05ecd0c4c32", release: "v4.1.0" },
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
  const lines = [`${indent}${BEGIN_MARKER} ${GENERATED_NOTE}`, `${indent}include:`];
  for (const entry of entries) {
    MATRIX_FIELDS.forEach((field, i) => {
      lines.push(`${indent}  ${i === 0 ? "- " : "  "}${field}: ${yamlScalar(entry[field])}`);
    });
  }
  lines.push(`${indent}${END_MARKER}`);
  return lines;
}

/**
 * build-all's upload steps, markers included: one artifact per target with its executable and the
 * two index files, so a validate job downloads ~100 MB instead of every target's executable.
 */
export function renderUploadsBlock(config: Config, indent: string): string[] {
  const lines = [`${indent}${UPLOADS_BEGIN_MARKER} ${GENERATED_NOTE}`];
  for (const entry of matrixEntries(config)) {
    lines.push(
      `${indent}- name: ${yamlScalar(`Upload the ${entry.target} build`)}`,
      `${indent}  uses: ${ACTIONS.uploadArtifact.uses} # ${ACTIONS.uploadArtifact.release}`,
      `${indent}  with:`,
      `${indent}    name: ${yamlScalar(`${DIST_ARTIFACT_PREFIX}${entry.target}`)}`,
      `${indent}    path: |`,
      `${indent}      ${DAGGER_DIST}/${entry.file}`,
      `${indent}      ${DAGGER_DIST}/SHA256SUMS`,
      `${indent}      ${DAGGER_DIST}/manifest.json`,
      `${indent}    if-no-files-found: error`,
      `${indent}    retention-days: 14`,
    );
  }
  lines.push(`${indent}${UPLOADS_END_MARKER}`);
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
export function locateBlock(text: string, kind: BlockKind = "matrix"): Block | string {
  const { begin: BEGIN_MARKER, end: END_MARKER } = MARKERS[kind];
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const lines = text.split(/\r?\n/);
  const begins = lines.flatMap((l, i) => (l.trimStart().startsWith(BEGIN_MARKER) ? [i] : []));
  const ends = lines.flatMap((l, i) => (l.trimStart().startsWith(END_MARKER) ? [i] : []));
  if (begins.length === 0 && ends.length === 0) return `no generated ${kind} block (no "${BEGIN_MARKER}" ... "${END_MARKER}" lines)`;
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

/**
 * build-all's generated upload steps against targets.json: one per target, each uploading that
 * target's executable. The block is optional (a workflow may ship artifacts its own way); when it
 * is there it must be exactly what --write writes.
 */
export function compareUploads(text: string, config: Config, workflowName = "ci.yml"): Difference[] {
  const block = locateBlock(text, "uploads");
  if (typeof block === "string") return block.startsWith("no generated") ? [] : [{ message: `${workflowName}: ${block}` }];
  const expected = renderUploadsBlock(config, block.indent);
  const actual = block.lines.slice(block.begin, block.end + 1);
  if (expected.length === actual.length && expected.every((l, i) => l === actual[i])) return [];
  const differences: Difference[] = [];
  const uploaded = new Map<string, number>();
  actual.forEach((line, i) => {
    const m = new RegExp(`^\\s*name:\\s*"?${DIST_ARTIFACT_PREFIX}(.+?)"?\\s*$`).exec(line);
    if (m) uploaded.set(m[1]!, block.begin + i + 1);
  });
  const ids = config.targets.map((t) => t.id);
  for (const id of ids) {
    if (!uploaded.has(id)) differences.push({ target: id, message: `${id}: in targets.json but build-all uploads no ${DIST_ARTIFACT_PREFIX}${id} in ${workflowName}` });
  }
  for (const [id, line] of uploaded) {
    if (!ids.includes(id)) differences.push({ target: id, line, message: `${id}: build-all uploads ${DIST_ARTIFACT_PREFIX}${id} (${workflowName}:${line}) but targets.json has no such target` });
  }
  if (differences.length === 0) {
    const at = expected.findIndex((l, i) => l !== actual[i]);
    const index = at === -1 ? Math.min(expected.length, actual.length) : at;
    const line = block.begin + index + 1;
    differences.push({
      line,
      message: `${workflowName}:${line}: the uploads block is not what targets.json gives: expected ${JSON.stringify(expected[index]?.trim() ?? "(end of block)")}, found ${JSON.stringify(actual[index]?.trim() ?? "(end of block)")}`,
    });
  }
  return differences;
}

/** Every generated block against targets.json: the matrix, then build-all's uploads. */
export function compareWorkflow(text: string, config: Config, workflowName = "ci.yml"): Difference[] {
  return [...compareMatrix(text, config, workflowName), ...compareUploads(text, config, workflowName)];
}

function rewriteBlock(text: string, kind: BlockKind, render: (indent: string) => string[]): string {
  const block = locateBlock(text, kind);
  if (typeof block === "string") throw new Error(block);
  return [...block.lines.slice(0, block.begin), ...render(block.indent), ...block.lines.slice(block.end + 1)].join(block.eol);
}

/** The workflow with its generated blocks rewritten from targets.json (the rest untouched). */
export function writeMatrix(text: string, config: Config): string {
  const withMatrix = rewriteBlock(text, "matrix", (indent) => renderMatrixBlock(matrixEntries(config), indent));
  const uploads = locateBlock(withMatrix, "uploads");
  if (typeof uploads === "string" && uploads.startsWith("no generated")) return withMatrix;
  return rewriteBlock(withMatrix, "uploads", (indent) => renderUploadsBlock(config, indent));
}

// ---------------------------------------------------------------------------------------------
// The starter workflow: what --write writes when the project has no workflow yet (this
// repository's own .github/workflows/ci.yml is one, regenerated with --write), and what
// `bun verify init` writes into a project.

const checkout = () => `      - uses: ${ACTIONS.checkout.uses} # ${ACTIONS.checkout.release}
        with:
          persist-credentials: false
`;

/** Node, then bun and just from package-lock.json, on PATH for the later steps. */
const toolchain = (pathStepExtra = "") => `      - uses: ${ACTIONS.setupNode.uses} # ${ACTIONS.setupNode.release}
        with:
          node-version: "22.20.0"
          cache: npm
      - name: Install bun and just from package-lock.json
        run: npm ci --no-audit --no-fund
      - name: Put node_modules/.bin on PATH${pathStepExtra ? "; keep the Bun runtimes outside the checkout" : ""}
        id: toolchain
        run: ${pathStepExtra ? `|\n          echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"\n          ${pathStepExtra}` : `echo "$GITHUB_WORKSPACE/node_modules/.bin" >> "$GITHUB_PATH"`}
`;

function daggerJob(id: string, args: string, what: string, reproduce: string, daggerVersion: string, extraSteps = ""): string {
  return `  ${id}:
    name: ${id} (dagger call ${args.split(" ")[0]})
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    steps:
${checkout()}      - name: dagger call ${args}
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

export interface StarterOptions {
  /** The Dagger CLI version (dagger.json's engineVersion). */
  daggerVersion: string;
  /**
   * Runners to run the project's own test suite on (`just test`) besides the Dagger test job on
   * Linux, e.g. TEST_OS_RUNNERS; none when absent (a project whose justfile has no test recipe).
   */
  testOn?: readonly string[];
  /**
   * The Dagger jobs that run a project recipe besides build-all and security-scan: `test` and
   * `lint` only when the project's justfile has those recipes (default: both).
   */
  recipeJobs?: readonly ("test" | "lint")[];
}

export function starterWorkflow(config: Config, options: StarterOptions): string {
  const v = options.daggerVersion.replace(/^v/, "");
  const matrix = renderMatrixBlock(matrixEntries(config), "        ").join("\n");
  const uploads = renderUploadsBlock(config, "      ").join("\n") + "\n";
  const testOn = options.testOn ?? [];
  const recipeJobs = options.recipeJobs ?? ["test", "lint"];
  const verdictNeeds = [...recipeJobs, "security-scan", "build-all", "validate", ...(testOn.length > 0 ? ["test-os"] : [])];
  const testOsJob = testOn.length === 0 ? "" : `
  test-os:
    # The tool itself where the docs say it runs: the test suite on macOS and Windows (Linux runs it
    # in the test job). Tests that need Linux-only tools (qemu, Debian's chromium) skip there and say why.
    name: test on \${{ matrix.os }}
    runs-on: \${{ matrix.os }}
    timeout-minutes: 60
    strategy:
      fail-fast: false
      matrix:
        os: [${testOn.join(", ")}]
    defaults:
      run:
        shell: bash
    steps:
${checkout()}${toolchain()}      - name: just test
        run: just test
`;
  return `# CI and release. Dagger jobs (test, lint, security-scan, build-all) each run one \`dagger call\`
# in the pinned container; one validate job per target checks build-all's executable on a runner of
# the target's own OS and CPU and rebuilds it there to prove both are the same bytes; the \`verdict\`
# job needs every job and is the one check to require. On a v* tag, \`release\` packages, attests and
# publishes the Dagger build after the verdict. docs/ci.md says what each job proves.
#
# Started by \`bun verify ci --write\`; edit freely outside the bun-parity:* blocks. Those (the
# validate matrix, build-all's uploads) are rewritten from targets.json by \`bun verify ci --write\`,
# and \`bun verify ci --check\` (part of \`just lint\`) fails when they and targets.json disagree.
# Actions are pinned by commit SHA; the comment names the release.
name: ci

on:
  push:
    branches: [main]
    tags: ["v*"]
  pull_request:
  workflow_dispatch:

permissions:
  contents: read

concurrency:
  # A newer push to a pull request cancels its running check; runs on main and on tags always finish.
  group: \${{ github.workflow }}-\${{ github.event.pull_request.number || github.ref }}
  cancel-in-progress: \${{ github.event_name == 'pull_request' }}

env:
  DAGGER_NO_NAG: "1"

jobs:
${recipeJobs.includes("test") ? `${daggerJob("test", "test", "the test suite, just test, in the pinned container", "just test or dagger call test", v)}\n` : ""}${recipeJobs.includes("lint") ? `${daggerJob("lint", "lint", "just lint: tsc, ESLint, bun verify ci --check", "just lint or dagger call lint", v)}\n` : ""}${daggerJob("security-scan", "security-scan", "just security --strict on the Dagger build, in the pinned container", "dagger call security-scan, or just build-all then just security --strict", v)}
${daggerJob("build-all", `build-all export --path=${DAGGER_DIST} --wipe`, "just build-all in the pinned container", `dagger call build-all export --path=${DAGGER_DIST}`, v, uploads)}
  validate:
    # One job per target, on a runner that can execute it (runner in targets.json). Every check
    # writes a result file; the verdict is read from those files, so a step that did nothing is
    # "not run", never a pass.
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
      RESULTS: ${RESULTS_DIR}/\${{ matrix.target }}
    steps:
${checkout()}${toolchain(`echo "BUN_PARITY_CACHE_DIR=$RUNNER_TEMP/bun-parity-cache" >> "$GITHUB_ENV"`)}      - name: Cache the Bun runtimes (keyed on bun-runtimes.lock.json)
        uses: ${ACTIONS.cache.uses} # ${ACTIONS.cache.release}
        with:
          path: \${{ env.BUN_PARITY_CACHE_DIR }}
          key: bun-parity-runtimes-\${{ runner.os }}-\${{ runner.arch }}-\${{ hashFiles('bun-runtimes.lock.json') }}
      - name: Download this target's Dagger build
        id: download
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          name: ${DIST_ARTIFACT_PREFIX}\${{ matrix.target }}
          path: ${DAGGER_DIST}
      - name: Restore the executable bit (artifacts are zip files, which drop it; the bytes are unchanged)
        id: prepare
        if: \${{ steps.download.outcome == 'success' }}
        run: chmod +x "${DAGGER_DIST}/$FILE"
      - name: "inspect: format, architecture, linkage, signature, and the digest build-all wrote"
        if: \${{ !cancelled() && steps.prepare.outcome == 'success' }}
        run: bun verify inspect --json="$RESULTS/inspect.json" --dist ${DAGGER_DIST} --target "$TARGET"
      - name: "smoke: the Dagger-built executable runs on this OS"
        if: \${{ !cancelled() && steps.prepare.outcome == 'success' }}
        run: bun verify smoke --json="$RESULTS/smoke.json" --require-all --target "$TARGET" --dist ${DAGGER_DIST}
      - name: "parity: a native rebuild here (just build) is identical to the Dagger build"
        if: \${{ !cancelled() && steps.download.outcome == 'success' }}
        run: bun verify parity --json="$RESULTS/parity.json" --reference ${DAGGER_DIST} --target "$TARGET"
      - name: Verdicts from the result files (job summary, annotations naming the target and the check)
        if: \${{ !cancelled() && steps.toolchain.outcome == 'success' }}
        run: bun verify ci --summary --target "$TARGET" --results ${RESULTS_DIR}
      - name: Upload the evidence (result files, parity's verification summary)
        if: \${{ !cancelled() }}
        uses: ${ACTIONS.uploadArtifact.uses} # ${ACTIONS.uploadArtifact.release}
        with:
          name: ${EVIDENCE_ARTIFACT_PREFIX}\${{ matrix.target }}
          path: |
            ${RESULTS_DIR}/
            dist/attestations/
          if-no-files-found: warn
          retention-days: 90
${testOsJob}
  verdict:
    # The one check to require (branch protection): its name stays when targets or runners change.
    # It runs after everything, and fails when a job it needs failed, was cancelled or was skipped.
    name: verdict
    if: \${{ always() }}
    needs: [${verdictNeeds.join(", ")}]
    runs-on: ubuntu-24.04
    timeout-minutes: 10
    steps:
${checkout()}${toolchain()}      - name: Every job passed
        env:
          BUN_PARITY_NEEDS: \${{ toJSON(needs) }}
        run: bun verify ci --verdict

  release:
    # On a v* tag (semantic-release creates them), after the verdict: the Dagger build of every
    # target, packaged, listed in SHA256SUMS, attested and published. The only job that may write.
    name: release
    if: \${{ startsWith(github.ref, 'refs/tags/v') }}
    needs: verdict
    runs-on: ubuntu-24.04
    timeout-minutes: 30
    permissions:
      contents: write
      id-token: write
      attestations: write
    steps:
${checkout()}${toolchain()}      - name: Download the Dagger build of every target
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          pattern: ${DIST_ARTIFACT_PREFIX}*
          merge-multiple: true
          path: dist
      - name: Download the validate jobs' evidence
        uses: ${ACTIONS.downloadArtifact.uses} # ${ACTIONS.downloadArtifact.release}
        with:
          pattern: ${EVIDENCE_ARTIFACT_PREFIX}*
          merge-multiple: true
          path: evidence
      - name: "Only what was validated: every target's smoke and parity passed"
        run: bun verify ci --release-check --results evidence/${RESULTS_DIR}
      - name: Archives, listed with the executables in SHA256SUMS
        run: bun verify package
      - name: Attest build provenance (subjects from SHA256SUMS)
        uses: ${ACTIONS.attestBuildProvenance.uses} # ${ACTIONS.attestBuildProvenance.release}
        with:
          subject-checksums: dist/SHA256SUMS
      - name: Create the GitHub release
        env:
          GH_TOKEN: \${{ github.token }}
          GH_REPO: \${{ github.repository }}
        run: gh release create "$GITHUB_REF_NAME" --verify-tag --generate-notes dist/*
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
  // The release job publishes with the GitHub CLI (preinstalled on GitHub-hosted runners).
  if (name === "gh") return sub === "release" ? undefined : `"gh ${sub ?? ""}": only "gh release" is allowed`;
  if (name.startsWith("$") || name.startsWith('"$')) return `"${name}": a command taken from a variable cannot be checked`;
  // `command -v x` asks whether x exists; `command x` would run x.
  if (name === "command") return sub === "-v" || sub === "-V" ? undefined : disallowedCommand(words.slice(1));
  if (WELL_KNOWN_COMMANDS.has(name)) return undefined;
  return `"${name}" is not dagger, just, bun verify, npm ci, gh release or a well-known shell command`;
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

/** The values a job's `matrix.<field>` takes: from strategy.matrix (lists and include entries). */
function matrixValues(job: Doc): Record<string, string>[] {
  const strategy = isObject(job.strategy) ? job.strategy : {};
  const matrix = isObject(strategy.matrix) ? strategy.matrix : {};
  const include = asList(matrix.include).filter(isObject).map((e) => Object.fromEntries(Object.entries(e).map(([k, v]) => [k, String(v)])));
  let rows: Record<string, string>[] = [{}];
  for (const [key, values] of Object.entries(matrix)) {
    if (key === "include" || key === "exclude" || !Array.isArray(values)) continue;
    rows = rows.flatMap((row) => values.map((v) => ({ ...row, [key]: String(v) })));
  }
  const hasAxes = Object.keys(rows[0]!).length > 0;
  return hasAxes ? [...rows, ...include] : include.length > 0 ? include : [{}];
}

/** An artifact name with `${{ matrix.x }}` filled in from one matrix row; undefined if another expression is left. */
function expandName(name: string, row: Record<string, string>): string | undefined {
  const out = name.replace(/\$\{\{\s*matrix\.([A-Za-z_][\w-]*)\s*\}\}/g, (all, field: string) => row[field] ?? all);
  return out.includes("${{") ? undefined : out;
}

/** download-artifact's `pattern` (a glob; `*` is the only wildcard the workflows here use). */
function globRegExp(pattern: string): RegExp {
  const escaped = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${escaped.join(".*")}$`);
}

/**
 * The job graph: every `needs` names a job that exists; a job that downloads an artifact (by name,
 * matrix fields filled in for each matrix row, or by pattern) needs the jobs that upload it; the
 * matrix job runs on `matrix.runner` and uses only generated fields.
 */
export function checkJobs(workflow: unknown): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const jobs = jobsOf(workflow);
  if (jobs.length === 0) return [{ message: "no jobs" }];
  const ids = new Set(jobs.map(([id]) => id));
  /** artifact name -> the job that uploads it. */
  const uploaders = new Map<string, string>();
  for (const [id, job] of jobs) {
    for (const step of stepsOf(job)) {
      const name = isObject(step.with) ? step.with.name : undefined;
      if (typeof step.uses !== "string" || !step.uses.startsWith("actions/upload-artifact@") || typeof name !== "string") continue;
      for (const row of matrixValues(job)) {
        const expanded = expandName(name, row);
        if (expanded !== undefined) uploaders.set(expanded, id);
      }
    }
  }
  for (const [id, job] of jobs) {
    const needs = asList(job.needs).map(String);
    for (const need of needs) {
      if (!ids.has(need)) problems.push({ job: id, message: `needs "${need}", which is not a job in this workflow (jobs: ${[...ids].join(", ")})` });
    }
    stepsOf(job).forEach((step, index) => {
      if (typeof step.uses !== "string" || !step.uses.startsWith("actions/download-artifact@")) return;
      const input = isObject(step.with) ? step.with : {};
      const where = { job: id, step: stepName(step, index) };
      const requireUploader = (artifact: string, uploader: string | undefined) => {
        if (!uploader) problems.push({ ...where, message: `downloads artifact "${artifact}", which no job uploads` });
        else if (!transitivelyNeeds(jobs, id, uploader)) problems.push({ job: id, message: `downloads artifact "${artifact}" but does not need "${uploader}", the job that uploads it` });
      };
      if (typeof input.name === "string") {
        for (const row of matrixValues(job)) {
          const artifact = expandName(input.name, row);
          if (artifact !== undefined) requireUploader(artifact, uploaders.get(artifact));
        }
      } else if (typeof input.pattern === "string") {
        const re = globRegExp(input.pattern);
        const matching = [...uploaders].filter(([artifact]) => re.test(artifact));
        if (matching.length === 0) problems.push({ ...where, message: `downloads artifacts "${input.pattern}", which no job uploads` });
        for (const [artifact, uploader] of matching) requireUploader(artifact, uploader);
      }
    });
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
// Verdicts from result files: a validate job (--summary), the release (--release-check), and the
// verdict job (--verdict). Every validate step writes its result with --json=FILE; a verdict is
// read from that file alone, so a step that silently did nothing (bash steps that exit 0 with no
// output have been reported on windows-11-arm, actions/partner-runner-images#169) is "not run".

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

/** One check's verdict from the result file its step wrote (verify/log.ts, ResultFile). */
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

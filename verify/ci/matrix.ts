// The blocks generated from targets.json: the validate job's matrix, and build-all's upload steps
// (one artifact per target, so each validate job downloads one executable), each between two
// marker comments. Everything else in the workflow is the user's to edit; `bun verify ci --write`
// rewrites only the lines between the markers, and `bun verify ci --check` compares them with
// targets.json and names every difference. Pure: text and config in, text and differences out.
import type { Config } from "../config/index.ts";
import { ACTIONS, artifactFileName, DAGGER_DIST, DIST_ARTIFACT_PREFIX } from "./workflow.ts";

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

/** The fields of one matrix entry, in the order they are written. */
export const MATRIX_FIELDS = ["target", "runner", "file"] as const;
export type MatrixField = (typeof MATRIX_FIELDS)[number];
export type MatrixEntry = Record<MatrixField, string>;

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

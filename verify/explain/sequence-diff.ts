// A generic sequence diff (Myers, O((N+M)·D) with the common prefix and suffix trimmed first) and
// a unified-diff renderer. explain runs it on the lines of two embedded sources, then on the tokens
// of each changed hunk. Pure.

const MAX_LINE_WIDTH = 200;
const MAX_EDITS = 2000;

export interface Edit {
  kind: "equal" | "delete" | "insert";
  /** Index in A (for equal/delete; for insert, the A position it is inserted before). */
  a: number;
  /** Index in B (for equal/insert; for delete, the B position). */
  b: number;
}

export function diffSequences<T>(a: readonly T[], b: readonly T[], maxEdits = MAX_EDITS): Edit[] {
  let prefix = 0;
  while (prefix < a.length && prefix < b.length && a[prefix] === b[prefix]) prefix++;
  let suffix = 0;
  while (suffix < a.length - prefix && suffix < b.length - prefix && a[a.length - 1 - suffix] === b[b.length - 1 - suffix]) suffix++;

  const edits: Edit[] = [];
  for (let i = 0; i < prefix; i++) edits.push({ kind: "equal", a: i, b: i });
  const n = a.length - prefix - suffix;
  const m = b.length - prefix - suffix;
  const middle = myers(n, m, (x, y) => a[prefix + x] === b[prefix + y], maxEdits);
  if (middle) {
    for (const edit of middle) edits.push({ kind: edit.kind, a: edit.a + prefix, b: edit.b + prefix });
  } else {
    // Too many edits to align: report the middle as one replaced block.
    for (let i = 0; i < n; i++) edits.push({ kind: "delete", a: prefix + i, b: prefix });
    for (let j = 0; j < m; j++) edits.push({ kind: "insert", a: prefix + n, b: prefix + j });
  }
  for (let i = 0; i < suffix; i++) edits.push({ kind: "equal", a: a.length - suffix + i, b: b.length - suffix + i });
  return edits;
}

function myers(n: number, m: number, equal: (x: number, y: number) => boolean, maxEdits: number): Edit[] | undefined {
  if (n === 0 && m === 0) return [];
  const max = Math.min(n + m, maxEdits);
  const offset = max + 1;
  const v = new Int32Array(2 * max + 3);
  const trace: Int32Array[] = [];
  for (let d = 0; d <= max; d++) {
    trace.push(v.slice());
    for (let k = -d; k <= d; k += 2) {
      let x = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? v[offset + k + 1]! : v[offset + k - 1]! + 1;
      let y = x - k;
      while (x < n && y < m && equal(x, y)) {
        x++;
        y++;
      }
      v[offset + k] = x;
      if (x >= n && y >= m) return backtrack(trace, offset, n, m);
    }
  }
  return undefined;
}

function backtrack(trace: Int32Array[], offset: number, n: number, m: number): Edit[] {
  const edits: Edit[] = [];
  let x = n;
  let y = m;
  for (let d = trace.length - 1; d >= 0; d--) {
    const v = trace[d]!;
    const k = x - y;
    const previousK = k === -d || (k !== d && v[offset + k - 1]! < v[offset + k + 1]!) ? k + 1 : k - 1;
    const previousX = v[offset + previousK]!;
    const previousY = previousX - previousK;
    while (x > previousX && y > previousY) {
      x--;
      y--;
      edits.push({ kind: "equal", a: x, b: y });
    }
    if (d > 0) {
      if (x === previousX) edits.push({ kind: "insert", a: x, b: y - 1 });
      else edits.push({ kind: "delete", a: x - 1, b: y });
    }
    x = previousX;
    y = previousY;
  }
  return edits.reverse();
}

export interface Hunk {
  edits: Edit[];
  firstChangeA: number;
  firstChangeB: number;
}

export function groupHunks(edits: Edit[], context: number): Hunk[] {
  const changes = edits.flatMap((edit, index) => (edit.kind === "equal" ? [] : [index]));
  const hunks: Hunk[] = [];
  let start = 0;
  while (start < changes.length) {
    let end = start;
    while (end + 1 < changes.length && changes[end + 1]! - changes[end]! <= 2 * context + 1) end++;
    const from = Math.max(0, changes[start]! - context);
    const to = Math.min(edits.length, changes[end]! + context + 1);
    const first = edits[changes[start]!]!;
    hunks.push({ edits: edits.slice(from, to), firstChangeA: first.a, firstChangeB: first.b });
    start = end + 1;
  }
  return hunks;
}

export function renderUnifiedDiff(hunks: Hunk[], linesA: string[], linesB: string[], labelA: string, labelB: string, maxLines: number): string {
  const out = [`--- ${labelA}`, `+++ ${labelB}`];
  for (const hunk of hunks) {
    const first = hunk.edits[0]!;
    const countA = hunk.edits.filter((edit) => edit.kind !== "insert").length;
    const countB = hunk.edits.filter((edit) => edit.kind !== "delete").length;
    out.push(`@@ -${first.a + 1},${countA} +${first.b + 1},${countB} @@`);
    const removed = hunk.edits.filter((edit) => edit.kind === "delete").map((edit) => linesA[edit.a]!);
    const added = hunk.edits.filter((edit) => edit.kind === "insert").map((edit) => linesB[edit.b]!);
    let removedIndex = 0;
    let addedIndex = 0;
    for (const edit of hunk.edits) {
      if (edit.kind === "equal") out.push(` ${clipLine(linesA[edit.a]!, 0)}`);
      else if (edit.kind === "delete") {
        const line = linesA[edit.a]!;
        out.push(`-${clipLine(line, firstDifference(line, added[removedIndex++] ?? ""))}`);
      } else {
        const line = linesB[edit.b]!;
        out.push(`+${clipLine(line, firstDifference(line, removed[addedIndex++] ?? ""))}`);
      }
      if (out.length >= maxLines + 2) {
        out.push(`… (diff truncated at ${maxLines} lines)`);
        return out.join("\n");
      }
    }
  }
  return out.join("\n");
}

function firstDifference(left: string, right: string): number {
  let i = 0;
  while (i < left.length && i < right.length && left[i] === right[i]) i++;
  return i;
}

/** Minified bundles are one long line: show a window around the first differing column. */
function clipLine(line: string, focus: number): string {
  if (line.length <= MAX_LINE_WIDTH) return line;
  const start = Math.max(0, Math.min(focus - 60, line.length - MAX_LINE_WIDTH));
  const end = start + MAX_LINE_WIDTH;
  return `${start > 0 ? "…" : ""}${line.slice(start, end)}${end < line.length ? "…" : ""}`;
}

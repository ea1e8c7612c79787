// Parity (issue 3, point 1): compare the native artifacts with a reference, target by target.
// The comparison is pure; reading the two sides (folders, SHA256SUMS, manifests, URLs) is here
// too because every reference kind ends up as the same thing: file name -> sha256.
import { existsSync, readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { MANIFEST_FILE, SUMS_FILE, hashFiles, parseManifest, parseSha256Sums } from "./digest.ts";
import { UsageError } from "./errors.ts";

export interface SideFile {
  sha256: string;
  bytes?: number;
  /** Local path, when the side has the bytes (folders, clean-room, dagger), so explain can run. */
  path?: string;
}

export interface Side {
  /** e.g. "native (just build-all)", "reference: clean-room rebuild" */
  label: string;
  files: Map<string, SideFile>;
}

export type Verdict = "identical" | "differs" | "missing in native" | "missing in reference" | "extra in reference";

export interface ParityRow {
  /** Target id, or "" for an extra reference file. */
  target: string;
  file: string;
  native?: SideFile;
  reference?: SideFile;
  verdict: Verdict;
  /** One line per cause from explain, for "differs". */
  explanation?: string[];
}

/** Files that describe a folder rather than being artifacts. */
const INDEX_FILES = new Set([SUMS_FILE, MANIFEST_FILE]);

/** Compares the selected targets' files, then lists reference files no target accounts for. */
export function compareSides(targets: { id: string; file: string }[], native: Side, reference: Side, allTargetFiles: string[]): ParityRow[] {
  const rows: ParityRow[] = targets.map(({ id, file }) => {
    const n = native.files.get(file);
    const r = reference.files.get(file);
    const row: ParityRow = { target: id, file, verdict: verdictOf(n, r) };
    if (n) row.native = n;
    if (r) row.reference = r;
    return row;
  });
  const known = new Set(allTargetFiles);
  for (const [file, r] of [...reference.files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!known.has(file) && !INDEX_FILES.has(file)) rows.push({ target: "", file, reference: r, verdict: "extra in reference" });
  }
  return rows;
}

function verdictOf(n: SideFile | undefined, r: SideFile | undefined): Verdict {
  if (!n) return "missing in native";
  if (!r) return "missing in reference";
  return n.sha256 === r.sha256 ? "identical" : "differs";
}

export function parityPassed(rows: ParityRow[]): boolean {
  return rows.every((r) => r.verdict === "identical");
}

/**
 * A folder of artifacts: every regular file is hashed (its own SHA256SUMS or manifest.json are
 * not trusted: a tampered file next to an untouched manifest must show up).
 */
export async function sideFromFolder(dir: string, label: string): Promise<Side> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new UsageError(`${dir}: no such folder`, "Pass a folder of artifacts, a SHA256SUMS file, a manifest.json, or clean-room / dagger.");
  }
  const names = readdirSync(dir)
    .filter((name) => !name.startsWith(".") && !INDEX_FILES.has(name) && statSync(path.join(dir, name)).isFile())
    .sort();
  const digests = await hashFiles(names.map((n) => path.join(dir, n)));
  return {
    label,
    files: new Map(names.map((name, i) => [name, { sha256: digests[i]!.sha256, bytes: digests[i]!.bytes, path: path.join(dir, name) }])),
  };
}

/** A SHA256SUMS or manifest.json, from a path or an https URL (e.g. a release asset). */
export async function sideFromListing(location: string, label: string): Promise<Side> {
  const text = await readListing(location);
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    const manifest = parseManifest(text, location);
    return { label, files: new Map(manifest.targets.map((t) => [t.file, { sha256: t.sha256, bytes: t.bytes }])) };
  }
  return { label, files: new Map(parseSha256Sums(text, location).map((e) => [path.basename(e.file), { sha256: e.sha256 }])) };
}

async function readListing(location: string): Promise<string> {
  if (/^https?:\/\//.test(location)) {
    let response: Response;
    try {
      response = await fetch(location, { redirect: "follow" });
    } catch (error) {
      throw new UsageError(`could not fetch ${location}: ${(error as Error).message}`, "Check the URL and the network, or download the file and pass its path.");
    }
    if (!response.ok) throw new UsageError(`could not fetch ${location}: HTTP ${response.status}`, "Check the URL (a release asset's download URL).");
    return response.text();
  }
  if (!existsSync(location)) {
    throw new UsageError(`${location}: no such file`, "Pass clean-room, dagger, a folder, a SHA256SUMS file, a manifest.json, or an https URL of one.");
  }
  return readFile(location, "utf8");
}

// Parity: compare the native artifacts with a reference, target by target.
// The comparison is pure; reading the two sides (folders, SHA256SUMS, manifests, URLs) is here
// too because every reference kind ends up as the same thing: file name -> sha256.
// Release archives in a folder are opened (every entry validated first) and
// the executable inside is compared with the target's native executable.
import { existsSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import { readFile, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { archiveFormatOf, archiveStem, readArchivedExecutable } from "../package/index.ts";
import { MANIFEST_FILE, SUMS_FILE, hashFiles, parseManifest, parseSha256Sums, sha256Hex } from "../digest/index.ts";
import { UsageError } from "../errors.ts";

export interface SideFile {
  sha256: string;
  bytes?: number;
  /** Local path, when the side has the bytes (folders, clean-room, dagger), so explain can run. */
  path?: string;
  /** Permission bits of a file in a folder (not on Windows, which has none): a release is its bytes and its x bit. */
  mode?: number;
  /** Set when these are the bytes of the executable inside a release archive (`path` is a temporary copy). */
  archive?: { file: string; member: string };
}

/** The executable found inside a release archive of a folder side. */
export interface ArchivedFile {
  file: SideFile;
  /** The archive's top folder, `<name>-<version>-<target>` ("" when it has none). */
  root: string;
  /** The executable's name without `.exe`, i.e. the project name. */
  stem: string;
  windows: boolean;
}

export interface Side {
  /** e.g. "native (just build-all)", "reference: clean-room rebuild" */
  label: string;
  files: Map<string, SideFile>;
  /** Folder sides: the executable inside each release archive, by archive file name. */
  archived?: Map<string, ArchivedFile>;
}

export type Verdict = "identical" | "differs" | "mode differs" | "missing in native" | "missing in reference" | "extra in reference";

export interface ParityRow {
  /** Target id, or "" for an extra reference file. */
  target: string;
  /** The target's executable, or the reference archive this row compares. */
  file: string;
  native?: SideFile;
  reference?: SideFile;
  verdict: Verdict;
  /** One line per cause from explain, for "differs". */
  explanation?: string[];
}

/** Files that describe a folder rather than being artifacts. */
const INDEX_FILES = new Set([SUMS_FILE, MANIFEST_FILE]);

/**
 * Compares the selected targets' files, then lists reference files no target accounts for.
 *
 * Release archives `<name>-<version>-<id>.tar.gz|.zip` belong to the target whose file is
 * `<name>-<id>[.exe]`. Each reference archive gets a row of its own: with its bytes (a folder),
 * the executable inside is compared with the native executable; with only its hash (SHA256SUMS,
 * manifest.json), it is compared with the native archive of the same name. A reference that has
 * archives but not the executable itself gets no row for the bare executable; a native side
 * without the bare executable uses the one inside its own archive.
 */
export function compareSides(targets: { id: string; file: string }[], native: Side, reference: Side, allTargetFiles: string[]): ParityRow[] {
  const nativeArchives = archivesByTarget(native, allTargetFiles);
  const referenceArchives = archivesByTarget(reference, allTargetFiles);
  const row = (target: string, file: string, n: SideFile | undefined, r: SideFile | undefined): ParityRow => {
    const result: ParityRow = { target, file, verdict: verdictOf(n, r) };
    if (n) result.native = n;
    if (r) result.reference = r;
    if (result.verdict === "mode differs") {
      const octal = (mode: number) => mode.toString(8).padStart(4, "0");
      result.explanation = [
        `same bytes, different file mode: ${octal(n!.mode!)} in native, ${octal(r!.mode!)} in reference (chmod 0755 the one that is not; bun verify build writes 0755, and archives or artifact uploads may drop the x bit)`,
      ];
    }
    return result;
  };
  const rows: ParityRow[] = [];
  for (const { id, file } of targets) {
    const nativeExe = native.files.get(file) ?? (nativeArchives.get(file) ?? []).map((a) => native.archived?.get(a)?.file).find(Boolean);
    const archives = referenceArchives.get(file) ?? [];
    const bare = reference.files.get(file);
    if (bare || archives.length === 0) rows.push(row(id, file, nativeExe, bare));
    for (const archive of archives) {
      const inside = reference.archived?.get(archive);
      rows.push(inside ? row(id, archive, nativeExe, inside.file) : row(id, archive, native.files.get(archive), reference.files.get(archive)));
    }
  }
  const known = new Set([...allTargetFiles, ...[...referenceArchives.values()].flat()]);
  for (const [file, r] of [...reference.files].sort(([a], [b]) => a.localeCompare(b))) {
    if (!known.has(file) && !INDEX_FILES.has(file)) rows.push({ target: "", file, reference: r, verdict: "extra in reference" });
  }
  return rows;
}

/** Target file -> the side's archives for it (sorted). */
function archivesByTarget(side: Side, allTargetFiles: string[]): Map<string, string[]> {
  const result = new Map<string, string[]>();
  for (const name of [...side.files.keys()].sort()) {
    if (!archiveFormatOf(name)) continue;
    const target = targetFileOfArchive(name, allTargetFiles, side.archived?.get(name));
    if (target) result.set(target, [...(result.get(target) ?? []), name]);
  }
  return result;
}

/**
 * Which target file (`<name>-<id>[.exe]`) an archive stands for: its top folder (or, without
 * one, its file name) is `<name>-<version>-<id>`, and the executable inside, when known, is
 * `<name>[.exe]`. The longest matching id wins (`linux-x64-musl` over `x64-musl`).
 */
export function targetFileOfArchive(archiveName: string, allTargetFiles: string[], inside?: Pick<ArchivedFile, "root" | "stem" | "windows">): string | undefined {
  const stem = inside?.root || archiveStem(archiveName);
  let best: { file: string; idLength: number } | undefined;
  for (const file of allTargetFiles) {
    const windows = file.toLowerCase().endsWith(".exe");
    if (inside && inside.windows !== windows) continue;
    const base = windows ? file.slice(0, -4) : file;
    for (let dash = base.indexOf("-"); dash > 0; dash = base.indexOf("-", dash + 1)) {
      const name = base.slice(0, dash);
      const id = base.slice(dash + 1);
      if (id === "" || (inside && inside.stem !== name)) continue;
      const fits = stem.startsWith(`${name}-`) && stem.endsWith(`-${id}`) && stem.length > name.length + id.length + 2;
      if (fits && (!best || id.length > best.idLength)) best = { file, idLength: id.length };
    }
  }
  return best?.file;
}

function verdictOf(n: SideFile | undefined, r: SideFile | undefined): Verdict {
  if (!n) return "missing in native";
  if (!r) return "missing in reference";
  if (n.sha256 !== r.sha256) return "differs";
  return n.mode !== undefined && r.mode !== undefined && n.mode !== r.mode ? "mode differs" : "identical";
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
  const archived = new Map<string, ArchivedFile>();
  let copies: string | undefined;
  for (const name of names.filter((n) => archiveFormatOf(n))) {
    // Validates every entry first: an unsafe archive stops the comparison with a UsageError.
    const exe = await readArchivedExecutable(path.join(dir, name));
    if (!exe) continue;
    copies ??= extractionDir();
    const copy = path.join(copies, `${name}-${path.basename(exe.member)}`);
    await writeFile(copy, exe.data);
    archived.set(name, {
      file: { sha256: sha256Hex(exe.data), bytes: exe.data.length, path: copy, archive: { file: name, member: exe.member } },
      root: exe.root,
      stem: exe.stem,
      windows: exe.windows,
    });
  }
  const modeOf = (file: string) => (process.platform === "win32" ? {} : { mode: statSync(file).mode & 0o777 });
  const side: Side = {
    label,
    files: new Map(names.map((name, i) => [name, { sha256: digests[i]!.sha256, bytes: digests[i]!.bytes, path: path.join(dir, name), ...modeOf(path.join(dir, name)) }])),
  };
  if (archived.size > 0) side.archived = archived;
  return side;
}

let extractedTo: string | undefined;

/** One temporary folder per process for executables read out of archives (explain reads them by path); removed at exit. */
function extractionDir(): string {
  if (!extractedTo) {
    const dir = mkdtempSync(path.join(os.tmpdir(), "bun-parity-archived-"));
    extractedTo = dir;
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
  }
  return mkdtempSync(path.join(extractedTo, "side-"));
}

/** A SHA256SUMS or manifest.json, from a path or an https URL (e.g. a release asset). */
export async function sideFromListing(location: string, label: string): Promise<Side> {
  const text = await readListing(location);
  const trimmed = text.trimStart();
  if (trimmed.startsWith("{")) {
    const manifest = parseManifest(text, location);
    const listed = [...manifest.targets, ...(manifest.archives ?? [])];
    return { label, files: new Map(listed.map((t) => [t.file, { sha256: t.sha256, bytes: t.bytes }])) };
  }
  const entries = parseSha256Sums(text, location);
  if (entries.length === 0) {
    // An empty listing would make every target "missing in reference": say what is wrong instead.
    throw new UsageError(`--reference ${location}: lists no files`, "Pass a SHA256SUMS (`<sha256>  <file>` per line) or a manifest.json written by `bun verify build`.");
  }
  return { label, files: new Map(entries.map((e) => [path.basename(e.file), { sha256: e.sha256 }])) };
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

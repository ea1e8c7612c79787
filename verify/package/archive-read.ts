// Reading release archives: list and read .tar.gz and .zip files, validating every entry (no
// absolute paths, no "..", no links out of the archive, no duplicates) before anything inside is
// used. Kept apart from the writers (archive.ts): parity and explain open archives they did not write.
import { open } from "node:fs/promises";
import path from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { list as listTar, type ReadEntry } from "tar";
import { UsageError } from "../errors.ts";
import { archiveFormatOf } from "./archive.ts";

export interface ArchiveEntry {
  /** As stored in the archive (not normalised). */
  path: string;
  type: "file" | "directory" | "symlink" | "hardlink" | "other";
  /** The format's own name for the type, for messages (tar type names, or the Unix mode for zip). */
  rawType: string;
  mode: number;
  size: number;
  linkpath?: string;
  /** Seconds since the epoch (tar only; zip DOS times have no zone). */
  mtime?: number;
  uid?: number;
  gid?: number;
}

const UNSAFE_FIX = "Do not unpack it. Archives written by `bun verify package` hold only plain files and folders under one top folder.";

function unsafe(archive: string, entryPath: string, problem: string): UsageError {
  return new UsageError(`${archive}: refusing entry ${JSON.stringify(entryPath)}: ${problem}`, UNSAFE_FIX);
}

const isAbsolute = (p: string) => /^[/\\]/.test(p) || /^[A-Za-z]:/.test(p);
const hasDotDot = (p: string) => p.split(/[/\\]+/).includes("..");

/** Why an entry is unsafe to unpack, or undefined. Pure; shared by the tar and zip readers. */
export function entryProblem(entry: Pick<ArchiveEntry, "path" | "type" | "rawType" | "linkpath">): string | undefined {
  const p = entry.path;
  if (p === "" || p === "/") return "an empty path";
  if (p.includes("\0")) return "a NUL byte in the path";
  if (isAbsolute(p)) return "an absolute path";
  if (hasDotDot(p)) return 'a ".." path segment (it would be written outside the folder it is unpacked in)';
  if (entry.type === "symlink" || entry.type === "hardlink") {
    const kind = entry.type === "symlink" ? "a symbolic link" : "a hard link";
    const target = entry.linkpath ?? "";
    if (target === "") return `${kind} without a target`;
    if (isAbsolute(target)) return `${kind} to an absolute path (${target})`;
    // A symbolic link resolves from its own folder, a hard link names another entry (from the root).
    const out =
      entry.type === "symlink"
        ? path.posix.normalize(path.posix.join(path.posix.dirname(p.replaceAll("\\", "/")), target.replaceAll("\\", "/"))).split("/")[0] === ".."
        : hasDotDot(target);
    if (out) return `${kind} pointing out of the archive (${target})`;
  }
  if (entry.type === "other") return `an unsupported entry type (${entry.rawType})`;
  return undefined;
}

/** Checks every entry (and that no path appears twice); throws a UsageError naming the first bad one. */
export function validateEntries(archive: string, entries: ArchiveEntry[]): void {
  const seen = new Set<string>();
  for (const entry of entries) {
    const problem = entryProblem(entry);
    if (problem) throw unsafe(archive, entry.path, problem);
    const key = entry.path.replaceAll("\\", "/").replace(/^(\.\/)+/, "").replace(/\/+$/, "");
    if (seen.has(key)) throw unsafe(archive, entry.path, "the path appears twice (the second copy would replace the first when unpacked)");
    seen.add(key);
  }
}

/** Every entry of an archive, validated. Nothing inside is read except the listing itself. */
export async function listArchive(file: string): Promise<ArchiveEntry[]> {
  const format = archiveFormatOf(file);
  if (!format) throw new UsageError(`${file}: not a .tar.gz, .tgz or .zip`, "Pass an archive written by `bun verify package`.");
  const entries = format === "zip" ? (await readZipDirectory(file)).map((z) => z.entry) : await listTarGz(file);
  validateEntries(file, entries);
  return entries;
}

/** The bytes of one regular file, after the whole archive has been validated. */
export async function readArchiveFile(file: string, entryPath: string): Promise<Buffer> {
  const format = archiveFormatOf(file);
  const entries = await listArchive(file);
  const entry = entries.find((e) => e.path === entryPath);
  if (!entry || entry.type !== "file") {
    throw new UsageError(`${file}: no file ${JSON.stringify(entryPath)} in the archive`, `It holds: ${entries.map((e) => e.path).join(", ")}`);
  }
  return format === "zip" ? readZipFile(file, entryPath) : readTarFile(file, entryPath, entry.size);
}

export interface ArchivedExecutable {
  /** The archive's single top folder (`<name>-<version>-<target>`), or "" when there is none. */
  root: string;
  /** Path of the executable inside the archive. */
  member: string;
  /** The executable's name without `.exe`. */
  stem: string;
  windows: boolean;
}

/**
 * The executable inside a `bun verify package` archive: the file `<root>/<name>[.exe]` where the
 * top folder `<root>` is `<name>-<version>-<target>`; else the archive's only regular file.
 */
export function executableIn(entries: ArchiveEntry[]): ArchivedExecutable | undefined {
  const files = entries.filter((e) => e.type === "file");
  const describe = (e: ArchiveEntry): ArchivedExecutable => {
    const clean = e.path.replace(/^(\.\/)+/, "");
    const slash = clean.indexOf("/");
    const base = clean.slice(clean.lastIndexOf("/") + 1);
    const windows = /\.exe$/i.test(base);
    return { root: slash > 0 ? clean.slice(0, slash) : "", member: e.path, stem: windows ? base.slice(0, -4) : base, windows };
  };
  const byLayout = files.map(describe).filter((x) => {
    const parts = x.member.replace(/^(\.\/)+/, "").split("/");
    return parts.length === 2 && x.stem !== "" && x.root.startsWith(`${x.stem}-`);
  });
  if (byLayout.length === 1) return byLayout[0];
  if (files.length === 1) return describe(files[0]!);
  return undefined;
}

/** Validates the archive, then reads the executable inside it. */
export async function readArchivedExecutable(file: string): Promise<(ArchivedExecutable & { data: Buffer }) | undefined> {
  const entries = await listArchive(file);
  const exe = executableIn(entries);
  if (!exe) return undefined;
  const format = archiveFormatOf(file);
  const size = entries.find((e) => e.path === exe.member)!.size;
  const data = format === "zip" ? await readZipFile(file, exe.member) : await readTarFile(file, exe.member, size);
  return { ...exe, data };
}

// tar.gz ------------------------------------------------------------------------------

const TAR_TYPES: Record<string, ArchiveEntry["type"]> = {
  File: "file",
  OldFile: "file",
  ContiguousFile: "file",
  Directory: "directory",
  SymbolicLink: "symlink",
  Link: "hardlink",
};

function tarError(file: string, error: unknown): UsageError {
  return new UsageError(`${file}: not a readable .tar.gz (${(error as Error).message})`, "The file is damaged or not an archive; download or write it again (`bun verify package`).");
}

async function listTarGz(file: string): Promise<ArchiveEntry[]> {
  const entries: ArchiveEntry[] = [];
  try {
    await listTar({
      file,
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        const entry: ArchiveEntry = { path: e.path, type: TAR_TYPES[e.type] ?? "other", rawType: e.type, mode: e.mode ?? 0, size: e.size ?? 0 };
        if (e.linkpath) entry.linkpath = e.linkpath;
        if (e.mtime) entry.mtime = Math.floor(e.mtime.getTime() / 1000);
        if (e.uid !== undefined) entry.uid = e.uid;
        if (e.gid !== undefined) entry.gid = e.gid;
        entries.push(entry);
        e.resume();
      },
    });
  } catch (error) {
    throw tarError(file, error);
  }
  if (entries.length === 0) throw new UsageError(`${file}: an empty archive`, "Write it again with `bun verify package`.");
  return entries;
}

async function readTarFile(file: string, entryPath: string, size: number): Promise<Buffer> {
  const out = Buffer.alloc(size);
  let filled = -1;
  try {
    await listTar({
      file,
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        if (filled >= 0 || e.path !== entryPath || TAR_TYPES[e.type] !== "file") {
          e.resume();
          return;
        }
        filled = 0;
        e.on("data", (chunk: Buffer) => {
          chunk.copy(out, filled);
          filled += chunk.length;
        });
      },
    });
  } catch (error) {
    throw tarError(file, error);
  }
  if (filled !== size) throw new UsageError(`${file}: ${entryPath} is truncated (${Math.max(filled, 0)} of ${size} bytes)`, "Download or write the archive again.");
  return out;
}

// zip ---------------------------------------------------------------------------------

interface ZipRecord {
  entry: ArchiveEntry;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  localOffset: number;
}

function zipError(file: string, problem: string): UsageError {
  return new UsageError(`${file}: not a readable .zip (${problem})`, "The file is damaged or not an archive; download or write it again (`bun verify package`).");
}

async function readAt(file: string, position: number, length: number): Promise<Buffer> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(length);
    const { bytesRead } = await handle.read(buffer, 0, length, position);
    return buffer.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

async function readZipDirectory(file: string): Promise<ZipRecord[]> {
  const handle = await open(file, "r");
  let size: number;
  try {
    size = (await handle.stat()).size;
  } finally {
    await handle.close();
  }
  const tailLength = Math.min(size, 22 + 0xffff);
  const tail = await readAt(file, size - tailLength, tailLength);
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw zipError(file, "no end of central directory record");
  const count = tail.readUInt16LE(eocd + 10);
  const dirSize = tail.readUInt32LE(eocd + 12);
  const dirOffset = tail.readUInt32LE(eocd + 16);
  if (count === 0xffff || dirSize === 0xffffffff || dirOffset === 0xffffffff) throw zipError(file, "ZIP64 archives are not supported");
  if (dirOffset + dirSize > size) throw zipError(file, "the central directory lies past the end of the file");
  const dir = await readAt(file, dirOffset, dirSize);
  const records: ZipRecord[] = [];
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (at + 46 > dir.length || dir.readUInt32LE(at) !== 0x02014b50) throw zipError(file, `central directory entry ${i + 1} is damaged`);
    const madeBy = dir.readUInt16LE(at + 4);
    const flags = dir.readUInt16LE(at + 8);
    const method = dir.readUInt16LE(at + 10);
    const crc = dir.readUInt32LE(at + 16);
    const compressedSize = dir.readUInt32LE(at + 20);
    const uncompressedSize = dir.readUInt32LE(at + 24);
    const nameLength = dir.readUInt16LE(at + 28);
    const extraLength = dir.readUInt16LE(at + 30);
    const commentLength = dir.readUInt16LE(at + 32);
    const external = dir.readUInt32LE(at + 38);
    const localOffset = dir.readUInt32LE(at + 42);
    const name = dir.subarray(at + 46, at + 46 + nameLength).toString(flags & 0x0800 ? "utf8" : "latin1");
    at += 46 + nameLength + extraLength + commentLength;
    const unixMode = madeBy >> 8 === 3 ? external >>> 16 : 0;
    const fileType = unixMode & 0o170000;
    let type: ArchiveEntry["type"] = name.endsWith("/") || (external & 0x10) !== 0 ? "directory" : "file";
    if (fileType === 0o120000) type = "symlink";
    else if (fileType !== 0 && fileType !== 0o100000 && fileType !== 0o040000) type = "other";
    const entry: ArchiveEntry = { path: name, type, rawType: fileType ? `mode ${fileType.toString(8)}` : type, mode: unixMode & 0o7777, size: uncompressedSize };
    if (flags & 0x0001) throw unsafe(file, name, "an encrypted entry");
    records.push({ entry, method, flags, crc, compressedSize, localOffset });
  }
  // A symlink's target is its content: read it to check where it points.
  for (const r of records.filter((x) => x.entry.type === "symlink")) {
    if (r.compressedSize > 4096) throw unsafe(file, r.entry.path, "a symbolic link with an implausibly long target");
    r.entry.linkpath = (await zipData(file, r)).toString("utf8");
  }
  if (records.length === 0) throw new UsageError(`${file}: an empty archive`, "Write it again with `bun verify package`.");
  return records;
}

async function zipData(file: string, record: ZipRecord): Promise<Buffer> {
  const head = await readAt(file, record.localOffset, 30);
  if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) throw zipError(file, `no local header for ${record.entry.path}`);
  const nameLength = head.readUInt16LE(26);
  const extraLength = head.readUInt16LE(28);
  const localName = await readAt(file, record.localOffset + 30, nameLength);
  if (localName.toString(record.flags & 0x0800 ? "utf8" : "latin1") !== record.entry.path) {
    throw unsafe(file, record.entry.path, "its local header names a different file than the central directory");
  }
  const compressed = await readAt(file, record.localOffset + 30 + nameLength + extraLength, record.compressedSize);
  if (compressed.length !== record.compressedSize) throw zipError(file, `${record.entry.path} is truncated`);
  let data: Buffer;
  if (record.method === 0) data = compressed;
  else if (record.method === 8) {
    try {
      data = inflateRawSync(compressed, { maxOutputLength: Math.max(record.entry.size, 1) });
    } catch (error) {
      throw zipError(file, `${record.entry.path}: ${(error as Error).message}`);
    }
  } else throw zipError(file, `${record.entry.path} uses compression method ${record.method} (only stored and deflate are read)`);
  if (data.length !== record.entry.size || crc32(data) !== record.crc) throw zipError(file, `${record.entry.path} fails its size or CRC-32 check`);
  return data;
}

async function readZipFile(file: string, entryPath: string): Promise<Buffer> {
  const records = await readZipDirectory(file);
  validateEntries(file, records.map((r) => r.entry));
  const record = records.find((r) => r.entry.path === entryPath && r.entry.type === "file");
  if (!record) throw new UsageError(`${file}: no file ${JSON.stringify(entryPath)} in the archive`, "Pass an archive written by `bun verify package`.");
  return zipData(file, record);
}

// Release archives: byte-for-byte reproducible .tar.gz and .zip writers, and
// readers that validate every entry (no absolute paths, no "..", no links out of the archive,
// no duplicates) before anything inside is used.
//
// Determinism: entries are sorted, every entry has the same mtime, uid/gid 0 with empty owner
// names, fixed modes; the gzip header has no name, mtime 0 and OS byte 255; ZIP entries have a
// fixed DOS time (UTC), Unix external attributes and no extra fields. Compression is fflate's
// pure-JavaScript deflate at a pinned level, so the bytes are the same under Bun and Node and on
// x64 and arm64 (Bun's node:zlib is zlib-ng, whose output differs from Node's zlib and between
// CPU architectures).
import { open } from "node:fs/promises";
import path from "node:path";
import { crc32, inflateRawSync } from "node:zlib";
import { Header, Pax, list as listTar, type ReadEntry } from "tar";
import { UsageError } from "../errors.ts";

export type ArchiveFormat = "tar.gz" | "zip";

/** The deflate level of every archive (changing it changes every archive's bytes). */
export const DEFLATE_LEVEL = 6;
/** gzip header OS byte: 255 = unknown, so the bytes do not say which OS wrote them. */
const GZIP_OS_UNKNOWN = 255;

export const EXECUTABLE_MODE = 0o755;
export const FILE_MODE = 0o644;
export const DIRECTORY_MODE = 0o755;

/** One entry to write. Directories end with "/". */
export interface ArchiveInput {
  path: string;
  type: "file" | "directory";
  mode: number;
  data?: Uint8Array;
}

/** The archive format a file name says, or undefined for anything else. */
export function archiveFormatOf(file: string): ArchiveFormat | undefined {
  const name = path.basename(file).toLowerCase();
  if (name.endsWith(".tar.gz") || name.endsWith(".tgz")) return "tar.gz";
  if (name.endsWith(".zip")) return "zip";
  return undefined;
}

/** File name without its archive extension: `hello-1.0.0-linux-x64.tar.gz` -> `hello-1.0.0-linux-x64`. */
export function archiveStem(file: string): string {
  return path.basename(file).replace(/\.(tar\.gz|tgz|zip)$/i, "");
}

/** `<name>-<version>-<target>.<format>` */
export function archiveFileName(name: string, version: string, targetId: string, format: ArchiveFormat): string {
  return `${name}-${version}-${targetId}.${format}`;
}

// ---------------------------------------------------------------------------------------
// Writing

/** Sorted by path (byte order), so the same inputs always give the same entry order. */
function sortEntries(entries: ArchiveInput[]): ArchiveInput[] {
  return [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/**
 * Raw deflate with fflate on a worker thread: the same bytes on every runtime and CPU.
 * `consume` hands the buffer to the worker instead of copying it (the caller must own all of it).
 */
export async function deflateRaw(data: Uint8Array, consume = false): Promise<Uint8Array> {
  // Loaded on first use: reading archives (parity, explain) does not need the compressor.
  const { deflate } = await import("fflate");
  return new Promise((resolve, reject) => {
    deflate(data, { level: DEFLATE_LEVEL, consume }, (error, out) => (error ? reject(error) : resolve(out)));
  });
}

/** An uncompressed tar (ustar headers written by node-tar's Header; pax only for long names). */
export function encodeTar(entries: ArchiveInput[], mtimeSeconds: number): Uint8Array {
  const mtime = new Date(mtimeSeconds * 1000);
  const chunks: Uint8Array[] = [];
  for (const entry of sortEntries(entries)) {
    const size = entry.type === "file" ? (entry.data?.length ?? 0) : 0;
    const fields = {
      path: entry.path,
      mode: entry.mode,
      uid: 0,
      gid: 0,
      size,
      mtime,
      type: entry.type === "file" ? ("File" as const) : ("Directory" as const),
      uname: "",
      gname: "",
      devmaj: 0,
      devmin: 0,
    };
    const header = new Header(fields);
    if (header.encode()) chunks.push(new Pax({ path: entry.path, mtime, uid: 0, gid: 0, size }).encode());
    chunks.push(header.block!);
    if (size > 0) {
      chunks.push(entry.data!);
      if (size % 512 !== 0) chunks.push(new Uint8Array(512 - (size % 512)));
    }
  }
  chunks.push(new Uint8Array(1024));
  return concat(chunks);
}

/** gzip member around raw deflate: no file name, mtime 0, fixed OS byte, pinned level. */
export async function gzip(data: Uint8Array, consume = false): Promise<Uint8Array> {
  const checksum = crc32(data);
  const length = data.length;
  const raw = await deflateRaw(data, consume);
  const out = new Uint8Array(10 + raw.length + 8);
  out.set([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, GZIP_OS_UNKNOWN]);
  out.set(raw, 10);
  const view = new DataView(out.buffer);
  view.setUint32(10 + raw.length, checksum, true);
  view.setUint32(14 + raw.length, length >>> 0, true);
  return out;
}

export async function writeTarGz(entries: ArchiveInput[], mtimeSeconds: number): Promise<Uint8Array> {
  // encodeTar returns a buffer of its own: hand it to the compressing worker without a copy.
  return gzip(encodeTar(entries, mtimeSeconds), true);
}

const DOS_MIN = Date.UTC(1980, 0, 1) / 1000;
const DOS_MAX = Date.UTC(2107, 11, 31, 23, 59, 58) / 1000;

/** MS-DOS date and time fields, from the UTC calendar (clamped to 1980..2107, 2-second steps). */
export function dosDateTime(seconds: number): { date: number; time: number } {
  const d = new Date(Math.min(Math.max(seconds, DOS_MIN), DOS_MAX) * 1000);
  return {
    date: ((d.getUTCFullYear() - 1980) << 9) | ((d.getUTCMonth() + 1) << 5) | d.getUTCDate(),
    time: (d.getUTCHours() << 11) | (d.getUTCMinutes() << 5) | (d.getUTCSeconds() >> 1),
  };
}

/**
 * A ZIP (no ZIP64, no data descriptors, no extra fields): files deflated (stored when that is not
 * smaller), directories stored;
 * "version made by" Unix so the external attributes carry the Unix mode (unzip and Python's
 * zipfile restore the executable bit from them).
 */
export async function writeZip(entries: ArchiveInput[], mtimeSeconds: number): Promise<Uint8Array> {
  const { date, time } = dosDateTime(mtimeSeconds);
  const sorted = sortEntries(entries);
  const bodies = await Promise.all(
    sorted.map(async (e) => {
      const data = e.type === "file" ? (e.data ?? new Uint8Array(0)) : new Uint8Array(0);
      const deflated = data.length > 0 ? await deflateRaw(data) : data;
      // Stored when deflate does not make it smaller (tiny files): still a pure function of the input.
      const method = deflated.length < data.length ? 8 : 0;
      return { data, compressed: method === 8 ? deflated : data, method, crc: crc32(data) };
    }),
  );
  const local: Uint8Array[] = [];
  const central: Uint8Array[] = [];
  let offset = 0;
  sorted.forEach((entry, i) => {
    const body = bodies[i]!;
    const name = Buffer.from(entry.path, "utf8");
    const flags = /^[\x20-\x7e]*$/.test(entry.path) ? 0 : 0x0800; // bit 11: UTF-8 names
    if (body.compressed.length >= 0xffffffff || body.data.length >= 0xffffffff || offset >= 0xffffffff) {
      throw new UsageError(`${entry.path}: too large for a ZIP without ZIP64`, "Set archives.windowsZip to false and ship the .tar.gz.");
    }
    const head = new DataView(new ArrayBuffer(30));
    head.setUint32(0, 0x04034b50, true);
    head.setUint16(4, 20, true); // version needed: 2.0 (deflate, directories)
    head.setUint16(6, flags, true);
    head.setUint16(8, body.method, true);
    head.setUint16(10, time, true);
    head.setUint16(12, date, true);
    head.setUint32(14, body.crc, true);
    head.setUint32(18, body.compressed.length, true);
    head.setUint32(22, body.data.length, true);
    head.setUint16(26, name.length, true);
    head.setUint16(28, 0, true);
    const unixType = entry.type === "directory" ? 0o040000 : 0o100000;
    const dosAttributes = entry.type === "directory" ? 0x10 : 0;
    const dir = new DataView(new ArrayBuffer(46));
    dir.setUint32(0, 0x02014b50, true);
    dir.setUint16(4, (3 << 8) | 20, true); // made by: Unix, spec 2.0
    dir.setUint16(6, 20, true);
    dir.setUint16(8, flags, true);
    dir.setUint16(10, body.method, true);
    dir.setUint16(12, time, true);
    dir.setUint16(14, date, true);
    dir.setUint32(16, body.crc, true);
    dir.setUint32(20, body.compressed.length, true);
    dir.setUint32(24, body.data.length, true);
    dir.setUint16(28, name.length, true);
    // extra length, comment length, disk number, internal attributes: all 0
    dir.setUint32(38, (((unixType | entry.mode) << 16) | dosAttributes) >>> 0, true);
    dir.setUint32(42, offset, true);
    local.push(new Uint8Array(head.buffer), name, body.compressed);
    central.push(new Uint8Array(dir.buffer), name);
    offset += 30 + name.length + body.compressed.length;
  });
  const centralSize = central.reduce((n, c) => n + c.length, 0);
  if (sorted.length > 0xffff || offset + centralSize >= 0xffffffff) {
    throw new UsageError("archive too large for a ZIP without ZIP64", "Set archives.windowsZip to false and ship the .tar.gz.");
  }
  const end = new DataView(new ArrayBuffer(22));
  end.setUint32(0, 0x06054b50, true);
  end.setUint16(8, sorted.length, true);
  end.setUint16(10, sorted.length, true);
  end.setUint32(12, centralSize, true);
  end.setUint32(16, offset, true);
  return concat([...local, ...central, new Uint8Array(end.buffer)]);
}

export function writeArchive(format: ArchiveFormat, entries: ArchiveInput[], mtimeSeconds: number): Promise<Uint8Array> {
  return format === "zip" ? writeZip(entries, mtimeSeconds) : writeTarGz(entries, mtimeSeconds);
}

function concat(chunks: Uint8Array[]): Uint8Array {
  // A fresh ArrayBuffer of its own, so it can be handed to a worker.
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

// ---------------------------------------------------------------------------------------
// Reading

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

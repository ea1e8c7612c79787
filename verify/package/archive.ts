// Release archives: their names, and byte-for-byte reproducible .tar.gz and .zip writers. The
// readers, which validate every entry before anything inside is used, are archive-read.ts: parity
// and explain only read archives, and writing is only `bun verify package`.
//
// Determinism: entries are sorted, every entry has the same mtime, uid/gid 0 with empty owner
// names, fixed modes; the gzip header has no name, mtime 0 and OS byte 255; ZIP entries have a
// fixed DOS time (UTC), Unix external attributes and no extra fields. Compression is fflate's
// pure-JavaScript deflate at a pinned level, so the bytes are the same under Bun and Node and on
// x64 and arm64 (Bun's node:zlib is zlib-ng, whose output differs from Node's zlib and between
// CPU architectures).
import path from "node:path";
import { crc32 } from "node:zlib";
import { Header, Pax } from "tar";
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

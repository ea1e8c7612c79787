// Where `bun build --compile` puts its module graph, and how the graph's fixed structures
// are laid out, for every Bun from 1.2.0 on. Pure: bytes in, facts out.
//
// Measured here by compiling one app with every Bun 1.2.0..1.4.5 (npm `@oven/bun-linux-x64`
// is that version's CLI) and reading the bytes; see docs/internals.md, "Bun's embedded module
// graph, by version", for the table and the upstream sources of each change.
//
// The graph itself always ends with Offsets and the 16-byte trailer "\n---- Bun! ----\n";
// StringPointers ({u32 offset, u32 length}) are relative to the graph's first byte.
//
//   layout   Bun              Offsets (little-endian)                                       record
//   24/36    1.2.0-1.2.20     u64 byte_count, SP modules, u32 entry, 4 bytes padding         36 bytes
//   32/36    1.2.21-1.3.8     + SP compile_exec_argv, then u32 padding (flags from 1.3.3)    36 bytes
//   32/52    1.3.9-           same Offsets                                                   52 bytes
//            1.4.1-           optional records after the module table, signalled by flags
//
// A record is name, contents, sourcemap, bytecode [, module_info, bytecode_origin_path]
// (StringPointers), then encoding, loader, module_format, side (u8 each).
//
// The container that holds the graph, per executable format:
//   ELF     1.2.0-1.3.11 appended to the file; 1.3.12- section `.bun` (u64 length, then graph)
//   Mach-O  1.2.0-1.2.3  appended;             1.2.4-1.3.3 `__BUN,__bun` with a u32 length;
//                                               1.3.4- with a u64 length
//   PE      1.2.0-1.2.18 appended;             1.2.19-1.3.3 `.bun` with a u32 length;
//                                               1.3.4- with a u64 length
// "Appended" means [runtime bytes][graph][u64 file size]: the runtime found the graph by
// reading the end of its own file (StandaloneModuleGraph.zig `fromExecutable`, bun-v1.3.11).

import { compareVersions } from "../bun/index.ts";

export const BUN_GRAPH_TRAILER = "\n---- Bun! ----\n";
export const TRAILER_BYTES = Buffer.from(BUN_GRAPH_TRAILER, "latin1");
export const STRING_POINTER_SIZE = 8;
const MAX_MODULES = 1_000_000;
/** How every module name starts: POSIX targets, and Windows targets (`B:/~BUN/`). */
export const BUNFS_ROOT_PREFIXES = ["/$bunfs/", "B:/~BUN/", "B:\\~BUN\\"] as const;

export interface GraphLayout {
  /** "24/36", "32/36" or "32/52": Offsets size / module record size. */
  id: "24/36" | "32/36" | "32/52";
  /** The Bun versions that write it, for messages. */
  versions: string;
  offsetsSize: 24 | 32;
  recordSize: 36 | 52;
  /** Offsets has compile_exec_argv_ptr (Bun 1.2.21, --compile-exec-argv). */
  execArgv: boolean;
  /** Module records carry module_info and bytecode_origin_path (Bun 1.3.9, ESM bytecode). */
  moduleInfo: boolean;
}

/** Newest first: the order in which an unknown graph is tried. */
export const GRAPH_LAYOUTS: readonly GraphLayout[] = [
  { id: "32/52", versions: "Bun 1.3.9 and later", offsetsSize: 32, recordSize: 52, execArgv: true, moduleInfo: true },
  { id: "32/36", versions: "Bun 1.2.21 to 1.3.8", offsetsSize: 32, recordSize: 36, execArgv: true, moduleInfo: false },
  { id: "24/36", versions: "Bun 1.2.0 to 1.2.20", offsetsSize: 24, recordSize: 36, execArgv: false, moduleInfo: false },
];

/** The first versions of each change (docs/internals.md cites the measurement and the source). */
export const GRAPH_CHANGES = {
  execArgv: "1.2.21",
  flags: "1.3.3",
  moduleInfo: "1.3.9",
  optionalRecords: "1.4.1",
  machoSection: "1.2.4",
  peSection: "1.2.19",
  elfSection: "1.3.12",
  sectionLength64: "1.3.4",
} as const;

/** The layout a Bun version writes, or undefined when the version is unknown or older than 1.2.0. */
export function graphLayoutFor(version: string | undefined): GraphLayout | undefined {
  if (!version || compareVersions(version, "1.2.0") < 0) return undefined;
  if (compareVersions(version, GRAPH_CHANGES.moduleInfo) >= 0) return GRAPH_LAYOUTS[0];
  if (compareVersions(version, GRAPH_CHANGES.execArgv) >= 0) return GRAPH_LAYOUTS[1];
  return GRAPH_LAYOUTS[2];
}

/**
 * Whether the u32 after the Offsets' last pointer is Offsets.flags (Bun 1.3.3 on) or
 * alignment padding that Bun copied out of uninitialized memory (before 1.3.3). Without a
 * version, a value with bits outside the defined flags is taken for padding.
 */
export function offsetsTailIsFlags(layout: GraphLayout, version: string | undefined, value: number): boolean {
  if (layout.offsetsSize === 24) return false;
  if (version) return compareVersions(version, GRAPH_CHANGES.flags) >= 0;
  return layout.moduleInfo ? value < 1 << 16 : value < 1 << 4;
}

export type ExecutableFormat = "elf" | "pe" | "macho";

export type GraphContainer =
  | { kind: "appended" }
  | { kind: "section"; lengthPrefix: 4 | 8 };

/** Where a Bun version's compiler puts the graph for one executable format. */
export function expectedContainer(format: ExecutableFormat, version: string): GraphContainer {
  const atLeast = (v: string) => compareVersions(version, v) >= 0;
  const prefix: 4 | 8 = atLeast(GRAPH_CHANGES.sectionLength64) ? 8 : 4;
  if (format === "elf") return atLeast(GRAPH_CHANGES.elfSection) ? { kind: "section", lengthPrefix: 8 } : { kind: "appended" };
  if (format === "macho") return atLeast(GRAPH_CHANGES.machoSection) ? { kind: "section", lengthPrefix: prefix } : { kind: "appended" };
  return atLeast(GRAPH_CHANGES.peSection) ? { kind: "section", lengthPrefix: prefix } : { kind: "appended" };
}

export interface StringPointer {
  offset: number;
  length: number;
}

export interface ProbedOffsets {
  layout: GraphLayout;
  /** Byte offset (in the buffer given) of the graph's first byte. */
  start: number;
  /** Where Offsets starts (trailer - offsetsSize). */
  offsetsAt: number;
  byteCount: number;
  modules: StringPointer;
  entryPointId: number;
  execArgv: StringPointer;
  /** The u32 after the last pointer: flags or padding (see offsetsTailIsFlags). */
  tail: number;
}

/**
 * Reads the Offsets in front of a trailer with one layout and checks that they describe a
 * real module table: pointers inside the graph, a whole number of records, an entry point
 * among them, and every record's name a NUL-terminated /$bunfs/ (or B:/~BUN/) path.
 * Undefined when they do not.
 */
export function readOffsetsAs(bytes: Buffer, trailerAt: number, layout: GraphLayout, expectedStart?: number): ProbedOffsets | undefined {
  const offsetsAt = trailerAt - layout.offsetsSize;
  if (offsetsAt < 0) return undefined;
  const byteCount = bytes.readBigUInt64LE(offsetsAt);
  if (byteCount > BigInt(offsetsAt)) return undefined;
  const start = offsetsAt - Number(byteCount);
  if (expectedStart !== undefined && start !== expectedStart) return undefined;
  const probed: ProbedOffsets = {
    layout,
    start,
    offsetsAt,
    byteCount: Number(byteCount),
    modules: { offset: bytes.readUInt32LE(offsetsAt + 8), length: bytes.readUInt32LE(offsetsAt + 12) },
    entryPointId: bytes.readUInt32LE(offsetsAt + 16),
    execArgv: layout.execArgv ? { offset: bytes.readUInt32LE(offsetsAt + 20), length: bytes.readUInt32LE(offsetsAt + 24) } : { offset: 0, length: 0 },
    tail: bytes.readUInt32LE(offsetsAt + layout.offsetsSize - 4),
  };
  const inside = (pointer: StringPointer) => pointer.offset + pointer.length <= probed.byteCount;
  if (!inside(probed.modules) || !inside(probed.execArgv)) return undefined;
  const count = probed.modules.length / layout.recordSize;
  if (!Number.isInteger(count) || count === 0 || count > MAX_MODULES || probed.entryPointId >= count) return undefined;
  for (let i = 0; i < count; i++) {
    const at = start + probed.modules.offset + i * layout.recordSize;
    const name = { offset: bytes.readUInt32LE(at), length: bytes.readUInt32LE(at + 4) };
    if (name.length === 0 || name.offset + name.length >= probed.byteCount) return undefined;
    if (bytes[start + name.offset + name.length] !== 0) return undefined;
    const head = bytes.subarray(start + name.offset, start + name.offset + 8).toString("latin1");
    if (!BUNFS_ROOT_PREFIXES.some((prefix) => head.startsWith(prefix))) return undefined;
  }
  return probed;
}

/**
 * The Offsets before a trailer under the layout the version writes, else under any layout
 * that fits (newest first). Undefined when none describes a module table.
 */
export function probeOffsets(bytes: Buffer, trailerAt: number, version?: string, expectedStart?: number): ProbedOffsets | undefined {
  const preferred = graphLayoutFor(version);
  const order = preferred ? [preferred, ...GRAPH_LAYOUTS.filter((layout) => layout !== preferred)] : GRAPH_LAYOUTS;
  for (const layout of order) {
    const probed = readOffsetsAs(bytes, trailerAt, layout, expectedStart);
    if (probed) return probed;
  }
  return undefined;
}

export interface AppendedGraph {
  /** The graph's first byte. */
  start: number;
  trailerAt: number;
  /** The end of the file: the graph is followed by a u64 holding the file's size. */
  end: number;
}

/**
 * A graph appended to the end of the file (ELF before 1.3.12, Mach-O before 1.2.4, PE
 * before 1.2.19): [graph ... Offsets][trailer][u64 = total file size]. Undefined when the
 * file does not end that way.
 */
export function findAppendedGraph(buf: Uint8Array, version?: string): AppendedGraph | undefined {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const end = bytes.length;
  if (end < 8 + TRAILER_BYTES.length + 24) return undefined;
  if (bytes.readBigUInt64LE(end - 8) !== BigInt(end)) return undefined;
  const trailerAt = end - 8 - TRAILER_BYTES.length;
  if (!bytes.subarray(trailerAt, trailerAt + TRAILER_BYTES.length).equals(TRAILER_BYTES)) return undefined;
  const probed = probeOffsets(bytes, trailerAt, version);
  return probed ? { start: probed.start, trailerAt, end } : undefined;
}

/**
 * The length prefix of a Bun section: [u64 length][graph] from 1.3.4, [u32 length][graph]
 * before (Mach-O and PE). The graph ends with the trailer exactly at the length, which tells
 * the two apart. Undefined for an empty section (a runtime that carries no app).
 */
export function sectionPayload(buf: Uint8Array, section: { offset: number; size: number }): { offset: number; size: number; lengthPrefix: 4 | 8 } | undefined {
  if (section.size < 8 || section.offset + section.size > buf.length) return undefined;
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const endsWithTrailer = (start: number, length: number) =>
    length >= TRAILER_BYTES.length && bytes.subarray(start + length - TRAILER_BYTES.length, start + length).equals(TRAILER_BYTES);
  const length64 = bytes.readBigUInt64LE(section.offset);
  if (length64 > 0n && length64 <= BigInt(section.size - 8) && endsWithTrailer(section.offset + 8, Number(length64))) {
    return { offset: section.offset + 8, size: Number(length64), lengthPrefix: 8 };
  }
  const length32 = bytes.readUInt32LE(section.offset);
  if (length32 > 0 && length32 <= section.size - 4 && endsWithTrailer(section.offset + 4, length32)) {
    return { offset: section.offset + 4, size: length32, lengthPrefix: 4 };
  }
  // A u64 length whose graph is followed by padding inside the length: keep reading it as before.
  if (length64 > 0n && length64 <= BigInt(section.size - 8)) return { offset: section.offset + 8, size: Number(length64), lengthPrefix: 8 };
  return undefined;
}

// Which executable format a file is, and a map of its bytes: every byte offset of
// the file belongs to exactly one named region (header, a section, the code
// signature, Bun's module graph, padding, or the overlay past the last section).
// explain.ts uses the map to say *where* two builds differ.
//
// Bun keeps its module graph in a dedicated section: ELF `.bun` (1.3.12 on), PE `.bun`
// (1.2.19 on), Mach-O `__BUN,__bun` (1.2.4 on); src/exe_format/{elf,pe,macho}.rs in
// oven-sh/bun. The section starts with the payload length (u64 from 1.3.4, u32 before),
// followed by the serialized graph (see bunfs.ts). Older versions appended the graph to the
// end of the file instead; that tail is mapped as its own region too, so a difference inside
// it is a graph difference (bun-graph-layout.ts has the table).

import { BinaryFormatError } from "../errors.ts";
import { findAppendedGraph, sectionPayload } from "./bun-graph-layout.ts";
import { isElf, parseElf, SHF_ALLOC, SHF_EXECINSTR, type ElfInfo } from "./elf.ts";
import { isMachO, parseMachO, type MachOInfo } from "./macho.ts";
import { isCodeSection, isPe, parsePe, type PeInfo } from "./pe.ts";

export type BinaryFormat = "elf" | "pe" | "macho";
export type TargetOs = "linux" | "windows" | "darwin" | "freebsd";
export type RegionKind = "header" | "code" | "data" | "bun-module-graph" | "code-signature" | "overlay" | "other";

export interface Region {
  name: string;
  kind: RegionKind;
  offset: number;
  size: number;
}

export interface ByteRange {
  offset: number;
  size: number;
}

export interface BinaryLayout {
  format: BinaryFormat;
  os: TargetOs;
  arch: "x64" | "arm64" | string;
  fileSize: number;
  /** Sorted, contiguous, non-overlapping; together they cover [0, fileSize). */
  regions: Region[];
  /** The section holding Bun's module graph (ELF/PE `.bun`, Mach-O `__BUN,__bun`). */
  bunSection?: ByteRange;
  /** The serialized module graph: inside that section after its length prefix, or appended to the file. */
  bunPayload?: ByteRange;
  /** How the graph is stored: in the section (with a u32 or u64 length) or appended to the file. */
  bunContainer?: { kind: "section"; lengthPrefix: 4 | 8 } | { kind: "appended" };
  elf?: ElfInfo;
  pe?: PeInfo;
  macho?: MachOInfo;
}

/** The format, or undefined when the bytes are not an ELF, PE or Mach-O executable. */
export function sniffFormat(buf: Uint8Array): BinaryFormat | undefined {
  if (isElf(buf)) return "elf";
  if (isPe(buf)) return "pe";
  if (isMachO(buf)) return "macho";
  return undefined;
}

/** The format, or a BinaryFormatError that names the first bytes and what they look like. */
export function detectFormat(buf: Uint8Array, file = "<buffer>"): BinaryFormat {
  const format = sniffFormat(buf);
  if (format) return format;
  throw new BinaryFormatError(file, `not an executable this tool reads: ${describeFirstBytes(buf)}`);
}

/** e.g. `first bytes 23 21 2f 75 ("#!/u"): a script, not a compiled executable`. */
export function describeFirstBytes(buf: Uint8Array): string {
  if (buf.length === 0) return "the file is empty";
  const head = buf.subarray(0, 8);
  const hex = [...head].map((byte) => byte.toString(16).padStart(2, "0")).join(" ");
  const ascii = [...head].map((byte) => (byte >= 0x20 && byte < 0x7f ? String.fromCharCode(byte) : ".")).join("");
  const shown = `first bytes ${hex} ("${ascii}")`;
  const startsWith = (...bytes: number[]) => bytes.every((byte, i) => buf[i] === byte);
  let guess: string;
  if (buf.length < 4) guess = `only ${buf.length} byte(s) long`;
  else if (startsWith(0x7f, 0x45, 0x4c, 0x46)) guess = "an ELF file with an unsupported layout";
  else if (startsWith(0xca, 0xfe, 0xba, 0xbe)) guess = "a Mach-O universal (fat) binary or a Java class file; extract one architecture first (lipo -thin)";
  else if (startsWith(0xfe, 0xed, 0xfa, 0xce) || startsWith(0xce, 0xfa, 0xed, 0xfe)) guess = "a 32-bit Mach-O file; Bun targets are 64-bit";
  else if (startsWith(0x4d, 0x5a)) guess = "an MZ (DOS) executable without a PE header, or a truncated PE file";
  else if (startsWith(0x1f, 0x8b)) guess = "a gzip archive (unpack it first)";
  else if (startsWith(0x50, 0x4b, 0x03, 0x04)) guess = "a zip archive (unpack it first)";
  else if (startsWith(0x23, 0x21)) guess = "a script, not a compiled executable";
  else if (looksLikeText(buf.subarray(0, 512))) guess = "a text file, not a compiled executable";
  else guess = "no known executable magic";
  return `${shown}: ${guess}`;
}

function looksLikeText(head: Uint8Array): boolean {
  for (const byte of head) {
    const printable = byte === 0x09 || byte === 0x0a || byte === 0x0d || (byte >= 0x20 && byte !== 0x7f);
    if (!printable) return false;
  }
  return true;
}

export function readLayout(buf: Uint8Array, file = "<buffer>"): BinaryLayout {
  const format = detectFormat(buf, file);
  const layout = format === "elf" ? elfLayout(buf, file) : format === "pe" ? peLayout(buf, file) : machOLayout(buf, file);
  if (!layout.bunPayload) withAppendedGraph(buf, layout);
  return layout;
}

/**
 * Older Bun versions appended the graph (and a u64 holding the file size) to the file. Map
 * that tail as the module-graph region, so it is not mistaken for an overlay of the runtime.
 */
function withAppendedGraph(buf: Uint8Array, layout: BinaryLayout): void {
  const appended = findAppendedGraph(buf);
  if (!appended) return;
  layout.bunPayload = { offset: appended.start, size: appended.trailerAt + 16 - appended.start };
  layout.bunContainer = { kind: "appended" };
  const start = appended.start;
  const regions: Region[] = [];
  for (const region of layout.regions) {
    if (region.offset + region.size <= start) regions.push(region);
    else if (region.offset < start) regions.push({ ...region, size: start - region.offset });
  }
  regions.push({ name: "Bun module graph (appended to the file)", kind: "bun-module-graph", offset: start, size: buf.length - start });
  layout.regions = regions;
}

/** The region that holds `offset` (binary search; regions are sorted and contiguous). */
export function regionAt(regions: readonly Region[], offset: number): Region | undefined {
  let low = 0;
  let high = regions.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const region = regions[middle]!;
    if (offset < region.offset) high = middle - 1;
    else if (offset >= region.offset + region.size) low = middle + 1;
    else return region;
  }
  return undefined;
}

// ---------------------------------------------------------------------------
// Per-format extents. Lower priority numbers win where extents overlap:
// headers and signatures (0) over sections (1) over whole segments (2).

interface Extent extends Region {
  priority: number;
}

const ELF_OSABI_FREEBSD = 9;
const PF_X = 1;

function elfLayout(buf: Uint8Array, file: string): BinaryLayout {
  const elf = parseElf(buf, file);
  const extents: Extent[] = [
    { name: "ELF header", kind: "header", offset: 0, size: 64, priority: 0 },
    { name: "program headers", kind: "header", ...asRange(elf.programHeaderTable), priority: 0 },
    { name: "section headers", kind: "header", ...asRange(elf.sectionHeaderTable), priority: 0 },
  ];
  let bunSection: ByteRange | undefined;
  for (const section of elf.sections) {
    if (section.fileSize === 0 || section.type === 0) continue;
    const name = section.name || `section #${section.index}`;
    let kind: RegionKind = "other";
    if (section.name === ".bun") {
      kind = "bun-module-graph";
      bunSection = { offset: section.offset, size: section.fileSize };
    } else if (section.flags & SHF_EXECINSTR) kind = "code";
    else if (section.flags & SHF_ALLOC) kind = "data";
    extents.push({ name, kind, offset: section.offset, size: section.fileSize, priority: 1 });
  }
  elf.programHeaders.forEach((header, index) => {
    if (header.typeName !== "LOAD" || header.fileSize === 0) return;
    const kind: RegionKind = header.flags & PF_X ? "code" : "data";
    extents.push({ name: `LOAD segment #${index} (outside sections)`, kind, offset: header.offset, size: header.fileSize, priority: 2 });
  });
  return {
    format: "elf",
    os: buf[7] === ELF_OSABI_FREEBSD ? "freebsd" : "linux",
    arch: elf.arch,
    fileSize: buf.length,
    regions: coverFile(buf.length, extents),
    bunSection,
    ...payloadInside(buf, bunSection),
    elf,
  };
}

function peLayout(buf: Uint8Array, file: string): BinaryLayout {
  const pe = parsePe(buf, file);
  const extents: Extent[] = [{ name: "PE headers", kind: "header", offset: 0, size: pe.headersSize, priority: 0 }];
  let bunSection: ByteRange | undefined;
  for (const section of pe.sections) {
    if (section.rawSize === 0) continue;
    let kind: RegionKind = isCodeSection(section) ? "code" : "data";
    if (section.name === ".bun") {
      kind = "bun-module-graph";
      // SizeOfRawData is rounded up to FileAlignment; VirtualSize is the exact length Bun wrote.
      bunSection = { offset: section.rawOffset, size: Math.min(section.rawSize, Math.max(section.virtualSize, 8)) };
    }
    extents.push({ name: section.name || "(unnamed section)", kind, offset: section.rawOffset, size: section.rawSize, priority: 1 });
  }
  if (pe.certificateTable) {
    extents.push({ name: "certificate table (Authenticode)", kind: "code-signature", ...pe.certificateTable, priority: 0 });
  }
  return {
    format: "pe",
    os: "windows",
    arch: pe.arch,
    fileSize: buf.length,
    regions: coverFile(buf.length, extents),
    bunSection,
    ...payloadInside(buf, bunSection),
    pe,
  };
}

const MACHO_CODE_SECTIONS = new Set(["__text", "__stubs", "__stub_helper", "__auth_stubs", "__init_code"]);

function machOLayout(buf: Uint8Array, file: string): BinaryLayout {
  const macho = parseMachO(buf, file);
  // headerSize is mach_header_64 (32 bytes) + sizeofcmds.
  const extents: Extent[] = [{ name: "Mach-O header + load commands", kind: "header", offset: 0, size: macho.headerSize, priority: 0 }];
  let bunSection: ByteRange | undefined;
  for (const segment of macho.segments) {
    for (const section of segment.sections) {
      // Zero-fill sections (__bss, __common) have no file bytes and report offset 0.
      if (section.offset === 0 || section.size === 0) continue;
      let kind: RegionKind = MACHO_CODE_SECTIONS.has(section.sectname) ? "code" : "data";
      if (section.segname === "__BUN" && section.sectname === "__bun") {
        kind = "bun-module-graph";
        bunSection = { offset: section.offset, size: section.size };
      }
      extents.push({ name: `${section.segname},${section.sectname}`, kind, offset: section.offset, size: section.size, priority: 1 });
    }
    if (segment.filesize > 0) {
      extents.push({ name: `${segment.name} segment (outside sections)`, kind: "other", offset: segment.fileoff, size: segment.filesize, priority: 2 });
    }
  }
  if (macho.codeSignature) {
    extents.push({
      name: "code signature (LC_CODE_SIGNATURE)",
      kind: "code-signature",
      offset: macho.codeSignature.dataoff,
      size: macho.codeSignature.datasize,
      priority: 0,
    });
  }
  return {
    format: "macho",
    os: "darwin",
    arch: macho.cpu,
    fileSize: buf.length,
    regions: coverFile(buf.length, extents),
    bunSection,
    ...payloadInside(buf, bunSection),
    macho,
  };
}

function asRange(range: { offset: number; size: number }): ByteRange {
  return { offset: range.offset, size: range.size };
}

/**
 * The payload of a Bun section: `[u64 or u32 LE length][graph bytes]`. A runtime that was
 * never compiled into an app has length 0 (ELF: the BUN_COMPILED slot is still 0).
 */
function payloadInside(buf: Uint8Array, section: ByteRange | undefined): Pick<BinaryLayout, "bunPayload" | "bunContainer"> {
  const payload = section ? sectionPayload(buf, section) : undefined;
  if (!payload) return {};
  return { bunPayload: { offset: payload.offset, size: payload.size }, bunContainer: { kind: "section", lengthPrefix: payload.lengthPrefix } };
}

/**
 * Turns overlapping, possibly sparse extents into regions that tile [0, fileSize):
 * each elementary interval goes to the covering extent with the lowest priority
 * number (then the smallest); uncovered bytes become gaps, or the overlay when they
 * lie past every extent.
 */
function coverFile(fileSize: number, extents: Extent[]): Region[] {
  const clipped = extents
    .map((extent) => {
      const start = Math.max(0, Math.min(extent.offset, fileSize));
      const end = Math.max(start, Math.min(extent.offset + extent.size, fileSize));
      return { ...extent, offset: start, size: end - start };
    })
    .filter((extent) => extent.size > 0);
  const lastExtentEnd = clipped.reduce((end, extent) => Math.max(end, extent.offset + extent.size), 0);
  const boundaries = [...new Set([0, fileSize, ...clipped.flatMap((extent) => [extent.offset, extent.offset + extent.size])])].sort(
    (a, b) => a - b,
  );

  const regions: Region[] = [];
  let previousOwner: Extent | undefined;
  for (let i = 0; i + 1 < boundaries.length; i++) {
    const start = boundaries[i]!;
    const end = boundaries[i + 1]!;
    let owner: Extent | undefined;
    for (const extent of clipped) {
      if (extent.offset > start || extent.offset + extent.size < end) continue;
      if (!owner || extent.priority < owner.priority || (extent.priority === owner.priority && extent.size < owner.size)) owner = extent;
    }
    const last = regions.at(-1);
    if (owner && owner === previousOwner && last) {
      last.size += end - start;
      continue;
    }
    previousOwner = owner;
    if (owner) {
      regions.push({ name: owner.name, kind: owner.kind, offset: start, size: end - start });
    } else if (start >= lastExtentEnd) {
      regions.push({ name: "overlay (after the last section)", kind: "overlay", offset: start, size: end - start });
    } else if (last && last.kind === "other" && last.name.startsWith("(gap")) {
      last.size += end - start;
    } else {
      regions.push({ name: `(gap after ${last?.name ?? "start of file"})`, kind: "other", offset: start, size: end - start });
    }
  }
  return regions;
}

// Pure reader for PE32+ executables (AMD64 and ARM64), the format of Bun's windows
// targets. It reads the headers, the section table, the subsystem (console / GUI,
// which `--windows-hide-console` flips), and the certificate table (Authenticode).
// Every read is bounds-checked; malformed input throws BinaryFormatError.
//
// Layout reference: Microsoft "PE Format" (learn.microsoft.com/windows/win32/debug/pe-format):
// DOS header e_lfanew at 0x3c, "PE\0\0", the 20-byte COFF header, the optional header
// (magic 0x20b = PE32+), data directories, then 40-byte section headers.
// Bun adds its module graph as a `.bun` section and always strips the runtime's
// Authenticode signature (`pe_file.add_bun_section(bytes, StripMode::StripAlways)` in
// src/standalone_graph/StandaloneModuleGraph.rs, writer in src/exe_format/pe.rs).
//
// Why not the npm package `pe-library`: its NtExecutable.from() copies every section
// into a new ArrayBuffer (a second ~100 MB copy per file), refuses signed binaries
// unless told otherwise, and is built for editing; we need a read-only view with file
// offsets for the byte-range mapping in explain.ts. See the report for the details.

import { BinaryFormatError } from "../errors.ts";
import { ByteReader } from "./bytes.ts";

const DOS_HEADER_SIZE = 64;
const COFF_HEADER_SIZE = 20;
const SECTION_HEADER_SIZE = 40;

export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;
const IMAGE_FILE_MACHINE_I386 = 0x014c;

const PE32_MAGIC = 0x10b;
const PE32_PLUS_MAGIC = 0x20b;

export const IMAGE_SUBSYSTEM_WINDOWS_GUI = 2;
export const IMAGE_SUBSYSTEM_WINDOWS_CUI = 3;

export const IMAGE_SCN_CNT_CODE = 0x20;
export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;

const CERTIFICATE_TABLE_INDEX = 4;
const MAX_SECTIONS = 96; // the loader's own limit
const MAX_DATA_DIRECTORIES = 16;

const DATA_DIRECTORY_NAMES = [
  "export",
  "import",
  "resource",
  "exception",
  "certificate",
  "base-relocation",
  "debug",
  "architecture",
  "global-pointer",
  "tls",
  "load-config",
  "bound-import",
  "iat",
  "delay-import",
  "clr-runtime",
  "reserved",
];

export interface PeSection {
  name: string;
  virtualAddress: number;
  virtualSize: number;
  /** PointerToRawData: file offset of the section's bytes. */
  rawOffset: number;
  /** SizeOfRawData: bytes in the file (a multiple of FileAlignment). */
  rawSize: number;
  characteristics: number;
}

export interface PeDataDirectory {
  index: number;
  name: string;
  /** An RVA, except for the certificate table, where it is a file offset. */
  virtualAddress: number;
  size: number;
}

export interface PeInfo {
  arch: "x64" | "arm64" | string;
  machine: number;
  /** true for PE32+ (optional-header magic 0x20b). */
  isPe32Plus: boolean;
  timeDateStamp: number;
  checksum: number;
  /** 2 = Windows GUI (no console window), 3 = Windows console. */
  subsystem: number;
  subsystemName: "gui" | "console" | string;
  /** SizeOfHeaders: DOS stub + PE headers + section table, rounded to FileAlignment. */
  headersSize: number;
  /** File offset where the NT headers ("PE\0\0") start. */
  ntHeadersOffset: number;
  sections: PeSection[];
  dataDirectories: PeDataDirectory[];
  /** The Authenticode signature blob (file offset and size), when present. */
  certificateTable?: { offset: number; size: number };
  hasAuthenticode: boolean;
}

export function isPe(buf: Uint8Array): boolean {
  if (buf.length < DOS_HEADER_SIZE || buf[0] !== 0x4d || buf[1] !== 0x5a) return false; // "MZ"
  const lfanew = new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getUint32(0x3c, true);
  return lfanew + 4 <= buf.length && buf[lfanew] === 0x50 && buf[lfanew + 1] === 0x45 && buf[lfanew + 2] === 0 && buf[lfanew + 3] === 0;
}


export function parsePe(buf: Uint8Array, file = "<buffer>"): PeInfo {
  const bytes = new ByteReader(buf, (problem) => new BinaryFormatError(file, `truncated or malformed PE: ${problem}`));
  bytes.need(0, DOS_HEADER_SIZE, "DOS header");
  if (buf[0] !== 0x4d || buf[1] !== 0x5a) throw new BinaryFormatError(file, "not a PE file (missing MZ magic)");
  const ntHeadersOffset = bytes.u32le(0x3c, "e_lfanew");
  bytes.need(ntHeadersOffset, 4 + COFF_HEADER_SIZE, "PE signature and COFF header");
  if (bytes.u32le(ntHeadersOffset, "PE signature") !== 0x00004550) {
    throw new BinaryFormatError(file, "not a PE file: MZ stub without a PE\\0\\0 signature (a DOS program?)");
  }
  const coff = ntHeadersOffset + 4;
  const machine = bytes.u16le(coff, "Machine");
  const sectionCount = bytes.u16le(coff + 2, "NumberOfSections");
  const timeDateStamp = bytes.u32le(coff + 4, "TimeDateStamp");
  const optionalHeaderSize = bytes.u16le(coff + 16, "SizeOfOptionalHeader");
  if (sectionCount > MAX_SECTIONS) throw new BinaryFormatError(file, `malformed PE: ${sectionCount} sections (limit ${MAX_SECTIONS})`);

  const optional = coff + COFF_HEADER_SIZE;
  bytes.need(optional, optionalHeaderSize, "optional header");
  const magic = bytes.u16le(optional, "optional header magic");
  if (magic !== PE32_PLUS_MAGIC && magic !== PE32_MAGIC) {
    throw new BinaryFormatError(file, `malformed PE: optional header magic 0x${magic.toString(16)}`);
  }
  const isPe32Plus = magic === PE32_PLUS_MAGIC;
  // Field offsets inside the optional header differ between PE32 and PE32+ only
  // from the data-directory count onwards (ImageBase is 8 bytes in PE32+).
  const headersSize = bytes.u32le(optional + 60, "SizeOfHeaders");
  const checksum = bytes.u32le(optional + 64, "CheckSum");
  const subsystem = bytes.u16le(optional + 68, "Subsystem");
  const directoryCountOffset = optional + (isPe32Plus ? 108 : 92);
  const directoryCount = Math.min(bytes.u32le(directoryCountOffset, "NumberOfRvaAndSizes"), MAX_DATA_DIRECTORIES);
  const directoriesOffset = directoryCountOffset + 4;
  if (directoriesOffset + directoryCount * 8 > optional + optionalHeaderSize) {
    throw new BinaryFormatError(file, "malformed PE: data directories run past the optional header");
  }
  const dataDirectories: PeDataDirectory[] = [];
  for (let index = 0; index < directoryCount; index++) {
    dataDirectories.push({
      index,
      name: DATA_DIRECTORY_NAMES[index] ?? `directory-${index}`,
      virtualAddress: bytes.u32le(directoriesOffset + index * 8, "data directory address"),
      size: bytes.u32le(directoriesOffset + index * 8 + 4, "data directory size"),
    });
  }

  const sectionTable = optional + optionalHeaderSize;
  bytes.need(sectionTable, sectionCount * SECTION_HEADER_SIZE, "section table");
  const sections: PeSection[] = [];
  for (let i = 0; i < sectionCount; i++) {
    const at = sectionTable + i * SECTION_HEADER_SIZE;
    const nameBytes = buf.subarray(at, at + 8);
    const nameEnd = nameBytes.indexOf(0);
    const section: PeSection = {
      name: Buffer.from(nameBytes.subarray(0, nameEnd === -1 ? 8 : nameEnd)).toString("latin1"),
      virtualSize: bytes.u32le(at + 8, "VirtualSize"),
      virtualAddress: bytes.u32le(at + 12, "VirtualAddress"),
      rawSize: bytes.u32le(at + 16, "SizeOfRawData"),
      rawOffset: bytes.u32le(at + 20, "PointerToRawData"),
      characteristics: bytes.u32le(at + 36, "Characteristics"),
    };
    if (section.rawSize > 0) bytes.need(section.rawOffset, section.rawSize, `section ${section.name}`);
    sections.push(section);
  }

  // The certificate table's "virtual address" is a plain file offset (PE spec, "The Attribute
  // Certificate Table"), and the blob is not mapped into memory.
  const certificate = dataDirectories[CERTIFICATE_TABLE_INDEX];
  let certificateTable: PeInfo["certificateTable"];
  if (certificate && certificate.size > 0) {
    bytes.need(certificate.virtualAddress, certificate.size, "certificate table");
    certificateTable = { offset: certificate.virtualAddress, size: certificate.size };
  }

  return {
    arch:
      machine === IMAGE_FILE_MACHINE_AMD64
        ? "x64"
        : machine === IMAGE_FILE_MACHINE_ARM64
          ? "arm64"
          : machine === IMAGE_FILE_MACHINE_I386
            ? "x86"
            : `pe-machine-0x${machine.toString(16)}`,
    machine,
    isPe32Plus,
    timeDateStamp,
    checksum,
    subsystem,
    subsystemName:
      subsystem === IMAGE_SUBSYSTEM_WINDOWS_GUI ? "gui" : subsystem === IMAGE_SUBSYSTEM_WINDOWS_CUI ? "console" : `subsystem-${subsystem}`,
    headersSize: Math.min(headersSize, buf.length),
    ntHeadersOffset,
    sections,
    dataDirectories,
    certificateTable,
    hasAuthenticode: certificateTable !== undefined,
  };
}

export function isCodeSection(section: PeSection): boolean {
  return (section.characteristics & (IMAGE_SCN_CNT_CODE | IMAGE_SCN_MEM_EXECUTE)) !== 0;
}

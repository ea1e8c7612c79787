// Pure reader for 64-bit little-endian ELF executables (x86_64 and aarch64), the
// format of Bun's linux targets. It reads only what `inspect` and `explain` need:
// sections, program headers, the interpreter, DT_NEEDED libraries and the glibc
// symbol versions. Every read is bounds-checked; malformed input throws
// BinaryFormatError (exit code 2), never a RangeError.
//
// Layout reference: the System V gABI (Elf64_Ehdr / Elf64_Phdr / Elf64_Shdr /
// Elf64_Dyn) and the GNU symbol-versioning extension (Elf64_Verneed / Elf64_Vernaux).
// Bun's own ELF writer is src/exe_format/elf.rs in oven-sh/bun.

import { BinaryFormatError } from "../errors.ts";
import { ByteReader } from "./bytes.ts";

export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46] as const; // "\x7fELF"

const ELF_HEADER_SIZE = 64;
const PROGRAM_HEADER_SIZE = 56;
const SECTION_HEADER_SIZE = 64;
const DYNAMIC_ENTRY_SIZE = 16;

const EM_X86_64 = 62;
const EM_AARCH64 = 183;

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const PROGRAM_HEADER_TYPE_NAMES: Record<number, string> = {
  0: "NULL",
  1: "LOAD",
  2: "DYNAMIC",
  3: "INTERP",
  4: "NOTE",
  6: "PHDR",
  7: "TLS",
  0x6474e550: "GNU_EH_FRAME",
  0x6474e551: "GNU_STACK",
  0x6474e552: "GNU_RELRO",
  0x6474e553: "GNU_PROPERTY",
};

const SHT_NOBITS = 8;
const SHT_DYNAMIC = 6;
const SHT_GNU_VERNEED = 0x6ffffffe;
export const SHF_WRITE = 0x1;
export const SHF_ALLOC = 0x2;
export const SHF_EXECINSTR = 0x4;

const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;

// Guards against absurd counts in corrupt headers before we allocate arrays for them.
const MAX_TABLE_ENTRIES = 65_535;
const MAX_DYNAMIC_ENTRIES = 100_000;
const MAX_VERNEED_RECORDS = 10_000;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  addr: bigint;
  /** File offset of the section's bytes (sh_offset). */
  offset: number;
  /** sh_size. For SHT_NOBITS sections (.bss) this occupies no file bytes. */
  size: number;
  /** Bytes the section occupies in the file: 0 for SHT_NOBITS, else `size`. */
  fileSize: number;
  /** sh_link: for .dynamic and .gnu.version_r, the index of their string table. */
  link: number;
}

export interface ElfProgramHeader {
  type: number;
  typeName: string;
  /** PF_X = 1, PF_W = 2, PF_R = 4. */
  flags: number;
  offset: number;
  vaddr: bigint;
  fileSize: number;
  memSize: bigint;
}

export type ElfLibc = "glibc" | "musl" | "static" | "unknown";

export interface ElfInfo {
  arch: "x64" | "arm64" | string;
  machine: number;
  /** e_type: 2 = EXEC, 3 = DYN (PIE). */
  fileType: number;
  entry: bigint;
  programHeaderTable: { offset: number; size: number };
  sectionHeaderTable: { offset: number; size: number };
  programHeaders: ElfProgramHeader[];
  sections: ElfSection[];
  /** PT_INTERP, e.g. /lib64/ld-linux-x86-64.so.2 or /lib/ld-musl-x86_64.so.1. */
  interpreter?: string;
  /** DT_NEEDED entries in file order. */
  neededLibraries: string[];
  /** Every GLIBC_x.y version the binary requires, sorted ascending. */
  glibcVersions: string[];
  /** The highest GLIBC_x.y required: the oldest glibc the binary runs on. */
  minimumGlibc?: string;
  /** No PT_INTERP: the kernel runs it without a dynamic loader. */
  isStatic: boolean;
  libc: ElfLibc;
}

export function isElf(buf: Uint8Array): boolean {
  return buf.length >= 4 && ELF_MAGIC.every((byte, i) => buf[i] === byte);
}


export function parseElf(buf: Uint8Array, file = "<buffer>"): ElfInfo {
  const bytes = new ByteReader(buf, (problem) => new BinaryFormatError(file, `truncated or malformed ELF: ${problem}`));
  if (!isElf(buf)) throw new BinaryFormatError(file, "not an ELF file (missing \\x7fELF magic)");
  bytes.need(0, ELF_HEADER_SIZE, "ELF header");
  const elfClass = bytes.u8(4, "EI_CLASS");
  const dataEncoding = bytes.u8(5, "EI_DATA");
  if (elfClass !== 2) {
    throw new BinaryFormatError(file, `unsupported ELF: ${elfClass === 1 ? "32-bit" : `class ${elfClass}`}; Bun targets are 64-bit`);
  }
  if (dataEncoding !== 1) throw new BinaryFormatError(file, "unsupported ELF: big-endian; Bun targets are little-endian");

  const fileType = bytes.u16le(16, "e_type");
  const machine = bytes.u16le(18, "e_machine");
  const entry = bytes.u64le(24, "e_entry");
  const phoff = bytes.u64leNumber(32, "e_phoff");
  const shoff = bytes.u64leNumber(40, "e_shoff");
  const phentsize = bytes.u16le(54, "e_phentsize");
  const phnum = bytes.u16le(56, "e_phnum");
  const shentsize = bytes.u16le(58, "e_shentsize");
  const shnum = bytes.u16le(60, "e_shnum");
  const shstrndx = bytes.u16le(62, "e_shstrndx");

  if (phnum > 0 && phentsize !== PROGRAM_HEADER_SIZE) {
    throw new BinaryFormatError(file, `malformed ELF: program header entry size ${phentsize}, expected ${PROGRAM_HEADER_SIZE}`);
  }
  if (shnum > 0 && shentsize !== SECTION_HEADER_SIZE) {
    throw new BinaryFormatError(file, `malformed ELF: section header entry size ${shentsize}, expected ${SECTION_HEADER_SIZE}`);
  }
  if (phnum > MAX_TABLE_ENTRIES || shnum > MAX_TABLE_ENTRIES) {
    throw new BinaryFormatError(file, "malformed ELF: header table counts are out of range");
  }

  const programHeaders = readProgramHeaders(bytes, phoff, phnum);
  const sections = readSections(bytes, shoff, shnum, shstrndx);

  const interpHeader = programHeaders.find((header) => header.type === PT_INTERP);
  if (interpHeader) bytes.need(interpHeader.offset, interpHeader.fileSize, "PT_INTERP path");
  const interpreter = interpHeader
    ? bytes.cStringUpTo(interpHeader.offset, interpHeader.offset + interpHeader.fileSize, "PT_INTERP path")
    : undefined;

  const neededLibraries = readNeededLibraries(bytes, sections, programHeaders);
  const glibcVersions = readGlibcVersions(bytes, sections);
  const isStatic = interpreter === undefined;

  return {
    arch: machine === EM_X86_64 ? "x64" : machine === EM_AARCH64 ? "arm64" : `elf-machine-${machine}`,
    machine,
    fileType,
    entry,
    programHeaderTable: { offset: phoff, size: phnum * PROGRAM_HEADER_SIZE },
    sectionHeaderTable: { offset: shoff, size: shnum * SECTION_HEADER_SIZE },
    programHeaders,
    sections,
    interpreter,
    neededLibraries,
    glibcVersions,
    minimumGlibc: glibcVersions.at(-1),
    isStatic,
    libc: libcOf(interpreter, neededLibraries, glibcVersions),
  };
}

function readProgramHeaders(bytes: ByteReader, phoff: number, phnum: number): ElfProgramHeader[] {
  bytes.need(phoff, phnum * PROGRAM_HEADER_SIZE, "program header table");
  const headers: ElfProgramHeader[] = [];
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * PROGRAM_HEADER_SIZE;
    const type = bytes.u32le(at, "p_type");
    headers.push({
      type,
      typeName: PROGRAM_HEADER_TYPE_NAMES[type] ?? `0x${type.toString(16)}`,
      flags: bytes.u32le(at + 4, "p_flags"),
      offset: bytes.u64leNumber(at + 8, "p_offset"),
      vaddr: bytes.u64le(at + 16, "p_vaddr"),
      fileSize: bytes.u64leNumber(at + 32, "p_filesz"),
      memSize: bytes.u64le(at + 40, "p_memsz"),
    });
  }
  return headers;
}

function readSections(bytes: ByteReader, shoff: number, shnum: number, shstrndx: number): ElfSection[] {
  if (shnum === 0) return [];
  bytes.need(shoff, shnum * SECTION_HEADER_SIZE, "section header table");
  const raw = [];
  for (let index = 0; index < shnum; index++) {
    const at = shoff + index * SECTION_HEADER_SIZE;
    raw.push({
      index,
      nameOffset: bytes.u32le(at, "sh_name"),
      type: bytes.u32le(at + 4, "sh_type"),
      flags: Number(bytes.u64le(at + 8, "sh_flags") & 0xffffffffn),
      addr: bytes.u64le(at + 16, "sh_addr"),
      offset: bytes.u64leNumber(at + 24, "sh_offset"),
      size: bytes.u64leNumber(at + 32, "sh_size"),
      link: bytes.u32le(at + 40, "sh_link"),
    });
  }
  const names = raw[shstrndx];
  return raw.map((section) => {
    const fileSize = section.type === SHT_NOBITS ? 0 : section.size;
    if (fileSize > 0) bytes.need(section.offset, fileSize, `section #${section.index}`);
    let name = "";
    if (names && names.type !== SHT_NOBITS && section.nameOffset < names.size) {
      name = bytes.cStringUpTo(names.offset + section.nameOffset, names.offset + names.size, "section name");
    }
    return {
      index: section.index,
      name,
      type: section.type,
      flags: section.flags,
      addr: section.addr,
      offset: section.offset,
      size: section.size,
      fileSize,
      link: section.link,
    };
  });
}

/** Maps a virtual address to a file offset through the PT_LOAD segments. */
function fileOffsetOfAddress(programHeaders: ElfProgramHeader[], address: bigint): number | undefined {
  for (const header of programHeaders) {
    if (header.type !== PT_LOAD) continue;
    if (address >= header.vaddr && address < header.vaddr + BigInt(header.fileSize)) {
      return header.offset + Number(address - header.vaddr);
    }
  }
  return undefined;
}

function readNeededLibraries(bytes: ByteReader, sections: ElfSection[], programHeaders: ElfProgramHeader[]): string[] {
  // Prefer the section view (.dynamic + its linked string table); fall back to
  // PT_DYNAMIC + DT_STRTAB for binaries whose section headers were stripped.
  const dynamicSection = sections.find((section) => section.type === SHT_DYNAMIC);
  const dynamicSegment = programHeaders.find((header) => header.type === PT_DYNAMIC);
  const dynamicOffset = dynamicSection?.offset ?? dynamicSegment?.offset;
  const dynamicSize = dynamicSection?.fileSize ?? dynamicSegment?.fileSize ?? 0;
  if (dynamicOffset === undefined || dynamicSize === 0) return [];
  bytes.need(dynamicOffset, dynamicSize, "dynamic section");

  const neededOffsets: number[] = [];
  let stringTableAddress: bigint | undefined;
  const count = Math.min(Math.floor(dynamicSize / DYNAMIC_ENTRY_SIZE), MAX_DYNAMIC_ENTRIES);
  for (let i = 0; i < count; i++) {
    const at = dynamicOffset + i * DYNAMIC_ENTRY_SIZE;
    const tag = bytes.u64le(at, "d_tag");
    const value = bytes.u64le(at + 8, "d_val");
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) neededOffsets.push(Number(value & 0xffffffffn));
    if (tag === DT_STRTAB) stringTableAddress = value;
  }

  let strings: { offset: number; size: number } | undefined;
  const linked = dynamicSection ? sections[dynamicSection.link] : undefined;
  if (linked && linked.fileSize > 0) {
    strings = { offset: linked.offset, size: linked.fileSize };
  } else if (stringTableAddress !== undefined) {
    const offset = fileOffsetOfAddress(programHeaders, stringTableAddress);
    if (offset !== undefined) strings = { offset, size: bytes.bytes.length - offset };
  }
  if (!strings) return [];
  const table = strings;
  return neededOffsets
    .filter((offset) => offset < table.size)
    .map((offset) => bytes.cStringUpTo(table.offset + offset, table.offset + table.size, "DT_NEEDED name"));
}

function readGlibcVersions(bytes: ByteReader, sections: ElfSection[]): string[] {
  const verneed = sections.find((section) => section.type === SHT_GNU_VERNEED);
  if (!verneed || verneed.fileSize === 0) return [];
  const strings = sections[verneed.link];
  if (!strings || strings.fileSize === 0) return [];
  const stringAt = (offset: number) =>
    offset < strings.fileSize ? bytes.cStringUpTo(strings.offset + offset, strings.offset + strings.fileSize, "version name") : "";

  const versions = new Set<string>();
  const end = verneed.offset + verneed.fileSize;
  let record = verneed.offset;
  // Elf64_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 }
  // Elf64_Vernaux { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }
  for (let guard = 0; guard < MAX_VERNEED_RECORDS && record + 16 <= end; guard++) {
    const auxCount = bytes.u16le(record + 2, "vn_cnt");
    let aux = record + bytes.u32le(record + 8, "vn_aux");
    for (let j = 0; j < auxCount && aux + 16 <= end; j++) {
      const name = stringAt(bytes.u32le(aux + 8, "vna_name"));
      if (/^GLIBC_\d+(\.\d+)*$/.test(name)) versions.add(name.slice("GLIBC_".length));
      const next = bytes.u32le(aux + 12, "vna_next");
      if (next === 0) break;
      aux += next;
    }
    const next = bytes.u32le(record + 12, "vn_next");
    if (next === 0) break;
    record += next;
  }
  return [...versions].sort(compareDottedVersions);
}

export function compareDottedVersions(left: string, right: string): number {
  const a = left.split(".").map(Number);
  const b = right.split(".").map(Number);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const difference = (a[i] ?? 0) - (b[i] ?? 0);
    if (difference !== 0) return difference;
  }
  return 0;
}

function libcOf(interpreter: string | undefined, needed: string[], glibcVersions: string[]): ElfLibc {
  if (interpreter === undefined) return needed.length === 0 ? "static" : "unknown";
  if (/ld-musl-/.test(interpreter) || needed.some((lib) => lib.startsWith("libc.musl"))) return "musl";
  if (/ld-linux/.test(interpreter) || glibcVersions.length > 0) return "glibc";
  return "unknown";
}

// Mach-O reader: the header and load commands of a thin 64-bit Mach-O, in pure TypeScript on
// bytes, so darwin artifacts can be checked and re-signed from Linux. The code signature has its
// own files: macho-signature.ts (its structures), macho-verify.ts (the check), macho-sign.ts
// (the ad-hoc signer), all built on this reader.
//
// Format source: <mach-o/loader.h> (mach_header_64, segment_command_64, section_64,
// linkedit_data_command), all fields little-endian. Which Bun leaves which signature
// (darwin-arm64 re-signed, darwin-x64 keeping the runtime's stale one): docs/internals.md,
// "Bun's embedded module graph, by version".

import { BinaryFormatError } from "../errors.ts";
import { ByteReader, type Fail } from "./bytes.ts";

export interface MachOSection {
  segname: string;
  sectname: string;
  /** File offset (section_64.offset); 0 for zero-fill sections. */
  offset: number;
  size: number;
  addr: bigint;
}

export interface MachOSegment {
  name: string;
  fileoff: number;
  filesize: number;
  vmaddr: bigint;
  vmsize: bigint;
  sections: MachOSection[];
  /** File offset of this segment_command_64, so a writer can patch it. */
  commandOffset: number;
}

export interface MachOLoadCommand {
  cmd: number;
  /** File offset of the command. */
  offset: number;
  size: number;
}

export interface MachOInfo {
  cpu: "x64" | "arm64" | string;
  cputype: number;
  fileType: number;
  /** mach_header_64 (32 bytes) + sizeofcmds. */
  headerSize: number;
  segments: MachOSegment[];
  loadCommands: MachOLoadCommand[];
  codeSignature?: { dataoff: number; datasize: number; commandOffset: number };
  minOs?: string;
  /** PLATFORM_* from LC_BUILD_VERSION ("macos", "ios", ...), or "macos" for LC_VERSION_MIN_MACOSX. */
  platform?: string;
}

// loader.h constants.
const MH_MAGIC_64 = 0xfeedfacf;
const MH_MAGIC = 0xfeedface;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
export const MH_EXECUTE = 2;
export const MACH_HEADER_64_SIZE = 32;

const CPU_TYPE_X86_64 = 0x01000007;
const CPU_TYPE_ARM64 = 0x0100000c;

const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
export const LC_CODE_SIGNATURE = 0x1d;
const LC_VERSION_MIN_MACOSX = 0x24;
const LC_BUILD_VERSION = 0x32;
const LC_DYLD_INFO = 0x22;
const LC_DYLD_INFO_ONLY = 0x80000022;
// linkedit_data_command users: their data lives in __LINKEDIT, before the signature.
const LINKEDIT_DATA_COMMANDS: Record<number, string> = {
  0x1e: "LC_SEGMENT_SPLIT_INFO",
  0x26: "LC_FUNCTION_STARTS",
  0x29: "LC_DATA_IN_CODE",
  0x2b: "LC_DYLIB_CODE_SIGN_DRS",
  0x2e: "LC_LINKER_OPTIMIZATION_HINT",
  0x80000033: "LC_DYLD_EXPORTS_TRIE",
  0x80000034: "LC_DYLD_CHAINED_FIXUPS",
};
const SEGMENT_COMMAND_64_SIZE = 72;
const SECTION_64_SIZE = 80;
export const LINKEDIT_DATA_COMMAND_SIZE = 16;
// Section types with no file bytes (S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL).
const ZEROFILL_SECTION_TYPES = new Set([0x1, 0xc, 0x12]);

const PLATFORMS: Record<number, string> = {
  1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
  7: "iossimulator", 8: "tvossimulator", 9: "watchossimulator", 10: "driverkit",
  11: "visionos", 12: "visionossimulator",
};

// Small formatting and size helpers the signature files share with the reader.
export const hex = (n: number): string => `0x${n.toString(16)}`;
export const count = (n: number): string => n.toLocaleString("en-US");
export const alignUp = (value: number, align: number): number => Math.ceil(value / align) * align;

export function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

/** A 64-bit little-endian thin Mach-O (what Bun ships for darwin-x64 and darwin-arm64). */
export function isMachO(buf: Uint8Array): boolean {
  return buf.length >= 4 && new DataView(buf.buffer, buf.byteOffset, 4).getUint32(0, true) === MH_MAGIC_64;
}

/** Why bytes are not a supported Mach-O, in words, for the error message. */
function describeNotMachO(buf: Uint8Array): string {
  if (buf.length < 4) return `the file is ${buf.length} bytes long, too short for a Mach-O header`;
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const be = view.getUint32(0, false);
  const le = view.getUint32(0, true);
  if (be === FAT_MAGIC || be === FAT_MAGIC_64) {
    // Java class files share 0xcafebabe; a fat header's nfat_arch is small.
    const narch = buf.length >= 8 ? view.getUint32(4, false) : 0;
    if (be === FAT_MAGIC_64 || narch < 32) {
      return `this is a universal (fat) Mach-O with ${narch} architectures, which is not supported: ` +
        "extract one slice first (lipo -thin arm64, llvm-lipo or rcodesign), or pass Bun's per-target output";
    }
    return "the file starts with 0xcafebabe but is not a fat Mach-O (a Java class file?)";
  }
  if (le === MH_MAGIC) return "this is a 32-bit Mach-O (MH_MAGIC), which is not supported; only 64-bit Mach-O is";
  if (be === MH_MAGIC_64 || be === MH_MAGIC) return "this is a big-endian Mach-O, which is not supported";
  if (be === 0x7f454c46) return "this is an ELF file (Linux), not a Mach-O";
  if (buf[0] === 0x4d && buf[1] === 0x5a) return "this is a PE file (Windows, starts with MZ), not a Mach-O";
  return `not a Mach-O: magic ${hex(le)} is not MH_MAGIC_64 (0xfeedfacf)`;
}

const TRUNCATED_FIX =
  "The file is shorter than its own headers say: it was probably cut off while copying or downloading. Rebuild it or fetch it again.";

/**
 * Parses the header and load commands. Throws BinaryFormatError for anything that is not a
 * well-formed 64-bit Mach-O whose segments all lie inside the file.
 */
export function parseMachO(buf: Uint8Array, file = "<buffer>"): MachOInfo {
  if (!isMachO(buf)) throw new BinaryFormatError(file, describeNotMachO(buf));
  const fail: Fail = (problem) => new BinaryFormatError(file, `Mach-O: ${problem}`, TRUNCATED_FIX);
  const r = new ByteReader(buf, fail);

  const cputype = r.u32le(4, "mach_header_64.cputype");
  const fileType = r.u32le(12, "mach_header_64.filetype");
  const ncmds = r.u32le(16, "mach_header_64.ncmds");
  const sizeofcmds = r.u32le(20, "mach_header_64.sizeofcmds");
  const headerSize = MACH_HEADER_64_SIZE + sizeofcmds;
  r.need(MACH_HEADER_64_SIZE, sizeofcmds, `the load commands (sizeofcmds ${sizeofcmds})`);

  const info: MachOInfo = {
    cpu: cputype === CPU_TYPE_X86_64 ? "x64" : cputype === CPU_TYPE_ARM64 ? "arm64" : `cputype ${hex(cputype)}`,
    cputype,
    fileType,
    headerSize,
    segments: [],
    loadCommands: [],
  };
  let versionMin: string | undefined;

  let offset = MACH_HEADER_64_SIZE;
  for (let index = 0; index < ncmds; index++) {
    const where = `load command ${index + 1} of ${ncmds} at offset ${offset}`;
    if (offset + 8 > headerSize) {
      throw new BinaryFormatError(file, `Mach-O: ${where} starts past the end of the load commands (sizeofcmds ${sizeofcmds}); the header is corrupt`);
    }
    const cmd = r.u32le(offset, where);
    const cmdsize = r.u32le(offset + 4, `${where} cmdsize`);
    if (cmdsize < 8 || offset + cmdsize > headerSize) {
      throw new BinaryFormatError(file, `Mach-O: ${where} (cmd ${hex(cmd)}) has cmdsize ${cmdsize}, which does not fit in sizeofcmds ${sizeofcmds}; the header is corrupt`);
    }
    info.loadCommands.push({ cmd, offset, size: cmdsize });
    const body = new ByteReader(buf.subarray(offset, offset + cmdsize), (problem) =>
      new BinaryFormatError(file, `Mach-O: ${where} (cmd ${hex(cmd)}): ${problem}`), "the command");

    if (cmd === LC_SEGMENT_64) {
      info.segments.push(readSegment(body, offset, cmdsize, buf.length, file));
    } else if (cmd === LC_CODE_SIGNATURE) {
      const dataoff = body.u32le(8, "dataoff");
      const datasize = body.u32le(12, "datasize");
      // A signature that starts past the end means the file was cut off. One that starts inside
      // it and only its stated size runs past is a stale LC_CODE_SIGNATURE (Bun 1.2.23 keeps the
      // runtime's larger datasize on darwin-x64, ending 2,560 bytes past a file whose segments
      // are all there): an invalid signature, which verifyCodeSignature reports and signAdhoc
      // replaces, not a truncated file. A real cut-off also shortens __LINKEDIT, caught by readSegment.
      if (dataoff > buf.length) {
        throw new BinaryFormatError(file,
          `Mach-O: LC_CODE_SIGNATURE points at file bytes ${dataoff}..${dataoff + datasize}, ` +
          `but the file is only ${buf.length} bytes: it is truncated`, TRUNCATED_FIX);
      }
      info.codeSignature = { dataoff, datasize, commandOffset: offset };
    } else if (cmd === LC_BUILD_VERSION) {
      const platform = body.u32le(8, "platform");
      info.platform = PLATFORMS[platform] ?? `platform ${platform}`;
      info.minOs = formatVersion(body.u32le(12, "minos"));
    } else if (cmd === LC_VERSION_MIN_MACOSX) {
      versionMin = formatVersion(body.u32le(8, "version"));
    }
    offset += cmdsize;
  }
  // LC_BUILD_VERSION replaced LC_VERSION_MIN_MACOSX (macOS 10.14 SDK); prefer it when both exist.
  if (info.minOs === undefined && versionMin !== undefined) {
    info.minOs = versionMin;
    info.platform = "macos";
  }
  return info;
}

/** A segment_command_64 and its sections; every one with file bytes must lie inside the file. */
function readSegment(body: ByteReader, offset: number, cmdsize: number, fileSize: number, file: string): MachOSegment {
  const name = body.fixedString(8, 16, "segname");
  const segment: MachOSegment = {
    name,
    vmaddr: body.u64le(24, "vmaddr"),
    vmsize: body.u64le(32, "vmsize"),
    fileoff: body.u64leNumber(40, "fileoff"),
    filesize: body.u64leNumber(48, "filesize"),
    sections: [],
    commandOffset: offset,
  };
  const nsects = body.u32le(64, "nsects");
  if (SEGMENT_COMMAND_64_SIZE + nsects * SECTION_64_SIZE > cmdsize) {
    throw new BinaryFormatError(file, `Mach-O: segment ${name} says it has ${nsects} sections, but its command is only ${cmdsize} bytes`);
  }
  if (segment.fileoff + segment.filesize > fileSize) {
    throw new BinaryFormatError(file,
      `Mach-O: segment ${name} covers file bytes ${segment.fileoff}..${segment.fileoff + segment.filesize}, ` +
      `but the file is only ${fileSize} bytes: it is truncated`, TRUNCATED_FIX);
  }
  for (let s = 0; s < nsects; s++) {
    const at = SEGMENT_COMMAND_64_SIZE + s * SECTION_64_SIZE;
    const section: MachOSection = {
      sectname: body.fixedString(at, 16, "sectname"),
      segname: body.fixedString(at + 16, 16, "section segname"),
      addr: body.u64le(at + 32, "section addr"),
      size: body.u64leNumber(at + 40, "section size"),
      offset: body.u32le(at + 48, "section offset"),
    };
    const type = body.u32le(at + 64, "section flags") & 0xff;
    if (!ZEROFILL_SECTION_TYPES.has(type) && section.offset !== 0 && section.offset + section.size > fileSize) {
      throw new BinaryFormatError(file,
        `Mach-O: section ${section.segname},${section.sectname} covers file bytes ${section.offset}..${section.offset + section.size}, ` +
        `but the file is only ${fileSize} bytes: it is truncated`, TRUNCATED_FIX);
    }
    segment.sections.push(section);
  }
  return segment;
}

/** loader.h: "X.Y.Z is encoded in nibbles xxxx.yy.zz". */
function formatVersion(v: number): string {
  const patch = v & 0xff;
  return `${v >>> 16}.${(v >>> 8) & 0xff}${patch ? `.${patch}` : ""}`;
}

/**
 * The end of every __LINKEDIT table the load commands reference. Signing truncates the file
 * at the signature offset, so none of them may reach past it.
 */
export function linkeditReferences(buf: Uint8Array, info: MachOInfo, file: string): { name: string; end: number }[] {
  const r = new ByteReader(buf, (problem) => new BinaryFormatError(file, `Mach-O: ${problem}`));
  const refs: { name: string; end: number }[] = [];
  const add = (name: string, off: number, size: number): void => {
    if (size > 0) refs.push({ name, end: off + size });
  };
  for (const { cmd, offset } of info.loadCommands) {
    if (cmd === LC_SYMTAB) {
      add("LC_SYMTAB symbols", r.u32le(offset + 8, "symoff"), r.u32le(offset + 12, "nsyms") * 16);
      add("LC_SYMTAB strings", r.u32le(offset + 16, "stroff"), r.u32le(offset + 20, "strsize"));
    } else if (cmd === LC_DYSYMTAB) {
      // (offset field, count field, entry size) per loader.h dysymtab_command (64-bit entries).
      const tables: [number, number, number][] = [[32, 36, 8], [40, 44, 56], [48, 52, 4], [56, 60, 4], [64, 68, 8], [72, 76, 8]];
      for (const [off, n, size] of tables) add("LC_DYSYMTAB", r.u32le(offset + off, "dysymtab offset"), r.u32le(offset + n, "dysymtab count") * size);
    } else if (cmd === LC_DYLD_INFO || cmd === LC_DYLD_INFO_ONLY) {
      for (let field = 8; field <= 40; field += 8) add("LC_DYLD_INFO", r.u32le(offset + field, "dyld_info offset"), r.u32le(offset + field + 4, "dyld_info size"));
    } else if (LINKEDIT_DATA_COMMANDS[cmd]) {
      add(LINKEDIT_DATA_COMMANDS[cmd], r.u32le(offset + 8, "dataoff"), r.u32le(offset + 12, "datasize"));
    }
  }
  return refs;
}

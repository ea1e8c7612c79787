// Mach-O reader, code-signature verifier and deterministic ad-hoc signer, in pure
// TypeScript on bytes, so darwin artifacts can be checked and re-signed from Linux.
//
// Format sources (all fields little-endian in the Mach-O header and load commands,
// big-endian inside the code signature):
// - <mach-o/loader.h>: mach_header_64, segment_command_64, section_64, linkedit_data_command.
// - xnu osfmk/kern/cs_blobs.h: CS_SuperBlob, CS_BlobIndex, CS_CodeDirectory, slot numbers.
// - xnu bsd/kern/ubc_subr.c: which CodeDirectory the kernel trusts (`hashPriorities`),
//   and that the last page hash covers only the bytes up to codeLimit (no zero padding).
// - indygreg/apple-platform-rs apple-codesign (rcodesign): code_directory.rs (field offsets
//   per CD version), macho_signing.rs (what an ad-hoc signature contains, __LINKEDIT sizes).
// - oven-sh/bun src/macho.zig `MachoSigner`: the signer Bun runs for darwin-arm64 output.
// Which Bun leaves which signature (darwin-arm64 re-signed, darwin-x64 keeping the runtime's
// stale one): docs/internals.md, "Bun's embedded module graph, by version".

import * as crypto from "node:crypto";
import { createHash } from "node:crypto";

/**
 * One-shot digest of a page. A signature has ~25,000 4 KiB pages: crypto.hash (Node >= 20.12,
 * Bun) did them in 65 ms here against 280 ms for createHash().update().digest() per page.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
function pageHash(algorithm: string, data: Uint8Array): Buffer {
  return oneShot ? oneShot(algorithm, data, "buffer") : createHash(algorithm).update(data).digest();
}
import { BinaryFormatError } from "../errors.ts";
import { ByteReader, type Fail } from "./bytes.ts";

// ---------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------

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

export interface SignatureCheck {
  state: "valid" | "invalid" | "unsigned";
  identifier?: string;
  teamId?: string;
  flags?: number;
  adhoc?: boolean;
  hashType?: "sha1" | "sha256" | string;
  /** Page size in bytes (2^pageSize of the CodeDirectory). */
  pageSize?: number;
  codeLimit?: number;
  /** Number of code slots (page hashes) in the CodeDirectory that was checked. */
  pages?: number;
  /** Indexes of pages whose hash does not match the bytes. */
  badPages?: number[];
  /** CDHash as codesign prints it: the CodeDirectory's hash, first 20 bytes, hex. */
  cdhash?: string;
  /** A non-empty CMS signature blob is present. It is NOT cryptographically verified here. */
  cms?: boolean;
  problems: string[];
}

/** One entry of the SuperBlob index, with the blob's own magic and length. */
export interface SignatureBlob {
  slot: number;
  magic: number;
  /** File offset of the blob. */
  offset: number;
  length: number;
}

export interface CodeDirectoryInfo {
  slot: number;
  /** File offset of the CodeDirectory blob. */
  offset: number;
  length: number;
  version: number;
  flags: number;
  hashOffset: number;
  identOffset: number;
  nSpecialSlots: number;
  nCodeSlots: number;
  /** codeLimit64 when the version has it and it is set, else codeLimit (Apple's signingLimit()). */
  codeLimit: number;
  hashSize: number;
  hashType: number;
  platform: number;
  pageSizeLog2: number;
  identifier: string;
  teamId?: string;
  execSegBase?: bigint;
  execSegLimit?: bigint;
  execSegFlags?: bigint;
  runtime?: number;
}

export interface EmbeddedSignature {
  /** LC_CODE_SIGNATURE dataoff / datasize. */
  offset: number;
  datasize: number;
  /** SuperBlob length field. */
  length: number;
  blobs: SignatureBlob[];
  codeDirectories: CodeDirectoryInfo[];
}

export interface SignAdhocOptions {
  /** Default: the identifier of the existing CodeDirectory, else "a.out". */
  identifier?: string;
  /**
   * "codesign" (default): what `codesign --force --sign -` and rcodesign write: flags
   * CS_ADHOC, an empty requirement set bound in special slot -2, an empty CMS wrapper.
   * "bun": what Bun's MachoSigner writes for darwin-arm64: one CodeDirectory, flags
   * CS_ADHOC|CS_LINKER_SIGNED, no special slots (kept to cross-check against Bun's output).
   */
  style?: "codesign" | "bun";
  /**
   * Write the signed file into `buf` itself when it fits (an ad-hoc signature is usually smaller
   * than the one it replaces), so signing a 100 MB executable does not hold two copies; `buf` is
   * then unusable. The bytes are the same either way.
   */
  inPlace?: boolean;
}

// ---------------------------------------------------------------------------
// Constants
// ---------------------------------------------------------------------------

const MH_MAGIC_64 = 0xfeedfacf;
const MH_MAGIC = 0xfeedface;
const FAT_MAGIC = 0xcafebabe;
const FAT_MAGIC_64 = 0xcafebabf;
const MH_EXECUTE = 2;
const MACH_HEADER_64_SIZE = 32;

const CPU_TYPE_X86_64 = 0x01000007;
const CPU_TYPE_ARM64 = 0x0100000c;

const LC_SEGMENT_64 = 0x19;
const LC_SYMTAB = 0x2;
const LC_DYSYMTAB = 0xb;
const LC_CODE_SIGNATURE = 0x1d;
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
const LINKEDIT_DATA_COMMAND_SIZE = 16;
// Section types with no file bytes (S_ZEROFILL, S_GB_ZEROFILL, S_THREAD_LOCAL_ZEROFILL).
const ZEROFILL_SECTION_TYPES = new Set([0x1, 0xc, 0x12]);

const PLATFORMS: Record<number, string> = {
  1: "macos", 2: "ios", 3: "tvos", 4: "watchos", 5: "bridgeos", 6: "maccatalyst",
  7: "iossimulator", 8: "tvossimulator", 9: "watchossimulator", 10: "driverkit",
  11: "visionos", 12: "visionossimulator",
};

// cs_blobs.h magics and slots.
const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
const CSMAGIC_REQUIREMENTS = 0xfade0c01;
const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
const CSSLOT_CODEDIRECTORY = 0;
const CSSLOT_REQUIREMENTS = 2;
const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
const CSSLOT_ALTERNATE_CODEDIRECTORY_MAX = 5;
const CSSLOT_SIGNATURESLOT = 0x10000;
const CS_ADHOC = 0x2;
const CS_LINKER_SIGNED = 0x20000;
const CS_EXECSEG_MAIN_BINARY = 0x1n;
const CS_SUPPORTSSCATTER = 0x20100;
const CS_SUPPORTSTEAMID = 0x20200;
const CS_SUPPORTSCODELIMIT64 = 0x20300;
const CS_SUPPORTSEXECSEG = 0x20400;
const CS_SUPPORTSRUNTIME = 0x20500;
const CS_HASHTYPE_SHA1 = 1;
const CS_HASHTYPE_SHA256 = 2;
const CS_HASHTYPE_SHA256_TRUNCATED = 3;
const CS_HASHTYPE_SHA384 = 4;

const HASH_TYPES: Record<number, { name: string; algorithm: string; size: number }> = {
  [CS_HASHTYPE_SHA1]: { name: "sha1", algorithm: "sha1", size: 20 },
  [CS_HASHTYPE_SHA256]: { name: "sha256", algorithm: "sha256", size: 32 },
  [CS_HASHTYPE_SHA256_TRUNCATED]: { name: "sha256-truncated", algorithm: "sha256", size: 20 },
  [CS_HASHTYPE_SHA384]: { name: "sha384", algorithm: "sha384", size: 48 },
};
// xnu ubc_subr.c `hashPriorities`: the kernel validates pages with the highest-ranked
// CodeDirectory it supports. Later in this list = better.
const HASH_PRIORITIES = [CS_HASHTYPE_SHA1, CS_HASHTYPE_SHA256_TRUNCATED, CS_HASHTYPE_SHA256, CS_HASHTYPE_SHA384];

const SPECIAL_SLOT_NAMES: Record<number, string> = {
  1: "Info.plist", 2: "requirements", 3: "resource directory", 4: "application-specific",
  5: "entitlements", 6: "representation-specific", 7: "DER entitlements",
  8: "launch constraints (self)", 9: "launch constraints (parent)",
  10: "launch constraints (responsible)", 11: "library constraints",
};
// Slots whose data lives outside the binary (in a bundle): nothing here to hash.
const EXTERNAL_SPECIAL_SLOTS = new Set([1, 3, 4]);

// The signer's fixed choices (see signAdhoc).
const SIGN_PAGE_SIZE_LOG2 = 12; // 4096: what codesign, rcodesign and Bun use for every arch
const SIGN_PAGE_SIZE = 1 << SIGN_PAGE_SIZE_LOG2;
const SIGN_HASH_SIZE = 32;
const CODE_DIRECTORY_0x20400_SIZE = 88;
// rcodesign's create_macho_with_signature: "`codesign` rounds up the segment's vmsize to
// the nearest 16kb boundary. We emulate that behavior." 16 KiB is also a multiple of 4 KiB.
const LINKEDIT_VMSIZE_ALIGN = 16384;
// ld64 and codesign start the signature on a 16-byte boundary.
const SIGNATURE_ALIGN = 16;

// ---------------------------------------------------------------------------
// Bounds-checked reads
// ---------------------------------------------------------------------------

/** A signature structure is wrong: the verifier turns it into an "invalid" verdict. */
class SignatureStructureError extends Error {
  override name = "SignatureStructureError";
}

const hex = (n: number): string => `0x${n.toString(16)}`;
const count = (n: number): string => n.toLocaleString("en-US");
const alignUp = (value: number, align: number): number => Math.ceil(value / align) * align;

function asBuffer(buf: Uint8Array): Buffer {
  return Buffer.isBuffer(buf) ? buf : Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
}

// ---------------------------------------------------------------------------
// Mach-O header and load commands
// ---------------------------------------------------------------------------

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
      if (segment.fileoff + segment.filesize > buf.length) {
        throw new BinaryFormatError(file,
          `Mach-O: segment ${name} covers file bytes ${segment.fileoff}..${segment.fileoff + segment.filesize}, ` +
          `but the file is only ${buf.length} bytes: it is truncated`, TRUNCATED_FIX);
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
        if (!ZEROFILL_SECTION_TYPES.has(type) && section.offset !== 0 && section.offset + section.size > buf.length) {
          throw new BinaryFormatError(file,
            `Mach-O: section ${section.segname},${section.sectname} covers file bytes ${section.offset}..${section.offset + section.size}, ` +
            `but the file is only ${buf.length} bytes: it is truncated`, TRUNCATED_FIX);
        }
        segment.sections.push(section);
      }
      info.segments.push(segment);
    } else if (cmd === LC_CODE_SIGNATURE) {
      const dataoff = body.u32le(8, "dataoff");
      const datasize = body.u32le(12, "datasize");
      // A signature that starts past the end means the file was cut off. One that starts inside
      // it and only its stated size runs past is a stale LC_CODE_SIGNATURE (Bun 1.2.23 keeps the
      // runtime's larger datasize on darwin-x64, ending 2,560 bytes past a file whose segments
      // are all there): an invalid signature, which verifyCodeSignature reports and signAdhoc
      // replaces, not a truncated file. A real cut-off also shortens __LINKEDIT, caught above.
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

/** loader.h: "X.Y.Z is encoded in nibbles xxxx.yy.zz". */
function formatVersion(v: number): string {
  const patch = v & 0xff;
  return `${v >>> 16}.${(v >>> 8) & 0xff}${patch ? `.${patch}` : ""}`;
}

// ---------------------------------------------------------------------------
// Code signature structures
// ---------------------------------------------------------------------------

/** Parses the SuperBlob and its CodeDirectories; throws SignatureStructureError. */
function parseSignature(buf: Uint8Array, dataoff: number, datasize: number): EmbeddedSignature {
  const fail: Fail = (problem) => new SignatureStructureError(problem);
  // Read only inside LC_CODE_SIGNATURE's range: a blob that reaches past it is itself a finding.
  const sig = new ByteReader(buf.subarray(dataoff, dataoff + datasize), fail, `the signature (LC_CODE_SIGNATURE datasize ${datasize})`);
  const magic = sig.u32be(0, "SuperBlob magic");
  if (magic !== CSMAGIC_EMBEDDED_SIGNATURE) {
    throw fail(`the data at LC_CODE_SIGNATURE dataoff ${dataoff} is not an embedded-signature SuperBlob (magic ${hex(magic)}, expected 0xfade0cc0)`);
  }
  const length = sig.u32be(4, "SuperBlob length");
  if (length > datasize) {
    // Bun 1.3.12 wrote a truncated LC_CODE_SIGNATURE; macOS 15.4+ kills such binaries (oven-sh/bun#29120).
    throw fail(`the SuperBlob is ${length} bytes but LC_CODE_SIGNATURE datasize is only ${datasize}: the signature is truncated`);
  }
  const blobCount = sig.u32be(8, "SuperBlob count");
  sig.need(12, blobCount * 8, `the SuperBlob index of ${blobCount} entries`);
  const inBlob = new ByteReader(sig.bytes.subarray(0, length), fail, `the SuperBlob (${length} bytes)`);

  const result: EmbeddedSignature = { offset: dataoff, datasize, length, blobs: [], codeDirectories: [] };
  for (let i = 0; i < blobCount; i++) {
    const slot = sig.u32be(12 + i * 8, "BlobIndex type");
    const at = sig.u32be(16 + i * 8, "BlobIndex offset");
    const blobMagic = inBlob.u32be(at, `blob for slot ${hex(slot)} magic`);
    const blobLength = inBlob.u32be(at + 4, `blob for slot ${hex(slot)} length`);
    if (blobLength < 8) throw fail(`the blob for slot ${hex(slot)} has length ${blobLength}, shorter than its own header`);
    inBlob.need(at, blobLength, `the blob for slot ${hex(slot)}`);
    result.blobs.push({ slot, magic: blobMagic, offset: dataoff + at, length: blobLength });
    const isCodeDirectorySlot = slot === CSSLOT_CODEDIRECTORY ||
      (slot >= CSSLOT_ALTERNATE_CODEDIRECTORIES && slot < CSSLOT_ALTERNATE_CODEDIRECTORIES + CSSLOT_ALTERNATE_CODEDIRECTORY_MAX);
    if (isCodeDirectorySlot) {
      if (blobMagic !== CSMAGIC_CODEDIRECTORY) {
        throw fail(`slot ${hex(slot)} should hold a CodeDirectory (0xfade0c02) but holds magic ${hex(blobMagic)}`);
      }
      result.codeDirectories.push(parseCodeDirectory(sig.bytes.subarray(at, at + blobLength), slot, dataoff + at));
    }
  }
  if (result.codeDirectories.length === 0) throw fail("the SuperBlob has no CodeDirectory");
  return result;
}

/** CS_CodeDirectory (cs_blobs.h); field offsets as in rcodesign code_directory.rs. */
function parseCodeDirectory(bytes: Uint8Array, slot: number, fileOffset: number): CodeDirectoryInfo {
  const name = slot === 0 ? "the CodeDirectory" : `the alternate CodeDirectory in slot ${hex(slot)}`;
  const cd = new ByteReader(bytes, (problem) => new SignatureStructureError(problem), name);
  const version = cd.u32be(8, "version");
  const info: CodeDirectoryInfo = {
    slot,
    offset: fileOffset,
    length: bytes.length,
    version,
    flags: cd.u32be(12, "flags"),
    hashOffset: cd.u32be(16, "hashOffset"),
    identOffset: cd.u32be(20, "identOffset"),
    nSpecialSlots: cd.u32be(24, "nSpecialSlots"),
    nCodeSlots: cd.u32be(28, "nCodeSlots"),
    codeLimit: cd.u32be(32, "codeLimit"),
    hashSize: cd.u8(36, "hashSize"),
    hashType: cd.u8(37, "hashType"),
    platform: cd.u8(38, "platform"),
    pageSizeLog2: cd.u8(39, "pageSize"),
    identifier: "",
  };
  if (version >= CS_SUPPORTSTEAMID) {
    const teamOffset = cd.u32be(48, "teamOffset");
    if (teamOffset) info.teamId = cd.cString(teamOffset, bytes.length, "team identifier");
  } else if (version >= CS_SUPPORTSSCATTER) {
    cd.u32be(44, "scatterOffset");
  }
  if (version >= CS_SUPPORTSCODELIMIT64) {
    // Apple's CodeDirectory::signingLimit(): codeLimit64 wins when set.
    const codeLimit64 = cd.u64be(56, "codeLimit64");
    if (codeLimit64 > 0n) {
      if (codeLimit64 > BigInt(Number.MAX_SAFE_INTEGER)) throw new SignatureStructureError(`codeLimit64 ${codeLimit64} is larger than any file`);
      info.codeLimit = Number(codeLimit64);
    }
  }
  if (version >= CS_SUPPORTSEXECSEG) {
    info.execSegBase = cd.u64be(64, "execSegBase");
    info.execSegLimit = cd.u64be(72, "execSegLimit");
    info.execSegFlags = cd.u64be(80, "execSegFlags");
  }
  if (version >= CS_SUPPORTSRUNTIME) info.runtime = cd.u32be(88, "runtime");
  info.identifier = cd.cString(info.identOffset, bytes.length, "identifier");
  // Special slot hashes sit just below hashOffset (slot -n at hashOffset - n*hashSize).
  cd.need(info.hashOffset - info.nSpecialSlots * info.hashSize, (info.nSpecialSlots + info.nCodeSlots) * info.hashSize,
    `the ${info.nSpecialSlots} special and ${info.nCodeSlots} code slot hashes at hashOffset ${info.hashOffset}`);
  return info;
}

/**
 * The hash stored in a CodeDirectory slot: `slot >= 0` is a code page, `slot < 0` a special
 * slot (-2 requirements, -5 entitlements, ...).
 */
export function slotHash(buf: Uint8Array, cd: CodeDirectoryInfo, slot: number): Uint8Array {
  const at = cd.offset + cd.hashOffset + slot * cd.hashSize;
  return buf.subarray(at, at + cd.hashSize);
}

/**
 * The parsed SuperBlob at LC_CODE_SIGNATURE, or undefined when there is none. Throws
 * BinaryFormatError if the Mach-O or the signature structures are malformed.
 */
export function readEmbeddedSignature(buf: Uint8Array, file = "<buffer>"): EmbeddedSignature | undefined {
  const info = parseMachO(buf, file);
  if (!info.codeSignature) return undefined;
  try {
    return parseSignature(buf, info.codeSignature.dataoff, info.codeSignature.datasize);
  } catch (error) {
    if (error instanceof SignatureStructureError) throw new BinaryFormatError(file, `code signature: ${error.message}`);
    throw error;
  }
}

function hashRank(type: number): number {
  return HASH_PRIORITIES.indexOf(type) + 1; // 0 = not supported
}

function digest(type: number, bytes: Uint8Array): Buffer {
  const spec = HASH_TYPES[type];
  if (!spec) throw new SignatureStructureError(`unsupported hash type ${type}`);
  return createHash(spec.algorithm).update(bytes).digest().subarray(0, spec.size);
}

// ---------------------------------------------------------------------------
// Verification
// ---------------------------------------------------------------------------

/**
 * Checks the embedded code signature the way the kernel checks pages: codeLimit equals the
 * signature offset, every code page hash matches (the last page partial, NOT zero-padded), and
 * the requirements/entitlements blobs match their special slots. The CMS blob of a
 * Developer ID signature is reported but not cryptographically verified.
 */
export function verifyCodeSignature(buf: Uint8Array, file = "<buffer>", options: { stopAtFirstBadPage?: boolean } = {}): SignatureCheck {
  const info = parseMachO(buf, file);
  const cs = info.codeSignature;
  if (!cs) {
    const consequence = info.cpu === "arm64"
      ? "macOS on Apple silicon refuses to run unsigned arm64 code"
      : "Gatekeeper and notarization need a signature";
    return {
      state: "unsigned",
      problems: [`no LC_CODE_SIGNATURE load command: the binary is not signed (${consequence}); sign it ad hoc (\`codesign --sign -\`, rcodesign, or signAdhoc)`],
    };
  }

  let signature: EmbeddedSignature;
  try {
    signature = parseSignature(buf, cs.dataoff, cs.datasize);
  } catch (error) {
    if (error instanceof SignatureStructureError) return { state: "invalid", problems: [error.message] };
    throw error;
  }

  const problems: string[] = [];
  const linkedit = info.segments.find((segment) => segment.name === "__LINKEDIT");
  if (!linkedit) {
    problems.push("there is no __LINKEDIT segment, so the kernel cannot map the signature");
  } else if (cs.dataoff < linkedit.fileoff || cs.dataoff + cs.datasize > linkedit.fileoff + linkedit.filesize) {
    problems.push(
      `the signature (bytes ${cs.dataoff}..${cs.dataoff + cs.datasize}) is not inside __LINKEDIT ` +
      `(bytes ${linkedit.fileoff}..${linkedit.fileoff + linkedit.filesize})`,
    );
  }

  // The kernel pages in code against the best CodeDirectory it supports; the others must agree too.
  const ranked = [...signature.codeDirectories].sort((a, b) => hashRank(b.hashType) - hashRank(a.hashType) || a.slot - b.slot);
  const best = ranked[0]!;
  const result: SignatureCheck = {
    state: "valid",
    identifier: best.identifier,
    flags: best.flags,
    adhoc: (best.flags & CS_ADHOC) !== 0,
    hashType: HASH_TYPES[best.hashType]?.name ?? `unknown (${best.hashType})`,
    pageSize: best.pageSizeLog2 ? 2 ** best.pageSizeLog2 : best.codeLimit,
    codeLimit: best.codeLimit,
    pages: best.nCodeSlots,
    badPages: [],
    problems,
  };
  if (best.teamId) result.teamId = best.teamId;
  const cmsBlob = signature.blobs.find((blob) => blob.slot === CSSLOT_SIGNATURESLOT);
  result.cms = cmsBlob !== undefined && cmsBlob.length > 8;
  if (HASH_TYPES[best.hashType]) {
    result.cdhash = digest(best.hashType, buf.subarray(best.offset, best.offset + best.length)).subarray(0, 20).toString("hex");
  }

  for (const cd of ranked) {
    const label = ranked.length === 1 ? "" : cd.slot === 0 ? "primary CodeDirectory: " : `alternate CodeDirectory ${hex(cd.slot)}: `;
    const badPages = checkCodeDirectory(buf, info, signature, cd, cs.dataoff, (problem) => problems.push(label + problem), options.stopAtFirstBadPage ?? false);
    if (cd === best) result.badPages = badPages;
  }
  if (problems.length) result.state = "invalid";
  return result;
}

/** Checks one CodeDirectory; reports problems and returns the indexes of bad code pages. */
function checkCodeDirectory(
  buf: Uint8Array, info: MachOInfo, signature: EmbeddedSignature, cd: CodeDirectoryInfo, dataoff: number,
  report: (problem: string) => void,
  stopAtFirstBadPage: boolean,
): number[] {
  const spec = HASH_TYPES[cd.hashType];
  if (!spec) {
    report(`hash type ${cd.hashType} is not one the kernel supports (sha1, sha256, sha256-truncated, sha384)`);
    return [];
  }
  if (cd.hashSize !== spec.size) {
    report(`hashSize is ${cd.hashSize} but ${spec.name} hashes are ${spec.size} bytes`);
    return [];
  }
  if (cd.codeLimit !== dataoff) {
    report(`codeLimit ${cd.codeLimit} != LC_CODE_SIGNATURE dataoff ${dataoff}: the signature does not cover exactly the bytes before it`);
  }

  // Special slots: each blob the SuperBlob carries must be sealed by its hash in the CodeDirectory.
  const blobsBySlot = new Map(signature.blobs.map((blob) => [blob.slot, blob]));
  for (let slot = 1; slot <= cd.nSpecialSlots; slot++) {
    const stored = slotHash(buf, cd, -slot);
    const name = SPECIAL_SLOT_NAMES[slot] ?? `special slot ${slot}`;
    const blob = blobsBySlot.get(slot);
    if (blob) {
      if (!Buffer.from(stored).equals(digest(cd.hashType, buf.subarray(blob.offset, blob.offset + blob.length)))) {
        report(`the ${name} blob does not match its hash in special slot -${slot}: it was changed after signing`);
      }
    } else if (!EXTERNAL_SPECIAL_SLOTS.has(slot) && stored.some((byte) => byte !== 0)) {
      report(`special slot -${slot} seals a ${name} blob, but the signature has none`);
    }
  }
  for (const blob of signature.blobs) {
    const sealedInternally = blob.slot >= 2 && blob.slot < CSSLOT_ALTERNATE_CODEDIRECTORIES && !EXTERNAL_SPECIAL_SLOTS.has(blob.slot);
    if (sealedInternally && blob.slot > cd.nSpecialSlots) {
      report(`the ${SPECIAL_SLOT_NAMES[blob.slot] ?? `slot ${blob.slot}`} blob is not sealed: the CodeDirectory has only ${cd.nSpecialSlots} special slots`);
    }
  }

  // Code pages. pageSize 0 means one "page" covering everything up to codeLimit (cs_blobs.h).
  const pageSize = cd.pageSizeLog2 ? 2 ** cd.pageSizeLog2 : Math.max(cd.codeLimit, 1);
  const expectedSlots = Math.ceil(cd.codeLimit / pageSize);
  if (cd.nCodeSlots !== expectedSlots) {
    report(`the CodeDirectory has ${count(cd.nCodeSlots)} page hashes but codeLimit ${cd.codeLimit} needs ${count(expectedSlots)} pages of ${pageSize} bytes`);
  }
  const limit = Math.min(cd.codeLimit, buf.length);
  const pages = Math.min(cd.nCodeSlots, expectedSlots);
  const bytes = asBuffer(buf);
  const bad: number[] = [];
  for (let page = 0; page < pages; page++) {
    const start = page * pageSize;
    // The last page is hashed only up to codeLimit, never zero-padded (xnu cs_validate_page).
    const end = Math.min(start + pageSize, limit);
    const actual = pageHash(spec.algorithm, bytes.subarray(start, Math.max(start, end)));
    const stored = bytes.subarray(cd.offset + cd.hashOffset + page * cd.hashSize, cd.offset + cd.hashOffset + (page + 1) * cd.hashSize);
    if (actual.compare(stored, 0, cd.hashSize, 0, cd.hashSize) !== 0) {
      bad.push(page);
      // Enough to know the signature is invalid (the build re-signs it anyway); the count of bad pages is then a lower bound.
      if (stopAtFirstBadPage) break;
    }
  }
  if (bad.length) report(describeBadPages(bytes, info, cd, bad, pages, pageSize, limit, spec.algorithm));
  return bad;
}

/**
 * "2 of 23,797 page hashes do not match (pages 0, 23723): page 0 = bytes 0..4096 (the Mach-O
 * header and load commands, ...), page 23723 = bytes ... (__BUN,__bun). ..."
 */
function describeBadPages(
  bytes: Buffer, info: MachOInfo, cd: CodeDirectoryInfo, bad: number[], pages: number, pageSize: number,
  limit: number, algorithm: string,
): string {
  const shown = bad.slice(0, 20).join(", ") + (bad.length > 20 ? `, … ${count(bad.length - 20)} more` : "");
  // Say what each bad page holds (e.g. __BUN,__bun, Bun's embedded app), so the reader knows
  // what changed, not just where.
  const where = (page: number): string => {
    const start = page * pageSize;
    const end = Math.min(start + pageSize, limit);
    const places: string[] = [];
    if (start < info.headerSize) places.push("the Mach-O header and load commands");
    for (const segment of info.segments) {
      const inPage = segment.sections.filter((s) => s.offset && s.offset < end && s.offset + s.size > start);
      places.push(...inPage.map((s) => `${s.segname},${s.sectname}`));
      if (!inPage.length && segment.filesize && segment.fileoff < end && segment.fileoff + segment.filesize > start
        && !(segment.fileoff === 0 && start < info.headerSize)) {
        places.push(segment.name);
      }
    }
    return `page ${page} = bytes ${start}..${end}${places.length ? ` (${places.join(", ")})` : ""}`;
  };
  const details = bad.length <= 5 ? `: ${bad.map(where).join("; ")}` : "";
  const sentence = `${count(bad.length)} of ${count(pages)} page hashes do not match (page${bad.length > 1 ? "s" : ""} ${shown})${details}. `;
  const fix = "re-sign it (`codesign --force --sign -`, `rcodesign sign`, or signAdhoc)";
  // Bun < 1.4.1 hashed the last partial page zero-padded (oven-sh/bun#39758, fixed by PR #39837):
  // when that is the cause, the file was not modified, the signer was wrong; say so.
  const lastPage = pages - 1;
  if (bad.length === 1 && bad[0] === lastPage && limit % pageSize !== 0 && limit === cd.codeLimit) {
    const padded = Buffer.alloc(pageSize);
    bytes.copy(padded, 0, lastPage * pageSize, limit);
    const stored = bytes.subarray(cd.offset + cd.hashOffset + lastPage * cd.hashSize, cd.offset + cd.hashOffset + (lastPage + 1) * cd.hashSize);
    if (createHash(algorithm).update(padded).digest().compare(stored, 0, cd.hashSize, 0, cd.hashSize) === 0) {
      return sentence + `The last, partial page was hashed zero-padded to ${pageSize} bytes: the Bun < 1.4.1 signer bug ` +
        `(oven-sh/bun#39758) that codesign rejects and macOS 27 kills; ${fix}`;
    }
  }
  return sentence + `The file was changed after it was signed; ${fix}`;
}

// ---------------------------------------------------------------------------
// Signing
// ---------------------------------------------------------------------------

/** The CodeDirectory identifier already in the file, if its signature parses. */
function existingIdentifier(buf: Uint8Array, info: MachOInfo): string | undefined {
  if (!info.codeSignature) return undefined;
  try {
    const signature = parseSignature(buf, info.codeSignature.dataoff, info.codeSignature.datasize);
    return signature.codeDirectories.find((cd) => cd.slot === CSSLOT_CODEDIRECTORY)?.identifier || undefined;
  } catch {
    return undefined; // a broken old signature is replaced anyway
  }
}

/**
 * The end of every __LINKEDIT table the load commands reference. Signing truncates the file
 * at the signature offset, so none of them may reach past it.
 */
function linkeditReferences(buf: Uint8Array, info: MachOInfo, file: string): { name: string; end: number }[] {
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

/**
 * Re-signs a thin 64-bit Mach-O ad hoc, like `codesign --force --sign -`: returns new bytes,
 * the same for the same input, and a fixed point (signing the output again changes nothing).
 *
 * Choices, and why:
 * - One SHA-256 CodeDirectory, version 0x20400, 4096-byte pages: what codesign, rcodesign and
 *   Bun's MachoSigner write. No SHA-1 alternate CD: it is only needed for macOS < 10.11.
 * - flags = CS_ADHOC only. CS_LINKER_SIGNED is dropped like rcodesign does ("we're not a
 *   linker"): it tells tools the signature may be silently replaced. The hardened-runtime flag
 *   and entitlements of Oven's Developer ID signature are dropped too, as `codesign --sign -`
 *   without `--options runtime` does; Bun's own ad-hoc arm64 output has neither and runs.
 * - Special slots (style "codesign"): an empty requirement set in slot 2, bound by its hash in
 *   special slot -2 (slot -1, Info.plist, stays zero), and an empty CMS wrapper in slot
 *   0x10000. rcodesign: "Always emit a RequirementSet blob, even if empty. Without it,
 *   validation fails with `the sealed resource directory is invalid`".
 * - execSegBase/Limit = __TEXT fileoff/filesize, execSegFlags = CS_EXECSEG_MAIN_BINARY for
 *   MH_EXECUTE, as ld64, codesign and Bun do for main executables.
 * - The signature goes where the old one started (rounded up to 16 bytes) or right after
 *   __LINKEDIT when there was none; its size is exact (no zero padding, as Bun does).
 *   LC_CODE_SIGNATURE and __LINKEDIT are rewritten BEFORE hashing, because page 0 holds them.
 */
export function signAdhoc(buf: Uint8Array, opts: SignAdhocOptions = {}): Buffer {
  const file = "<buffer>";
  const info = parseMachO(buf, file);
  const style = opts.style ?? "codesign";
  const refuse = (problem: string): BinaryFormatError =>
    new BinaryFormatError(file, `cannot sign: ${problem}`, "Sign it on macOS with `codesign --force --sign -` or with `rcodesign sign`.");

  const linkedit = info.segments.find((segment) => segment.name === "__LINKEDIT");
  if (!linkedit) throw refuse("there is no __LINKEDIT segment to hold the signature");
  const text = info.segments.find((segment) => segment.name === "__TEXT");
  if (!text) throw refuse("there is no __TEXT segment");
  const linkeditEnd = linkedit.fileoff + linkedit.filesize;
  for (const segment of info.segments) {
    if (segment !== linkedit && segment.filesize > 0 && segment.fileoff + segment.filesize > linkedit.fileoff) {
      throw refuse(`segment ${segment.name} lies after __LINKEDIT; the signature must be the last thing in the file`);
    }
  }

  // Where the new signature starts: everything from here on is replaced.
  const cs = info.codeSignature;
  let sigStart: number;
  if (cs) {
    sigStart = cs.dataoff;
    if (sigStart < linkedit.fileoff || sigStart > linkeditEnd) {
      throw refuse(`the existing signature at ${sigStart} is outside __LINKEDIT (${linkedit.fileoff}..${linkeditEnd})`);
    }
    // Bytes past both the old signature and __LINKEDIT belong to no segment: an appended payload
    // (old Bun versions put the app there). Dropping them would break the binary.
    const keptEnd = Math.max(cs.dataoff + cs.datasize, linkeditEnd);
    if (buf.length > keptEnd) throw refuse(`${count(buf.length - keptEnd)} bytes follow the signature and __LINKEDIT; re-signing would drop them`);
  } else {
    sigStart = linkeditEnd;
    if (buf.length > sigStart) throw refuse(`${count(buf.length - sigStart)} bytes follow __LINKEDIT; re-signing would drop them`);
  }
  for (const ref of linkeditReferences(buf, info, file)) {
    if (ref.end > sigStart) throw refuse(`${ref.name} data ends at ${ref.end}, after the signature offset ${sigStart}`);
  }

  const dataoff = alignUp(sigStart, SIGNATURE_ALIGN);
  if (dataoff > 0xffffffff) throw refuse("the file is larger than 4 GiB, past what LC_CODE_SIGNATURE can address");

  // Room for a new LC_CODE_SIGNATURE: the gap between the load commands and the first section.
  if (!cs) {
    const firstContent = Math.min(...info.segments.flatMap((s) => s.sections.filter((x) => x.offset > 0).map((x) => x.offset)), Infinity);
    const slot = buf.subarray(info.headerSize, info.headerSize + LINKEDIT_DATA_COMMAND_SIZE);
    if (info.headerSize + LINKEDIT_DATA_COMMAND_SIZE > Math.min(firstContent, buf.length) || slot.some((byte) => byte !== 0)) {
      throw refuse("there is no free space after the load commands for an LC_CODE_SIGNATURE command");
    }
  }

  const identifier = opts.identifier ?? existingIdentifier(buf, info) ?? "a.out";
  if (identifier === "" || identifier.includes("\0")) throw refuse(`identifier ${JSON.stringify(identifier)} must be non-empty and contain no NUL`);

  // Layout (cs_blobs.h): SuperBlob header, BlobIndex[], then the blobs back to back.
  const ident = Buffer.from(`${identifier}\0`, "utf8");
  const nSpecialSlots = style === "codesign" ? CSSLOT_REQUIREMENTS : 0;
  const nCodeSlots = Math.ceil(dataoff / SIGN_PAGE_SIZE);
  const hashOffset = CODE_DIRECTORY_0x20400_SIZE + ident.length + nSpecialSlots * SIGN_HASH_SIZE;
  const cdLength = hashOffset + nCodeSlots * SIGN_HASH_SIZE;
  const requirements = Buffer.alloc(12); // CSMAGIC_REQUIREMENTS, length 12, count 0
  requirements.writeUInt32BE(CSMAGIC_REQUIREMENTS, 0);
  requirements.writeUInt32BE(12, 4);
  const cmsWrapper = Buffer.alloc(8); // CSMAGIC_BLOBWRAPPER, length 8: no CMS data (ad hoc)
  cmsWrapper.writeUInt32BE(CSMAGIC_BLOBWRAPPER, 0);
  cmsWrapper.writeUInt32BE(8, 4);
  const extraBlobs: [number, Buffer][] = style === "codesign"
    ? [[CSSLOT_REQUIREMENTS, requirements], [CSSLOT_SIGNATURESLOT, cmsWrapper]]
    : [];
  const indexSize = 12 + 8 * (1 + extraBlobs.length);
  const superBlobLength = indexSize + cdLength + extraBlobs.reduce((sum, [, blob]) => sum + blob.length, 0);

  // Nothing below reads `buf` again, so in place the bytes before the signature are already right.
  const length = dataoff + superBlobLength;
  let out: Buffer;
  if (opts.inPlace && buf.length >= length) {
    out = asBuffer(buf).subarray(0, length);
    out.fill(0, sigStart);
  } else {
    out = Buffer.alloc(length);
    asBuffer(buf).copy(out, 0, 0, Math.min(sigStart, buf.length));
  }

  // 1. Load commands first: page 0 is hashed and holds them.
  if (cs) {
    out.writeUInt32LE(dataoff, cs.commandOffset + 8);
    out.writeUInt32LE(superBlobLength, cs.commandOffset + 12);
  } else {
    const at = info.headerSize;
    out.writeUInt32LE(LC_CODE_SIGNATURE, at);
    out.writeUInt32LE(LINKEDIT_DATA_COMMAND_SIZE, at + 4);
    out.writeUInt32LE(dataoff, at + 8);
    out.writeUInt32LE(superBlobLength, at + 12);
    out.writeUInt32LE(info.loadCommands.length + 1, 16);
    out.writeUInt32LE(info.headerSize - MACH_HEADER_64_SIZE + LINKEDIT_DATA_COMMAND_SIZE, 20);
  }
  const linkeditFilesize = dataoff + superBlobLength - linkedit.fileoff;
  out.writeBigUInt64LE(BigInt(alignUp(linkeditFilesize, LINKEDIT_VMSIZE_ALIGN)), linkedit.commandOffset + 32);
  out.writeBigUInt64LE(BigInt(linkeditFilesize), linkedit.commandOffset + 48);

  // 2. SuperBlob header and index.
  let at = dataoff;
  out.writeUInt32BE(CSMAGIC_EMBEDDED_SIGNATURE, at);
  out.writeUInt32BE(superBlobLength, at + 4);
  out.writeUInt32BE(1 + extraBlobs.length, at + 8);
  out.writeUInt32BE(CSSLOT_CODEDIRECTORY, at + 12);
  out.writeUInt32BE(indexSize, at + 16);
  let blobOffset = indexSize + cdLength;
  extraBlobs.forEach(([slot, blob], i) => {
    out.writeUInt32BE(slot, at + 20 + i * 8);
    out.writeUInt32BE(blobOffset, at + 24 + i * 8);
    blob.copy(out, dataoff + blobOffset);
    blobOffset += blob.length;
  });

  // 3. CodeDirectory header (version 0x20400 layout, big-endian).
  const cd = dataoff + indexSize;
  at = cd;
  out.writeUInt32BE(CSMAGIC_CODEDIRECTORY, at);
  out.writeUInt32BE(cdLength, at + 4);
  out.writeUInt32BE(CS_SUPPORTSEXECSEG, at + 8);
  out.writeUInt32BE(style === "codesign" ? CS_ADHOC : CS_ADHOC | CS_LINKER_SIGNED, at + 12);
  out.writeUInt32BE(hashOffset, at + 16);
  out.writeUInt32BE(CODE_DIRECTORY_0x20400_SIZE, at + 20); // identOffset
  out.writeUInt32BE(nSpecialSlots, at + 24);
  out.writeUInt32BE(nCodeSlots, at + 28);
  out.writeUInt32BE(dataoff, at + 32); // codeLimit
  out.writeUInt8(SIGN_HASH_SIZE, at + 36);
  out.writeUInt8(CS_HASHTYPE_SHA256, at + 37);
  out.writeUInt8(0, at + 38); // platform: not a platform binary
  out.writeUInt8(SIGN_PAGE_SIZE_LOG2, at + 39);
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64 stay 0 (bytes 40..63).
  out.writeBigUInt64BE(BigInt(text.fileoff), at + 64);
  out.writeBigUInt64BE(BigInt(text.filesize), at + 72);
  out.writeBigUInt64BE(info.fileType === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0n, at + 80);
  ident.copy(out, at + CODE_DIRECTORY_0x20400_SIZE);
  if (style === "codesign") {
    // Special slot -2 = hash of the requirements blob; slot -1 (Info.plist) stays zero.
    createHash("sha256").update(requirements).digest().copy(out, cd + hashOffset - CSSLOT_REQUIREMENTS * SIGN_HASH_SIZE);
  }

  // 4. Code page hashes over the final bytes before the signature; last page not padded.
  for (let page = 0; page < nCodeSlots; page++) {
    const start = page * SIGN_PAGE_SIZE;
    pageHash("sha256", out.subarray(start, Math.min(start + SIGN_PAGE_SIZE, dataoff))).copy(out, cd + hashOffset + page * SIGN_HASH_SIZE);
  }
  return out;
}

/**
 * Removes the code signature like `codesign --remove-signature`: drops LC_CODE_SIGNATURE,
 * truncates the file at the signature and shrinks __LINKEDIT to match.
 */
export function removeCodeSignature(buf: Uint8Array): Buffer {
  const file = "<buffer>";
  const info = parseMachO(buf, file);
  const cs = info.codeSignature;
  if (!cs) return Buffer.from(buf);
  const linkedit = info.segments.find((segment) => segment.name === "__LINKEDIT");
  if (!linkedit || cs.dataoff < linkedit.fileoff) {
    throw new BinaryFormatError(file, "cannot remove the signature: it is not inside __LINKEDIT");
  }
  for (const ref of linkeditReferences(buf, info, file)) {
    if (ref.end > cs.dataoff) throw new BinaryFormatError(file, `cannot remove the signature: ${ref.name} data ends after it`);
  }
  const keptEnd = Math.max(cs.dataoff + cs.datasize, linkedit.fileoff + linkedit.filesize);
  if (buf.length > keptEnd) {
    throw new BinaryFormatError(file, `cannot remove the signature: ${count(buf.length - keptEnd)} bytes follow it and __LINKEDIT, and would be dropped`);
  }
  const out = Buffer.alloc(cs.dataoff);
  asBuffer(buf).copy(out, 0, 0, cs.dataoff);
  // Close the gap the command leaves, and zero the bytes freed at the end of the commands.
  out.copy(out, cs.commandOffset, cs.commandOffset + LINKEDIT_DATA_COMMAND_SIZE, info.headerSize);
  out.fill(0, info.headerSize - LINKEDIT_DATA_COMMAND_SIZE, info.headerSize);
  out.writeUInt32LE(info.loadCommands.length - 1, 16);
  out.writeUInt32LE(info.headerSize - MACH_HEADER_64_SIZE - LINKEDIT_DATA_COMMAND_SIZE, 20);
  const linkeditCommand = linkedit.commandOffset > cs.commandOffset
    ? linkedit.commandOffset - LINKEDIT_DATA_COMMAND_SIZE
    : linkedit.commandOffset;
  const filesize = cs.dataoff - linkedit.fileoff;
  out.writeBigUInt64LE(BigInt(alignUp(filesize, LINKEDIT_VMSIZE_ALIGN)), linkeditCommand + 32);
  out.writeBigUInt64LE(BigInt(filesize), linkeditCommand + 48);
  return out;
}

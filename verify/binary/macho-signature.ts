// The code signature's structures: the SuperBlob at LC_CODE_SIGNATURE, its index and its
// CodeDirectories, read bounds-checked. The verifier (macho-verify.ts) and the signer
// (macho-sign.ts) both read them, so they live apart from either.
//
// Format sources (all fields big-endian inside the code signature):
// - xnu osfmk/kern/cs_blobs.h: CS_SuperBlob, CS_BlobIndex, CS_CodeDirectory, slot numbers.
// - indygreg/apple-platform-rs apple-codesign (rcodesign) code_directory.rs: field offsets per
//   CodeDirectory version.

import * as crypto from "node:crypto";
import { createHash } from "node:crypto";
import { BinaryFormatError } from "../errors.ts";
import { ByteReader, type Fail } from "./bytes.ts";
import { hex, parseMachO } from "./macho.ts";

/**
 * One-shot digest of a page. A signature has ~25,000 4 KiB pages: crypto.hash (Node >= 20.12,
 * Bun) did them in 65 ms here against 280 ms for createHash().update().digest() per page.
 */
const oneShot = (crypto as { hash?: (algorithm: string, data: Uint8Array, encoding: "buffer") => Buffer }).hash;
export function pageHash(algorithm: string, data: Uint8Array): Buffer {
  return oneShot ? oneShot(algorithm, data, "buffer") : createHash(algorithm).update(data).digest();
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

// cs_blobs.h magics, slots, flags and CodeDirectory versions.
export const CSMAGIC_EMBEDDED_SIGNATURE = 0xfade0cc0;
export const CSMAGIC_CODEDIRECTORY = 0xfade0c02;
export const CSMAGIC_REQUIREMENTS = 0xfade0c01;
export const CSMAGIC_BLOBWRAPPER = 0xfade0b01;
export const CSSLOT_CODEDIRECTORY = 0;
export const CSSLOT_REQUIREMENTS = 2;
export const CSSLOT_ALTERNATE_CODEDIRECTORIES = 0x1000;
export const CSSLOT_ALTERNATE_CODEDIRECTORY_MAX = 5;
export const CSSLOT_SIGNATURESLOT = 0x10000;
export const CS_ADHOC = 0x2;
export const CS_LINKER_SIGNED = 0x20000;
export const CS_EXECSEG_MAIN_BINARY = 0x1n;
export const CS_SUPPORTSSCATTER = 0x20100;
export const CS_SUPPORTSTEAMID = 0x20200;
export const CS_SUPPORTSCODELIMIT64 = 0x20300;
export const CS_SUPPORTSEXECSEG = 0x20400;
export const CS_SUPPORTSRUNTIME = 0x20500;
export const CS_HASHTYPE_SHA1 = 1;
export const CS_HASHTYPE_SHA256 = 2;
export const CS_HASHTYPE_SHA256_TRUNCATED = 3;
export const CS_HASHTYPE_SHA384 = 4;

export const HASH_TYPES: Record<number, { name: string; algorithm: string; size: number }> = {
  [CS_HASHTYPE_SHA1]: { name: "sha1", algorithm: "sha1", size: 20 },
  [CS_HASHTYPE_SHA256]: { name: "sha256", algorithm: "sha256", size: 32 },
  [CS_HASHTYPE_SHA256_TRUNCATED]: { name: "sha256-truncated", algorithm: "sha256", size: 20 },
  [CS_HASHTYPE_SHA384]: { name: "sha384", algorithm: "sha384", size: 48 },
};

/** A signature structure is wrong: the verifier turns it into an "invalid" verdict. */
export class SignatureStructureError extends Error {
  override name = "SignatureStructureError";
}

/** Parses the SuperBlob and its CodeDirectories; throws SignatureStructureError. */
export function parseSignature(buf: Uint8Array, dataoff: number, datasize: number): EmbeddedSignature {
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

export function digest(type: number, bytes: Uint8Array): Buffer {
  const spec = HASH_TYPES[type];
  if (!spec) throw new SignatureStructureError(`unsupported hash type ${type}`);
  return createHash(spec.algorithm).update(bytes).digest().subarray(0, spec.size);
}

// The deterministic ad-hoc signer (what `codesign --force --sign -` writes) and the signature
// remover (`codesign --remove-signature`): the only code that rewrites load commands and
// __LINKEDIT, so it is kept apart from the reader and the verifier.
//
// Sources: indygreg/apple-platform-rs apple-codesign (rcodesign) macho_signing.rs (what an ad-hoc
// signature contains, __LINKEDIT sizes); oven-sh/bun src/macho.zig `MachoSigner` (the signer Bun
// runs for darwin-arm64 output, the "bun" style below).

import { createHash } from "node:crypto";
import { BinaryFormatError } from "../errors.ts";
import {
  alignUp, asBuffer, count, LC_CODE_SIGNATURE, LINKEDIT_DATA_COMMAND_SIZE, linkeditReferences, MACH_HEADER_64_SIZE,
  type MachOInfo, type MachOSegment, MH_EXECUTE, parseMachO,
} from "./macho.ts";
import {
  CS_ADHOC, CS_EXECSEG_MAIN_BINARY, CS_HASHTYPE_SHA256, CS_LINKER_SIGNED, CS_SUPPORTSEXECSEG, CSMAGIC_BLOBWRAPPER,
  CSMAGIC_CODEDIRECTORY, CSMAGIC_EMBEDDED_SIGNATURE, CSMAGIC_REQUIREMENTS, CSSLOT_CODEDIRECTORY, CSSLOT_REQUIREMENTS,
  CSSLOT_SIGNATURESLOT, pageHash, parseSignature,
} from "./macho-signature.ts";

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

  const place = placeSignature(buf, info, file, refuse);
  const identifier = opts.identifier ?? existingIdentifier(buf, info) ?? "a.out";
  if (identifier === "" || identifier.includes("\0")) throw refuse(`identifier ${JSON.stringify(identifier)} must be non-empty and contain no NUL`);
  const layout = layOutSignature(identifier, style, place.dataoff);

  // Nothing below reads `buf` again, so in place the bytes before the signature are already right.
  const length = place.dataoff + layout.superBlobLength;
  let out: Buffer;
  if (opts.inPlace && buf.length >= length) {
    out = asBuffer(buf).subarray(0, length);
    out.fill(0, place.sigStart);
  } else {
    out = Buffer.alloc(length);
    asBuffer(buf).copy(out, 0, 0, Math.min(place.sigStart, buf.length));
  }

  writeSignatureCommands(out, info, place, layout.superBlobLength); // first: page 0 is hashed and holds them
  const cd = writeSuperBlob(out, place.dataoff, layout);
  writeCodeDirectory(out, cd, info, place, layout, style);
  // Code page hashes over the final bytes before the signature; last page not padded.
  for (let page = 0; page < layout.nCodeSlots; page++) {
    const start = page * SIGN_PAGE_SIZE;
    pageHash("sha256", out.subarray(start, Math.min(start + SIGN_PAGE_SIZE, place.dataoff))).copy(out, cd + layout.hashOffset + page * SIGN_HASH_SIZE);
  }
  return out;
}

/** Where the new signature goes, once the file is known to have room for it. */
interface SignaturePlace {
  linkedit: MachOSegment;
  text: MachOSegment;
  /** Everything from here on is replaced. */
  sigStart: number;
  /** sigStart rounded up to SIGNATURE_ALIGN: the new LC_CODE_SIGNATURE dataoff and codeLimit. */
  dataoff: number;
}

/**
 * Finds where the new signature starts and refuses a file that re-signing would damage: a
 * segment or appended bytes after __LINKEDIT, a __LINKEDIT table past the signature, no room
 * for a new LC_CODE_SIGNATURE.
 */
function placeSignature(buf: Uint8Array, info: MachOInfo, file: string, refuse: (problem: string) => BinaryFormatError): SignaturePlace {
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
  return { linkedit, text, sigStart, dataoff };
}

/** Sizes and contents of the new signature's blobs, before anything is written. */
interface SignatureLayout {
  /** The identifier, NUL-terminated. */
  ident: Buffer;
  nSpecialSlots: number;
  nCodeSlots: number;
  hashOffset: number;
  cdLength: number;
  requirements: Buffer;
  /** Blobs after the CodeDirectory, by slot. */
  extraBlobs: [number, Buffer][];
  indexSize: number;
  superBlobLength: number;
}

/** Layout (cs_blobs.h): SuperBlob header, BlobIndex[], then the blobs back to back. */
function layOutSignature(identifier: string, style: "codesign" | "bun", dataoff: number): SignatureLayout {
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
  return { ident, nSpecialSlots, nCodeSlots, hashOffset, cdLength, requirements, extraBlobs, indexSize, superBlobLength };
}

/** Points LC_CODE_SIGNATURE (added after the load commands if missing) and __LINKEDIT at the new signature. */
function writeSignatureCommands(out: Buffer, info: MachOInfo, place: SignaturePlace, superBlobLength: number): void {
  const { dataoff, linkedit } = place;
  const cs = info.codeSignature;
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
}

/** Writes the SuperBlob header, its index and the blobs after the CodeDirectory; returns the CodeDirectory's offset. */
function writeSuperBlob(out: Buffer, dataoff: number, layout: SignatureLayout): number {
  const { extraBlobs, indexSize, cdLength, superBlobLength } = layout;
  const at = dataoff;
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
  return dataoff + indexSize;
}

/** The CodeDirectory header (version 0x20400 layout, big-endian), identifier and special slots; not the page hashes. */
function writeCodeDirectory(out: Buffer, at: number, info: MachOInfo, place: SignaturePlace, layout: SignatureLayout, style: "codesign" | "bun"): void {
  out.writeUInt32BE(CSMAGIC_CODEDIRECTORY, at);
  out.writeUInt32BE(layout.cdLength, at + 4);
  out.writeUInt32BE(CS_SUPPORTSEXECSEG, at + 8);
  out.writeUInt32BE(style === "codesign" ? CS_ADHOC : CS_ADHOC | CS_LINKER_SIGNED, at + 12);
  out.writeUInt32BE(layout.hashOffset, at + 16);
  out.writeUInt32BE(CODE_DIRECTORY_0x20400_SIZE, at + 20); // identOffset
  out.writeUInt32BE(layout.nSpecialSlots, at + 24);
  out.writeUInt32BE(layout.nCodeSlots, at + 28);
  out.writeUInt32BE(place.dataoff, at + 32); // codeLimit
  out.writeUInt8(SIGN_HASH_SIZE, at + 36);
  out.writeUInt8(CS_HASHTYPE_SHA256, at + 37);
  out.writeUInt8(0, at + 38); // platform: not a platform binary
  out.writeUInt8(SIGN_PAGE_SIZE_LOG2, at + 39);
  // spare2, scatterOffset, teamOffset, spare3, codeLimit64 stay 0 (bytes 40..63).
  out.writeBigUInt64BE(BigInt(place.text.fileoff), at + 64);
  out.writeBigUInt64BE(BigInt(place.text.filesize), at + 72);
  out.writeBigUInt64BE(info.fileType === MH_EXECUTE ? CS_EXECSEG_MAIN_BINARY : 0n, at + 80);
  layout.ident.copy(out, at + CODE_DIRECTORY_0x20400_SIZE);
  if (style === "codesign") {
    // Special slot -2 = hash of the requirements blob; slot -1 (Info.plist) stays zero.
    createHash("sha256").update(layout.requirements).digest().copy(out, at + layout.hashOffset - CSSLOT_REQUIREMENTS * SIGN_HASH_SIZE);
  }
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

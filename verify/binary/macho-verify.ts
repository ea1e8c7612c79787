// Code-signature verification: checks a Mach-O's embedded signature the way the kernel pages it
// in, and says in words which pages are wrong and why (a changed file, or a known Bun signer bug).
//
// Source: xnu bsd/kern/ubc_subr.c: which CodeDirectory the kernel trusts (`hashPriorities`), and
// that the last page hash covers only the bytes up to codeLimit (no zero padding).

import { createHash } from "node:crypto";
import { asBuffer, count, hex, type MachOInfo, parseMachO } from "./macho.ts";
import {
  CS_ADHOC, CS_HASHTYPE_SHA1, CS_HASHTYPE_SHA256, CS_HASHTYPE_SHA256_TRUNCATED, CS_HASHTYPE_SHA384,
  CSSLOT_ALTERNATE_CODEDIRECTORIES, CSSLOT_SIGNATURESLOT, type CodeDirectoryInfo, digest, type EmbeddedSignature,
  HASH_TYPES, pageHash, parseSignature, SignatureStructureError, slotHash,
} from "./macho-signature.ts";

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

function hashRank(type: number): number {
  return HASH_PRIORITIES.indexOf(type) + 1; // 0 = not supported
}

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

// Repair what Bun gets wrong on macOS. What each Bun leaves (measured for every version
// from 1.2.0 to 1.4.5, docs/internals.md "Bun's embedded module graph, by version"):
//   1.2.0-1.2.3  graph appended after the runtime's own signature: still valid
//   1.2.4-1.4.0  arm64: Bun's ad-hoc signature hashes the last page zero-padded (oven-sh/bun#39772)
//                x64: the runtime's stale signature, 2 pages wrong (header, __BUN)
//   1.3.12       arm64: LC_CODE_SIGNATURE truncated (oven-sh/bun#29306)
//   1.4.1-       arm64 valid; x64 still stale
// This re-signs such files ad hoc, deterministically, keeping an appended graph in place.
import { signAdhoc, verifyCodeSignature, type SignatureCheck, readLayout } from "../binary/index.ts";
import { EXECUTABLE_FILE_MODE, readWholeFile, writeFileAtomic } from "../digest/index.ts";
import { CheckFailed } from "../errors.ts";

export interface SignOutcome {
  file: string;
  before: SignatureCheck;
  after: SignatureCheck;
  /** False when the signature was already valid and `onlyIfInvalid` was set. */
  signed: boolean;
}

/**
 * Ad-hoc sign one Mach-O file in place (atomically). With onlyIfInvalid, a valid signature is
 * left alone: Bun's own darwin-arm64 signature stays byte-for-byte what Bun wrote.
 */
export async function signFileAdhoc(file: string, options: { onlyIfInvalid?: boolean; identifier?: string } = {}): Promise<SignOutcome> {
  const { bytes, ...outcome } = signBytesAdhoc(readWholeFile(file), file, options);
  // An executable stays one: the rewritten file is 0755 like everything the build writes.
  if (outcome.signed) await writeFileAtomic(file, bytes, { mode: EXECUTABLE_FILE_MODE });
  return outcome;
}

/**
 * signFileAdhoc on bytes already in memory (the build reads each executable once, then checks,
 * re-signs and hashes that one buffer): `bytes` is what the file must hold afterwards, the same
 * buffer when nothing was signed. `file` only names the file in messages.
 */
export function signBytesAdhoc(input: Buffer, file: string, options: { onlyIfInvalid?: boolean; identifier?: string } = {}): SignOutcome & { bytes: Buffer } {
  // Asked only whether to sign: the first bad page answers it (Bun's stale darwin-x64 signature fails on page 0).
  const before = verifyCodeSignature(input, file, { stopAtFirstBadPage: options.onlyIfInvalid ?? false });
  if (options.onlyIfInvalid && before.state === "valid") return { file, before, after: before, signed: false, bytes: input };
  // In place: the caller gets the signed bytes back and never uses `input` again.
  const signed = signBunExecutableAdhoc(input, { ...(options.identifier ? { identifier: options.identifier } : {}), inPlace: true });
  const after = verifyCodeSignature(signed, file);
  if (after.state !== "valid") {
    throw new CheckFailed(`${file}: the ad-hoc signature written is not valid: ${after.problems.join("; ")}`);
  }
  return { file, before, after, signed: true, bytes: signed };
}

/**
 * signAdhoc for a compiled Bun executable. Bun before 1.2.4 appended the module graph after
 * __LINKEDIT, ending with a u64 that holds the file's size; the runtime finds the graph from
 * the end of its file (StandaloneModuleGraph.zig `fromExecutable` at bun-v1.2.3). The graph
 * is set aside, the Mach-O part signed, and the graph appended again with that size updated.
 */
export function signBunExecutableAdhoc(bytes: Buffer, options: { identifier?: string; inPlace?: boolean } = {}): Buffer {
  const layout = readLayout(bytes);
  if (layout.bunContainer?.kind !== "appended" || !layout.bunPayload) return signAdhoc(withoutStaleTail(bytes, layout), options);
  const start = layout.bunPayload.offset;
  const head = signAdhoc(bytes.subarray(0, start), options);
  const out = Buffer.concat([head, bytes.subarray(start)]);
  out.writeBigUInt64LE(BigInt(out.length), out.length - 8);
  return out;
}

/**
 * Bun 1.2.4 to 1.4.0 wrote its signature over a copy of the runtime without truncating it, so
 * when the runtime's own signature was longer, its last bytes stay behind the new one, outside
 * every segment (oven-sh/bun#39772; measured: 19,326 bytes in 1.3.13 darwin-arm64 output).
 * Nothing reads them when the graph is in its section; signing drops them.
 */
function withoutStaleTail(bytes: Buffer, layout: ReturnType<typeof readLayout>): Buffer {
  const macho = layout.macho;
  const linkedit = macho?.segments.find((segment) => segment.name === "__LINKEDIT");
  if (!macho?.codeSignature || !linkedit || layout.bunContainer?.kind !== "section") return bytes;
  const end = Math.max(macho.codeSignature.dataoff + macho.codeSignature.datasize, linkedit.fileoff + linkedit.filesize);
  return bytes.length > end ? bytes.subarray(0, end) : bytes;
}

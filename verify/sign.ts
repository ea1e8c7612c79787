// Repair what Bun gets wrong on macOS (issue 4, point 2): Bun 1.4.5 re-signs darwin-arm64
// output itself but leaves darwin-x64 output with the runtime's stale Oven signature (2 bad
// pages), which macOS may refuse. This re-signs such files ad hoc, deterministically.
import { signAdhoc, verifyCodeSignature, type SignatureCheck } from "./binary/macho.ts";
import { EXECUTABLE_FILE_MODE, readWholeFile, writeFileAtomic } from "./digest.ts";
import { CheckFailed } from "./errors.ts";

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
  const bytes = readWholeFile(file);
  const before = verifyCodeSignature(bytes, file);
  if (options.onlyIfInvalid && before.state === "valid") return { file, before, after: before, signed: false };
  const signed = signAdhoc(bytes, options.identifier ? { identifier: options.identifier } : {});
  const after = verifyCodeSignature(signed, file);
  if (after.state !== "valid") {
    throw new CheckFailed(`${file}: the ad-hoc signature written is not valid: ${after.problems.join("; ")}`);
  }
  // An executable stays one: the rewritten file is 0755 like everything the build writes.
  await writeFileAtomic(file, signed, { mode: EXECUTABLE_FILE_MODE });
  return { file, before, after, signed: true };
}

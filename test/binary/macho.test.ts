// Mach-O reader, signature verifier and ad-hoc signer, tested on real `bun build --compile`
// darwin outputs (built here from the pinned runtimes) and on a tiny Mach-O made in memory.

import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBunModuleGraph, readLayout } from "../../verify/binary/index.ts";
import { BinaryFormatError } from "../../verify/errors.ts";
import { signBunExecutableAdhoc } from "../../verify/build/sign.ts";
import { pinnedRuntime } from "../helpers.ts";
import { isMachO, parseMachO } from "../../verify/binary/macho.ts";
import { readEmbeddedSignature, slotHash } from "../../verify/binary/macho-signature.ts";
import { removeCodeSignature, signAdhoc } from "../../verify/binary/macho-sign.ts";
import { verifyCodeSignature } from "../../verify/binary/macho-verify.ts";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const BUN = join(ROOT, "node_modules/.bin/bun");

type Target = "darwin-arm64" | "darwin-x64";

let work: string;
const runtime = {} as Record<Target, Buffer>;
const app = {} as Record<Target, Buffer>;

/** The Oven-signed runtime for a target, pinned and digest-checked by `bun verify toolchain --fetch`. */
const runtimePath = (target: Target) => pinnedRuntime(target);

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), "bun-parity-macho-"));
  const src = join(work, "app");
  mkdirSync(src);
  writeFileSync(join(src, "package.json"), JSON.stringify({ name: "macho-fixture", type: "module" }));
  writeFileSync(join(src, "index.ts"), 'console.log("hello from a signed binary");\n');
  // Bun signs darwin-arm64 output unless this is set; the tests are about what Bun does by default.
  const env = { ...process.env };
  delete env.BUN_NO_CODESIGN_MACHO_BINARY;
  for (const target of ["darwin-arm64", "darwin-x64"] as const) {
    const rt = await runtimePath(target);
    runtime[target] = readFileSync(rt);
    const outfile = join(work, target, "app"); // same basename for both: it is embedded
    execFileSync(BUN, ["build", "--compile", `--target=bun-${target}`, `--compile-executable-path=${rt}`, "index.ts", `--outfile=${outfile}`],
      { cwd: src, env, stdio: "pipe" });
    app[target] = readFileSync(outfile);
  }
});

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

/** Indexes of the `pageSize` pages below `limit` where two files differ: an oracle for bad pages. */
function differingPages(a: Buffer, b: Buffer, pageSize: number, limit: number): number[] {
  const pages: number[] = [];
  for (let start = 0; start < limit; start += pageSize) {
    const end = Math.min(start + pageSize, limit);
    if (!a.subarray(start, end).equals(b.subarray(start, end))) pages.push(start / pageSize);
  }
  return pages;
}

function expectBinaryFormatError(run: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    run();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(BinaryFormatError);
  expect((caught as Error).message).toMatch(message);
}

// ---------------------------------------------------------------------------
// A tiny unsigned arm64 executable: __PAGEZERO, __TEXT (one __text section), __LINKEDIT,
// LC_BUILD_VERSION macOS 13.0. 0x4040 bytes, so the last signed page is partial.
// ---------------------------------------------------------------------------

function segment(name: string, vmaddr: bigint, vmsize: bigint, fileoff: number, filesize: number,
  sections: { sectname: string; addr: bigint; size: number; offset: number }[] = []): Buffer {
  const cmd = Buffer.alloc(72 + 80 * sections.length);
  cmd.writeUInt32LE(0x19, 0); // LC_SEGMENT_64
  cmd.writeUInt32LE(cmd.length, 4);
  cmd.write(name, 8, "latin1");
  cmd.writeBigUInt64LE(vmaddr, 24);
  cmd.writeBigUInt64LE(vmsize, 32);
  cmd.writeBigUInt64LE(BigInt(fileoff), 40);
  cmd.writeBigUInt64LE(BigInt(filesize), 48);
  cmd.writeUInt32LE(sections.length, 64);
  sections.forEach((section, i) => {
    const at = 72 + i * 80;
    cmd.write(section.sectname, at, "latin1");
    cmd.write(name, at + 16, "latin1");
    cmd.writeBigUInt64LE(section.addr, at + 32);
    cmd.writeBigUInt64LE(BigInt(section.size), at + 40);
    cmd.writeUInt32LE(section.offset, at + 48);
  });
  return cmd;
}

function tinyMachO(): Buffer {
  const buildVersion = Buffer.alloc(24);
  buildVersion.writeUInt32LE(0x32, 0); // LC_BUILD_VERSION
  buildVersion.writeUInt32LE(24, 4);
  buildVersion.writeUInt32LE(1, 8); // PLATFORM_MACOS
  buildVersion.writeUInt32LE(0x000d0000, 12); // minos 13.0
  buildVersion.writeUInt32LE(0x000e0000, 16); // sdk 14.0
  const commands = Buffer.concat([
    segment("__PAGEZERO", 0n, 0x100000000n, 0, 0),
    segment("__TEXT", 0x100000000n, 0x4000n, 0, 0x4000, [{ sectname: "__text", addr: 0x100001000n, size: 0x100, offset: 0x1000 }]),
    segment("__LINKEDIT", 0x100004000n, 0x4000n, 0x4000, 0x40),
    buildVersion,
  ]);
  const file = Buffer.alloc(0x4040);
  file.writeUInt32LE(0xfeedfacf, 0);
  file.writeUInt32LE(0x0100000c, 4); // CPU_TYPE_ARM64
  file.writeUInt32LE(2, 12); // MH_EXECUTE
  file.writeUInt32LE(4, 16);
  file.writeUInt32LE(commands.length, 20);
  file.writeUInt32LE(0x00200085, 24);
  commands.copy(file, 32);
  for (let i = 0; i < 0x100; i++) file[0x1000 + i] = i;
  for (let i = 0; i < 0x40; i++) file[0x4000 + i] = 0xa0 + (i % 16);
  return file;
}

// ---------------------------------------------------------------------------

describe("parseMachO", () => {
  it("reads the header, segments, __BUN section, signature command and minimum OS of Bun's darwin-arm64 output", () => {
    const info = parseMachO(app["darwin-arm64"], "app");
    expect(info.cpu).toBe("arm64");
    expect(info.fileType).toBe(2);
    expect(info.minOs).toBe("13.0");
    expect(info.segments.map((s) => s.name)).toEqual(["__PAGEZERO", "__TEXT", "__DATA_CONST", "__DATA", "__BUN", "__LINKEDIT"]);
    const bun = info.segments.find((s) => s.name === "__BUN")!;
    expect(bun.sections.map((s) => `${s.segname},${s.sectname}`)).toEqual(["__BUN,__bun"]);
    const linkedit = info.segments.find((s) => s.name === "__LINKEDIT")!;
    expect(info.codeSignature!.dataoff + info.codeSignature!.datasize).toBe(app["darwin-arm64"].length);
    expect(linkedit.fileoff + linkedit.filesize).toBe(app["darwin-arm64"].length);
    expect(parseMachO(app["darwin-x64"]).cpu).toBe("x64");
  });

  it("reads a Mach-O that is a view into a larger buffer", () => {
    const tiny = signAdhoc(tinyMachO());
    const big = new Uint8Array(tiny.length + 7);
    big.set(tiny, 3);
    const view = big.subarray(3, 3 + tiny.length);
    expect(parseMachO(view).segments).toHaveLength(3);
    expect(verifyCodeSignature(view).state).toBe("valid");
  });

  it("rejects non-Mach-O input with a BinaryFormatError that says what it is", () => {
    const elf = Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, ...new Array(56).fill(0)]);
    expect(isMachO(elf)).toBe(false);
    expectBinaryFormatError(() => parseMachO(elf, "x.elf"), /^x\.elf: this is an ELF file/);
    expect(isMachO(Buffer.from("hello"))).toBe(false);
    expectBinaryFormatError(() => parseMachO(Buffer.from("hello")), /not a Mach-O/);
    expectBinaryFormatError(() => parseMachO(new Uint8Array(0)), /too short/);
  });

  it("says clearly that universal (fat) binaries are not supported", () => {
    const fat = Buffer.alloc(64);
    fat.writeUInt32BE(0xcafebabe, 0);
    fat.writeUInt32BE(2, 4);
    expect(isMachO(fat)).toBe(false);
    expectBinaryFormatError(() => parseMachO(fat), /universal \(fat\) Mach-O with 2 architectures, which is not supported/);
  });

  it("turns a truncated real binary into a BinaryFormatError naming the truncation, not a crash", () => {
    const arm = app["darwin-arm64"];
    expectBinaryFormatError(() => parseMachO(arm.subarray(0, arm.length >> 1), "half"), /^half: .*truncated/);
    expectBinaryFormatError(() => verifyCodeSignature(arm.subarray(0, arm.length - 1)), /__LINKEDIT covers file bytes .* it is truncated/);
    expectBinaryFormatError(() => parseMachO(arm.subarray(0, 100)), /load commands .* runs past the end/);
  });

  it("a stale LC_CODE_SIGNATURE size running past a complete file (Bun 1.2.23 darwin-x64) is an invalid signature that re-signing replaces, not a truncation", () => {
    const signed = signAdhoc(tinyMachO());
    const cs = parseMachO(signed).codeSignature!;
    const stale = Buffer.from(signed);
    stale.writeUInt32LE(cs.datasize + 2560, cs.commandOffset + 12);
    const check = verifyCodeSignature(stale);
    expect(check.state).toBe("invalid");
    expect(check.problems[0]).toMatch(/^the signature \(bytes \d+\.\.\d+\) is not inside __LINKEDIT/);
    expect(verifyCodeSignature(signAdhoc(stale)).state).toBe("valid");
    // A signature that starts past the end is still a cut-off file.
    const gone = Buffer.from(signed);
    gone.writeUInt32LE(signed.length + 16, cs.commandOffset + 8);
    expectBinaryFormatError(() => parseMachO(gone), /LC_CODE_SIGNATURE points at file bytes .* it is truncated/);
  });

  it("throws only BinaryFormatError for every truncation of a small signed Mach-O", () => {
    const signed = signAdhoc(tinyMachO());
    for (let length = 0; length < signed.length; length++) {
      expect(() => verifyCodeSignature(signed.subarray(0, length))).toThrow(BinaryFormatError);
    }
  });

  it("never crashes on corrupted headers or signatures: a verdict or a BinaryFormatError", () => {
    const signed = signAdhoc(tinyMachO());
    const sig = parseMachO(signed).codeSignature!;
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1103515245 + 12345) >>> 0;
      return seed % n;
    };
    const verdicts = new Set<string>();
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(signed);
      for (let k = 0; k <= random(4); k++) {
        // Half the time the header and load commands, half the time the signature.
        const at = random(2) ? random(400) : sig.dataoff + random(sig.datasize);
        bytes[at] = random(2) ? random(256) : 0xff;
      }
      try {
        verdicts.add(verifyCodeSignature(bytes).state);
      } catch (error) {
        expect(error).toBeInstanceOf(BinaryFormatError);
      }
    }
    expect(verdicts.has("invalid")).toBe(true);
  });
});

describe("verifyCodeSignature", () => {
  it("finds Bun's own ad-hoc signature on darwin-arm64 output valid", () => {
    const check = verifyCodeSignature(app["darwin-arm64"], "app");
    const info = parseMachO(app["darwin-arm64"]);
    expect(check).toMatchObject({
      state: "valid", identifier: "a.out", flags: 0x20002, adhoc: true, hashType: "sha256", pageSize: 4096,
      codeLimit: info.codeSignature!.dataoff, badPages: [], problems: [], cms: false,
    });
    expect(check.pages).toBe(Math.ceil(info.codeSignature!.dataoff / 4096));
  });

  it("finds the stale Oven signature on darwin-x64 output invalid, listing exactly the pages Bun changed", () => {
    const check = verifyCodeSignature(app["darwin-x64"], "app");
    expect(check).toMatchObject({ state: "invalid", identifier: "bun", teamId: "7FRXF46ZSN", flags: 0x10000, adhoc: false });
    // Oracle: the runtime's signature is valid, so the bad pages are the pages Bun rewrote.
    const expected = differingPages(runtime["darwin-x64"], app["darwin-x64"], 4096, check.codeLimit!);
    expect(expected.length).toBeGreaterThan(0);
    expect(check.badPages).toEqual(expected);
    expect(check.problems).toHaveLength(1);
    expect(check.problems[0]).toContain(`${expected.length} of ${check.pages!.toLocaleString("en-US")} page hashes do not match (pages ${expected.join(", ")})`);
    expect(check.problems[0]).toContain("__BUN,__bun");
  });

  it("finds the Oven-signed runtimes valid, including their requirements and entitlements blobs", () => {
    for (const target of ["darwin-arm64", "darwin-x64"] as const) {
      const check = verifyCodeSignature(runtime[target], target);
      expect(check).toMatchObject({ state: "valid", identifier: "bun", teamId: "7FRXF46ZSN", cms: true, problems: [] });
      const slots = readEmbeddedSignature(runtime[target])!.blobs.map((b) => b.slot);
      expect(slots).toEqual(expect.arrayContaining([0, 2, 5, 0x10000]));
    }
  });

  it("names the page whose byte was flipped in a signed darwin-arm64 output", () => {
    const bytes = Buffer.from(app["darwin-arm64"]);
    const at = 1234 * 4096 + 77;
    bytes[at] = bytes[at]! ^ 0x01;
    const check = verifyCodeSignature(bytes);
    expect(check.state).toBe("invalid");
    expect(check.badPages).toEqual([1234]);
    expect(check.problems[0]).toMatch(/^1 of [\d,]+ page hashes do not match \(page 1234\): page 1234 = bytes 5054464\.\.5058560/);
  });

  it("reports a requirements blob that no longer matches its special slot", () => {
    const signed = signAdhoc(tinyMachO());
    const requirements = readEmbeddedSignature(signed)!.blobs.find((b) => b.slot === 2)!;
    signed.writeUInt32BE(1, requirements.offset + 8); // count 0 -> 1
    const check = verifyCodeSignature(signed);
    expect(check.state).toBe("invalid");
    expect(check.badPages).toEqual([]);
    expect(check.problems).toEqual([expect.stringMatching(/requirements blob does not match its hash in special slot -2/)]);
  });

  it("reports a codeLimit that does not reach the signature", () => {
    const signed = signAdhoc(tinyMachO());
    const cd = readEmbeddedSignature(signed)!.codeDirectories[0]!;
    signed.writeUInt32BE(cd.codeLimit - 16, cd.offset + 32);
    const check = verifyCodeSignature(signed);
    expect(check.state).toBe("invalid");
    expect(check.problems).toContain(`codeLimit ${cd.codeLimit - 16} != LC_CODE_SIGNATURE dataoff ${cd.codeLimit}: the signature does not cover exactly the bytes before it`);
  });

  it("recognises a last page hashed zero-padded (the Bun < 1.4.1 signer bug)", () => {
    const signed = signAdhoc(tinyMachO(), { style: "bun" });
    const cd = readEmbeddedSignature(signed)!.codeDirectories[0]!;
    const last = cd.nCodeSlots - 1;
    const padded = Buffer.alloc(4096);
    signed.copy(padded, 0, last * 4096, cd.codeLimit);
    slotHash(signed, cd, last).set(createHash("sha256").update(padded).digest());
    const check = verifyCodeSignature(signed);
    expect(check.badPages).toEqual([last]);
    expect(check.problems[0]).toMatch(/^1 of 5 page hashes do not match \(page 4\).*hashed zero-padded to 4096 bytes: the Bun < 1\.4\.1 signer bug \(oven-sh\/bun#39758\)/);
  });

  it("says unsigned when there is no LC_CODE_SIGNATURE", () => {
    expect(verifyCodeSignature(tinyMachO())).toMatchObject({ state: "unsigned" });
    const stripped = removeCodeSignature(app["darwin-arm64"]);
    expect(parseMachO(stripped).codeSignature).toBeUndefined();
    const check = verifyCodeSignature(stripped);
    expect(check.state).toBe("unsigned");
    expect(check.problems[0]).toMatch(/refuses to run unsigned arm64 code/);
  });

  it("reports a SuperBlob longer than LC_CODE_SIGNATURE (Bun 1.3.12's truncated signature) as invalid", () => {
    const signed = signAdhoc(tinyMachO());
    const cs = parseMachO(signed).codeSignature!;
    signed.writeUInt32LE(cs.datasize - 100, cs.commandOffset + 12);
    const check = verifyCodeSignature(signed);
    expect(check.state).toBe("invalid");
    expect(check.problems[0]).toMatch(/SuperBlob is \d+ bytes but LC_CODE_SIGNATURE datasize is only \d+: the signature is truncated/);
  });

  it("verifies a ~90 MB binary quickly", () => {
    const started = performance.now();
    verifyCodeSignature(app["darwin-x64"]);
    const ms = performance.now() - started;
    console.log(`verifyCodeSignature(darwin-x64 output, ${app["darwin-x64"].length} bytes): ${ms.toFixed(0)} ms`);
    expect(ms).toBeLessThan(5000); // a guard against accidental quadratic work; typical is 100-300 ms
  });
});

describe("signAdhoc", () => {
  let signedX64: Buffer;
  beforeAll(() => {
    signedX64 = signAdhoc(app["darwin-x64"]);
  });

  it("makes Bun's invalid darwin-x64 output valid, keeping the old identifier", () => {
    const before = parseMachO(app["darwin-x64"]);
    expect(verifyCodeSignature(signedX64)).toMatchObject({
      state: "valid", identifier: "bun", flags: 0x2, adhoc: true, hashType: "sha256", pageSize: 4096,
      codeLimit: before.codeSignature!.dataoff, badPages: [], problems: [], cms: false,
    });
  });

  it("is deterministic and a fixed point", () => {
    expect(signAdhoc(app["darwin-x64"]).equals(signedX64)).toBe(true);
    expect(signAdhoc(signedX64).equals(signedX64)).toBe(true);
  });

  it("rewrites LC_CODE_SIGNATURE and __LINKEDIT so the file ends right after the signature", () => {
    const info = parseMachO(signedX64);
    const linkedit = info.segments.find((s) => s.name === "__LINKEDIT")!;
    const cs = info.codeSignature!;
    expect(cs.dataoff % 16).toBe(0);
    expect(signedX64.length).toBe(cs.dataoff + cs.datasize);
    expect(linkedit.fileoff + linkedit.filesize).toBe(signedX64.length);
    expect(linkedit.vmsize % 16384n).toBe(0n);
    expect(linkedit.vmsize >= BigInt(linkedit.filesize)).toBe(true);
    // Everything before the signature but the load commands is untouched.
    expect(signedX64.subarray(info.headerSize, cs.dataoff).equals(app["darwin-x64"].subarray(info.headerSize, cs.dataoff))).toBe(true);
  });

  it("writes what codesign -s - writes: CodeDirectory 0x20400, empty requirements bound in slot -2, empty CMS wrapper", () => {
    const signature = readEmbeddedSignature(signedX64)!;
    expect(signature.blobs.map((b) => [b.slot, b.magic, b.length])).toEqual([
      [0, 0xfade0c02, signature.codeDirectories[0]!.length],
      [2, 0xfade0c01, 12],
      [0x10000, 0xfade0b01, 8],
    ]);
    const requirements = signature.blobs[1]!;
    expect(signedX64.subarray(requirements.offset, requirements.offset + 12).toString("hex")).toBe("fade0c010000000c00000000");
    const cd = signature.codeDirectories[0]!;
    const text = parseMachO(signedX64).segments.find((s) => s.name === "__TEXT")!;
    expect(cd).toMatchObject({ version: 0x20400, nSpecialSlots: 2, pageSizeLog2: 12, hashType: 2, hashSize: 32, platform: 0 });
    expect(cd.execSegBase).toBe(BigInt(text.fileoff));
    expect(cd.execSegLimit).toBe(BigInt(text.filesize));
    expect(cd.execSegFlags).toBe(1n);
    expect(Buffer.from(slotHash(signedX64, cd, -2)).toString("hex")).toBe(createHash("sha256").update(Buffer.from("fade0c010000000c00000000", "hex")).digest("hex"));
    expect(Buffer.from(slotHash(signedX64, cd, -1)).equals(Buffer.alloc(32))).toBe(true);
  });

  it("takes an explicit identifier", () => {
    const signed = signAdhoc(tinyMachO(), { identifier: "com.example.hello" });
    expect(verifyCodeSignature(signed)).toMatchObject({ state: "valid", identifier: "com.example.hello" });
    expect(verifyCodeSignature(signAdhoc(tinyMachO())).identifier).toBe("a.out");
  });

  it("reproduces Bun's own darwin-arm64 signature byte for byte in style \"bun\" (second implementation)", () => {
    const bun = app["darwin-arm64"];
    expect(signAdhoc(bun, { style: "bun" }).equals(bun)).toBe(true);
    // The default style differs only in the load commands (page 0) and the signature itself.
    const ours = readEmbeddedSignature(signAdhoc(bun))!.codeDirectories[0]!;
    const theirs = readEmbeddedSignature(bun)!.codeDirectories[0]!;
    const oursBytes = signAdhoc(bun);
    expect(ours.nCodeSlots).toBe(theirs.nCodeSlots);
    expect(ours.codeLimit).toBe(theirs.codeLimit);
    expect([ours.execSegBase, ours.execSegLimit, ours.execSegFlags]).toEqual([theirs.execSegBase, theirs.execSegLimit, theirs.execSegFlags]);
    const hashesOf = (bytes: Buffer, cd: typeof ours): Buffer =>
      Buffer.from(bytes.subarray(cd.offset + cd.hashOffset + cd.hashSize, cd.offset + cd.hashOffset + cd.nCodeSlots * cd.hashSize));
    expect(hashesOf(oursBytes, ours).equals(hashesOf(bun, theirs))).toBe(true);
  });

  it("signs an unsigned Mach-O by adding LC_CODE_SIGNATURE after the load commands", () => {
    const tiny = tinyMachO();
    const signed = signAdhoc(tiny);
    const info = parseMachO(signed);
    expect(info.loadCommands.at(-1)!.cmd).toBe(0x1d);
    expect(info.codeSignature!.dataoff).toBe(tiny.length);
    expect(verifyCodeSignature(signed)).toMatchObject({ state: "valid", pages: 5, badPages: [] });
    // Stripping and re-signing a real binary gives the same bytes as re-signing it directly.
    const stripped = removeCodeSignature(app["darwin-x64"]);
    expect(signAdhoc(stripped, { identifier: "bun" }).equals(signedX64)).toBe(true);
  });

  it("refuses to drop bytes appended after the signature (an old-style appended payload)", () => {
    const appended = Buffer.concat([signAdhoc(tinyMachO()), Buffer.from("payload")]);
    expectBinaryFormatError(() => signAdhoc(appended), /cannot sign: 7 bytes follow the signature and __LINKEDIT/);
    expectBinaryFormatError(() => removeCodeSignature(appended), /cannot remove the signature: 7 bytes follow it/);
  });
});

describe("signBunExecutableAdhoc (sign.ts): compiled Bun executables", () => {
  it("drops the stale tail Bun 1.2.4 to 1.4.0 left after a shorter signature, and signs the rest", () => {
    // Bun 1.3.13's darwin-arm64 output ends with 19,326 bytes of the runtime's old signature
    // past its own (oven-sh/bun#39772); the graph is in __BUN, so nothing reads them.
    const stale = Buffer.concat([app["darwin-arm64"], Buffer.alloc(19_326, 0xfa)]);
    const signed = signBunExecutableAdhoc(stale);
    expect(verifyCodeSignature(signed).state).toBe("valid");
    expect(signed.equals(signBunExecutableAdhoc(app["darwin-arm64"]))).toBe(true);
    expect(readBunModuleGraph(signed)!.entryPoint).toBe("/$bunfs/root/app");
  });

  it("signs an executable whose graph is appended after __LINKEDIT (Bun before 1.2.4) and keeps the graph readable", () => {
    // The old layout: the runtime file, then [graph][u64 file size]. Build one from this
    // executable's own graph: a runtime without a graph, then the graph and its size.
    const graph = readBunModuleGraph(app["darwin-x64"])!;
    const graphBytes = app["darwin-x64"].subarray(graph.offset, graph.offset + graph.size);
    const appended = Buffer.concat([runtime["darwin-x64"], graphBytes, Buffer.alloc(8)]);
    appended.writeBigUInt64LE(BigInt(appended.length), appended.length - 8);
    expect(readLayout(appended).bunContainer).toEqual({ kind: "appended" });
    expect(() => signAdhoc(appended)).toThrow(/bytes follow the signature and __LINKEDIT/);

    const signed = signBunExecutableAdhoc(appended);
    expect(verifyCodeSignature(signed).state).toBe("valid");
    expect(signed.readBigUInt64LE(signed.length - 8)).toBe(BigInt(signed.length));
    const again = readBunModuleGraph(signed)!;
    expect(again.layout.container).toEqual({ kind: "appended" });
    expect(again.modules.map((m) => m.contentsSha256)).toEqual(graph.modules.map((m) => m.contentsSha256));
    expect(signBunExecutableAdhoc(signed).equals(signed)).toBe(true);
  });
});


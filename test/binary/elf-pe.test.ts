// ELF and PE readers, and the format detection + region map built on them: checked on the
// pinned Bun 1.4 runtimes, on real `bun build --compile` outputs (built here, removed
// afterwards), and on tiny ELF/PE files made in memory for the cases no real Bun output
// covers (musl, static, truncation, corruption).

import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseElf } from "../../verify/binary/elf.ts";
import { describeFirstBytes, detectFormat, readLayout, regionAt, sniffFormat, type BinaryLayout } from "../../verify/binary/index.ts";
import { IMAGE_FILE_MACHINE_AMD64, IMAGE_FILE_MACHINE_ARM64, parsePe } from "../../verify/binary/pe.ts";
import { BinaryFormatError } from "../../verify/errors.ts";
import { compileRaw, pinnedRuntime, removeTemps, tempDir } from "../helpers.ts";

async function compileHello(target: string, work: string): Promise<Buffer> {
  return readFileSync(await compileRaw(work, { target, outfile: join(work, target, "app"), entry: join(work, "index.ts") }));
}

// ---------------------------------------------------------------------------
// Tiny executables made in memory

interface ElfSpec {
  machine?: number;
  interpreter?: string;
  needed?: string[];
  glibc?: string[];
  bunPayload?: Buffer;
}

/** A minimal but well-formed ELF64 LE executable: one PT_LOAD over the whole file. */
function makeElf(spec: ElfSpec = {}): Buffer {
  const base = 0x400000n;
  const blobs: Buffer[] = [];
  let size = 64 + 3 * 56; // header + up to three program headers
  const place = (bytes: Buffer, align = 8) => {
    const padding = (align - (size % align)) % align;
    if (padding) blobs.push(Buffer.alloc(padding));
    size += padding;
    const offset = size;
    blobs.push(bytes);
    size += bytes.length;
    return offset;
  };
  const strings = (list: string[]) => {
    const offsets: number[] = [];
    let text = "\0";
    for (const item of list) {
      offsets.push(text.length);
      text += `${item}\0`;
    }
    return { bytes: Buffer.from(text, "latin1"), offsets };
  };

  const dyn = strings([...(spec.needed ?? []), "libc.so.6", ...(spec.glibc ?? []).map((v) => `GLIBC_${v}`)]);
  const interpOffset = spec.interpreter ? place(Buffer.from(`${spec.interpreter}\0`, "latin1"), 1) : 0;
  const dynstrOffset = place(dyn.bytes, 1);
  const dynamicEntries = [...(spec.needed ?? []).map((_, i) => [1n, BigInt(dyn.offsets[i]!)]), [5n, base + BigInt(dynstrOffset)], [0n, 0n]];
  const dynamic = Buffer.alloc(dynamicEntries.length * 16);
  dynamicEntries.forEach(([tag, value], i) => {
    dynamic.writeBigUInt64LE(tag!, i * 16);
    dynamic.writeBigUInt64LE(value!, i * 16 + 8);
  });
  const hasDynamic = (spec.needed ?? []).length > 0;
  const dynamicOffset = hasDynamic ? place(dynamic) : 0;
  const versions = spec.glibc ?? [];
  const verneed = Buffer.alloc(16 + versions.length * 16);
  verneed.writeUInt16LE(1, 0); // vn_version
  verneed.writeUInt16LE(versions.length, 2); // vn_cnt
  verneed.writeUInt32LE(dyn.offsets[(spec.needed ?? []).length]!, 4); // vn_file: libc.so.6
  verneed.writeUInt32LE(16, 8); // vn_aux
  versions.forEach((_, i) => {
    const at = 16 + i * 16;
    verneed.writeUInt32LE(dyn.offsets[(spec.needed ?? []).length + 1 + i]!, at + 8); // vna_name
    verneed.writeUInt32LE(i + 1 < versions.length ? 16 : 0, at + 12); // vna_next
  });
  const verneedOffset = versions.length > 0 ? place(verneed, 4) : 0;
  const textOffset = place(Buffer.from([0xc3, 0x90, 0x90, 0x90]), 16);
  let bunOffset = 0;
  if (spec.bunPayload) {
    const section = Buffer.alloc(8 + spec.bunPayload.length);
    section.writeBigUInt64LE(BigInt(spec.bunPayload.length), 0);
    spec.bunPayload.copy(section, 8);
    bunOffset = place(section);
  }

  type Section = { name: string; type: number; flags: number; offset: number; size: number; link?: number };
  const sections: Section[] = [{ name: "", type: 0, flags: 0, offset: 0, size: 0 }];
  if (spec.interpreter) sections.push({ name: ".interp", type: 1, flags: 2, offset: interpOffset, size: spec.interpreter.length + 1 });
  const dynstrIndex = sections.push({ name: ".dynstr", type: 3, flags: 2, offset: dynstrOffset, size: dyn.bytes.length }) - 1;
  if (hasDynamic) sections.push({ name: ".dynamic", type: 6, flags: 3, offset: dynamicOffset, size: dynamic.length, link: dynstrIndex });
  if (versions.length > 0) sections.push({ name: ".gnu.version_r", type: 0x6ffffffe, flags: 2, offset: verneedOffset, size: verneed.length, link: dynstrIndex });
  sections.push({ name: ".text", type: 1, flags: 6, offset: textOffset, size: 4 });
  if (spec.bunPayload) sections.push({ name: ".bun", type: 1, flags: 3, offset: bunOffset, size: 8 + spec.bunPayload.length });
  const shstr = strings([...sections.map((s) => s.name).filter(Boolean), ".shstrtab"]);
  const shstrOffset = place(shstr.bytes, 1);
  sections.push({ name: ".shstrtab", type: 3, flags: 0, offset: shstrOffset, size: shstr.bytes.length });
  const shoff = size + ((8 - (size % 8)) % 8);
  if (shoff > size) blobs.push(Buffer.alloc(shoff - size));
  const table = Buffer.alloc(sections.length * 64);
  let named = 0;
  sections.forEach((section, i) => {
    const at = i * 64;
    table.writeUInt32LE(section.name ? shstr.offsets[named++]! : 0, at);
    table.writeUInt32LE(section.type, at + 4);
    table.writeBigUInt64LE(BigInt(section.flags), at + 8);
    table.writeBigUInt64LE(section.offset ? base + BigInt(section.offset) : 0n, at + 16);
    table.writeBigUInt64LE(BigInt(section.offset), at + 24);
    table.writeBigUInt64LE(BigInt(section.size), at + 32);
    table.writeUInt32LE(section.link ?? 0, at + 40);
  });
  blobs.push(table);
  const total = shoff + table.length;

  const header = Buffer.alloc(64 + 3 * 56);
  header.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]);
  header.writeUInt16LE(2, 16); // ET_EXEC
  header.writeUInt16LE(spec.machine ?? 62, 18);
  header.writeUInt32LE(1, 20);
  header.writeBigUInt64LE(base + BigInt(textOffset), 24);
  header.writeBigUInt64LE(64n, 32); // e_phoff
  header.writeBigUInt64LE(BigInt(shoff), 40);
  header.writeUInt16LE(64, 52);
  header.writeUInt16LE(56, 54);
  const programHeaders: [number, number, number, number][] = [[1, 5, 0, total]]; // PT_LOAD R+X over everything
  if (spec.interpreter) programHeaders.push([3, 4, interpOffset, spec.interpreter.length + 1]);
  if (hasDynamic) programHeaders.push([2, 6, dynamicOffset, dynamic.length]);
  header.writeUInt16LE(programHeaders.length, 56);
  header.writeUInt16LE(64, 58);
  header.writeUInt16LE(sections.length, 60);
  header.writeUInt16LE(sections.length - 1, 62);
  programHeaders.forEach(([type, flags, offset, length], i) => {
    const at = 64 + i * 56;
    header.writeUInt32LE(type, at);
    header.writeUInt32LE(flags, at + 4);
    header.writeBigUInt64LE(BigInt(offset), at + 8);
    header.writeBigUInt64LE(base + BigInt(offset), at + 16);
    header.writeBigUInt64LE(base + BigInt(offset), at + 24);
    header.writeBigUInt64LE(BigInt(length), at + 32);
    header.writeBigUInt64LE(BigInt(length), at + 40);
    header.writeBigUInt64LE(0x1000n, at + 48);
  });
  return Buffer.concat([header, ...blobs]);
}

interface PeSpec {
  machine?: number;
  subsystem?: number;
  sections?: { name: string; data: Buffer; characteristics?: number }[];
  certificate?: Buffer;
  overlay?: Buffer;
}

/** A minimal PE32+ image: DOS header, NT headers, section table, raw data, optional certificate. */
function makePe(spec: PeSpec = {}): Buffer {
  const sections = spec.sections ?? [{ name: ".text", data: Buffer.from([0xc3]), characteristics: 0x60000020 }];
  const align = (value: number, to: number) => Math.ceil(value / to) * to;
  const headersSize = align(64 + 4 + 20 + 240 + sections.length * 40, 0x200);
  const headers = Buffer.alloc(headersSize);
  headers.write("MZ", 0, "latin1");
  headers.writeUInt32LE(64, 0x3c);
  headers.write("PE\0\0", 64, "latin1");
  const coff = 68;
  headers.writeUInt16LE(spec.machine ?? IMAGE_FILE_MACHINE_AMD64, coff);
  headers.writeUInt16LE(sections.length, coff + 2);
  headers.writeUInt16LE(240, coff + 16);
  headers.writeUInt16LE(0x22, coff + 18);
  const optional = coff + 20;
  headers.writeUInt16LE(0x20b, optional);
  headers.writeUInt32LE(0x1000, optional + 32);
  headers.writeUInt32LE(0x200, optional + 36);
  headers.writeUInt32LE(headersSize, optional + 60);
  headers.writeUInt16LE(spec.subsystem ?? 3, optional + 68);
  headers.writeUInt32LE(16, optional + 108);
  const raw: Buffer[] = [];
  let fileOffset = headersSize;
  sections.forEach((section, i) => {
    const at = optional + 240 + i * 40;
    headers.write(section.name, at, 8, "latin1");
    headers.writeUInt32LE(section.data.length, at + 8);
    headers.writeUInt32LE(0x1000 * (i + 1), at + 12);
    const rawSize = align(section.data.length, 0x200);
    headers.writeUInt32LE(rawSize, at + 16);
    headers.writeUInt32LE(fileOffset, at + 20);
    headers.writeUInt32LE(section.characteristics ?? 0x40000040, at + 36);
    raw.push(Buffer.concat([section.data, Buffer.alloc(rawSize - section.data.length)]));
    fileOffset += rawSize;
  });
  if (spec.overlay) {
    raw.push(spec.overlay);
    fileOffset += spec.overlay.length;
  }
  if (spec.certificate) {
    headers.writeUInt32LE(fileOffset, optional + 112 + 4 * 8);
    headers.writeUInt32LE(spec.certificate.length, optional + 112 + 4 * 8 + 4);
    raw.push(spec.certificate);
  }
  return Buffer.concat([headers, ...raw]);
}

/** Deterministic pseudo-random numbers (mulberry32) so a failing corruption case can be replayed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function expectTiled(layout: BinaryLayout): void {
  let at = 0;
  for (const region of layout.regions) {
    expect(region.offset).toBe(at);
    expect(region.size).toBeGreaterThan(0);
    at += region.size;
  }
  expect(at).toBe(layout.fileSize);
}

/** Every outcome is a layout or a BinaryFormatError; anything else (RangeError...) fails. */
function expectLayoutOrFormatError(bytes: Buffer): void {
  try {
    expectTiled(readLayout(bytes, "case.bin"));
  } catch (error) {
    if (!(error instanceof BinaryFormatError)) throw error;
  }
}

// ---------------------------------------------------------------------------

describe("ELF on Bun's linux runtimes and output", () => {
  let x64: Buffer;
  let arm64: Buffer;
  let app: Buffer;
  beforeAll(async () => {
    x64 = readFileSync(await pinnedRuntime("linux-x64"));
    arm64 = readFileSync(await pinnedRuntime("linux-arm64"));
    const work = tempDir("elf-pe-linux-");
    writeFileSync(join(work, "index.ts"), 'console.log("hello elf");\n');
    app = await compileHello("linux-x64", work);
  });

  it("reads the x86_64 runtime: glibc loader, DT_NEEDED, and glibc 2.17 as the oldest it runs on", () => {
    const elf = parseElf(x64, "bun");
    expect(elf.arch).toBe("x64");
    expect(elf.interpreter).toBe("/lib64/ld-linux-x86-64.so.2");
    expect(elf.libc).toBe("glibc");
    expect(elf.isStatic).toBe(false);
    expect(elf.neededLibraries).toEqual(expect.arrayContaining(["libc.so.6", "libpthread.so.0", "libdl.so.2", "libm.so.6"]));
    // Bun lowered its glibc floor to 2.17 in 1.3.13 (oven-sh/bun PR #29461).
    expect(elf.minimumGlibc).toBe("2.17");
    expect(elf.glibcVersions[0]).toBe("2.2.5");
  });

  it("reads the aarch64 runtime's loader and architecture", () => {
    const elf = parseElf(arm64, "bun");
    expect(elf.arch).toBe("arm64");
    expect(elf.machine).toBe(183);
    expect(elf.interpreter).toBe("/lib/ld-linux-aarch64.so.1");
    expect(elf.minimumGlibc).toBe("2.17");
  });

  it("finds the .bun section of compiled output and the payload behind its u64 length", () => {
    const layout = readLayout(app, "app");
    expect(layout).toMatchObject({ format: "elf", os: "linux", arch: "x64" });
    expectTiled(layout);
    const bun = layout.regions.find((region) => region.kind === "bun-module-graph")!;
    expect(bun.name).toBe(".bun");
    expect(layout.bunPayload!.offset).toBe(bun.offset + 8);
    expect(Number(app.readBigUInt64LE(bun.offset))).toBe(layout.bunPayload!.size);
    expect(app.subarray(layout.bunPayload!.offset + layout.bunPayload!.size - 16, layout.bunPayload!.offset + layout.bunPayload!.size).toString("latin1")).toBe(
      "\n---- Bun! ----\n",
    );
    expect(regionAt(layout.regions, layout.bunPayload!.offset)).toBe(bun);
    expect(regionAt(layout.regions, 0)?.kind).toBe("header");
    expect(regionAt(layout.regions, app.length)).toBeUndefined();
    expect(layout.regions.find((region) => region.name === ".text")?.kind).toBe("code");
  });

  it("has no payload in a runtime that was never compiled into an app (BUN_COMPILED slot is 0)", () => {
    const layout = readLayout(x64, "bun");
    expect(layout.bunSection).toBeDefined();
    expect(layout.bunPayload).toBeUndefined();
  });

  it("turns every truncation of a real binary's header area into a BinaryFormatError", () => {
    for (const length of [0, 3, 4, 63, 64, 200, 4096, 1 << 20, app.length - 1]) {
      expect(() => readLayout(app.subarray(0, length), "cut.bin"), `length ${length}`).toThrow(BinaryFormatError);
    }
    expect(() => readLayout(app.subarray(0, 4096), "cut.bin")).toThrow(/^cut\.bin: truncated or malformed ELF: /);
  });
});

describe("ELF made in memory", () => {
  it("recognises a musl binary by its loader", () => {
    const elf = parseElf(makeElf({ interpreter: "/lib/ld-musl-x86_64.so.1", needed: ["libstdc++.so.6", "libc.musl-x86_64.so.1"] }));
    expect(elf.libc).toBe("musl");
    expect(elf.neededLibraries).toEqual(["libstdc++.so.6", "libc.musl-x86_64.so.1"]);
    expect(elf.minimumGlibc).toBeUndefined();
  });

  it("calls a binary without PT_INTERP static", () => {
    const elf = parseElf(makeElf());
    expect(elf.isStatic).toBe(true);
    expect(elf.libc).toBe("static");
    expect(elf.interpreter).toBeUndefined();
  });

  it("takes the highest GLIBC_x.y of .gnu.version_r, comparing numerically (2.17 > 2.3.4)", () => {
    const elf = parseElf(makeElf({ interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libc.so.6"], glibc: ["2.3.4", "2.17", "2.2.5", "2.14"] }));
    expect(elf.glibcVersions).toEqual(["2.2.5", "2.3.4", "2.14", "2.17"]);
    expect(elf.minimumGlibc).toBe("2.17");
  });

  it("names other architectures instead of guessing", () => {
    expect(parseElf(makeElf({ machine: 243 })).arch).toBe("elf-machine-243");
  });

  it("rejects 32-bit and big-endian ELF with a clear message", () => {
    const elf32 = makeElf();
    elf32[4] = 1;
    expect(() => parseElf(elf32, "x.so")).toThrow("x.so: unsupported ELF: 32-bit; Bun targets are 64-bit");
    const bigEndian = makeElf();
    bigEndian[5] = 2;
    expect(() => parseElf(bigEndian, "x.so")).toThrow(/big-endian/);
  });

  it("never throws anything but BinaryFormatError on truncated or corrupted input", () => {
    const elf = makeElf({ interpreter: "/lib64/ld-linux-x86-64.so.2", needed: ["libc.so.6"], glibc: ["2.17"], bunPayload: Buffer.from("payload") });
    for (let length = 0; length <= elf.length; length++) expectLayoutOrFormatError(elf.subarray(0, length));
    const next = random(42);
    for (let round = 0; round < 3000; round++) {
      const corrupted = Buffer.from(elf);
      for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) corrupted[Math.floor(next() * corrupted.length)] = Math.floor(next() * 256);
      expectLayoutOrFormatError(corrupted);
    }
  });
});

describe("PE on Bun's windows runtimes and output", () => {
  let runtimeX64: Buffer;
  let runtimeArm64: Buffer;
  let app: Buffer;
  beforeAll(async () => {
    runtimeX64 = readFileSync(await pinnedRuntime("windows-x64"));
    runtimeArm64 = readFileSync(await pinnedRuntime("windows-arm64"));
    const work = tempDir("elf-pe-windows-");
    writeFileSync(join(work, "index.ts"), 'console.log("hello pe");\n');
    app = await compileHello("windows-x64", work);
  });

  it("reads the Oven-signed runtime: AMD64, console subsystem, an Authenticode certificate table", () => {
    const pe = parsePe(runtimeX64, "bun.exe");
    expect(pe).toMatchObject({ arch: "x64", machine: IMAGE_FILE_MACHINE_AMD64, isPe32Plus: true, subsystem: 3, subsystemName: "console", hasAuthenticode: true });
    expect(pe.certificateTable!.size).toBeGreaterThan(1000);
    expect(pe.sections.map((section) => section.name)).not.toContain(".bun");
    const layout = readLayout(runtimeX64, "bun.exe");
    expectTiled(layout);
    expect(layout.regions.at(-1)).toMatchObject({ kind: "code-signature", size: pe.certificateTable!.size });
  });

  it("reads the ARM64 runtime's machine type", () => {
    expect(parsePe(runtimeArm64)).toMatchObject({ arch: "arm64", machine: IMAGE_FILE_MACHINE_ARM64 });
  });

  it("sees that Bun stripped the signature and added a .bun section holding the module graph", () => {
    const layout = readLayout(app, "app.exe");
    expect(layout).toMatchObject({ format: "pe", os: "windows", arch: "x64" });
    expect(layout.pe!.hasAuthenticode).toBe(false);
    expect(layout.pe!.subsystemName).toBe("console");
    expectTiled(layout);
    const bun = layout.pe!.sections.find((section) => section.name === ".bun")!;
    expect(layout.bunSection!.offset).toBe(bun.rawOffset);
    expect(layout.bunPayload).toEqual({ offset: bun.rawOffset + 8, size: Number(app.readBigUInt64LE(bun.rawOffset)) });
    expect(regionAt(layout.regions, bun.rawOffset)?.kind).toBe("bun-module-graph");
    expect(layout.regions.find((region) => region.name === ".text")?.kind).toBe("code");
  });

  it("turns truncations of real PE output into BinaryFormatError", () => {
    for (const length of [64, 0x80, 0x100, 0x400, 1 << 20, app.length - 1]) {
      expect(() => readLayout(app.subarray(0, length), "cut.exe"), `length ${length}`).toThrow(BinaryFormatError);
    }
  });
});

describe("PE made in memory", () => {
  it("reads the GUI subsystem that --windows-hide-console sets", () => {
    expect(parsePe(makePe({ subsystem: 2 })).subsystemName).toBe("gui");
  });

  it("maps the overlay past the last section and the certificate table", () => {
    const pe = makePe({ overlay: Buffer.from("appended"), certificate: Buffer.alloc(24, 7) });
    const layout = readLayout(pe, "tiny.exe");
    expectTiled(layout);
    expect(layout.regions.map((region) => region.kind)).toEqual(["header", "code", "other", "code-signature"]);
    const withoutCertificate = readLayout(makePe({ overlay: Buffer.from("appended") }));
    expect(withoutCertificate.regions.at(-1)).toMatchObject({ kind: "overlay", size: 8 });
  });

  it("reads a .bun section's payload", () => {
    const payload = Buffer.from("graph bytes");
    const section = Buffer.concat([Buffer.alloc(8), payload]);
    section.writeBigUInt64LE(BigInt(payload.length));
    const layout = readLayout(makePe({ sections: [{ name: ".text", data: Buffer.from([0xc3]), characteristics: 0x60000020 }, { name: ".bun", data: section }] }));
    expect(layout.bunPayload).toEqual({ offset: layout.bunSection!.offset + 8, size: payload.length });
  });

  it("says an MZ file without a PE header is not a PE file", () => {
    const dos = Buffer.alloc(128);
    dos.write("MZ");
    expect(() => detectFormat(dos, "old.com")).toThrow(/^old\.com: not an executable this tool reads: first bytes 4d 5a .*MZ \(DOS\) executable/);
  });

  it("never throws anything but BinaryFormatError on truncated or corrupted input", () => {
    const pe = makePe({ certificate: Buffer.alloc(16, 1), overlay: Buffer.alloc(8, 2) });
    for (let length = 0; length <= pe.length; length += 7) expectLayoutOrFormatError(pe.subarray(0, length));
    const next = random(7);
    for (let round = 0; round < 3000; round++) {
      const corrupted = Buffer.from(pe);
      for (let flips = 1 + Math.floor(next() * 4); flips > 0; flips--) corrupted[Math.floor(next() * 0x200)] = Math.floor(next() * 256);
      expectLayoutOrFormatError(corrupted);
    }
  });
});

describe("format detection", () => {
  it("names ELF, PE and Mach-O, and nothing else", async () => {
    expect(sniffFormat(makeElf())).toBe("elf");
    expect(sniffFormat(makePe())).toBe("pe");
    expect(sniffFormat(readFileSync(await pinnedRuntime("darwin-arm64")))).toBe("macho");
    expect(sniffFormat(Buffer.from("hello"))).toBeUndefined();
  });

  it("maps a darwin runtime: __BUN,__bun (empty in the template) and the code signature", async () => {
    const layout = readLayout(readFileSync(await pinnedRuntime("darwin-arm64")), "bun");
    expect(layout).toMatchObject({ format: "macho", os: "darwin", arch: "arm64" });
    expectTiled(layout);
    expect(layout.regions.find((region) => region.name === "__BUN,__bun")?.kind).toBe("bun-module-graph");
    expect(layout.regions.some((region) => region.kind === "code-signature")).toBe(true);
    expect(layout.bunPayload).toBeUndefined();
  });

  it.each([
    [Buffer.alloc(0), "the file is empty"],
    [Buffer.from("hi"), 'first bytes 68 69 ("hi"): only 2 byte(s) long'],
    [Buffer.from("#!/usr/bin/env bun\n"), "a script, not a compiled executable"],
    [Buffer.from("just some notes\n"), 'first bytes 6a 75 73 74 20 73 6f 6d ("just som"): a text file, not a compiled executable'],
    [Buffer.from([0x1f, 0x8b, 8, 0]), "a gzip archive"],
    [Buffer.from([0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2]), "universal (fat) binary"],
  ])("describes non-executables by their first bytes (%#)", (bytes, expected) => {
    expect(describeFirstBytes(bytes)).toContain(expected);
    expect(() => detectFormat(bytes, "input")).toThrow(BinaryFormatError);
  });
});

afterAll(() => removeTemps());

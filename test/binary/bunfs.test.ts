// Bun's embedded module graph (StandaloneModuleGraph) and version string: read from real
// `bun build --compile` outputs for all six targets (built here one at a time, removed
// afterwards), and from graphs serialized in memory following the layout documented in
// verify/binary/bunfs.ts, for the corrupt and unusual cases.

import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BUN_GRAPH_TRAILER, parseBunModuleGraph, readBunModuleGraph, type BunModuleGraph } from "../../verify/binary/bunfs.ts";
import { readBunVersion } from "../../verify/binary/bun-version.ts";
import { readLayout } from "../../verify/binary/index.ts";
import { BinaryFormatError } from "../../verify/errors.ts";
import { compileRaw, pinnedRuntime, readJson, REPO, removeTemps, tempDir } from "../helpers.ts";

const BUN_VERSION = readJson<{ version: string }>(join(REPO, "node_modules", "bun", "package.json")).version;

/** The hello app for one target, with extra flags, through the shared raw compile. */
const compile = (target: string, appDir: string, outDir: string, flags: string[] = []): Promise<string> =>
  compileRaw(appDir, { target, outfile: join(outDir, target, "app"), flags });

// ---------------------------------------------------------------------------
// A graph serialized in memory (the shape of `to_bytes` in StandaloneModuleGraph.rs)

interface ModuleSpec {
  name: string;
  contents: Buffer;
  encoding?: number;
  loader?: number;
  format?: number;
  side?: number;
  sourcemap?: Buffer;
  bytecode?: Buffer;
}

const FLAG_HAS_SOURCE_HASHES = 1 << 5;
const FLAG_HAS_BUILTIN_BYTECODE = 1 << 6;
const FLAG_HAS_STARTUP_MODULE_COUNT = 1 << 8;

function serializeGraph(modules: ModuleSpec[], options: { entryPointId?: number; execArgv?: string; flags?: number } = {}): Buffer {
  const parts: Buffer[] = [];
  let length = 0;
  const append = (bytes: Buffer, nul = false) => {
    const pointer = { offset: length, length: bytes.length };
    parts.push(bytes);
    length += bytes.length;
    if (nul) {
      parts.push(Buffer.alloc(1));
      length += 1;
    }
    return pointer;
  };
  const empty = { offset: 0, length: 0 };
  const records = modules.map((module) => ({
    module,
    sourcemap: module.sourcemap ? append(module.sourcemap) : empty,
    bytecode: module.bytecode ? append(module.bytecode) : empty,
    contents: append(module.contents, true),
    name: append(Buffer.from(module.name), true),
  }));
  const table = Buffer.alloc(records.length * 52);
  records.forEach((record, i) => {
    const at = i * 52;
    const pointers = [record.name, record.contents, record.sourcemap, record.bytecode, empty, empty];
    pointers.forEach((pointer, j) => {
      table.writeUInt32LE(pointer.offset, at + j * 8);
      table.writeUInt32LE(pointer.length, at + j * 8 + 4);
    });
    table.set([record.module.encoding ?? 1, record.module.loader ?? 1, record.module.format ?? 1, record.module.side ?? 0], at + 48);
  });
  const flags = options.flags ?? FLAG_HAS_SOURCE_HASHES | FLAG_HAS_BUILTIN_BYTECODE | FLAG_HAS_STARTUP_MODULE_COUNT | 0b11;
  const modulesPointer = append(table);
  if (flags & FLAG_HAS_SOURCE_HASHES) append(Buffer.alloc(4 * records.length, 0x11));
  if (flags & FLAG_HAS_BUILTIN_BYTECODE) append(Buffer.alloc(4)); // count 0
  if (flags & FLAG_HAS_STARTUP_MODULE_COUNT) append(Buffer.from([1, 0, 0, 0]));
  const argvPointer = append(Buffer.from(options.execArgv ?? ""), true);
  const offsets = Buffer.alloc(32);
  offsets.writeBigUInt64LE(BigInt(length), 0);
  offsets.writeUInt32LE(modulesPointer.offset, 8);
  offsets.writeUInt32LE(modulesPointer.length, 12);
  offsets.writeUInt32LE(options.entryPointId ?? 0, 16);
  offsets.writeUInt32LE(argvPointer.offset, 20);
  offsets.writeUInt32LE(argvPointer.length, 24);
  offsets.writeUInt32LE(flags, 28);
  return Buffer.concat([...parts, offsets, Buffer.from(BUN_GRAPH_TRAILER, "latin1")]);
}

const twoModules = (): ModuleSpec[] => [
  { name: "/$bunfs/root/app", contents: Buffer.from('// @bun\nconsole.log("hi");\n', "latin1") },
  { name: "/$bunfs/root/note-abcdefgh.txt", contents: Buffer.from("caf\u00e9 \u2713\n", "utf16le"), encoding: 2, loader: 13, format: 0, side: 1 },
];

// ---------------------------------------------------------------------------

describe("module graphs of real compiled executables", () => {
  let work: string;
  const graphs: Record<string, BunModuleGraph> = {};
  const targets = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64"];
  beforeAll(async () => {
    work = tempDir("bunfs-");
    writeFileSync(join(work, "index.ts"), 'console.log("hello from", process.platform, process.arch);\n');
    writeFileSync(join(work, "package.json"), JSON.stringify({ name: "bunfs-fixture", type: "module" }));
    // One target at a time: each executable is ~100 MB and is deleted once read.
    for (const target of targets) {
      const file = await compile(target, work, join(work, "out"));
      graphs[target] = readBunModuleGraph(readFileSync(file), file)!;
      rmSync(join(work, "out", target), { recursive: true, force: true });
    }
  });

  it.each(targets)("reads the entry point, its inlined source and the flags from %s", (target) => {
    const graph = graphs[target]!;
    const [os, arch] = target.split("-") as [string, string];
    expect(graph.entryPoint).toBe(os === "windows" ? "B:/~BUN/root/app" : "/$bunfs/root/app");
    expect(graph.modules).toHaveLength(1);
    const entry = graph.modules[0]!;
    expect(entry).toMatchObject({ isEntryPoint: true, loader: "js", encoding: "latin1", moduleFormat: "esm", side: "server" });
    // process.platform and process.arch are target defines, inlined at build time.
    expect(entry.text).toContain(`console.log("hello from", "${os === "windows" ? "win32" : os}", "${arch}");`);
    expect(entry.text?.startsWith("// @bun\n")).toBe(true);
    expect(graph.execArgv).toBe("");
    expect(graph.flags.names).toEqual(expect.arrayContaining(["disable-default-env-files", "disable-autoload-bunfig"]));
    expect(graph.bunVersion?.version).toBe(BUN_VERSION);
  });

  it("puts the graph right after the u64 length of the Bun section on every format", () => {
    for (const target of targets) expect(graphs[target]!.size, target).toBeGreaterThan(48);
  });
});

describe("a graph with a source map, bytecode, exec argv and a UTF-16 text asset", () => {
  let graph: BunModuleGraph;
  let file: string;
  beforeAll(async () => {
    const work = tempDir("bunfs-flags-");
    writeFileSync(join(work, "index.ts"), 'import note from "./note.txt";\nconsole.log("note:", note);\n');
    writeFileSync(join(work, "note.txt"), "plain text \u2713\n");
    writeFileSync(join(work, "package.json"), JSON.stringify({ name: "bunfs-flags", type: "module" }));
    file = await compile("linux-x64", work, join(work, "out"), ["--sourcemap", "--bytecode", "--compile-exec-argv=--smol"]);
    graph = readBunModuleGraph(readFileSync(file), file)!;
  });

  it("reads the exec argv and the bytecode string table", () => {
    expect(graph.execArgv).toBe("--smol");
    expect(graph.bytecodeStringTable?.size).toBeGreaterThan(0);
  });

  it("reads the entry's bytecode, its origin path and the embedded source map's sources", () => {
    const entry = graph.modules[graph.entryPointId]!;
    expect(entry.bytecode?.size).toBeGreaterThan(0);
    expect(entry.bytecode?.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(entry.bytecodeOriginPath).toBe("/$bunfs/root/app");
    expect(entry.sourcemap?.sources).toEqual(["index.ts"]);
    // --bytecode makes Bun emit the bundle as CommonJS.
    expect(entry.moduleFormat).toBe("cjs");
    expect(entry.text).toMatch(/^\/\/ @bun @bytecode @bun-cjs\n/);
  });

  it("decodes a non-ASCII text asset that Bun stored as UTF-16", () => {
    const note = graph.modules.find((module) => module.name.endsWith(".txt"))!;
    expect(note.name).toMatch(/^\/\$bunfs\/root\/note-[a-z0-9]{8}\.txt$/);
    expect(note).toMatchObject({ loader: "text", encoding: "utf16", text: "plain text \u2713\n" });
  });

  it("fails with a BinaryFormatError, not a crash, when the module table is corrupt", () => {
    const bytes = Buffer.from(readFileSync(file));
    const payload = readLayout(bytes).bunPayload!;
    const offsets = payload.offset + payload.size - 16 - 32;
    bytes.writeUInt32LE(bytes.readUInt32LE(offsets + 12) + 1, offsets + 12); // modules length no longer a multiple of 52
    expect(() => readBunModuleGraph(bytes, "broken")).toThrow(BinaryFormatError);
    expect(() => readBunModuleGraph(bytes, "broken")).toThrow(/^broken: module graph is corrupt or from an unknown Bun version: the Offsets .* fit none of the known layouts 32\/52 .*; the runtime says Bun \d/);
  });
});

describe("runtimes without an app", () => {
  it("returns no graph for a plain Bun runtime, but its version", async () => {
    const runtime = readFileSync(await pinnedRuntime("linux-x64"));
    expect(readBunModuleGraph(runtime, "bun")).toBeUndefined();
    const version = readBunVersion(runtime)!;
    expect(version).toMatchObject({ version: BUN_VERSION, channel: "release", os: "Linux", arch: "x64", baseline: false });
    expect(version.revision).toMatch(/^[0-9a-f]{9}$/);
    expect(version.fullRevision?.startsWith(version.revision!)).toBe(true);
    expect(version.text).toBe(`Bun v${BUN_VERSION} (${version.revision}) Linux x64`);
  });

  it("reads the version of the macOS runtime, which calls arm64 Silicon", async () => {
    const version = readBunVersion(readFileSync(await pinnedRuntime("darwin-arm64")))!;
    expect(version).toMatchObject({ version: BUN_VERSION, os: "macOS", arch: "Silicon" });
  });

  it("finds no version in bytes that carry none", () => {
    expect(readBunVersion(Buffer.from("Bun v1 (nope)\n"))).toBeUndefined();
  });
});

describe("graphs serialized in memory", () => {
  it("parses every field of the documented layout", () => {
    const graph = parseBunModuleGraph(serializeGraph(twoModules(), { execArgv: "--smol --inspect" }));
    expect(graph.entryPoint).toBe("/$bunfs/root/app");
    expect(graph.execArgv).toBe("--smol --inspect");
    expect(graph.startupModuleCount).toBe(1);
    expect(graph.flags.names).toEqual([
      "disable-default-env-files",
      "disable-autoload-bunfig",
      "has-source-hashes",
      "has-builtin-bytecode",
      "has-startup-module-count",
    ]);
    const [entry, note] = graph.modules;
    expect(entry).toMatchObject({ index: 0, isEntryPoint: true, loader: "js", encoding: "latin1", text: '// @bun\nconsole.log("hi");\n', sourceHash: 0x11111111 });
    expect(note).toMatchObject({ isEntryPoint: false, loader: "text", encoding: "utf16", moduleFormat: "none", side: "client", text: "caf\u00e9 \u2713\n" });
  });

  it("reads a graph without the optional records (older 1.4 layouts)", () => {
    const graph = parseBunModuleGraph(serializeGraph(twoModules(), { flags: 0 }));
    expect(graph.modules.map((module) => module.name)).toEqual(["/$bunfs/root/app", "/$bunfs/root/note-abcdefgh.txt"]);
    expect(graph.startupModuleCount).toBeUndefined();
    expect(graph.modules[0]!.sourceHash).toBeUndefined();
  });

  it("lists the sources of an embedded source map", () => {
    const names = ["src/index.ts", "node_modules/dep/index.js"];
    const header = Buffer.alloc(8 + names.length * 16);
    header.writeUInt32LE(names.length, 0);
    let at = header.length;
    names.forEach((name, i) => {
      header.writeUInt32LE(at, 8 + i * 8);
      header.writeUInt32LE(name.length, 12 + i * 8);
      at += name.length;
    });
    const sourcemap = Buffer.concat([header, Buffer.from(names.join(""))]);
    const graph = parseBunModuleGraph(serializeGraph([{ name: "/$bunfs/root/app", contents: Buffer.from("x"), sourcemap }]));
    expect(graph.modules[0]!.sourcemap).toMatchObject({ size: sourcemap.length, sources: names });
  });

  it("finds an appended graph by its trailer and skips a stray trailer string before it", () => {
    const decoy = Buffer.concat([Buffer.alloc(64, 0x41), Buffer.from(BUN_GRAPH_TRAILER, "latin1"), Buffer.alloc(100, 0x42)]);
    const bytes = Buffer.concat([decoy, serializeGraph(twoModules()), Buffer.alloc(8)]);
    const graph = readBunModuleGraph(bytes, "appended.bin")!;
    expect(graph.offset).toBe(decoy.length);
    expect(graph.modules).toHaveLength(2);
    expect(readBunModuleGraph(decoy, "decoy.bin")).toBeUndefined();
  });

  it("rejects an entry point id past the module table", () => {
    expect(() => parseBunModuleGraph(serializeGraph(twoModules(), { entryPointId: 2 }), "bad")).toThrow(/^bad: module graph is corrupt/);
  });

  it("rejects a string pointer that runs past the graph", () => {
    const bytes = serializeGraph(twoModules());
    const modulesOffset = bytes.readUInt32LE(bytes.length - 16 - 32 + 8);
    bytes.writeUInt32LE(0xfffff, modulesOffset + 12); // entry contents length
    expect(() => parseBunModuleGraph(bytes, "bad")).toThrow(/^bad: module graph is corrupt: module contents \(offset 0, 1048575 bytes\) runs past the graph/);
  });

  it("never throws anything but BinaryFormatError on corrupted graphs", () => {
    const original = serializeGraph(twoModules(), { execArgv: "--smol" });
    let seed = 1;
    const next = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let round = 0; round < 3000; round++) {
      const bytes = Buffer.from(original);
      for (let flips = 1 + Math.floor(next() * 3); flips > 0; flips--) bytes[Math.floor(next() * (bytes.length - 16))] = Math.floor(next() * 256);
      try {
        parseBunModuleGraph(bytes, "fuzz");
      } catch (error) {
        if (!(error instanceof BinaryFormatError)) throw error;
      }
    }
  });
});

afterAll(() => removeTemps());

// Reader for the module graph that `bun build --compile` embeds in an executable
// (Bun's "StandaloneModuleGraph", served to the app as the virtual /$bunfs/ file system).
// One module's record and bytes are bunfs-module.ts; the Bun version string every runtime
// carries is bun-version.ts.
//
// Serialized layout (oven-sh/bun src/StandaloneModuleGraph.zig `toBytes`, and since the
// Rust port src/standalone_graph/StandaloneModuleGraph.rs `to_bytes` / `from_bytes`). All
// integers are little-endian; a StringPointer is { offset: u32, length: u32 } relative to
// the start of the graph; strings are followed by a NUL that `length` does not count.
//
//   [regions: bytecode (128-byte aligned), module_info, source maps, source texts,
//    names, bytecode origin paths]
//   [CompiledModuleGraphFile x N]   36 bytes each before Bun 1.3.9, 52 bytes since
//   [optional records, in Flags bit order; Bun 1.4.1 and later]
//     HAS_SOURCE_HASHES          u32 x N           (WTF string hash of each source, 0 = none)
//     HAS_BUILTIN_BYTECODE       u32 count, then count x { u32 id, StringPointer bytes }
//     HAS_BYTECODE_STRING_TABLE  StringPointer
//     HAS_STARTUP_MODULE_COUNT   u32
//     HAS_MODULE_INFO_STRING_TABLE StringPointer
//   [compile exec argv, NUL-terminated; Bun 1.2.21 and later]
//   [Offsets]  { byte_count: u64, modules_ptr: SP, entry_point_id: u32,
//                compile_exec_argv_ptr: SP (1.2.21), flags: u32 (1.3.3) }, 24 or 32 bytes
//   "\n---- Bun! ----\n"  (TRAILER, 16 bytes)
//
//   CompiledModuleGraphFile: name, contents, sourcemap, bytecode, then (1.3.9 on) module_info,
//   bytecode_origin_path (StringPointers), then encoding u8 (0 binary, 1 latin1, 2 utf16le),
//   loader u8 (bun_ast::Loader), module_format u8 (0 none, 1 esm, 2 cjs), side u8 (0 server,
//   1 client).
//
// Which Bun writes which layout, and where each executable format keeps the graph (a section,
// or appended to the file), is in bun-graph-layout.ts and docs/internals.md. The reader takes
// the layout of the Bun version the runtime names, and checks it against the bytes.

import { createHash } from "node:crypto";
import { BinaryFormatError } from "../errors.ts";
import {
  BUN_GRAPH_TRAILER,
  type GraphLayout,
  GRAPH_LAYOUTS,
  offsetsTailIsFlags,
  type ProbedOffsets,
  probeOffsets,
  STRING_POINTER_SIZE,
  TRAILER_BYTES,
} from "./bun-graph-layout.ts";
import { type BunVersion, readBunVersion } from "./bun-version.ts";
import { type BlobFacts, type BunModule, facts, type ModuleRecord, type Slice, type StringPointerLike, toModule } from "./bunfs-module.ts";
import { readLayout, sniffFormat, type BinaryLayout } from "./format.ts";

export { BUN_GRAPH_TRAILER };
/** Where entry points and assets live in the graph: POSIX targets, and Windows targets (`B:/~BUN/`). */
export const BUNFS_ROOTS = ["/$bunfs/root/", "B:/~BUN/root/"] as const;
const MAX_MODULES = 1_000_000;

/** Offsets.flags bits (bitflags `Flags` in StandaloneModuleGraph.rs). */
export const GRAPH_FLAG_NAMES = [
  "disable-default-env-files", // --no-compile-autoload-dotenv
  "disable-autoload-bunfig", // --no-compile-autoload-bunfig
  "disable-autoload-tsconfig", // default unless --compile-autoload-tsconfig
  "disable-autoload-package-json", // default unless --compile-autoload-package-json
  "source-text-contiguous",
  "has-source-hashes",
  "has-builtin-bytecode",
  "has-bytecode-string-table",
  "has-startup-module-count",
  "has-module-info-string-table",
  "cross-compiled-bytecode",
] as const;
const FLAG = Object.fromEntries(GRAPH_FLAG_NAMES.map((name, bit) => [name, 1 << bit])) as Record<(typeof GRAPH_FLAG_NAMES)[number], number>;

export interface BunModuleGraph {
  /** File offset of the serialized graph (where StringPointer offsets start). */
  offset: number;
  /** Bytes from `offset` to the end of the trailer. */
  size: number;
  entryPointId: number;
  /** Name of the entry point module, e.g. /$bunfs/root/app. */
  entryPoint: string;
  modules: BunModule[];
  /** `--compile-exec-argv` as stored (one string; empty when not given). */
  execArgv: string;
  flags: { raw: number; names: string[] };
  startupModuleCount?: number;
  builtinBytecode?: { count: number; size: number; sha256: string };
  bytecodeStringTable?: BlobFacts;
  moduleInfoStringTable?: BlobFacts;
  bunVersion?: BunVersion;
  /** Which serialization this is, and where the executable keeps it. */
  layout: GraphLayoutFacts;
}

export interface GraphLayoutFacts {
  /** "24/36", "32/36" or "32/52" (Offsets bytes / module record bytes), see bun-graph-layout.ts. */
  id: GraphLayout["id"];
  /** e.g. "Bun 1.2.21 to 1.3.8". */
  versions: string;
  /** Where the graph is stored; undefined when parsed from bare graph bytes. */
  container?: BinaryLayout["bunContainer"];
  /**
   * Alignment padding in Offsets that Bun before 1.3.3 copied from uninitialized memory
   * (Offsets is an `extern struct` written with `std.mem.asBytes`): file offset and bytes.
   * Non-zero padding makes two builds of the same input differ.
   */
  padding?: { offset: number; bytes: Buffer };
}

/**
 * The module graph of a compiled Bun executable, or undefined when the file carries
 * none (a plain Bun runtime, or an executable stripped of its `.bun` section).
 * Throws BinaryFormatError when a graph is present but corrupt.
 */
export function readBunModuleGraph(buf: Uint8Array, file = "<buffer>"): BunModuleGraph | undefined {
  const bunVersion = readBunVersion(buf);
  const location = locateGraph(buf, file, bunVersion?.version);
  if (!location) return undefined;
  const graph = parseGraphAt(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), location, file, bunVersion?.version);
  graph.bunVersion = bunVersion;
  return graph;
}

/**
 * Parses a serialized graph on its own (the bytes after the section's length prefix), of
 * any layout; `bunVersion` picks the layout that version writes when the bytes allow two.
 */
export function parseBunModuleGraph(payload: Uint8Array, file = "<buffer>", bunVersion?: string): BunModuleGraph {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const trailerAt = bytes.lastIndexOf(TRAILER_BYTES);
  if (trailerAt < 24) throw new BinaryFormatError(file, "module graph: no \\n---- Bun! ----\\n trailer");
  return parseGraphAt(bytes, { trailerAt }, file, bunVersion);
}

interface GraphLocation {
  trailerAt: number;
  /** Where the payload must start, when the container told us (after the section's length prefix). */
  expectedStart?: number;
  container?: BinaryLayout["bunContainer"];
}

function locateGraph(buf: Uint8Array, file: string, version: string | undefined): GraphLocation | undefined {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  const layout = sniffFormat(buf) ? readLayout(buf, file) : undefined;
  const payload = layout?.bunPayload;
  if (payload) {
    // The trailer ends the graph; a writer may pad the section after it.
    const region = bytes.subarray(payload.offset, payload.offset + payload.size);
    const trailerAt = region.lastIndexOf(TRAILER_BYTES);
    if (trailerAt < 24) {
      throw new BinaryFormatError(file, `Bun section at offset ${payload.offset} holds ${payload.size} bytes without a module-graph trailer`);
    }
    return { trailerAt: payload.offset + trailerAt, expectedStart: payload.offset, container: layout.bunContainer };
  }
  if (layout?.bunSection) return undefined; // an empty Bun section: a plain runtime
  // Not an executable format we map (or a graph without its container): look for a trailer
  // whose Offsets describe a module table, from the end. The runtime itself contains the
  // trailer string as a constant, so a bare match means nothing.
  for (let at = bytes.lastIndexOf(TRAILER_BYTES); at >= 24; at = bytes.lastIndexOf(TRAILER_BYTES, at - 1)) {
    if (probeOffsets(bytes, at, version) !== undefined) return { trailerAt: at };
    if (at === 0) break;
  }
  return undefined;
}

function parseGraphAt(bytes: Buffer, location: GraphLocation, file: string, version: string | undefined): BunModuleGraph {
  const offsets: ProbedOffsets | undefined = probeOffsets(bytes, location.trailerAt, version, location.expectedStart);
  if (!offsets) {
    const sizes = GRAPH_LAYOUTS.map((layout) => `${layout.id} (${layout.versions})`).join(", ");
    throw new BinaryFormatError(
      file,
      `module graph is corrupt or from an unknown Bun version: the Offsets before the trailer` +
        `${location.expectedStart !== undefined ? ` at ${location.trailerAt}` : ""} fit none of the known layouts ${sizes}` +
        (version ? `; the runtime says Bun ${version}` : ""),
    );
  }
  const { layout } = offsets;
  const graphEnd = location.trailerAt + TRAILER_BYTES.length;
  const graph = new GraphBytes(bytes.subarray(offsets.start, offsets.offsetsAt), file);
  const records = readModuleRecords(graph, offsets);

  // Before 1.3.3 the u32 after the last pointer is padding, not flags (bun-graph-layout.ts).
  const tailIsFlags = offsetsTailIsFlags(layout, version, offsets.tail);
  const flags = tailIsFlags ? offsets.tail : 0;
  let padding: GraphLayoutFacts["padding"];
  if (!tailIsFlags) {
    const at = offsets.offsetsAt + layout.offsetsSize - 4;
    padding = { offset: at, bytes: Buffer.from(bytes.subarray(at, at + 4)) };
  }
  const optional = readOptionalRecords(graph, offsets, layout.moduleInfo ? flags : 0, records.length, file);
  const modules = records.map((record, index) => toModule(record, index, offsets.entryPointId, optional.sourceHashes?.[index], graph.slice));

  const layoutFacts: GraphLayoutFacts = { id: layout.id, versions: layout.versions };
  if (location.container) layoutFacts.container = location.container;
  if (padding) layoutFacts.padding = padding;
  return {
    offset: offsets.start,
    size: graphEnd - offsets.start,
    entryPointId: offsets.entryPointId,
    entryPoint: modules[offsets.entryPointId]!.name,
    modules,
    execArgv: graph.slice(offsets.execArgv, "compile exec argv").toString("utf8"),
    flags: { raw: flags, names: GRAPH_FLAG_NAMES.filter((name) => flags & FLAG[name]) },
    startupModuleCount: optional.startupModuleCount,
    builtinBytecode: optional.builtinBytecode,
    bytecodeStringTable: optional.bytecodeStringTable,
    moduleInfoStringTable: optional.moduleInfoStringTable,
    layout: layoutFacts,
  };
}

/** The graph's bytes (StringPointer offsets start here), read bounds-checked: corrupt input is a BinaryFormatError. */
class GraphBytes {
  constructor(readonly bytes: Buffer, private readonly file: string) {}

  readonly slice: Slice = (pointer, what) => {
    if (pointer.length === 0) return Buffer.alloc(0);
    if (pointer.offset + pointer.length > this.bytes.length) {
      throw new BinaryFormatError(this.file, `module graph is corrupt: ${what} (offset ${pointer.offset}, ${pointer.length} bytes) runs past the graph`);
    }
    return this.bytes.subarray(pointer.offset, pointer.offset + pointer.length);
  };

  pointerAt(at: number, what: string): StringPointerLike {
    if (at + STRING_POINTER_SIZE > this.bytes.length) throw new BinaryFormatError(this.file, `module graph is corrupt: ${what} lies past the graph`);
    return { offset: this.bytes.readUInt32LE(at), length: this.bytes.readUInt32LE(at + 4) };
  }

  u32At(at: number, what: string): number {
    if (at + 4 > this.bytes.length) throw new BinaryFormatError(this.file, `module graph is corrupt: ${what} lies past the graph`);
    return this.bytes.readUInt32LE(at);
  }
}

/** The CompiledModuleGraphFile table: 36-byte records, or 52 with module_info (Bun 1.3.9 on). */
function readModuleRecords(graph: GraphBytes, offsets: ProbedOffsets): ModuleRecord[] {
  const { layout } = offsets;
  const size = layout.recordSize;
  const tailAt = layout.moduleInfo ? 48 : 32;
  const moduleCount = offsets.modules.length / size;
  const none = { offset: 0, length: 0 };
  const records: ModuleRecord[] = [];
  for (let i = 0; i < moduleCount; i++) {
    const at = offsets.modules.offset + i * size;
    records.push({
      name: graph.pointerAt(at, "module name"),
      contents: graph.pointerAt(at + 8, "module contents"),
      sourcemap: graph.pointerAt(at + 16, "module sourcemap"),
      bytecode: graph.pointerAt(at + 24, "module bytecode"),
      moduleInfo: layout.moduleInfo ? graph.pointerAt(at + 32, "module info") : none,
      bytecodeOriginPath: layout.moduleInfo ? graph.pointerAt(at + 40, "bytecode origin path") : none,
      encoding: graph.bytes[at + tailAt]!,
      loader: graph.bytes[at + tailAt + 1]!,
      moduleFormat: graph.bytes[at + tailAt + 2]!,
      side: graph.bytes[at + tailAt + 3]!,
    });
  }
  return records;
}

interface OptionalRecords {
  sourceHashes?: number[];
  builtinBytecode?: BunModuleGraph["builtinBytecode"];
  bytecodeStringTable?: BlobFacts;
  startupModuleCount?: number;
  moduleInfoStringTable?: BlobFacts;
}

/**
 * The optional records follow the module table in Flags bit order (`from_bytes`); they exist
 * from Bun 1.4.1, whose graphs all have 52-byte records. `optional` is 0 for older layouts.
 */
function readOptionalRecords(graph: GraphBytes, offsets: ProbedOffsets, optional: number, moduleCount: number, file: string): OptionalRecords {
  const found: OptionalRecords = {};
  let recordAt = offsets.modules.offset + offsets.modules.length;
  if (optional & FLAG["has-source-hashes"]) {
    found.sourceHashes = Array.from({ length: moduleCount }, (_, i) => graph.u32At(recordAt + i * 4, "source hash table"));
    recordAt += moduleCount * 4;
  }
  if (optional & FLAG["has-builtin-bytecode"]) {
    const count = graph.u32At(recordAt, "builtin bytecode count");
    recordAt += 4;
    if (count > MAX_MODULES) throw new BinaryFormatError(file, "module graph is corrupt: builtin bytecode count out of range");
    const hash = createHash("sha256");
    let total = 0;
    for (let i = 0; i < count; i++) {
      const blob = graph.slice(graph.pointerAt(recordAt + 4, "builtin bytecode pointer"), "builtin bytecode");
      hash.update(blob);
      total += blob.length;
      recordAt += 12;
    }
    if (count > 0) found.builtinBytecode = { count, size: total, sha256: hash.digest("hex") };
  }
  if (optional & FLAG["has-bytecode-string-table"]) {
    found.bytecodeStringTable = facts(graph.slice(graph.pointerAt(recordAt, "bytecode string table pointer"), "bytecode string table"));
    recordAt += STRING_POINTER_SIZE;
  }
  if (optional & FLAG["has-startup-module-count"]) {
    found.startupModuleCount = Math.min(graph.u32At(recordAt, "startup module count"), moduleCount);
    recordAt += 4;
  }
  if (optional & FLAG["has-module-info-string-table"]) {
    found.moduleInfoStringTable = facts(graph.slice(graph.pointerAt(recordAt, "module info string table pointer"), "module info string table"));
    recordAt += STRING_POINTER_SIZE;
  }
  return found;
}

/**
 * The same executable with the Offsets padding zeroed, or undefined when it already is
 * zero (or the layout has none). Bun never reads those bytes (they are alignment padding of
 * an `extern struct`), so zeroing them changes nothing at run time and makes two builds of
 * the same input byte-identical (Bun 1.2.4 to 1.2.10 wrote stack garbage there). Mach-O
 * files must be re-signed afterwards.
 */
export function zeroGraphPadding(buf: Uint8Array, file = "<buffer>"): Buffer | undefined {
  const graph = readBunModuleGraph(buf, file);
  const padding = graph?.layout.padding;
  if (!padding || padding.bytes.every((byte) => byte === 0)) return undefined;
  const out = Buffer.from(buf);
  out.fill(0, padding.offset, padding.offset + padding.bytes.length);
  return out;
}

/** "/$bunfs/root/app" or "B:/~BUN/root/app.exe" -> the part after the root; other names unchanged. */
export function displayName(name: string): string {
  const root = BUNFS_ROOTS.find((prefix) => name.startsWith(prefix));
  return root ? name.slice(root.length) : name;
}

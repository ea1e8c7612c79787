// Reader for the module graph that `bun build --compile` embeds in an executable
// (Bun's "StandaloneModuleGraph", served to the app as the virtual /$bunfs/ file system),
// and for the Bun version string every runtime carries.
//
// Serialized layout, Bun 1.4 (oven-sh/bun src/standalone_graph/StandaloneModuleGraph.rs,
// `to_bytes` / `from_bytes`; the Zig original was src/StandaloneModuleGraph.zig). All
// integers are little-endian; a StringPointer is { offset: u32, length: u32 } relative to
// the start of the graph; strings are followed by a NUL that `length` does not count.
//
//   [regions: bytecode (128-byte aligned), module_info, source maps, source texts,
//    names, bytecode origin paths]
//   [CompiledModuleGraphFile x N]   52 bytes each, at Offsets.modules_ptr
//   [optional records, in Flags bit order]
//     HAS_SOURCE_HASHES          u32 x N           (WTF string hash of each source, 0 = none)
//     HAS_BUILTIN_BYTECODE       u32 count, then count x { u32 id, StringPointer bytes }
//     HAS_BYTECODE_STRING_TABLE  StringPointer
//     HAS_STARTUP_MODULE_COUNT   u32
//     HAS_MODULE_INFO_STRING_TABLE StringPointer
//   [compile exec argv, NUL-terminated]
//   [Offsets, 32 bytes]  { byte_count: u64, modules_ptr: SP, entry_point_id: u32,
//                          compile_exec_argv_ptr: SP, flags: u32 }
//   "\n---- Bun! ----\n"  (TRAILER, 16 bytes)
//
//   CompiledModuleGraphFile (#[repr(C)], 52 bytes): name, contents, sourcemap, bytecode,
//   module_info, bytecode_origin_path (6 x StringPointer), then encoding u8
//   (0 binary, 1 latin1, 2 utf16le), loader u8 (bun_ast::Loader), module_format u8
//   (0 none, 1 esm, 2 cjs), side u8 (0 server, 1 client).
//
// The container (format.ts) puts this graph after a u64 length in ELF/PE `.bun` or
// Mach-O `__BUN,__bun`. When no such section is found we fall back to searching for the
// trailer, validating the Offsets in front of it (the runtime itself also contains the
// trailer string as a constant, so a bare match means nothing).

import { createHash } from "node:crypto";
import { BinaryFormatError } from "../errors.ts";
import { readLayout, sniffFormat, type ByteRange } from "./format.ts";

export const BUN_GRAPH_TRAILER = "\n---- Bun! ----\n";
const TRAILER_BYTES = Buffer.from(BUN_GRAPH_TRAILER, "latin1");
const OFFSETS_SIZE = 32;
const MODULE_RECORD_SIZE = 52;
const STRING_POINTER_SIZE = 8;
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

/** bun_ast::Loader, `#[repr(u8)]`, values are append-only (src/ast/... "can only be appended to"). */
export const LOADER_NAMES = [
  "jsx",
  "js",
  "ts",
  "tsx",
  "css",
  "file",
  "json",
  "jsonc",
  "toml",
  "wasm",
  "napi",
  "base64",
  "dataurl",
  "text",
  "bunsh",
  "sqlite",
  "sqlite_embedded",
  "html",
  "yaml",
  "json5",
  "md",
] as const;
const TEXT_LOADERS = new Set(["jsx", "js", "ts", "tsx", "css", "json", "jsonc", "toml", "text", "bunsh", "html", "yaml", "json5", "md"]);

export type ModuleEncoding = "binary" | "latin1" | "utf16" | `unknown-${number}`;
export type ModuleFormat = "none" | "esm" | "cjs" | `unknown-${number}`;

export interface BlobFacts {
  size: number;
  sha256: string;
}

export interface BunModule {
  index: number;
  /** The virtual path, e.g. /$bunfs/root/app or /$bunfs/root/note-pfwcwyzg.txt. */
  name: string;
  isEntryPoint: boolean;
  /** The bytes exactly as stored (Latin-1, UTF-16LE or raw, see `encoding`). */
  contents: Buffer;
  /** The contents decoded to a string when they are text; undefined for binary assets. */
  text?: string;
  contentsSha256: string;
  encoding: ModuleEncoding;
  loader: string;
  moduleFormat: ModuleFormat;
  side: "server" | "client";
  /** Present when built with --sourcemap: the embedded (zstd-compressed) map and its sources. */
  sourcemap?: BlobFacts & { sources?: string[] };
  /** Present when built with --bytecode. */
  bytecode?: BlobFacts;
  moduleInfo?: BlobFacts;
  bytecodeOriginPath?: string;
  sourceHash?: number;
}

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
}

/**
 * The module graph of a compiled Bun executable, or undefined when the file carries
 * none (a plain Bun runtime, or an executable stripped of its `.bun` section).
 * Throws BinaryFormatError when a graph is present but corrupt.
 */
export function readBunModuleGraph(buf: Uint8Array, file = "<buffer>"): BunModuleGraph | undefined {
  const location = locateGraph(buf, file);
  if (!location) return undefined;
  const graph = parseGraphAt(Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength), location, file);
  graph.bunVersion = readBunVersion(buf);
  return graph;
}

/** Parses a serialized graph on its own (the bytes after the section's u64 length). */
export function parseBunModuleGraph(payload: Uint8Array, file = "<buffer>"): BunModuleGraph {
  const bytes = Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  const trailerAt = bytes.lastIndexOf(TRAILER_BYTES);
  if (trailerAt < OFFSETS_SIZE) throw new BinaryFormatError(file, "module graph: no \\n---- Bun! ----\\n trailer");
  return parseGraphAt(bytes, { trailerAt }, file);
}

interface GraphLocation {
  trailerAt: number;
  /** Where the payload must start, when the container told us (section start + 8). */
  expectedStart?: number;
}

function locateGraph(buf: Uint8Array, file: string): GraphLocation | undefined {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  let payload: ByteRange | undefined;
  if (sniffFormat(buf)) payload = readLayout(buf, file).bunPayload;
  if (payload) {
    // The trailer ends the graph; newer writers may pad the section after it.
    const region = bytes.subarray(payload.offset, payload.offset + payload.size);
    const trailerAt = region.lastIndexOf(TRAILER_BYTES);
    if (trailerAt < OFFSETS_SIZE) {
      throw new BinaryFormatError(file, `Bun section at offset ${payload.offset} holds ${payload.size} bytes without a module-graph trailer`);
    }
    return { trailerAt: payload.offset + trailerAt, expectedStart: payload.offset };
  }
  // No Bun section: look for an appended graph (older Bun versions appended it to the
  // file). Try matches from the end, and keep the first whose Offsets are consistent.
  for (let at = bytes.lastIndexOf(TRAILER_BYTES); at >= OFFSETS_SIZE; at = bytes.lastIndexOf(TRAILER_BYTES, at - 1)) {
    if (readOffsets(bytes, at) !== undefined) return { trailerAt: at };
    if (at === 0) break;
  }
  return undefined;
}

interface StringPointer {
  offset: number;
  length: number;
}

interface Offsets {
  start: number;
  byteCount: number;
  modules: StringPointer;
  entryPointId: number;
  execArgv: StringPointer;
  flags: number;
}

/** Reads and sanity-checks the Offsets struct in front of a trailer; undefined if it is not one. */
function readOffsets(bytes: Buffer, trailerAt: number): Offsets | undefined {
  const at = trailerAt - OFFSETS_SIZE;
  if (at < 0) return undefined;
  const byteCount = bytes.readBigUInt64LE(at);
  if (byteCount > BigInt(at)) return undefined;
  const start = at - Number(byteCount);
  const offsets: Offsets = {
    start,
    byteCount: Number(byteCount),
    modules: { offset: bytes.readUInt32LE(at + 8), length: bytes.readUInt32LE(at + 12) },
    entryPointId: bytes.readUInt32LE(at + 16),
    execArgv: { offset: bytes.readUInt32LE(at + 20), length: bytes.readUInt32LE(at + 24) },
    flags: bytes.readUInt32LE(at + 28),
  };
  const inside = (pointer: StringPointer) => pointer.offset + pointer.length <= offsets.byteCount;
  const moduleCount = offsets.modules.length / MODULE_RECORD_SIZE;
  if (!inside(offsets.modules) || !inside(offsets.execArgv)) return undefined;
  if (!Number.isInteger(moduleCount) || moduleCount === 0 || moduleCount > MAX_MODULES) return undefined;
  if (offsets.entryPointId >= moduleCount) return undefined;
  return offsets;
}

function parseGraphAt(bytes: Buffer, location: GraphLocation, file: string): BunModuleGraph {
  const offsets = readOffsets(bytes, location.trailerAt);
  if (!offsets) {
    throw new BinaryFormatError(
      file,
      "module graph is corrupt or from an unsupported Bun version: the Offsets before the trailer do not describe a 52-byte-per-module table",
    );
  }
  if (location.expectedStart !== undefined && offsets.start !== location.expectedStart) {
    throw new BinaryFormatError(
      file,
      `module graph is corrupt: it should start at offset ${location.expectedStart} (the Bun section) but its byte count points to ${offsets.start}`,
    );
  }
  const graphEnd = location.trailerAt + TRAILER_BYTES.length;
  const graphBytes = bytes.subarray(offsets.start, location.trailerAt - OFFSETS_SIZE);
  const slice = (pointer: StringPointer, what: string): Buffer => {
    if (pointer.length === 0) return Buffer.alloc(0);
    if (pointer.offset + pointer.length > graphBytes.length) {
      throw new BinaryFormatError(file, `module graph is corrupt: ${what} (offset ${pointer.offset}, ${pointer.length} bytes) runs past the graph`);
    }
    return graphBytes.subarray(pointer.offset, pointer.offset + pointer.length);
  };
  const pointerAt = (at: number, what: string): StringPointer => {
    if (at + STRING_POINTER_SIZE > graphBytes.length) throw new BinaryFormatError(file, `module graph is corrupt: ${what} lies past the graph`);
    return { offset: graphBytes.readUInt32LE(at), length: graphBytes.readUInt32LE(at + 4) };
  };
  const u32At = (at: number, what: string): number => {
    if (at + 4 > graphBytes.length) throw new BinaryFormatError(file, `module graph is corrupt: ${what} lies past the graph`);
    return graphBytes.readUInt32LE(at);
  };

  const moduleCount = offsets.modules.length / MODULE_RECORD_SIZE;
  const records = [];
  for (let i = 0; i < moduleCount; i++) {
    const at = offsets.modules.offset + i * MODULE_RECORD_SIZE;
    records.push({
      name: pointerAt(at, "module name"),
      contents: pointerAt(at + 8, "module contents"),
      sourcemap: pointerAt(at + 16, "module sourcemap"),
      bytecode: pointerAt(at + 24, "module bytecode"),
      moduleInfo: pointerAt(at + 32, "module info"),
      bytecodeOriginPath: pointerAt(at + 40, "bytecode origin path"),
      encoding: graphBytes[at + 48]!,
      loader: graphBytes[at + 49]!,
      moduleFormat: graphBytes[at + 50]!,
      side: graphBytes[at + 51]!,
    });
  }

  // The optional records follow the module table in Flags bit order (`from_bytes`).
  let recordAt = offsets.modules.offset + offsets.modules.length;
  let sourceHashes: number[] | undefined;
  if (offsets.flags & FLAG["has-source-hashes"]) {
    sourceHashes = records.map((_, i) => u32At(recordAt + i * 4, "source hash table"));
    recordAt += moduleCount * 4;
  }
  let builtinBytecode: BunModuleGraph["builtinBytecode"];
  if (offsets.flags & FLAG["has-builtin-bytecode"]) {
    const count = u32At(recordAt, "builtin bytecode count");
    recordAt += 4;
    if (count > MAX_MODULES) throw new BinaryFormatError(file, "module graph is corrupt: builtin bytecode count out of range");
    const hash = createHash("sha256");
    let size = 0;
    for (let i = 0; i < count; i++) {
      const blob = slice(pointerAt(recordAt + 4, "builtin bytecode pointer"), "builtin bytecode");
      hash.update(blob);
      size += blob.length;
      recordAt += 12;
    }
    if (count > 0) builtinBytecode = { count, size, sha256: hash.digest("hex") };
  }
  let bytecodeStringTable: BlobFacts | undefined;
  if (offsets.flags & FLAG["has-bytecode-string-table"]) {
    bytecodeStringTable = facts(slice(pointerAt(recordAt, "bytecode string table pointer"), "bytecode string table"));
    recordAt += STRING_POINTER_SIZE;
  }
  let startupModuleCount: number | undefined;
  if (offsets.flags & FLAG["has-startup-module-count"]) {
    startupModuleCount = Math.min(u32At(recordAt, "startup module count"), moduleCount);
    recordAt += 4;
  }
  let moduleInfoStringTable: BlobFacts | undefined;
  if (offsets.flags & FLAG["has-module-info-string-table"]) {
    moduleInfoStringTable = facts(slice(pointerAt(recordAt, "module info string table pointer"), "module info string table"));
    recordAt += STRING_POINTER_SIZE;
  }

  const modules: BunModule[] = records.map((record, index) => {
    const contents = slice(record.contents, "module contents");
    const loader = LOADER_NAMES[record.loader] ?? `loader-${record.loader}`;
    const encoding = encodingName(record.encoding);
    const sourcemapBytes = slice(record.sourcemap, "module sourcemap");
    const bytecode = slice(record.bytecode, "module bytecode");
    const moduleInfo = slice(record.moduleInfo, "module info");
    const originPath = slice(record.bytecodeOriginPath, "bytecode origin path");
    return {
      index,
      name: slice(record.name, "module name").toString("utf8"),
      isEntryPoint: index === offsets.entryPointId,
      contents,
      text: decodeText(contents, encoding, loader),
      contentsSha256: sha256(contents),
      encoding,
      loader,
      moduleFormat: moduleFormatName(record.moduleFormat),
      side: record.side === 1 ? "client" : "server",
      sourcemap: sourcemapBytes.length > 0 ? { ...facts(sourcemapBytes), sources: sourceMapSources(sourcemapBytes) } : undefined,
      bytecode: bytecode.length > 0 ? facts(bytecode) : undefined,
      moduleInfo: moduleInfo.length > 0 ? facts(moduleInfo) : undefined,
      bytecodeOriginPath: originPath.length > 0 ? originPath.toString("utf8") : undefined,
      sourceHash: sourceHashes?.[index] || undefined,
    };
  });

  return {
    offset: offsets.start,
    size: graphEnd - offsets.start,
    entryPointId: offsets.entryPointId,
    entryPoint: modules[offsets.entryPointId]!.name,
    modules,
    execArgv: slice(offsets.execArgv, "compile exec argv").toString("utf8"),
    flags: { raw: offsets.flags, names: GRAPH_FLAG_NAMES.filter((name) => offsets.flags & FLAG[name]) },
    startupModuleCount,
    builtinBytecode,
    bytecodeStringTable,
    moduleInfoStringTable,
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

function facts(bytes: Uint8Array): BlobFacts {
  return { size: bytes.length, sha256: sha256(bytes) };
}

function encodingName(value: number): ModuleEncoding {
  // Value 2 was a never-written `Utf8` before UTF-16 bodies were added (Bun 1.4), so
  // reading it as UTF-16LE is right for every graph that can contain it.
  return value === 0 ? "binary" : value === 1 ? "latin1" : value === 2 ? "utf16" : `unknown-${value}`;
}

function moduleFormatName(value: number): ModuleFormat {
  return value === 0 ? "none" : value === 1 ? "esm" : value === 2 ? "cjs" : `unknown-${value}`;
}

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

function decodeText(contents: Buffer, encoding: ModuleEncoding, loader: string): string | undefined {
  if (encoding === "latin1") return contents.toString("latin1");
  if (encoding === "utf16") return contents.toString("utf16le");
  // Binary-encoded files are assets (file loader, wasm, sqlite, napi...). Show them as
  // text only when they are valid UTF-8 without NULs, so a diff of them means something.
  if (!TEXT_LOADERS.has(loader) && contents.subarray(0, 8192).includes(0)) return undefined;
  try {
    return strictUtf8.decode(contents);
  } catch {
    return undefined;
  }
}

/**
 * Source file names of an embedded source map (SerializedSourceMap in
 * StandaloneModuleGraph.rs): { u32 source_files_count, u32 map_bytes_length }, then
 * count x StringPointer names, count x StringPointer zstd contents (offsets relative to
 * the source map blob). Undefined when the blob does not have that shape.
 */
function sourceMapSources(blob: Buffer): string[] | undefined {
  if (blob.length < 8) return undefined;
  const count = blob.readUInt32LE(0);
  if (count > 100_000 || 8 + count * 16 > blob.length) return undefined;
  const sources: string[] = [];
  for (let i = 0; i < count; i++) {
    const offset = blob.readUInt32LE(8 + i * 8);
    const length = blob.readUInt32LE(12 + i * 8);
    if (offset + length > blob.length) return undefined;
    sources.push(blob.subarray(offset, offset + length).toString("utf8"));
  }
  return sources;
}

// ---------------------------------------------------------------------------
// The Bun version a runtime was built from.

export interface BunVersion {
  /** e.g. "1.4.5", or "1.4.6-canary.12". */
  version: string;
  /** Short git revision, e.g. "a7733435c". */
  revision?: string;
  /** Full 40-hex git revision when the runtime carries it (the upgrade command's tag table). */
  fullRevision?: string;
  channel: "release" | "canary" | "debug";
  /** As the runtime names itself: Linux, macOS, Windows... */
  os?: string;
  /** x64, arm64, or "Silicon" for darwin-arm64. */
  arch?: string;
  baseline: boolean;
  /** The matched line, e.g. "Bun v1.4.5 (a7733435c) Linux x64". */
  text: string;
}

// The crash handler's metadata line, compiled into every runtime:
//   "Bun {Canary |Debug }v{version} ({short sha}) {os} {arch}{ (baseline)}\n"
// (`metadata_version_line` in src/crash_handler.zig, `package_json_version_with_sha`
// in src/Global.zig: "{version} ({sha})" when the build has a git sha).
const METADATA_LINE = /^Bun (Canary |Debug )?v(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+)?)(?: \(([0-9a-f]{7,40})\))? (\w+) (\w+)( \(baseline\))?\n/;
const VERSION_NEEDLES = ["Bun v", "Bun Canary v", "Bun Debug v"].map((text) => Buffer.from(text, "latin1"));

/** The version of the Bun runtime inside an executable (compiled app or plain bun), if found. */
export function readBunVersion(buf: Uint8Array): BunVersion | undefined {
  const bytes = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const needle of VERSION_NEEDLES) {
    for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
      const match = METADATA_LINE.exec(bytes.subarray(at, at + 120).toString("latin1"));
      if (!match) continue;
      const [, channelWord, version, revision, os, arch, baseline] = match;
      return {
        version: version!,
        revision,
        fullRevision: revision ? findFullRevision(bytes, version!, revision) : undefined,
        channel: channelWord === "Canary " ? "canary" : channelWord === "Debug " ? "debug" : "release",
        os,
        arch,
        baseline: baseline !== undefined,
        text: match[0].trimEnd(),
      };
    }
  }
  return undefined;
}

/** `bun upgrade` keeps "bun-v{version}" next to the full commit hash; use it when present. */
function findFullRevision(bytes: Buffer, version: string, shortRevision: string): string | undefined {
  const needle = Buffer.from(`bun-v${version}\0`, "latin1");
  for (let at = bytes.indexOf(needle); at !== -1; at = bytes.indexOf(needle, at + 1)) {
    const window = bytes.subarray(at + needle.length, at + needle.length + 80).toString("latin1");
    const match = /^\0*([0-9a-f]{40})/.exec(window);
    if (match && match[1]!.startsWith(shortRevision)) return match[1];
  }
  return undefined;
}

/** "/$bunfs/root/app" or "B:/~BUN/root/app.exe" -> the part after the root; other names unchanged. */
export function displayName(name: string): string {
  const root = BUNFS_ROOTS.find((prefix) => name.startsWith(prefix));
  return root ? name.slice(root.length) : name;
}

// Reader for the module graph that `bun build --compile` embeds in an executable
// (Bun's "StandaloneModuleGraph", served to the app as the virtual /$bunfs/ file system),
// and for the Bun version string every runtime carries.
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
  const graphBytes = bytes.subarray(offsets.start, offsets.offsetsAt);
  const slice = (pointer: StringPointerLike, what: string): Buffer => {
    if (pointer.length === 0) return Buffer.alloc(0);
    if (pointer.offset + pointer.length > graphBytes.length) {
      throw new BinaryFormatError(file, `module graph is corrupt: ${what} (offset ${pointer.offset}, ${pointer.length} bytes) runs past the graph`);
    }
    return graphBytes.subarray(pointer.offset, pointer.offset + pointer.length);
  };
  const pointerAt = (at: number, what: string): StringPointerLike => {
    if (at + STRING_POINTER_SIZE > graphBytes.length) throw new BinaryFormatError(file, `module graph is corrupt: ${what} lies past the graph`);
    return { offset: graphBytes.readUInt32LE(at), length: graphBytes.readUInt32LE(at + 4) };
  };
  const u32At = (at: number, what: string): number => {
    if (at + 4 > graphBytes.length) throw new BinaryFormatError(file, `module graph is corrupt: ${what} lies past the graph`);
    return graphBytes.readUInt32LE(at);
  };

  const size = layout.recordSize;
  const tailAt = layout.moduleInfo ? 48 : 32;
  const moduleCount = offsets.modules.length / size;
  const none = { offset: 0, length: 0 };
  const records = [];
  for (let i = 0; i < moduleCount; i++) {
    const at = offsets.modules.offset + i * size;
    records.push({
      name: pointerAt(at, "module name"),
      contents: pointerAt(at + 8, "module contents"),
      sourcemap: pointerAt(at + 16, "module sourcemap"),
      bytecode: pointerAt(at + 24, "module bytecode"),
      moduleInfo: layout.moduleInfo ? pointerAt(at + 32, "module info") : none,
      bytecodeOriginPath: layout.moduleInfo ? pointerAt(at + 40, "bytecode origin path") : none,
      encoding: graphBytes[at + tailAt]!,
      loader: graphBytes[at + tailAt + 1]!,
      moduleFormat: graphBytes[at + tailAt + 2]!,
      side: graphBytes[at + tailAt + 3]!,
    });
  }

  // Before 1.3.3 the u32 after the last pointer is padding, not flags (bun-graph-layout.ts).
  const tailIsFlags = offsetsTailIsFlags(layout, version, offsets.tail);
  const flags = tailIsFlags ? offsets.tail : 0;
  let padding: GraphLayoutFacts["padding"];
  if (!tailIsFlags) {
    const at = offsets.offsetsAt + layout.offsetsSize - 4;
    padding = { offset: at, bytes: Buffer.from(bytes.subarray(at, at + 4)) };
  }

  // The optional records follow the module table in Flags bit order (`from_bytes`); they
  // exist from Bun 1.4.1, whose graphs all have 52-byte records.
  let recordAt = offsets.modules.offset + offsets.modules.length;
  const optional = layout.moduleInfo ? flags : 0;
  let sourceHashes: number[] | undefined;
  if (optional & FLAG["has-source-hashes"]) {
    sourceHashes = records.map((_, i) => u32At(recordAt + i * 4, "source hash table"));
    recordAt += moduleCount * 4;
  }
  let builtinBytecode: BunModuleGraph["builtinBytecode"];
  if (optional & FLAG["has-builtin-bytecode"]) {
    const count = u32At(recordAt, "builtin bytecode count");
    recordAt += 4;
    if (count > MAX_MODULES) throw new BinaryFormatError(file, "module graph is corrupt: builtin bytecode count out of range");
    const hash = createHash("sha256");
    let total = 0;
    for (let i = 0; i < count; i++) {
      const blob = slice(pointerAt(recordAt + 4, "builtin bytecode pointer"), "builtin bytecode");
      hash.update(blob);
      total += blob.length;
      recordAt += 12;
    }
    if (count > 0) builtinBytecode = { count, size: total, sha256: hash.digest("hex") };
  }
  let bytecodeStringTable: BlobFacts | undefined;
  if (optional & FLAG["has-bytecode-string-table"]) {
    bytecodeStringTable = facts(slice(pointerAt(recordAt, "bytecode string table pointer"), "bytecode string table"));
    recordAt += STRING_POINTER_SIZE;
  }
  let startupModuleCount: number | undefined;
  if (optional & FLAG["has-startup-module-count"]) {
    startupModuleCount = Math.min(u32At(recordAt, "startup module count"), moduleCount);
    recordAt += 4;
  }
  let moduleInfoStringTable: BlobFacts | undefined;
  if (optional & FLAG["has-module-info-string-table"]) {
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

  const layoutFacts: GraphLayoutFacts = { id: layout.id, versions: layout.versions };
  if (location.container) layoutFacts.container = location.container;
  if (padding) layoutFacts.padding = padding;
  return {
    offset: offsets.start,
    size: graphEnd - offsets.start,
    entryPointId: offsets.entryPointId,
    entryPoint: modules[offsets.entryPointId]!.name,
    modules,
    execArgv: slice(offsets.execArgv, "compile exec argv").toString("utf8"),
    flags: { raw: flags, names: GRAPH_FLAG_NAMES.filter((name) => flags & FLAG[name]) },
    startupModuleCount,
    builtinBytecode,
    bytecodeStringTable,
    moduleInfoStringTable,
    layout: layoutFacts,
  };
}

interface StringPointerLike {
  offset: number;
  length: number;
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

// One module of Bun's embedded module graph: the record the graph stores for it
// (CompiledModuleGraphFile in oven-sh/bun src/StandaloneModuleGraph.zig) turned into a BunModule,
// its bytes decoded and described. The graph's own structure (Offsets, flags, optional records)
// is bunfs.ts; this file is what a reader of one module needs.

import { createHash } from "node:crypto";

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

export interface StringPointerLike {
  offset: number;
  length: number;
}

/** Reads a StringPointer's bytes from the graph; throws when it runs past the graph. */
export type Slice = (pointer: StringPointerLike, what: string) => Buffer;

/** A CompiledModuleGraphFile as stored: StringPointers and the four u8 fields after them. */
export interface ModuleRecord {
  name: StringPointerLike;
  contents: StringPointerLike;
  sourcemap: StringPointerLike;
  bytecode: StringPointerLike;
  moduleInfo: StringPointerLike;
  bytecodeOriginPath: StringPointerLike;
  encoding: number;
  loader: number;
  moduleFormat: number;
  side: number;
}

/** The module a record describes, its bytes read through `slice`. */
export function toModule(record: ModuleRecord, index: number, entryPointId: number, sourceHash: number | undefined, slice: Slice): BunModule {
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
    isEntryPoint: index === entryPointId,
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
    sourceHash: sourceHash || undefined,
  };
}

function sha256(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

export function facts(bytes: Uint8Array): BlobFacts {
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

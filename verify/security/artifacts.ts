// The executables of a dist folder as the security checks need them: their real sha256 (what
// SBOMs and attestations name as subject) and the text of every module Bun embedded, including
// the original sources an embedded sourcemap carries. Each ~100 MB file is read once and
// released; only the (small) module texts are kept.
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { type BunModule, type BunModuleGraph, BUN_GRAPH_TRAILER, displayName, readBunModuleGraph } from "../binary/index.ts";
import { type ManifestTarget, readWholeFile } from "../digest/index.ts";

export interface EmbeddedSource {
  /** File name as the sourcemap records it (relative to the project, e.g. `index.ts`). */
  name: string;
  /** Decompressed original text, when the sourcemap carries it. */
  text?: string;
}

export interface EmbeddedModule {
  /** Full name inside the executable, e.g. /$bunfs/root/app or B:/~BUN/root/app.exe. */
  name: string;
  /** The name without the /$bunfs/root/ prefix: what findings show. */
  display: string;
  loader: string;
  /** Decoded text; undefined for binary assets. */
  text?: string;
  contentsSha256: string;
  /** Original sources from the module's embedded sourcemap (build.sourcemap), if any. */
  sources?: EmbeddedSource[];
  /** Set when a sourcemap is present but could not be decoded. */
  sourcemapProblem?: string;
}

/** What an artifact is known as before it is read: at least its file name in its folder. */
export interface ArtifactRef {
  file: string;
}

/** `entry` is the manifest.json target when there is one (SBOM and provenance need it). */
export interface LoadedArtifact<E extends ArtifactRef = ManifestTarget> {
  entry: E;
  path: string;
  exists: boolean;
  /** sha256 of the bytes on disk (may differ from the manifest when the file was replaced). */
  sha256?: string;
  bytes?: number;
  modules?: EmbeddedModule[];
  /** Why the module graph could not be read. */
  problem?: string;
}

/** Reads one artifact; never throws for a bad file (the problem is reported instead). */
export async function loadArtifact<E extends ArtifactRef>(distDir: string, entry: E): Promise<LoadedArtifact<E>> {
  const file = path.join(distDir, entry.file);
  if (!existsSync(file)) return { entry, path: file, exists: false };
  const buf = readWholeFile(file);
  const sha256 = createHash("sha256").update(buf).digest("hex");
  const loaded: LoadedArtifact<E> = { entry, path: file, exists: true, sha256, bytes: buf.length };
  let graph: BunModuleGraph | undefined;
  try {
    graph = readBunModuleGraph(buf, file);
  } catch (error) {
    loaded.problem = (error as Error).message;
    return loaded;
  }
  if (!graph) {
    loaded.problem = "no Bun module graph found (not a `bun build --compile` executable, or stripped)";
    return loaded;
  }
  loaded.modules = graph.modules.map((m) => embeddedModule(buf, graph, m));
  return loaded;
}

function embeddedModule(buf: Buffer, graph: BunModuleGraph, m: BunModule): EmbeddedModule {
  const out: EmbeddedModule = { name: m.name, display: displayName(m.name), loader: m.loader, contentsSha256: m.contentsSha256 };
  if (m.text !== undefined) out.text = m.text;
  if (m.sourcemap) {
    const blob = sourcemapBlob(buf, graph, m);
    if (!blob) {
      out.sourcemapProblem = "embedded sourcemap could not be located";
    } else {
      try {
        out.sources = decodeSerializedSourceMap(blob);
      } catch (error) {
        out.sourcemapProblem = `embedded sourcemap could not be decoded: ${(error as Error).message}`;
      }
    }
  }
  return out;
}

const MODULE_RECORD_SIZE = 52;
const OFFSETS_SIZE = 32;

/**
 * The raw sourcemap bytes of a module. bunfs.ts reports only facts about it (size, sha256,
 * source names), so the record is re-read here from the same layout (see the header of
 * bunfs.ts: Offsets before the trailer, then 52-byte module records whose third StringPointer
 * is the sourcemap). The blob is accepted only when its sha256 equals the reader's, so a
 * layout change shows up as "could not be located", never as wrong text.
 */
function sourcemapBlob(buf: Buffer, graph: BunModuleGraph, m: BunModule): Buffer | undefined {
  const trailerAt = graph.offset + graph.size - BUN_GRAPH_TRAILER.length;
  const offsetsAt = trailerAt - OFFSETS_SIZE;
  if (offsetsAt < 0 || !m.sourcemap) return undefined;
  const modulesOffset = buf.readUInt32LE(offsetsAt + 8);
  const record = graph.offset + modulesOffset + m.index * MODULE_RECORD_SIZE;
  if (record + MODULE_RECORD_SIZE > buf.length) return undefined;
  const offset = buf.readUInt32LE(record + 16);
  const length = buf.readUInt32LE(record + 20);
  const start = graph.offset + offset;
  if (start + length > buf.length) return undefined;
  const blob = buf.subarray(start, start + length);
  if (createHash("sha256").update(blob).digest("hex") !== m.sourcemap.sha256) return undefined;
  return Buffer.from(blob); // a copy: the 100 MB file buffer can be released
}

/**
 * Bun's SerializedSourceMap (StandaloneModuleGraph): u32 source count N, u32 mappings length,
 * then N StringPointers (offset, length) to the source names and N StringPointers to their
 * zstd-compressed contents, offsets relative to the blob.
 */
export function decodeSerializedSourceMap(blob: Buffer): EmbeddedSource[] {
  if (blob.length < 8) throw new Error("shorter than its header");
  const count = blob.readUInt32LE(0);
  if (count > 100_000 || 8 + count * 16 > blob.length) throw new Error(`implausible source count ${count}`);
  const pointer = (at: number) => {
    const offset = blob.readUInt32LE(at);
    const length = blob.readUInt32LE(at + 4);
    if (offset + length > blob.length) throw new Error("a pointer runs past the blob");
    return blob.subarray(offset, offset + length);
  };
  const sources: EmbeddedSource[] = [];
  for (let i = 0; i < count; i++) {
    const name = pointer(8 + i * 8).toString("utf8");
    const compressed = pointer(8 + count * 8 + i * 8);
    const source: EmbeddedSource = { name };
    if (compressed.length > 0) source.text = Buffer.from(zstdDecompress(compressed)).toString("utf8");
    sources.push(source);
  }
  return sources;
}

let zstd: ((data: Uint8Array) => Uint8Array) | undefined;

/** Set by loadZstd() before decoding; fzstd is pure JavaScript, so it works under Node and Bun. */
function zstdDecompress(data: Uint8Array): Uint8Array {
  if (!zstd) throw new Error("zstd decoder not loaded");
  return zstd(data);
}

export async function loadZstd(): Promise<void> {
  if (zstd) return;
  const { decompress } = await import("fzstd");
  zstd = (data) => decompress(data);
}

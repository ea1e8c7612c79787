// sha256 of files (streamed once, on worker threads), SHA256SUMS in coreutils format,
// manifest.json, and atomic writes: a reader never sees a half-written list.
import { createHash, randomBytes } from "node:crypto";
import { existsSync, closeSync, fstatSync, openSync, readSync } from "node:fs";
import { availableParallelism } from "node:os";
import { chmod, readFile, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { UsageError } from "../errors.ts";

export interface FileDigest {
  sha256: string;
  bytes: number;
}

// The worker is plain JavaScript passed as a string so it runs the same under Node (tests),
// Bun (`bun verify`) and inside a compiled executable, where a separate worker file would
// have to be bundled as an extra entrypoint. Synchronous 512 KiB reads measured fastest here
// (about 0.9 of `openssl speed -evp sha256` per core under Bun, see bench/build-all).
const HASH_WORKER_SOURCE = `
const { parentPort } = require("node:worker_threads");
const { createHash } = require("node:crypto");
const fs = require("node:fs");
const buffer = Buffer.allocUnsafe(512 * 1024);
parentPort.on("message", ({ id, file, bytes: data, offset, length }) => {
  if (data) {
    // Bytes the caller already holds (moved here, not copied): hashed without reading the file again.
    try {
      const hash = createHash("sha256").update(new Uint8Array(data, offset, length));
      parentPort.postMessage({ id, sha256: hash.digest("hex"), bytes: length, memory: data }, [data]);
    } catch (error) {
      parentPort.postMessage({ id, error: String(error && error.message || error) });
    }
    return;
  }
  let fd;
  try {
    fd = fs.openSync(file, "r");
    const hash = createHash("sha256");
    let bytes = 0, n;
    while ((n = fs.readSync(fd, buffer, 0, buffer.length, null)) > 0) {
      hash.update(buffer.subarray(0, n));
      bytes += n;
    }
    parentPort.postMessage({ id, sha256: hash.digest("hex"), bytes });
  } catch (error) {
    parentPort.postMessage({ id, error: String(error && error.message || error) });
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
});
`;

type HashJob = { file: string } | { bytes: ArrayBuffer; offset: number; length: number };

/** A small pool of hashing threads; one pass over each file. Call close() when done. */
export class HashPool {
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { job: HashJob; resolve: (d: FileDigest) => void; reject: (e: Error) => void }[] = [];
  private readonly pending = new Map<number, { resolve: (d: FileDigest) => void; reject: (e: Error) => void; worker: Worker }>();
  private nextId = 0;

  constructor(private readonly size = availableParallelism()) {}

  private closed = false;

  hash(file: string): Promise<FileDigest> {
    return this.submit({ file });
  }

  /**
   * sha256 of bytes already in memory, on a worker thread. The memory behind `bytes` (its whole
   * ArrayBuffer) moves to the worker and back instead of being copied: `bytes` and every other
   * view of it are unusable afterwards, and `memory` is that ArrayBuffer again, for reuse
   * (ReusableFileBuffer). Small buffers, which may share Buffer's pool with others, are hashed here.
   */
  hashBuffer(bytes: Buffer): Promise<FileDigest & { memory: ArrayBuffer }> {
    const whole = bytes.buffer;
    if (!(whole instanceof ArrayBuffer) || whole.byteLength <= Buffer.poolSize) {
      return Promise.resolve({ sha256: sha256Hex(bytes), bytes: bytes.byteLength, memory: whole as ArrayBuffer });
    }
    return this.submit({ bytes: whole, offset: bytes.byteOffset, length: bytes.byteLength }) as Promise<FileDigest & { memory: ArrayBuffer }>;
  }

  private submit(job: HashJob): Promise<FileDigest> {
    // A worker started after close() would never be terminated and keep the process alive.
    if (this.closed) return Promise.reject(new Error(`cannot hash ${"file" in job ? job.file : "a buffer"}: the hash pool is closed`));
    return new Promise((resolve, reject) => {
      this.queue.push({ job, resolve, reject });
      this.pump();
    });
  }

  async close(): Promise<void> {
    this.closed = true;
    await Promise.all(this.workers.map((w) => w.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let worker = this.idle.pop();
      if (!worker && this.workers.length < this.size) worker = this.spawn();
      if (!worker) return;
      const queued = this.queue.shift()!;
      const id = this.nextId++;
      this.pending.set(id, { resolve: queued.resolve, reject: queued.reject, worker });
      const { job } = queued;
      if ("file" in job) worker.postMessage({ id, file: job.file });
      else {
        try {
          worker.postMessage({ id, bytes: job.bytes, offset: job.offset, length: job.length }, [job.bytes]);
        } catch {
          // Memory that cannot be moved (say, an ArrayBuffer the runtime marked non-detachable): hash it here.
          this.pending.delete(id);
          this.idle.push(worker);
          queued.resolve({ sha256: sha256Hex(new Uint8Array(job.bytes, job.offset, job.length)), bytes: job.length, memory: job.bytes } as FileDigest);
        }
      }
    }
  }

  private spawn(): Worker {
    const worker = new Worker(HASH_WORKER_SOURCE, { eval: true });
    // Idle workers must not keep the process alive.
    worker.unref();
    worker.on("message", (message: { id: number; sha256?: string; bytes?: number; memory?: ArrayBuffer; error?: string }) => {
      const job = this.pending.get(message.id);
      if (!job) return;
      this.pending.delete(message.id);
      this.idle.push(worker);
      if (message.error !== undefined) job.reject(new Error(message.error));
      else job.resolve({ sha256: message.sha256!, bytes: message.bytes!, ...(message.memory ? { memory: message.memory } : {}) });
      this.pump();
    });
    worker.on("error", (error) => {
      for (const [id, job] of this.pending) {
        if (job.worker === worker) {
          this.pending.delete(id);
          job.reject(error);
        }
      }
    });
    this.workers.push(worker);
    return worker;
  }
}

/** Hash several files in parallel with a temporary pool. */
export async function hashFiles(files: string[]): Promise<FileDigest[]> {
  if (files.length === 0) return [];
  const pool = new HashPool(Math.min(files.length, availableParallelism()));
  try {
    return await Promise.all(files.map((f) => pool.hash(f)));
  } finally {
    await pool.close();
  }
}

export function sha256Hex(data: string | Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

// ---------------------------------------------------------------------------------------
// SHA256SUMS

export interface SumEntry {
  file: string;
  sha256: string;
}

/**
 * coreutils format: "<64 hex>  <name>\n" (two spaces: text mode, which `sha256sum -c` reads
 * the same as binary mode on Unix). Sorted by name, byte order, so the file is deterministic.
 */
export function formatSha256Sums(entries: SumEntry[]): string {
  return [...entries]
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0))
    .map((e) => `${e.sha256}  ${e.file}\n`)
    .join("");
}

/** Parses the coreutils format (text or binary mode, optional `./` prefix). */
export function parseSha256Sums(text: string, source: string): SumEntry[] {
  const entries: SumEntry[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    if (line.trim() === "" || line.startsWith("#")) return;
    const match = /^\\?([0-9a-fA-F]{64}) [ *](.+)$/.exec(line);
    if (!match) {
      throw new UsageError(
        `${source}:${index + 1}: not a SHA256SUMS line: ${JSON.stringify(line.slice(0, 80))}`,
        "Expected `<64 hex digits>  <file name>` per line, as written by `sha256sum` or `bun verify build`.",
      );
    }
    entries.push({ sha256: match[1]!.toLowerCase(), file: match[2]!.replace(/^\.\//, "") });
  });
  return entries;
}

// ---------------------------------------------------------------------------------------
// manifest.json

export const MANIFEST_FILE = "manifest.json";
export const SUMS_FILE = "SHA256SUMS";

/**
 * What one executable was built from, recorded per target in manifest.json so `explain` can say
 * which input or setting differs between two builds instead of guessing from the bytes. Values
 * of environment variables are never stored, only their sha256 (they may be secrets).
 */
export interface BuildFingerprint {
  /** bun-parity version that built it. */
  tool: string;
  bun: string;
  /** Bun's --target, e.g. bun-linux-x64. */
  target: string;
  /** sha256 of the runtime executable passed with --compile-executable-path. */
  runtime: string;
  /** The compiler's argv with machine paths replaced (plan.ts portableArgv). */
  argv: string[];
  /** Every variable the compiler could inline into the bundle: name -> "sha256:<hex>" of its value. */
  env: Record<string, string>;
  /** Settings that change the bytes without being in argv (e.g. macosAdhocSign): name -> value. */
  settings: Record<string, string>;
  /** Every input file, relative to the project (forward slashes) -> sha256. */
  inputs: Record<string, string>;
}

export interface ManifestTarget {
  id: string;
  os: string;
  arch: string;
  libc: string;
  bunTarget: string;
  file: string;
  bytes: number;
  sha256: string;
  /** Digest of everything that went into this executable (see inputs.ts). */
  inputDigest: string;
  runtime: { package: string; version: string; sha256: string };
  /** npm packages bundled into the executable, name@version, sorted. */
  packages: string[];
  /** Set when bun-parity re-signed a darwin executable because Bun left an invalid signature. */
  adhocSigned?: boolean;
  /** What it was built from (inputs.ts buildFingerprint): explain names the input that differs. */
  fingerprint?: BuildFingerprint;
  durationMs: number;
}

/** A release archive written by `bun verify package` into the output folder. */
export interface ManifestArchive {
  /** File name in the output folder, e.g. hello-1.0.0-linux-x64.tar.gz. */
  file: string;
  /** Target id of the executable inside. */
  target: string;
  format: "tar.gz" | "zip";
  bytes: number;
  sha256: string;
  /** sha256 of the executable inside: the archive stays listed only while the target's executable has it. */
  executableSha256: string;
}

export interface Manifest {
  schemaVersion: 1;
  tool: { name: string; version: string };
  bun: string;
  name: string;
  /** Digest over the per-target input digests. */
  inputDigest: string;
  targets: ManifestTarget[];
  /** Release archives (`bun verify package`); absent when there are none. */
  archives?: ManifestArchive[];
}

export function combinedInputDigest(targets: Pick<ManifestTarget, "id" | "inputDigest">[]): string {
  const lines = [...targets].sort((a, b) => a.id.localeCompare(b.id)).map((t) => `${t.id} ${t.inputDigest}\n`);
  return `sha256:${sha256Hex(lines.join(""))}`;
}

export async function readManifest(file: string): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch {
    return undefined;
  }
  return parseManifest(text, file);
}

export function parseManifest(text: string, source: string): Manifest {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${source}: not valid JSON (${(error as Error).message})`, "Pass a manifest.json written by `bun verify build`.");
  }
  const manifest = value as Manifest;
  if (manifest?.schemaVersion !== 1 || !Array.isArray(manifest.targets)) {
    throw new UsageError(
      `${source}: not a bun-parity manifest (schemaVersion 1 with a targets list expected)`,
      "Pass a manifest.json written by `bun verify build`, or a SHA256SUMS file.",
    );
  }
  for (const [i, t] of manifest.targets.entries()) {
    if (typeof t?.file !== "string" || !/^[0-9a-f]{64}$/.test(String(t?.sha256))) {
      throw new UsageError(`${source}: targets[${i}] has no file/sha256`, "Rebuild it with `bun verify build`.");
    }
  }
  if (manifest.archives !== undefined && !Array.isArray(manifest.archives)) {
    throw new UsageError(`${source}: archives is not a list`, "Write it again with `bun verify package`.");
  }
  for (const [i, a] of (manifest.archives ?? []).entries()) {
    if (typeof a?.file !== "string" || typeof a?.target !== "string" || !/^[0-9a-f]{64}$/.test(String(a?.sha256))) {
      throw new UsageError(`${source}: archives[${i}] has no file/target/sha256`, "Write it again with `bun verify package`.");
    }
  }
  return manifest;
}

/** JSON with object keys sorted, two-space indented, trailing newline: byte-stable output. */
export function stableJson(value: unknown): string {
  return JSON.stringify(sortKeys(value), null, 2) + "\n";
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value as object)
        .sort()
        .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
}

/** The mode of every executable bun-parity writes (build output, `sign --adhoc`), whatever the umask. */
export const EXECUTABLE_FILE_MODE = 0o755;

/**
 * Write to a temporary file in the same folder, then rename: readers never see half a file.
 * With `mode`, the file has exactly that mode when it appears (chmod, because the mode given to
 * open(2) is reduced by the umask); without it, a new file's mode follows the umask as usual.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { mode?: number } = {}): Promise<void> {
  const temp = path.join(path.dirname(file), `.${path.basename(file)}.${randomBytes(6).toString("hex")}.tmp`);
  try {
    await writeFile(temp, data, options.mode === undefined ? {} : { mode: options.mode });
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * Write manifest.json and SHA256SUMS for the given targets and archives (each file atomically).
 * SHA256SUMS lists the executables and the archives. When `manifest.archives` is undefined (a
 * build), the archives already listed in outDir are kept while they still hold a listed
 * executable: same target, same executable sha256, file present. A build that rebuilds a target
 * unlists it first (see build.ts), so its archives drop out until `bun verify package` runs again.
 */
export async function writeDistIndex(outDir: string, manifest: Manifest): Promise<void> {
  const targets = [...manifest.targets].sort((a, b) => a.id.localeCompare(b.id));
  const archives = [...(manifest.archives ?? (await listedArchives(outDir)))]
    .filter((a) => matchesTarget(a, targets))
    .sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const sorted: Manifest = { ...manifest, targets, inputDigest: combinedInputDigest(targets) };
  if (archives.length > 0) sorted.archives = archives;
  else delete sorted.archives;
  // SHA256SUMS first: if we are killed between the two writes, every listed file still matches.
  await writeFileAtomic(path.join(outDir, SUMS_FILE), formatSha256Sums([...targets, ...archives]));
  await writeFileAtomic(path.join(outDir, MANIFEST_FILE), manifestJson(sorted));
}

/**
 * stableJson(manifest), with each target's text remembered: a build writes the index after
 * every target, and with its fingerprint (every input file) a target is tens of KiB of JSON.
 * A ManifestTarget is not changed once it has been written.
 */
export function manifestJson(manifest: Manifest): string {
  const marker = (i: number) => `\u0000target ${i}\u0000`;
  const text = stableJson({ ...manifest, targets: manifest.targets.map((_, i) => marker(i)) });
  // Each target sits at depth 2 (4 spaces) inside { "targets": [ ... ] }.
  return text.replace(/"\\u0000target (\d+)\\u0000"/g, (_, i: string) => targetJson(manifest.targets[Number(i)]!).trimEnd().replace(/\n/g, "\n    "));
}

const targetJsonCache = new WeakMap<ManifestTarget, string>();

function targetJson(target: ManifestTarget): string {
  let text = targetJsonCache.get(target);
  if (text === undefined) targetJsonCache.set(target, (text = stableJson(target)));
  return text;
}

/** Archives listed in outDir/manifest.json whose files are still there. */
async function listedArchives(outDir: string): Promise<ManifestArchive[]> {
  let previous: Manifest | undefined;
  try {
    previous = await readManifest(path.join(outDir, MANIFEST_FILE));
  } catch {
    return []; // An unreadable manifest lists nothing worth keeping.
  }
  return (previous?.archives ?? []).filter((a) => existsSync(path.join(outDir, a.file)));
}

function matchesTarget(archive: ManifestArchive, targets: ManifestTarget[]): boolean {
  return targets.some((t) => t.id === archive.target && t.sha256 === archive.executableSha256);
}

/**
 * Whole-file reads, one at a time, into one buffer that is reused: for steps that hold one
 * executable in memory (macOS signature repair). A new 100 MB buffer per file raised the build's
 * peak memory by about the size of each file read, because memory the runtime frees is not
 * returned to the system at once; one buffer keeps the peak near the largest file. It grows with
 * a quarter to spare (untouched pages cost no memory), so a slightly larger next file fits.
 */
export class ReusableFileBuffer {
  private memory: Buffer | undefined;

  /** The file's bytes: a view of the buffer, valid until the next read(). */
  read(file: string): Buffer {
    const fd = openSync(file, "r");
    try {
      const size = fstatSync(fd).size;
      if (!this.memory || this.memory.length < size) {
        this.memory = undefined; // let the old one go before taking the new one
        this.memory = Buffer.allocUnsafe(Math.ceil(size * 1.25));
      }
      return readInto(fd, this.memory, size);
    } finally {
      closeSync(fd);
    }
  }

  /** Takes the memory back after HashPool.hashBuffer moved it away (the larger one is kept). */
  reuse(memory: ArrayBuffer): void {
    if (memory.byteLength === 0) return;
    if (!this.memory || this.memory.buffer.byteLength === 0 || memory.byteLength > this.memory.length) this.memory = Buffer.from(memory);
  }
}

function readInto(fd: number, buffer: Buffer, size: number): Buffer {
  let offset = 0;
  while (offset < size) {
    const n = readSync(fd, buffer, offset, Math.min(size - offset, 8 << 20), offset);
    if (n <= 0) break;
    offset += n;
  }
  return buffer.subarray(0, offset);
}

/**
 * Reads a whole file into one buffer. Bun's readFile/readFileSync took 300+ ms for a 90 MB
 * executable here, a sized buffer filled with readSync about 10 ms: the binary readers
 * (inspect, sign, explain, security) all read 100 MB files.
 */
export function readWholeFile(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const size = fstatSync(fd).size;
    const buffer = Buffer.allocUnsafe(size);
    const read = readInto(fd, buffer, size);
    return read.length === size ? buffer : read;
  } finally {
    closeSync(fd);
  }
}

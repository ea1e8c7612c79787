// sha256 of files and of bytes in memory, each file streamed once on a pool of worker threads:
// the build hashes several 100 MB executables at a time, and one thread would make that serial.
import { createHash } from "node:crypto";
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";

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

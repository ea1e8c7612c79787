// Whole files in and out, as every stage writes and reads them: atomic writes (a reader never
// sees half a file), byte-stable JSON, and fast whole-file reads of 100 MB executables.
import { randomBytes } from "node:crypto";
import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { chmod, rename, rm, writeFile } from "node:fs/promises";
import path from "node:path";

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

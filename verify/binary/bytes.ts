// Bounds-checked reads for the binary readers (ELF, PE, Mach-O): every read checks its range
// first, so truncated or malformed input becomes a clear error naming the field, never a RangeError.

export type Fail = (problem: string) => Error;

/** Every read checks its range first, so bad input becomes a clear error, never a RangeError. */
export class ByteReader {
  private readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly fail: Fail,
    /** What the bytes are, for messages ("the file", "the SuperBlob"). */
    private readonly what = "the file",
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  need(offset: number, length: number, field: string): void {
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0
      || offset + length > this.bytes.length) {
      throw this.fail(
        `${field} (bytes ${offset}..${offset + length}) runs past the end of ${this.what} (${this.bytes.length} bytes)`,
      );
    }
  }
  u8(offset: number, field: string): number {
    this.need(offset, 1, field);
    return this.view.getUint8(offset);
  }
  u16le(offset: number, field: string): number {
    this.need(offset, 2, field);
    return this.view.getUint16(offset, true);
  }
  u32le(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, true);
  }
  u32be(offset: number, field: string): number {
    this.need(offset, 4, field);
    return this.view.getUint32(offset, false);
  }
  u64le(offset: number, field: string): bigint {
    this.need(offset, 8, field);
    return this.view.getBigUint64(offset, true);
  }
  u64be(offset: number, field: string): bigint {
    this.need(offset, 8, field);
    return this.view.getBigUint64(offset, false);
  }
  /** A u64 used as a file offset or size: must fit in a JS number. */
  u64leNumber(offset: number, field: string): number {
    const value = this.u64le(offset, field);
    if (value > BigInt(Number.MAX_SAFE_INTEGER)) throw this.fail(`${field} is ${value}, larger than any file`);
    return Number(value);
  }
  /** A fixed-width, NUL-padded name (segname/sectname are char[16]). */
  fixedString(offset: number, length: number, field: string): string {
    this.need(offset, length, field);
    const raw = this.bytes.subarray(offset, offset + length);
    const end = raw.indexOf(0);
    return Buffer.from(raw.subarray(0, end === -1 ? length : end)).toString("latin1");
  }
  /** A NUL-terminated string that must end inside `limit`. */
  cString(offset: number, limit: number, field: string): string {
    this.need(offset, 1, field);
    const end = this.bytes.subarray(0, limit).indexOf(0, offset);
    if (end === -1) throw this.fail(`${field} at offset ${offset} has no terminating NUL`);
    return Buffer.from(this.bytes.subarray(offset, end)).toString("utf8");
  }
  /** A string up to the first NUL or `limit`, whichever comes first (ELF string tables). */
  cStringUpTo(offset: number, limit: number, field: string): string {
    this.need(offset, 0, field);
    const end = Math.min(limit, this.bytes.length);
    let stop = offset;
    while (stop < end && this.bytes[stop] !== 0) stop++;
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset + offset, stop - offset).toString("utf8");
  }
}

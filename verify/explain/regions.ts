// Levels 1 and 2 of explain: the bytes that differ at the same offset, each range mapped to the
// region of the executable that holds it (binary/format.ts), and the same named regions compared
// in both files (sections move when the module graph grows, so a shifted offset is not a change).
//
// Large files are compared in 1 MiB chunks with Buffer.equals (memcmp), and only differing chunks
// are scanned byte by byte, so two ~100 MB executables that are nearly equal take well under a second.
import { regionAt, type BinaryLayout, type ByteRange, type Region } from "../binary/index.ts";
import type { DifferingRange, RegionChange } from "./types.ts";

const CHUNK_SIZE = 1 << 20;
const BLOCK_SIZE = 4096;
const RANGE_MERGE_GAP = 16;
const MAX_RANGES = 50;

export function diffBytes(a: Buffer, b: Buffer, layoutA: BinaryLayout, layoutB: BinaryLayout) {
  const common = Math.min(a.length, b.length);
  const ranges: ByteRange[] = [];
  let rangeCount = 0;
  let differingBytes = 0;
  let open: ByteRange | undefined;
  const perRegion = new Map<Region, number>();

  const closeRange = () => {
    if (!open) return;
    rangeCount++;
    if (ranges.length < MAX_RANGES) ranges.push(open);
    attributeToRegions(layoutA.regions, open, perRegion);
    open = undefined;
  };

  for (let chunkStart = 0; chunkStart < common; chunkStart += CHUNK_SIZE) {
    const chunkEnd = Math.min(common, chunkStart + CHUNK_SIZE);
    if (a.subarray(chunkStart, chunkEnd).equals(b.subarray(chunkStart, chunkEnd))) continue;
    for (let blockStart = chunkStart; blockStart < chunkEnd; blockStart += BLOCK_SIZE) {
      const blockEnd = Math.min(chunkEnd, blockStart + BLOCK_SIZE);
      if (a.subarray(blockStart, blockEnd).equals(b.subarray(blockStart, blockEnd))) continue;
      for (let i = blockStart; i < blockEnd; i++) {
        if (a[i] === b[i]) continue;
        differingBytes++;
        if (open && i <= open.offset + open.size + RANGE_MERGE_GAP) {
          open.size = i + 1 - open.offset;
        } else {
          closeRange();
          open = { offset: i, size: 1 };
        }
      }
    }
  }
  closeRange();
  if (a.length !== b.length) {
    // Past the shorter file every byte counts as different.
    differingBytes += Math.abs(a.length - b.length);
    open = { offset: common, size: Math.abs(a.length - b.length) };
    closeRange();
  }

  const differingRanges: DifferingRange[] = ranges.map((range) => {
    const inA = regionAt(layoutA.regions, range.offset);
    const inB = regionAt(layoutB.regions, range.offset);
    const described: DifferingRange = { ...range, regionA: inA?.name, kindA: inA?.kind };
    if (inB && (inB.name !== inA?.name || inB.kind !== inA?.kind)) Object.assign(described, { regionB: inB.name, kindB: inB.kind });
    return described;
  });
  const differingBytesByRegion = [...perRegion.entries()]
    .map(([region, count]) => ({ name: region.name, kind: region.kind, bytes: count }))
    .sort((x, y) => y.bytes - x.bytes);
  return { differingBytes, differingRanges, differingRangeCount: rangeCount, differingBytesByRegion };
}

function attributeToRegions(regions: Region[], range: ByteRange, perRegion: Map<Region, number>): void {
  let at = range.offset;
  const end = range.offset + range.size;
  while (at < end) {
    const region = regionAt(regions, at);
    if (!region) return; // past the end of A: the length difference, attributed by its range
    const stop = Math.min(end, region.offset + region.size);
    perRegion.set(region, (perRegion.get(region) ?? 0) + (stop - at));
    at = stop;
  }
}

// ---------------------------------------------------------------------------
// 2. Regions compared by name (offsets shift when the module graph changes size)

function regionKey(regions: Region[]): Map<string, Region> {
  const seen = new Map<string, number>();
  const keyed = new Map<string, Region>();
  for (const region of regions) {
    const occurrence = seen.get(region.name) ?? 0;
    seen.set(region.name, occurrence + 1);
    keyed.set(`${region.name}#${occurrence}`, region);
  }
  return keyed;
}

export function diffRegions(a: Buffer, b: Buffer, layoutA: BinaryLayout, layoutB: BinaryLayout): RegionChange[] {
  const regionsA = regionKey(layoutA.regions);
  const regionsB = regionKey(layoutB.regions);
  const changes: RegionChange[] = [];
  for (const key of new Set([...regionsA.keys(), ...regionsB.keys()])) {
    const ra = regionsA.get(key);
    const rb = regionsB.get(key);
    const bytesA = ra ? a.subarray(ra.offset, ra.offset + ra.size) : Buffer.alloc(0);
    const bytesB = rb ? b.subarray(rb.offset, rb.offset + rb.size) : Buffer.alloc(0);
    if (ra && rb && bytesA.equals(bytesB)) continue;
    const region = (ra ?? rb)!;
    changes.push({
      name: region.name,
      kind: region.kind,
      status: !rb ? "only-in-a" : !ra ? "only-in-b" : ra.size !== rb.size ? "resized" : "changed",
      a: ra && { offset: ra.offset, size: ra.size },
      b: rb && { offset: rb.offset, size: rb.size },
      material: !withoutTrailingZeros(bytesA).equals(withoutTrailingZeros(bytesB)),
    });
  }
  return changes;
}

function withoutTrailingZeros(bytes: Buffer): Buffer {
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0) end--;
  return bytes.subarray(0, end);
}

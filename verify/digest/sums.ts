// SHA256SUMS in coreutils format, written and read: the list `sha256sum -c` checks, and the one
// parity compares with a published list. Separate from manifest.json, which says more per file.
import { UsageError } from "../errors.ts";

export const SUMS_FILE = "SHA256SUMS";

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

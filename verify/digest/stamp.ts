// "Hashed before and unchanged since": a file's sha256 with the stat facts at the time it was
// hashed. ctime changes on every write and cannot be set back by `touch`, so an unchanged stamp
// means unchanged bytes (git's index relies on the same rule). Used to avoid re-reading 100 MB
// files (executables, runtimes) on every build.
import { existsSync, readFileSync, statSync } from "node:fs";
import { writeFileAtomic } from "./files.ts";

export interface FileStamp {
  sha256: string;
  bytes: number;
  ino: number;
  ctimeMs: number;
  mtimeMs: number;
}

export function stampOf(file: string, sha256: string): FileStamp {
  const s = statSync(file);
  return { sha256, bytes: s.size, ino: s.ino, ctimeMs: s.ctimeMs, mtimeMs: s.mtimeMs };
}

export function stampMatches(file: string, stamp: FileStamp | undefined, sha256: string): boolean {
  if (!stamp || stamp.sha256 !== sha256 || !existsSync(file)) return false;
  const s = statSync(file);
  return s.size === stamp.bytes && s.ino === stamp.ino && s.ctimeMs === stamp.ctimeMs && s.mtimeMs === stamp.mtimeMs;
}

/** A stamp kept next to the file it describes (`<file>.stamp.json`). */
export function readStampBeside(file: string): FileStamp | undefined {
  try {
    return JSON.parse(readFileSync(`${file}.stamp.json`, "utf8")) as FileStamp;
  } catch {
    return undefined;
  }
}

export async function writeStampBeside(file: string, sha256: string): Promise<void> {
  await writeFileAtomic(`${file}.stamp.json`, JSON.stringify(stampOf(file, sha256)) + "\n");
}

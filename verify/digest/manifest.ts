// manifest.json: what each executable and archive in a dist folder is and what it was built from,
// read and written together with SHA256SUMS (writeDistIndex) so the two always list the same files.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { UsageError } from "../errors.ts";
import { stableJson, writeFileAtomic } from "./files.ts";
import { sha256Hex } from "./hash.ts";
import { formatSha256Sums, SUMS_FILE } from "./sums.ts";

export const MANIFEST_FILE = "manifest.json";

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

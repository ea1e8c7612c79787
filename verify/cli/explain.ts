// `bun verify explain A B`: why two executables differ. A or B may be a release archive
// (.tar.gz, .tgz, .zip): its entries are validated, then the executable inside is explained.
// The build fingerprints come from --manifest files, else the manifest.json next to each file.
import path from "node:path";
import { archiveFormatOf, listArchive, readArchivedExecutable } from "../package/index.ts";
import { readWholeFile, sha256Hex, stableJson } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { checkManifestsMatch, fingerprintOf, explainDifference, formatExplanation } from "../explain/index.ts";
import { checkPath } from "../paths.ts";
import { defaultCacheDir } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

/** Exit codes follow diff(1): 0 identical, 1 different, 2 trouble. */
export async function runExplain(io: Io, flags: { json?: boolean; manifest?: string[] }, files: string[]): Promise<number> {
  if (files.length !== 2) {
    throw new UsageError(`explain needs two files, got ${files.length}`, "Run: bun verify explain dist/my-cli-linux-x64 other/my-cli-linux-x64");
  }
  const [a, b] = files.map((f) =>
    checkPath(io.cwd, f, "input-file", { what: "explain", fix: "Pass two executables built by `bun build --compile` (files, not folders), or release archives holding them." }),
  ) as [string, string];
  const manifests = (flags.manifest ?? []).map((m) => path.resolve(io.cwd, m));
  if (manifests.length > 2) throw new UsageError(`--manifest given ${manifests.length} times`, "Pass at most two: one manifest.json per file (--manifest A.json --manifest B.json).");
  const [sideA, sideB] = await Promise.all([readSide(a, files[0]!), readSide(b, files[1]!)]);
  const [shaA, shaB] = [sha256Hex(sideA.bytes), sha256Hex(sideB.bytes)];
  checkManifestsMatch(manifests, [shaA, shaB]);
  const [foundA, foundB] = [fingerprintOf(a, shaA, manifests), fingerprintOf(b, shaB, manifests)];
  const fingerprints = { a: foundA?.fingerprint, b: foundB?.fingerprint, sourceA: foundA && path.relative(io.cwd, foundA.source), sourceB: foundB && path.relative(io.cwd, foundB.source) };
  const result = explainDifference(sideA.bytes, sideB.bytes, { a: sideA.label, b: sideB.label }, { fingerprints });
  // Same Bun version, different runtime bytes: name each one's runtime package (fetched through the toolchain cache).
  await (await import("../explain/index.ts")).nameRuntimeVariants(result, sideA.bytes, sideB.bytes, { cacheDir: defaultCacheDir(io.env), projectDir: io.cwd });
  (await import("../telemetry/index.ts")).recordResult("explain", { ...result, text: formatExplanation(result) }); // for --json=FILE and `report`
  io.stdout.write(flags.json ? stableJson(result) : `${formatExplanation(result)}\n`);
  return result.identical ? 0 : 1;
}

/** An executable's bytes, or those of the executable inside a release archive (validated first). */
async function readSide(abs: string, given: string): Promise<{ bytes: Buffer; label: string }> {
  if (!archiveFormatOf(abs)) return { bytes: readWholeFile(abs), label: given };
  const exe = await readArchivedExecutable(abs);
  if (!exe) {
    const files = (await listArchive(abs)).filter((e) => e.type === "file").map((e) => e.path);
    throw new UsageError(
      `${given}: no executable found in the archive (files: ${files.join(", ") || "none"})`,
      "Pass an archive written by `bun verify package` (<name>-<version>-<target>/<name>[.exe] inside), or the executable itself.",
    );
  }
  return { bytes: exe.data, label: `${given}:${exe.member}` };
}

// `bun verify explain A B`: why two executables differ. A or B may be a release archive
// (.tar.gz, .tgz, .zip): its entries are validated, then the executable inside is explained.
import { existsSync, statSync } from "node:fs";
import path from "node:path";
import { archiveFormatOf, listArchive, readArchivedExecutable } from "../archive.ts";
import { readWholeFile, stableJson } from "../digest.ts";
import { UsageError } from "../errors.ts";
import { explainDifference, formatExplanation } from "../explain.ts";
import { defaultCacheDir } from "../toolchain.ts";
import type { Io } from "./context.ts";

/** Exit codes follow diff(1): 0 identical, 1 different, 2 trouble. */
export async function runExplain(io: Io, flags: { json?: boolean }, files: string[]): Promise<number> {
  if (files.length !== 2) {
    throw new UsageError(`explain needs two files, got ${files.length}`, "Run: bun verify explain dist/my-cli-linux-x64 other/my-cli-linux-x64");
  }
  const [a, b] = files.map((f) => {
    const abs = path.resolve(io.cwd, f);
    if (!existsSync(abs)) throw new UsageError(`${f}: no such file`, "Pass two executables built by `bun build --compile`, or release archives holding them.");
    if (!statSync(abs).isFile()) throw new UsageError(`${f}: not a file`, "Pass two executables, not folders.");
    return abs;
  }) as [string, string];
  const [sideA, sideB] = await Promise.all([readSide(a, files[0]!), readSide(b, files[1]!)]);
  const result = explainDifference(sideA.bytes, sideB.bytes, { a: sideA.label, b: sideB.label });
  // Same Bun version, different runtime bytes: name each one's runtime package (fetched through the toolchain cache).
  await (await import("../bun-version-explain.ts")).nameRuntimeVariants(result, sideA.bytes, sideB.bytes, { cacheDir: defaultCacheDir(io.env), projectDir: io.cwd });
  (await import("../log.ts")).recordResult("explain", { ...result, text: formatExplanation(result) }); // for --json=FILE and `report`
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

// `bun verify package`: wrap each built executable (plus archives.files from
// targets.json) into <name>-<version>-<target>.tar.gz, and .zip for Windows targets when
// archives.windowsZip is set. The archives are bit-for-bit reproducible (see archive.ts) and
// listed in SHA256SUMS next to the executables.
import { existsSync, readFileSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import path from "node:path";
import pLimit from "p-limit";
import {
  type ArchiveFormat,
  type ArchiveInput,
  DIRECTORY_MODE,
  EXECUTABLE_MODE,
  FILE_MODE,
  archiveFileName,
  writeArchive,
} from "../package/index.ts";
import { selectTargets, type Config, type Target } from "../config/index.ts";
import {
  type ManifestArchive,
  MANIFEST_FILE,
  SUMS_FILE,
  formatSha256Sums,
  hashFiles,
  parseSha256Sums,
  readManifest,
  sha256Hex,
  stableJson,
  writeDistIndex,
  writeFileAtomic,
  readWholeFile,
} from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import { checkPath } from "../paths.ts";
import { formatBytes, formatDuration, formatTable } from "../report/index.ts";
import { loadProject } from "../toolchain/index.ts";
import type { Io } from "../io.ts";

export interface PackageFlags {
  config?: string;
  target?: string[];
  json?: boolean;
}

export interface ReleaseTime {
  /** Seconds since the epoch, the mtime of every archive entry. */
  seconds: number;
  source: "SOURCE_DATE_EPOCH" | "git commit";
}

export interface PackageResult {
  version: string;
  time: ReleaseTime;
  /** Absolute folder the archives were written to. */
  outDir: string;
  /** Where they are listed: the dist SHA256SUMS + manifest.json, or a SHA256SUMS of their own. */
  listedIn: string[];
  archives: (ManifestArchive & { path: string; durationMs: number })[];
  durationMs: number;
}

export async function runPackage(io: Io, flags: PackageFlags): Promise<number> {
  const { config } = await loadProject(io, flags.config);
  const targets = selectTargets(config, flags.target);
  const log = flags.json ? () => {} : (line: string) => io.stderr.write(`${line}\n`);
  const result = await packageTargets(config, targets, { env: io.env, log });
  if (flags.json) io.stdout.write(stableJson(result));
  else io.stdout.write(formatPackageSummary(result, io.cwd));
  return 0;
}

export async function packageTargets(
  config: Config,
  targets: Target[],
  options: { env: NodeJS.ProcessEnv; log?: (line: string) => void },
): Promise<PackageResult> {
  const started = performance.now();
  const log = options.log ?? (() => {});
  const archiveDir = checkPath(config.projectDir, config.archives.outDir, "output-folder", {
    what: `${config.file} $.archives.outDir`,
    fix: "Point archives.outDir at a folder (it is created when missing), or leave it out to write next to the executables.",
  });
  const version = releaseVersion(config);
  const time = await releaseTime(config.projectDir, options.env);
  const manifest = await readManifest(path.join(config.outDir, MANIFEST_FILE));
  if (!manifest) {
    throw new UsageError(`${path.join(config.outDir, MANIFEST_FILE)}: no such file`, "Build first: bun verify build (then bun verify package).");
  }
  const built = targets.map((target) => {
    const entry = manifest.targets.find((t) => t.id === target.id);
    if (!entry || !existsSync(path.join(config.outDir, entry.file))) {
      throw new UsageError(
        `${target.id} is not built (no executable for it in ${config.outDir})`,
        `Build it first: bun verify build --target ${target.id}`,
      );
    }
    return { target, entry };
  });
  const extras = readExtraFiles(config);
  await mkdir(archiveDir, { recursive: true });
  // SHA256SUMS stops listing the archives about to be replaced before any of them is written, so
  // a run killed half way never leaves a listed archive whose bytes are not the listed ones.
  await unlistArchives(config, built.flatMap(({ target }) => formatsFor(config, target).map((format) => archiveFileName(config.name, version, target.id, format))));

  // One target at a time per core; its archives compress on worker threads.
  const limit = pLimit(Math.max(1, availableParallelism()));
  const jobs = built.map(({ target, entry }) =>
    limit(async () => {
      const exe = await readExecutable(path.join(config.outDir, entry.file), entry.sha256);
      const root = `${config.name}-${version}-${target.id}`;
      const entries = archiveEntries(root, executableName(config, target), exe, extras);
      return Promise.all(
        formatsFor(config, target).map(async (format) => {
          const jobStarted = performance.now();
          const data = await writeArchive(format, entries, time.seconds);
          const file = archiveFileName(config.name, version, target.id, format);
          const where = path.join(archiveDir, file);
          await writeFileAtomic(where, data, { mode: FILE_MODE }); // 0644 whatever the umask: parity compares modes
          const archive = {
            file,
            target: target.id,
            format,
            bytes: data.length,
            sha256: sha256Hex(data),
            executableSha256: entry.sha256,
            path: where,
            durationMs: Math.round(performance.now() - jobStarted),
          };
          log(`package: ${file} (${formatBytes(archive.bytes)}) in ${formatDuration(archive.durationMs)}`);
          return archive;
        }),
      );
    }),
  );
  const archives = (await Promise.all(jobs)).flat().sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
  const listedIn = await listArchives(config, archives);
  return { version, time, outDir: archiveDir, listedIn, archives, durationMs: Math.round(performance.now() - started) };
}

/** targets.json `version`, else package.json `version`; it becomes part of file names. */
export function releaseVersion(config: Config): string {
  let version = config.version;
  let from = `${config.file} ($.version)`;
  if (version === undefined) {
    const pkg = path.join(config.projectDir, "package.json");
    from = `${pkg} ("version")`;
    try {
      version = (JSON.parse(readFileSync(pkg, "utf8")) as { version?: unknown }).version as string | undefined;
    } catch {
      version = undefined;
    }
    if (typeof version !== "string" || version === "") {
      throw new UsageError(
        `no release version: targets.json has no "version" and ${pkg} has none`,
        'Add "version": "1.2.3" to targets.json or package.json.',
      );
    }
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version)) {
    throw new UsageError(`version ${JSON.stringify(version)} from ${from} cannot be part of a file name`, "Use letters, digits, '.', '_', '+' and '-' only, e.g. 1.2.3 or 2.0.0-rc.1.");
  }
  return version;
}

/** SOURCE_DATE_EPOCH (reproducible-builds.org), else the time of the last git commit. */
export async function releaseTime(projectDir: string, env: NodeJS.ProcessEnv): Promise<ReleaseTime> {
  const fix = "Set SOURCE_DATE_EPOCH to a Unix time in seconds (e.g. SOURCE_DATE_EPOCH=$(git log -1 --format=%ct)), or run inside a git checkout with at least one commit.";
  const fromEnv = env.SOURCE_DATE_EPOCH;
  if (fromEnv !== undefined && fromEnv !== "") {
    if (!/^\d{1,12}$/.test(fromEnv.trim())) {
      throw new UsageError(`SOURCE_DATE_EPOCH=${JSON.stringify(fromEnv)} is not a Unix time in whole seconds`, fix);
    }
    return { seconds: Number(fromEnv.trim()), source: "SOURCE_DATE_EPOCH" };
  }
  const { execa } = await import("execa");
  const run = await execa("git", ["log", "-1", "--format=%ct"], { cwd: projectDir, env, reject: false });
  const text = String(run.stdout ?? "").trim();
  if (run.exitCode !== 0 || !/^\d+$/.test(text)) {
    const why = run.failed && (run as { code?: string }).code === "ENOENT" ? "git is not installed" : String(run.stderr || "no commit").trim().split("\n")[0];
    throw new UsageError(`no release time: SOURCE_DATE_EPOCH is not set and the last commit time of ${projectDir} is unknown (${why})`, fix);
  }
  return { seconds: Number(text), source: "git commit" };
}

/** The executable inside the archive: `<name>` or `<name>.exe`, without the target suffix. */
export function executableName(config: Pick<Config, "name">, target: Pick<Target, "os">): string {
  return `${config.name}${target.os === "windows" ? ".exe" : ""}`;
}

function formatsFor(config: Config, target: Target): ArchiveFormat[] {
  return config.archives.windowsZip && target.os === "windows" ? ["tar.gz", "zip"] : ["tar.gz"];
}

interface ExtraFile {
  path: string;
  data: Uint8Array;
}

function readExtraFiles(config: Config): ExtraFile[] {
  return config.archives.files.map((rel) => {
    const abs = path.join(config.projectDir, rel);
    if (!existsSync(abs) || !statSync(abs).isFile()) {
      throw new UsageError(`${abs}: no such file (targets.json $.archives.files)`, "List existing files of the project, relative to targets.json, e.g. \"README.md\".");
    }
    const clean = path.posix.normalize(rel).replace(/^(\.\/)+/, "");
    return { path: clean, data: readFileSync(abs) };
  });
}

/** The top folder, the executable (0755), the extra files (0644) and the folders they need (0755). */
export function archiveEntries(root: string, exeName: string, exe: Uint8Array, extras: ExtraFile[]): ArchiveInput[] {
  const entries: ArchiveInput[] = [
    { path: `${root}/`, type: "directory", mode: DIRECTORY_MODE },
    { path: `${root}/${exeName}`, type: "file", mode: EXECUTABLE_MODE, data: exe },
  ];
  const folders = new Set<string>();
  for (const extra of extras) {
    const inside = `${root}/${extra.path}`;
    if (entries.some((e) => e.path === inside)) {
      throw new UsageError(`archives.files lists "${extra.path}" twice or under the executable's name`, "Remove or rename the duplicate in targets.json.");
    }
    const parts = extra.path.split("/");
    for (let i = 1; i < parts.length; i++) folders.add(`${root}/${parts.slice(0, i).join("/")}/`);
    entries.push({ path: inside, type: "file", mode: FILE_MODE, data: extra.data });
  }
  for (const folder of folders) entries.push({ path: folder, type: "directory", mode: DIRECTORY_MODE });
  return entries;
}

/** The executable's bytes, checked against manifest.json: an archive never wraps a stale file. */
async function readExecutable(file: string, sha256: string): Promise<Buffer> {
  const bytes = readWholeFile(file);
  if (sha256Hex(bytes) !== sha256) {
    throw new UsageError(`${file} does not match manifest.json (it changed after the build)`, "Rebuild it: bun verify build --force");
  }
  return bytes;
}

/** Drops these archive names from the listing (the output folder's index, or archives.outDir/SHA256SUMS). */
async function unlistArchives(config: Config, names: string[]): Promise<void> {
  const dir = config.archives.outDir;
  const leaving = new Set(names);
  if (path.resolve(dir) === path.resolve(config.outDir)) {
    const manifest = (await readManifest(path.join(config.outDir, MANIFEST_FILE)))!;
    if (!(manifest.archives ?? []).some((a) => leaving.has(a.file)) && !sumsList(path.join(dir, SUMS_FILE), leaving)) return;
    await writeDistIndex(config.outDir, { ...manifest, archives: (manifest.archives ?? []).filter((a) => !leaving.has(a.file)) });
    return;
  }
  const sums = path.join(dir, SUMS_FILE);
  if (!sumsList(sums, leaving)) return;
  await writeFileAtomic(sums, formatSha256Sums(parseSha256Sums(readFileSync(sums, "utf8"), sums).filter((e) => !leaving.has(e.file))));
}

/** Whether a SHA256SUMS file lists any of these names. */
function sumsList(sums: string, names: Set<string>): boolean {
  return existsSync(sums) && parseSha256Sums(readFileSync(sums, "utf8"), sums).some((e) => names.has(e.file));
}

/**
 * In the output folder: listed in its SHA256SUMS and manifest.json `archives` (with the other
 * archives still valid). In a folder of their own: a SHA256SUMS there, listing these archives
 * and the earlier ones whose bytes still match.
 */
async function listArchives(config: Config, archives: ManifestArchive[]): Promise<string[]> {
  const dir = config.archives.outDir;
  const written = new Set(archives.map((a) => a.file));
  if (path.resolve(dir) === path.resolve(config.outDir)) {
    const manifest = (await readManifest(path.join(config.outDir, MANIFEST_FILE)))!;
    const kept = (manifest.archives ?? []).filter((a) => !written.has(a.file) && existsSync(path.join(dir, a.file)));
    const plain = archives.map(({ file, target, format, bytes, sha256, executableSha256 }) => ({ file, target, format, bytes, sha256, executableSha256 }));
    await writeDistIndex(config.outDir, { ...manifest, archives: [...kept, ...plain] });
    return [path.join(dir, SUMS_FILE), path.join(dir, MANIFEST_FILE)];
  }
  const sums = path.join(dir, SUMS_FILE);
  const previous = existsSync(sums) ? parseSha256Sums(readFileSync(sums, "utf8"), sums).filter((e) => !written.has(e.file) && existsSync(path.join(dir, e.file))) : [];
  const digests = await hashFiles(previous.map((e) => path.join(dir, e.file)));
  const kept = previous.filter((e, i) => digests[i]!.sha256 === e.sha256);
  await writeFileAtomic(sums, formatSha256Sums([...kept, ...archives]));
  return [sums];
}

export function formatPackageSummary(result: PackageResult, cwd: string): string {
  const rel = path.relative(cwd, result.outDir) || ".";
  const rows = result.archives.map((a) => [a.target, a.file, formatBytes(a.bytes), a.sha256]);
  const listed = result.listedIn.map((f) => path.relative(cwd, f) || f).join(" and ");
  return (
    `\n${formatTable(["target", "archive", "size", "sha256"], rows, { rightAlign: [2] })}` +
    `\nversion ${result.version}, every entry dated ${new Date(result.time.seconds * 1000).toISOString()} (${result.time.source}); listed in ${listed}.` +
    `\nWritten in ${formatDuration(result.durationMs)}. Check with: (cd ${rel} && sha256sum -c ${SUMS_FILE})\n`
  );
}

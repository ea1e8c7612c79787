// What `bun verify security` scans for the artifact checks (leaks, SBOM, provenance):
//   - a build folder with manifest.json: its targets, as bun verify build described them;
//   - any other folder of executables: the ones SHA256SUMS lists (each digest checked), else every
//     ELF, PE or Mach-O file in it, hashed;
//   - executables named on the command line (a SHA256SUMS next to one is checked too).
// A scope the user named (--dist DIR, FILE...) that cannot be scanned is bad input (exit 2) with
// the reason; only the default output folder may be absent, which makes those checks "not run".
import { closeSync, openSync, readFileSync, readSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { describeFirstBytes, sniffFormat } from "../binary/index.ts";
import { MANIFEST_FILE, type Manifest, parseSha256Sums, readManifest } from "../digest/index.ts";
import { UsageError } from "../errors.ts";
import type { Finding } from "./findings.ts";

export const SUMS_FILE = "SHA256SUMS";

/** An executable found without manifest.json. */
export interface ScopeExecutable {
  /** Absolute path. */
  path: string;
  /** Name in its folder: what findings call the artifact. */
  file: string;
  /** Digest its folder's SHA256SUMS gives, checked once the file is read. */
  listedSha256?: string;
}

export type ScanScope =
  | { kind: "manifest"; distDir: string; manifest: Manifest; description: string }
  | { kind: "executables"; distDir?: string; executables: ScopeExecutable[]; findings: Finding[]; description: string }
  | { kind: "none"; distDir: string; reason: string; description: string };

export interface ScopeRequest {
  /** The output folder of targets.json, scanned when nothing is named. */
  defaultDistDir: string;
  /** --dist, resolved. */
  distDir?: string;
  /** File arguments, resolved. */
  files: string[];
  /** For messages: a path as the user would write it. */
  display: (file: string) => string;
}

/** Bytes enough to tell ELF, PE (its header offset sits at 0x3c) and Mach-O apart. */
const SNIFF_BYTES = 64 * 1024;

function headOf(file: string): Buffer {
  const fd = openSync(file, "r");
  try {
    const buf = Buffer.alloc(SNIFF_BYTES);
    const n = readSync(fd, buf, 0, SNIFF_BYTES, 0);
    return buf.subarray(0, n);
  } finally {
    closeSync(fd);
  }
}

function isExecutableFile(file: string): boolean {
  try {
    return statSync(file).isFile() && sniffFormat(headOf(file)) !== undefined;
  } catch {
    return false;
  }
}

export async function resolveScope(request: ScopeRequest): Promise<ScanScope> {
  const { display } = request;
  if (request.files.length > 0 && request.distDir) {
    throw new UsageError("--dist and file arguments cannot be combined", "Scan a folder with --dist DIR, or name the executables: bun verify security FILE...");
  }
  if (request.files.length > 0) return filesScope(request.files, display);

  const named = request.distDir !== undefined;
  const distDir = request.distDir ?? request.defaultDistDir;
  let stat;
  try {
    stat = statSync(distDir);
  } catch {
    if (!named) {
      const reason = `no ${MANIFEST_FILE} in ${display(distDir)}: build first (bun verify build)`;
      return { kind: "none", distDir, reason, description: `${display(distDir)} (does not exist)` };
    }
    throw new UsageError(`--dist ${display(distDir)}: no such folder`, "Pass the folder bun verify build wrote (outDir in targets.json, e.g. dist), or build first.");
  }
  if (!stat.isDirectory()) {
    throw new UsageError(`--dist ${display(distDir)}: is a file, not a folder`, `To scan one executable, name it: bun verify security ${display(distDir)}`);
  }
  const manifest = await readManifest(path.join(distDir, MANIFEST_FILE));
  if (manifest) return { kind: "manifest", distDir, manifest, description: `${display(distDir)} (${MANIFEST_FILE}: ${manifest.targets.length} target(s))` };

  const folder = folderExecutables(distDir, display);
  if (folder.executables.length === 0) {
    const reason = `nothing to scan in ${display(distDir)}: no ${MANIFEST_FILE}, ${folder.sums ? `${SUMS_FILE} lists no executable that is there` : `no ${SUMS_FILE}`}, and no executable (ELF, PE or Mach-O) in it`;
    if (!named) return { kind: "none", distDir, reason: `${reason}: build first (bun verify build)`, description: display(distDir) };
    throw new UsageError(`--dist ${display(distDir)}: ${reason}`, "Pass the folder that holds the executables (bun verify build writes them with manifest.json), or name the files.");
  }
  return { kind: "executables", distDir, executables: folder.executables, findings: folder.findings, description: folder.description };
}

/** The executables of a folder without manifest.json. */
function folderExecutables(dir: string, display: (file: string) => string): { executables: ScopeExecutable[]; findings: Finding[]; sums: boolean; description: string } {
  const sumsFile = path.join(dir, SUMS_FILE);
  let listed: { file: string; sha256: string }[] | undefined;
  try {
    listed = parseSha256Sums(readFileSync(sumsFile, "utf8"), display(sumsFile));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const executables: ScopeExecutable[] = [];
  const findings: Finding[] = [];
  const seen = new Set<string>();
  for (const entry of listed ?? []) {
    const file = path.join(dir, entry.file);
    seen.add(entry.file);
    let isFile: boolean;
    try {
      isFile = statSync(file).isFile();
    } catch {
      findings.push({ severity: "error", rule: "artifact/missing", artifact: entry.file, file: display(sumsFile), message: `listed in ${SUMS_FILE} but missing from ${display(dir)}` });
      continue;
    }
    // SHA256SUMS also lists archives and documents: only executables are scanned.
    if (isFile && isExecutableFile(file)) executables.push({ path: file, file: entry.file, listedSha256: entry.sha256 });
  }
  for (const name of readdirSync(dir).sort()) {
    if (seen.has(name) || name === SUMS_FILE) continue;
    const file = path.join(dir, name);
    if (!isExecutableFile(file)) continue;
    executables.push({ path: file, file: name });
    if (listed) findings.push({ severity: "warning", rule: "artifact/not-listed", artifact: name, file: display(sumsFile), message: `an executable that ${SUMS_FILE} does not list: scanned, digest not checked` });
  }
  const description = listed
    ? `${display(dir)} (no ${MANIFEST_FILE}; ${executables.length} executable(s), digests checked against ${SUMS_FILE})`
    : `${display(dir)} (no ${MANIFEST_FILE} or ${SUMS_FILE}; ${executables.length} executable(s), hashed)`;
  return { executables, findings, sums: listed !== undefined, description };
}

/** Executables named on the command line: each must exist and be an ELF, PE or Mach-O file. */
function filesScope(files: string[], display: (file: string) => string): ScanScope {
  const executables: ScopeExecutable[] = [];
  const sumsByDir = new Map<string, Map<string, string> | undefined>();
  for (const file of files) {
    let stat;
    try {
      stat = statSync(file);
    } catch {
      throw new UsageError(`${display(file)}: no such file`, "Name executables that exist (bun verify build writes them into outDir, e.g. dist/).");
    }
    if (stat.isDirectory()) throw new UsageError(`${display(file)}: is a folder`, `To scan a folder of executables: bun verify security --dist ${display(file)}`);
    const head = headOf(file);
    if (!sniffFormat(head)) {
      throw new UsageError(`${display(file)}: not an executable this tool reads (ELF, PE or Mach-O): ${describeFirstBytes(head)}`, "Name the executables bun build --compile wrote, not archives or other files.");
    }
    const dir = path.dirname(file);
    if (!sumsByDir.has(dir)) {
      try {
        const sums = parseSha256Sums(readFileSync(path.join(dir, SUMS_FILE), "utf8"), display(path.join(dir, SUMS_FILE)));
        sumsByDir.set(dir, new Map(sums.map((s) => [s.file, s.sha256])));
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
        sumsByDir.set(dir, undefined);
      }
    }
    const listedSha256 = sumsByDir.get(dir)?.get(path.basename(file));
    executables.push({ path: file, file: path.basename(file), ...(listedSha256 ? { listedSha256 } : {}) });
  }
  const checked = executables.filter((e) => e.listedSha256).length;
  return {
    kind: "executables",
    executables,
    findings: [],
    description: `${executables.length} named executable(s)${checked > 0 ? `, ${checked} digest(s) checked against ${SUMS_FILE}` : ", hashed"}`,
  };
}

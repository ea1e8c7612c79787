// Check 1, secrets in sources: secretlint's recommended rule preset over the project's files,
// through secretlint's own engine (@secretlint/core lintSource), so the very same rules also scan
// the text embedded in the executables (artifact-leaks.ts). Loaded lazily: the other commands never pay
// for it.
import { open, readFile, stat } from "node:fs/promises";
import path from "node:path";
import { type CheckResult, type Finding, checkResult } from "./findings.ts";

export interface SecretHit {
  rule: string;
  /** secretlint's message with the secret masked. */
  message: string;
  line: number;
  column: number;
}

export type SecretScanner = ((content: string, name: string, options?: { binaryFile?: string }) => Promise<SecretHit[]>) & {
  /** e.g. "@secretlint/secretlint-rule-preset-recommend 11.7.1". */
  description: string;
};

let scannerPromise: Promise<SecretScanner> | undefined;

/** One engine per process, with the recommended preset and masked messages. */
export function secretScanner(): Promise<SecretScanner> {
  scannerPromise ??= createScanner();
  return scannerPromise;
}

async function createScanner(): Promise<SecretScanner> {
  const [{ lintSource }, preset, presetPackage] = await Promise.all([
    import("@secretlint/core"),
    import("@secretlint/secretlint-rule-preset-recommend"),
    import("@secretlint/secretlint-rule-preset-recommend/package.json", { with: { type: "json" } }),
  ]);
  const config = { rules: [{ id: preset.creator.meta.id, rule: preset.creator }] };
  const scan = async (content: string, name: string, options: { binaryFile?: string } = {}): Promise<SecretHit[]> => {
    const result = await lintSource({
      source: {
        // A real path lets the private-key rule read PKCS#12 files itself; embedded modules
        // have none (noPhysicFilePath), so no rule tries to open them.
        filePath: options.binaryFile ?? name,
        content,
        contentType: options.binaryFile ? "binary" : "text",
        ext: path.extname(name),
      },
      options: { config, maskSecrets: true, noPhysicFilePath: options.binaryFile === undefined && !path.isAbsolute(name) },
    });
    return result.messages.map((m) => ({
      rule: m.ruleId,
      message: m.message,
      line: m.loc.start.line,
      column: m.loc.start.column + 1,
    }));
  };
  const version = (presetPackage.default as { version?: string }).version ?? "unknown";
  return Object.assign(scan, { description: `secretlint ${preset.creator.meta.id} ${version}` });
}

export interface SourceList {
  /** Relative to the project folder, forward slashes, sorted. */
  files: string[];
  /** How the list was made, for the summary. */
  how: string;
}

/**
 * The files to scan: what git tracks plus untracked files git does not ignore (what `git add -A`
 * would commit). Outside a git checkout (a Dagger source directory, an unpacked tarball): every
 * file, minus node_modules, .git, the output folder and the patterns of a top-level .gitignore.
 */
export async function sourceFiles(projectDir: string, outDir: string, env: NodeJS.ProcessEnv): Promise<SourceList> {
  const { execa } = await import("execa");
  const git = await execa("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
    cwd: projectDir,
    env,
    reject: false,
    stripFinalNewline: false,
  });
  // The artifacts are check 2's business, even when the output folder is not ignored.
  const relativeOut = path.relative(projectDir, outDir).split(path.sep).join("/");
  const inOut = (f: string) => relativeOut !== "" && !relativeOut.startsWith("..") && (f === relativeOut || f.startsWith(`${relativeOut}/`));
  if (git.exitCode === 0) {
    const files = String(git.stdout)
      .split("\0")
      .filter((f) => f !== "" && !inOut(f))
      .sort();
    return { files: [...new Set(files)], how: "tracked and unignored files (git ls-files)" };
  }
  const fg = (await import("fast-glob")).default;
  const ignore = ["**/node_modules/**", "**/.git/**", ...gitignorePatterns(await readFile(path.join(projectDir, ".gitignore"), "utf8").catch(() => ""))];
  if (relativeOut && !relativeOut.startsWith("..")) ignore.push(`${relativeOut}/**`);
  const files = await fg("**/*", { cwd: projectDir, dot: true, onlyFiles: true, followSymbolicLinks: false, ignore });
  return { files: files.sort(), how: "every file (not a git checkout; node_modules, .git, the output folder and .gitignore patterns skipped)" };
}

/** A plain reading of .gitignore lines as fast-glob ignore patterns (negations are not supported). */
export function gitignorePatterns(text: string): string[] {
  const patterns: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#") || line.startsWith("!")) continue;
    const dirOnly = line.endsWith("/");
    let pattern = line.replace(/\/+$/, "");
    const anchored = pattern.startsWith("/") || pattern.includes("/");
    pattern = pattern.replace(/^\//, "");
    if (!anchored) pattern = `**/${pattern}`;
    patterns.push(`${pattern}/**`);
    if (!dirOnly) patterns.push(pattern);
  }
  return patterns;
}

/** Files larger than this are not read (lockfiles and sources are far smaller; these are data). */
const MAX_SOURCE_BYTES = 8 * 1024 * 1024;
const BINARY_KEY_FILES = new Set([".p12", ".pfx"]);

export async function scanSources(projectDir: string, list: SourceList, scanner: SecretScanner): Promise<CheckResult> {
  const findings: Finding[] = [];
  let scanned = 0;
  let skipped = 0;
  for (const file of list.files) {
    const abs = path.join(projectDir, file);
    let info;
    try {
      info = await stat(abs);
    } catch {
      skipped++; // deleted but still in the index, or a dangling link
      continue;
    }
    if (!info.isFile() || info.size > MAX_SOURCE_BYTES) {
      skipped++;
      continue;
    }
    let hits: SecretHit[];
    if (await isBinary(abs)) {
      if (!BINARY_KEY_FILES.has(path.extname(file).toLowerCase())) {
        skipped++;
        continue;
      }
      hits = await scanner("", file, { binaryFile: abs });
    } else {
      hits = await scanner(await readFile(abs, "utf8"), abs);
    }
    scanned++;
    for (const hit of hits) {
      findings.push({ severity: "error", rule: hit.rule, message: hit.message, file, line: hit.line, column: hit.column });
    }
  }
  const summary =
    `${scanned} files scanned with ${scanner.description}: ${list.how}` +
    (skipped > 0 ? `; ${skipped} binary, oversized or missing files skipped` : "") +
    (findings.length === 0 ? "; no secrets" : `; ${findings.length} secret(s)`);
  return checkResult("secrets", findings, summary);
}

async function isBinary(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const buffer = Buffer.alloc(8000);
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    return buffer.subarray(0, bytesRead).includes(0);
  } finally {
    await handle.close();
  }
}

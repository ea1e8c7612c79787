// `bun verify package`: reproducible release archives, listed in SHA256SUMS,
// read (safely) by parity and explain. Real builds of the hello fixture, real GNU tar and unzip.
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, utimesSync, writeFileSync } from "node:fs";
import { createHash } from "node:crypto";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeZip } from "../verify/package/archive.ts";
import { entryProblem, executableIn, listArchive, validateEntries, type ArchiveEntry } from "../verify/package/archive-read.ts";
import { UsageError } from "../verify/errors.ts";
import { targetFileOfArchive } from "../verify/parity/index.ts";
import { BUN, CLI, CLI_ENV, copyFixture, expectStrace, killAtFirstRename, readJson, removeTemps, runCli, tempDir, type CliResult } from "./helpers.ts";

const EPOCH = 1700000000; // 2023-11-14 22:13:20 UTC
const TWO = ["--target", "linux-x64", "--target", "windows-x64"];
const ARCHIVES = ["hello-1.0.0-linux-x64.tar.gz", "hello-1.0.0-windows-x64.tar.gz", "hello-1.0.0-windows-x64.zip"];

let app: string;
let dist: string;

const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** `bun verify package` under Bun, the runtime the CLI always runs on. */
async function packageCli(args: string[], options: { cwd: string; env?: Record<string, string>; umask?: string }): Promise<CliResult> {
  let command = [BUN, CLI, "package", ...args];
  if (options.umask) command = ["sh", "-c", `umask ${options.umask} && exec "$0" "$@"`, ...command];
  const result = await execa(command[0]!, command.slice(1), { cwd: options.cwd, env: { ...CLI_ENV, ...options.env }, reject: false });
  return { exitCode: result.exitCode ?? -1, stdout: String(result.stdout), stderr: String(result.stderr) };
}

/** runPackage in this (Node) process, with string output. */
async function packageInProcess(cwd: string, flags: { target?: string[]; json?: boolean }, env: Record<string, string | undefined> = {}) {
  const { runPackage } = await import("../verify/cli/package.ts");
  let stdout = "";
  let stderr = "";
  const io = {
    stdout: { write: (s: string) => (stdout += s) },
    stderr: { write: (s: string) => (stderr += s) },
    cwd,
    env: { ...process.env, ...CLI_ENV, ...env } as NodeJS.ProcessEnv,
  };
  const code = await runPackage(io, flags);
  return { code, stdout, stderr };
}

function configure(dir: string, archives: Record<string, unknown>, extra: Record<string, unknown> = {}): void {
  const file = path.join(dir, "targets.json");
  writeFileSync(file, JSON.stringify({ ...readJson<Record<string, unknown>>(file), ...extra, archives }, null, 2));
}

beforeAll(async () => {
  app = copyFixture("hello");
  dist = path.join(app, "dist");
  writeFileSync(path.join(app, "README.md"), "# hello\n");
  mkdirSync(path.join(app, "docs"));
  writeFileSync(path.join(app, "docs", "LICENSE.txt"), "MIT\n");
  configure(app, { files: ["README.md", "docs/LICENSE.txt"], windowsZip: true });
  const built = await runCli(["build", ...TWO], { cwd: app });
  expect(built.exitCode, built.stderr).toBe(0);
  const packaged = await packageCli(TWO, { cwd: app, env: { SOURCE_DATE_EPOCH: String(EPOCH), TZ: "UTC" } });
  expect(packaged.exitCode, packaged.stderr).toBe(0);
});
afterAll(removeTemps);

describe("bun verify package", () => {
  it("writes <name>-<version>-<target>.tar.gz (and .zip for Windows) with the executable under a top folder", async () => {
    expect(ARCHIVES.every((a) => existsSync(path.join(dist, a)))).toBe(true);
    expect(readdirSync(dist).filter((f) => /\.(tar\.gz|zip)$/.test(f)).sort()).toEqual(ARCHIVES);
    const linux = await listArchive(path.join(dist, ARCHIVES[0]!));
    expect(linux.map((e) => e.path)).toEqual([
      "hello-1.0.0-linux-x64/",
      "hello-1.0.0-linux-x64/README.md",
      "hello-1.0.0-linux-x64/docs/",
      "hello-1.0.0-linux-x64/docs/LICENSE.txt",
      "hello-1.0.0-linux-x64/hello",
    ]);
    const zip = await listArchive(path.join(dist, ARCHIVES[2]!));
    expect(zip.map((e) => [e.path, e.mode.toString(8)])).toEqual([
      ["hello-1.0.0-windows-x64/", "755"],
      ["hello-1.0.0-windows-x64/README.md", "644"],
      ["hello-1.0.0-windows-x64/docs/", "755"],
      ["hello-1.0.0-windows-x64/docs/LICENSE.txt", "644"],
      ["hello-1.0.0-windows-x64/hello.exe", "755"],
    ]);
    // What users unpack is the built executable, byte for byte.
    const out = tempDir("unpacked-");
    await execa("tar", ["-xzf", path.join(dist, ARCHIVES[0]!), "-C", out]);
    expect(sha256(path.join(out, "hello-1.0.0-linux-x64", "hello"))).toBe(sha256(path.join(dist, "hello-linux-x64")));
    await execa("unzip", ["-q", path.join(dist, ARCHIVES[2]!), "-d", out]);
    expect(sha256(path.join(out, "hello-1.0.0-windows-x64", "hello.exe"))).toBe(sha256(path.join(dist, "hello-windows-x64.exe")));
  });

  it("tar -tvf shows owner 0/0, fixed modes and the SOURCE_DATE_EPOCH time; the gzip header has no name or time", async () => {
    const listing = await execa("tar", ["-tvf", path.join(dist, ARCHIVES[0]!)], { env: { TZ: "UTC" } });
    expect(listing.stdout.split("\n").map((l) => l.replace(/\s+/g, " "))).toEqual([
      "drwxr-xr-x 0/0 0 2023-11-14 22:13 hello-1.0.0-linux-x64/",
      "-rw-r--r-- 0/0 8 2023-11-14 22:13 hello-1.0.0-linux-x64/README.md",
      "drwxr-xr-x 0/0 0 2023-11-14 22:13 hello-1.0.0-linux-x64/docs/",
      "-rw-r--r-- 0/0 4 2023-11-14 22:13 hello-1.0.0-linux-x64/docs/LICENSE.txt",
      expect.stringMatching(/^-rwxr-xr-x 0\/0 \d+ 2023-11-14 22:13 hello-1\.0\.0-linux-x64\/hello$/),
    ]);
    const numeric = await execa("tar", ["--numeric-owner", "--full-time", "-tvf", path.join(dist, ARCHIVES[0]!)], { env: { TZ: "UTC" } });
    expect(numeric.stdout).toContain("2023-11-14 22:13:20 hello-1.0.0-linux-x64/hello");
    // ID1 ID2 CM=deflate FLG=0 (no name, no comment) MTIME=0 XFL=0 OS=255
    expect(readFileSync(path.join(dist, ARCHIVES[0]!)).subarray(0, 10).toString("hex")).toBe("1f8b08000000000000ff");
    const zipinfo = await execa("zipinfo", [path.join(dist, ARCHIVES[2]!)], { env: { TZ: "UTC" } });
    expect(zipinfo.stdout).toMatch(/-rwxr-xr-x {2}2\.0 unx +\d+ b- defN 23-Nov-14 22:13 hello-1\.0\.0-windows-x64\/hello\.exe/);
  });

  it("is bit-for-bit reproducible: another folder, later, other TZ/umask/file modes and times, and Node instead of Bun", async () => {
    // Copies without the archives (~110 MB this run would only delete): package writes them anew.
    const withoutArchives = (from: string) => !ARCHIVES.includes(path.basename(from)) || path.dirname(from) !== dist;
    const other = path.join(tempDir("package-elsewhere-"), "somewhere", "else");
    cpSync(app, other, { recursive: true, filter: withoutArchives });
    expect(ARCHIVES.some((a) => existsSync(path.join(other, "dist", a)))).toBe(false);
    chmodSync(path.join(other, "dist", "hello-linux-x64"), 0o700);
    chmodSync(path.join(other, "README.md"), 0o600);
    utimesSync(path.join(other, "README.md"), new Date("2001-02-03"), new Date("2001-02-03"));
    const again = await packageCli(TWO, { cwd: other, env: { SOURCE_DATE_EPOCH: String(EPOCH), TZ: "Pacific/Kiritimati", LANG: "fr_CH.UTF-8" }, umask: "077" });
    expect(again.exitCode, again.stderr).toBe(0);
    for (const a of ARCHIVES) expect(sha256(path.join(other, "dist", a)), a).toBe(sha256(path.join(dist, a)));
    expect(readFileSync(path.join(other, "dist", "SHA256SUMS"), "utf8")).toBe(readFileSync(path.join(dist, "SHA256SUMS"), "utf8"));

    // The same code under Node: fflate's pure-JS deflate gives the same bytes as under Bun.
    const third = path.join(tempDir("package-node-"), "hello");
    cpSync(app, third, { recursive: true, filter: withoutArchives });
    const node = await packageInProcess(third, { target: ["linux-x64"] }, { SOURCE_DATE_EPOCH: String(EPOCH) });
    expect(node.code).toBe(0);
    expect(sha256(path.join(third, "dist", ARCHIVES[0]!))).toBe(sha256(path.join(dist, ARCHIVES[0]!)));
  });

  it("lists the archives in SHA256SUMS and manifest.json; a rebuild unlists the archives of the targets it rebuilt", async () => {
    const sums = readFileSync(path.join(dist, "SHA256SUMS"), "utf8");
    for (const a of ARCHIVES) expect(sums).toContain(`${sha256(path.join(dist, a))}  ${a}\n`);
    expect((await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: dist })).stdout).toContain("hello-1.0.0-windows-x64.zip: OK");
    const manifest = readJson<{ archives: { file: string; target: string; format: string; executableSha256: string }[]; targets: { id: string; sha256: string }[] }>(path.join(dist, "manifest.json"));
    expect(manifest.archives.map((a) => [a.file, a.target, a.format])).toEqual([
      [ARCHIVES[0], "linux-x64", "tar.gz"],
      [ARCHIVES[1], "windows-x64", "tar.gz"],
      [ARCHIVES[2], "windows-x64", "zip"],
    ]);
    expect(manifest.archives[0]!.executableSha256).toBe(manifest.targets.find((t) => t.id === "linux-x64")!.sha256);

    // A build that reuses the executables keeps their archives listed.
    const reused = await runCli(["build", ...TWO], { cwd: app });
    expect(reused.exitCode, reused.stderr).toBe(0);
    expect(reused.stdout).toMatch(/linux-x64\s+reused/);
    expect(readFileSync(path.join(dist, "SHA256SUMS"), "utf8")).toBe(sums);
    // One that rebuilds a target (even to the same bytes) unlists that target's archives.
    const copy = path.join(tempDir("rebuild-"), "hello");
    cpSync(app, copy, { recursive: true });
    const rebuilt = await runCli(["build", "--target", "linux-x64", "--force"], { cwd: copy });
    expect(rebuilt.exitCode, rebuilt.stderr).toBe(0);
    const after = readFileSync(path.join(copy, "dist", "SHA256SUMS"), "utf8");
    expect(after).not.toContain(ARCHIVES[0]);
    expect(after).toContain(ARCHIVES[1]);
    expect(after).toContain(ARCHIVES[2]);
    expect((await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(copy, "dist") })).exitCode).toBe(0);
  });

  it("stops listing an archive before replacing it: a run killed right after it renamed one (other SOURCE_DATE_EPOCH, other bytes) lists only matching files", async () => {
    expectStrace();
    const copy = path.join(tempDir("killed-package-"), "hello");
    cpSync(app, copy, { recursive: true });
    const copyDist = path.join(copy, "dist");
    const before = new Map(ARCHIVES.map((a) => [a, sha256(path.join(copyDist, a))]));
    const killed = await killAtFirstRename([CLI, "package", ...TWO], { cwd: copy, env: { SOURCE_DATE_EPOCH: String(EPOCH + 86_400) }, watchDir: copyDist, names: ARCHIVES, slowRenames: true });
    expect(killed, "package ended before replacing an archive").toBe(true);
    expect(ARCHIVES.filter((a) => sha256(path.join(copyDist, a)) !== before.get(a)).length, "no archive was replaced").toBeGreaterThan(0);
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: copyDist, reject: false });
    expect(check.stdout + check.stderr).not.toContain("FAILED");
    expect(check.exitCode).toBe(0);
    expect(readFileSync(path.join(copyDist, "SHA256SUMS"), "utf8")).toContain("hello-linux-x64\n"); // the executables stay listed
  });

  it("takes the version from targets.json over package.json, the time from the last commit, and writes to archives.outDir", async () => {
    const repo = path.join(tempDir("package-git-"), "hello");
    cpSync(app, repo, { recursive: true });
    configure(repo, { files: ["README.md"], outDir: "release" }, { version: "2.0.0-rc.1" });
    const noTime = await packageInProcess(repo, { target: ["linux-x64"] }, { SOURCE_DATE_EPOCH: undefined }).catch((e: unknown) => e);
    expect(noTime).toBeInstanceOf(UsageError);
    expect((noTime as UsageError).message).toContain("SOURCE_DATE_EPOCH is not set");
    expect((noTime as UsageError).fix).toContain("Set SOURCE_DATE_EPOCH");

    const git = (args: string[]) =>
      execa("git", args, { cwd: repo, env: { GIT_AUTHOR_DATE: "@1600000000 +0000", GIT_COMMITTER_DATE: "@1600000000 +0000", GIT_AUTHOR_NAME: "t", GIT_AUTHOR_EMAIL: "t@example.com", GIT_COMMITTER_NAME: "t", GIT_COMMITTER_EMAIL: "t@example.com" } });
    await git(["init", "-q"]);
    await git(["add", "index.ts"]);
    await git(["commit", "-qm", "release"]);
    const result = await packageInProcess(repo, { target: ["linux-x64"], json: true }, { SOURCE_DATE_EPOCH: undefined });
    const report = JSON.parse(result.stdout) as { version: string; time: { seconds: number; source: string }; archives: { file: string; path: string }[]; listedIn: string[] };
    expect(report.version).toBe("2.0.0-rc.1");
    expect(report.time).toEqual({ seconds: 1600000000, source: "git commit" });
    const file = path.join(repo, "release", "hello-2.0.0-rc.1-linux-x64.tar.gz");
    expect(report.archives.map((a) => a.path)).toEqual([file]);
    expect((await listArchive(file)).map((e) => e.mtime)).toEqual([1600000000, 1600000000, 1600000000]);
    // Its own SHA256SUMS; the dist index is left alone.
    expect(readFileSync(path.join(repo, "release", "SHA256SUMS"), "utf8")).toBe(`${sha256(file)}  hello-2.0.0-rc.1-linux-x64.tar.gz\n`);
    expect(readFileSync(path.join(repo, "dist", "SHA256SUMS"), "utf8")).not.toContain("2.0.0-rc.1");
  });

  it("refuses an executable that changed after the build, and a target that was not built", async () => {
    const copy = path.join(tempDir("package-stale-"), "hello");
    cpSync(app, copy, { recursive: true });
    writeFileSync(path.join(copy, "dist", "hello-linux-x64"), "not the build output");
    const stale = await packageCli(["--target", "linux-x64"], { cwd: copy, env: { SOURCE_DATE_EPOCH: String(EPOCH) } });
    expect(stale.exitCode).toBe(2);
    expect(stale.stderr).toContain("hello-linux-x64 does not match manifest.json");
    const missing = await packageCli(["--target", "darwin-arm64"], { cwd: copy, env: { SOURCE_DATE_EPOCH: String(EPOCH) } });
    expect(missing.exitCode).toBe(2);
    expect(missing.stderr).toContain("darwin-arm64 is not built");
    expect(missing.stderr).toContain("fix: Build it first: bun verify build --target darwin-arm64");
  });
});

interface Report {
  rows: { target: string; file: string; verdict: string; explanation?: string[]; reference?: { archive?: { file: string; member: string } } }[];
  passed: boolean;
}

describe("parity and explain read archives", () => {
  it("a reference folder holding only the archives: every executable inside is identical", async () => {
    const reference = tempDir("reference-archives-");
    for (const a of ARCHIVES) cpSync(path.join(dist, a), path.join(reference, a));
    const result = await runCli(["parity", "--reference", reference, "--json", ...TWO], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.rows.map((r) => [r.target, r.file, r.verdict])).toEqual([
      ["linux-x64", ARCHIVES[0], "identical"],
      ["windows-x64", ARCHIVES[1], "identical"],
      ["windows-x64", ARCHIVES[2], "identical"],
    ]);
    expect(report.rows[2]!.reference!.archive).toEqual({ file: ARCHIVES[2], member: "hello-1.0.0-windows-x64/hello.exe" });
  });

  it("a different executable inside a reference archive differs, with an explanation; a SHA256SUMS listing archives compares them by hash", async () => {
    const reference = tempDir("reference-tampered-");
    const exe = readFileSync(path.join(dist, "hello-linux-x64"));
    exe[0x2000] = exe[0x2000]! ^ 0xff;
    // Packed by GNU tar and gzip, as another release tool would: parity reads archives it did not write.
    const root = "hello-1.0.0-linux-x64";
    const staging = tempDir("tampered-");
    mkdirSync(path.join(staging, root));
    writeFileSync(path.join(staging, root, "hello"), exe, { mode: 0o755 });
    await execa("tar", ["-I", "gzip -1", "-cf", path.join(reference, ARCHIVES[0]!), "-C", staging, root]);
    cpSync(path.join(dist, "hello-windows-x64.exe"), path.join(reference, "hello-windows-x64.exe"));
    const result = await runCli(["parity", "--reference", reference, "--json", ...TWO], { cwd: app });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.rows.map((r) => [r.file, r.verdict])).toEqual([
      [ARCHIVES[0], "differs"],
      ["hello-windows-x64.exe", "identical"],
    ]);
    // One byte at 0x2000 (the dynamic symbol table) of the executable inside the archive.
    expect(report.rows[0]!.explanation).toEqual([expect.stringMatching(/^likely: different Bun runtime: bytes differ outside the module graph, in \.dynsym \(/)]);

    const sums = path.join(tempDir(), "SHA256SUMS");
    cpSync(path.join(dist, "SHA256SUMS"), sums);
    const listed = await runCli(["parity", "--reference", sums, "--json", ...TWO], { cwd: app });
    expect(listed.exitCode, listed.stderr).toBe(0);
    expect((JSON.parse(listed.stdout) as Report).rows.map((r) => [r.file, r.verdict])).toEqual([
      ["hello-linux-x64", "identical"],
      [ARCHIVES[0], "identical"],
      ["hello-windows-x64.exe", "identical"],
      [ARCHIVES[1], "identical"],
      [ARCHIVES[2], "identical"],
    ]);
  });

  it("explain takes archives and explains the executables inside", async () => {
    const same = await runCli(["explain", path.join(dist, ARCHIVES[1]!), path.join(dist, ARCHIVES[2]!)], { cwd: app });
    expect(same.exitCode, same.stderr).toBe(0);
    const json = await runCli(["explain", "--json", path.join(dist, ARCHIVES[0]!), path.join(dist, "hello-windows-x64.exe")], { cwd: app });
    expect(json.exitCode, json.stderr).toBe(1);
    expect(json.stdout).toContain(`${ARCHIVES[0]}:hello-1.0.0-linux-x64/hello`);
  });
});

describe("unsafe archives are rejected before anything inside is used", () => {
  let evil: string;
  beforeAll(async () => {
    evil = tempDir("evil-");
    const work = path.join(evil, "work", "hello-1.0.0-linux-x64");
    mkdirSync(work, { recursive: true });
    writeFileSync(path.join(evil, "work", "evil"), "evil\n");
    cpSync(path.join(dist, "hello-linux-x64"), path.join(work, "hello"));
    symlinkSync("../../x", path.join(work, "link"));
    // GNU tar (not our writer) keeps ../ and absolute names with -P.
    await execa("tar", ["-czPf", path.join(evil, "dotdot.tar.gz"), "--transform", "s,^evil$,../evil,", "hello-1.0.0-linux-x64/hello", "evil"], { cwd: path.join(evil, "work") });
    await execa("tar", ["-czPf", path.join(evil, "absolute.tar.gz"), "--transform", "s,^evil$,/etc/x,", "hello-1.0.0-linux-x64/hello", "evil"], { cwd: path.join(evil, "work") });
    await execa("tar", ["-czf", path.join(evil, "symlink.tar.gz"), "hello-1.0.0-linux-x64"], { cwd: path.join(evil, "work") });
    writeFileSync(
      path.join(evil, "dotdot.zip"),
      await writeZip([{ path: "hello-1.0.0-linux-x64/hello", type: "file", mode: 0o755, data: new Uint8Array([1, 2, 3]) }, { path: "../evil", type: "file", mode: 0o644, data: new Uint8Array([1]) }], EPOCH),
    );
  });

  it("explain names the archive and the entry (../, absolute path, symlink out, in tar.gz and zip)", async () => {
    const cases: [string, string][] = [
      ["dotdot.tar.gz", 'refusing entry "../evil": a ".." path segment'],
      ["absolute.tar.gz", 'refusing entry "/etc/x": an absolute path'],
      ["symlink.tar.gz", 'refusing entry "hello-1.0.0-linux-x64/link": a symbolic link pointing out of the archive (../../x)'],
      ["dotdot.zip", 'refusing entry "../evil": a ".." path segment'],
    ];
    expect((await execa("tar", ["-tPf", path.join(evil, "dotdot.tar.gz")])).stdout).toContain("../evil");
    for (const [file, message] of cases) {
      const result = await runCli(["explain", path.join(evil, file), path.join(dist, "hello-linux-x64")], { cwd: app });
      expect(result.exitCode, file).toBe(2);
      expect(result.stderr, file).toContain(`error: ${path.join(evil, file)}: ${message}`);
      expect(result.stderr, file).toContain("fix: Do not unpack it.");
    }
  });

  it("parity refuses a reference folder holding an unsafe archive", async () => {
    const reference = tempDir("reference-evil-");
    cpSync(path.join(evil, "absolute.tar.gz"), path.join(reference, ARCHIVES[0]!));
    const result = await runCli(["parity", "--reference", reference, "--target", "linux-x64"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain(`${ARCHIVES[0]}: refusing entry "/etc/x": an absolute path`);
  });

  it("entry rules: absolute (Unix, Windows), .. with either slash, links out, devices, duplicates; damaged archives", async () => {
    const e = (p: string, extra: Partial<ArchiveEntry> = {}) => ({ path: p, type: "file" as const, rawType: "File", ...extra });
    expect(entryProblem(e("a/b"))).toBeUndefined();
    expect(entryProblem(e("/etc/passwd"))).toBe("an absolute path");
    expect(entryProblem(e("C:\\Windows\\x"))).toBe("an absolute path");
    expect(entryProblem(e("a\\..\\..\\x"))).toContain('".." path segment');
    expect(entryProblem(e("a/link", { type: "symlink", linkpath: "../b" }))).toBeUndefined();
    expect(entryProblem(e("a/link", { type: "symlink", linkpath: "../../b" }))).toContain("pointing out of the archive");
    expect(entryProblem(e("a/link", { type: "symlink", linkpath: "/etc/passwd" }))).toContain("absolute path");
    expect(entryProblem(e("a/hard", { type: "hardlink", linkpath: "../x" }))).toContain("hard link pointing out");
    expect(entryProblem(e("a/dev", { type: "other", rawType: "CharacterDevice" }))).toContain("unsupported entry type (CharacterDevice)");
    const twice = [e("a/b") as ArchiveEntry, e("./a/b") as ArchiveEntry];
    expect(() => validateEntries("x.tar.gz", twice)).toThrow('x.tar.gz: refusing entry "./a/b": the path appears twice');

    const truncated = path.join(tempDir(), ARCHIVES[0]!);
    writeFileSync(truncated, readFileSync(path.join(dist, ARCHIVES[0]!)).subarray(0, 100_000));
    await expect(listArchive(truncated)).rejects.toThrow(/not a readable \.tar\.gz/);
    const notZip = path.join(tempDir(), "x.zip");
    writeFileSync(notZip, "PK\x03\x04 nothing else");
    await expect(listArchive(notZip)).rejects.toThrow(/not a readable \.zip \(no end of central directory record\)/);
  });

  it("finds the executable and its target by layout, preferring the longest target id", () => {
    const entries = (paths: string[]) => paths.map((p) => ({ path: p, type: p.endsWith("/") ? ("directory" as const) : ("file" as const), rawType: "", mode: 0o644, size: 1 }));
    const exe = executableIn(entries(["my-cli-1.2.3-linux-x64-musl/", "my-cli-1.2.3-linux-x64-musl/README.md", "my-cli-1.2.3-linux-x64-musl/my-cli"]));
    expect(exe).toMatchObject({ root: "my-cli-1.2.3-linux-x64-musl", stem: "my-cli", windows: false });
    const files = ["my-cli-linux-x64", "my-cli-linux-x64-musl", "my-cli-x64-musl", "my-cli-windows-x64.exe"];
    expect(targetFileOfArchive("whatever.tar.gz", files, exe)).toBe("my-cli-linux-x64-musl");
    expect(targetFileOfArchive("my-cli-1.2.3-linux-x64.tar.gz", files)).toBe("my-cli-linux-x64");
    expect(targetFileOfArchive("my-cli-1.2.3-windows-x64.zip", files)).toBe("my-cli-windows-x64.exe");
    expect(targetFileOfArchive("other-1.2.3-linux-x64.tar.gz", files)).toBeUndefined();
    expect(targetFileOfArchive("my-cli-linux-x64.tar.gz", files)).toBeUndefined(); // no version part
  });
});

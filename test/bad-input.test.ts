// Every command answers bad input with exit code 2, the path it could not use and a `fix:` line;
// never "internal error" (exit code 70) and never the "check failed" exit code 1. One row per
// command and kind of bad input it can be given: a missing path, a folder where a file is
// expected, a file where a folder is expected, an empty file, a file that is not executable, a
// text file, and malformed JSON. The project is the hello fixture with a `build-all` recipe
// that only creates dist/, so even parity gets to read its reference without compiling.
import { chmodSync, copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { usage } from "../verify/cli/index.ts";
import { BUN, copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

type Kind = "missing" | "folder for a file" | "file for a folder" | "empty file" | "not executable" | "text file" | "malformed JSON" | "bad value";

interface Row {
  command: string;
  kind: Kind;
  args: string[];
  /** Where to run: the project (default), or a folder made for this row. */
  cwd?: () => string;
  env?: () => Record<string, string>;
  /** Text the error must contain: the path (or value) it could not use. */
  names: string | RegExp;
  check?: (stderr: string) => void;
}

// Made when the file loads: the table below names paths inside it.
const work = tempDir("bad-input-");
let app: string;
const at = (name: string) => path.join(work, name);

/** A copy of the project with `edit` applied, for rows that need a broken project file. */
function project(name: string, edit: (dir: string) => void): () => string {
  let dir: string | undefined;
  return () => {
    if (!dir) {
      dir = copyFixture("hello", path.join(work, name));
      writeFileSync(path.join(dir, "justfile"), "build-all:\n    mkdir -p dist\n");
      edit(dir);
    }
    return dir;
  };
}

const withFolderArtifact = project("folder-artifact", (dir) => mkdirSync(path.join(dir, "dist", "hello-linux-x64"), { recursive: true }));
const withPlainArtifact = project("plain-artifact", (dir) => {
  mkdirSync(path.join(dir, "dist"));
  writeFileSync(path.join(dir, "dist", "hello-linux-x64"), "#!/bin/sh\necho hello\n", { mode: 0o644 });
});
const withBadManifest = project("bad-manifest", (dir) => {
  mkdirSync(path.join(dir, "dist"));
  writeFileSync(path.join(dir, "dist", "manifest.json"), '{"schemaVersion": 1, "targets": [');
});
const withStuckJust = project("stuck-just", (dir) => {
  mkdirSync(path.join(dir, "node_modules", ".bin"), { recursive: true });
  writeFileSync(path.join(dir, "node_modules", ".bin", "just"), "#!/bin/sh\nexit 0\n", { mode: 0o644 });
});
const withoutRecipe = project("no-recipe", (dir) => writeFileSync(path.join(dir, "justfile"), "lint:\n    true\n"));
const withBadDagger = project("bad-dagger", (dir) => writeFileSync(path.join(dir, "dagger.json"), '{"engineVersion": '));
const withArchiveDirFile = project("archive-dir-file", (dir) => {
  const config = JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8")) as Record<string, unknown>;
  config.archives = { outDir: "README" };
  writeFileSync(path.join(dir, "targets.json"), JSON.stringify(config));
  writeFileSync(path.join(dir, "README"), "read me\n");
});
const withPackageJson = (name: string, text: string) => project(name, (dir) => writeFileSync(path.join(dir, "package.json"), text));
const withFolderJustfile = project("folder-justfile", (dir) => {
  rmSync(path.join(dir, "justfile"));
  mkdirSync(path.join(dir, "justfile"));
});

/** Commands that read targets.json: every --config row applies to each. */
const CONFIG_COMMANDS: string[][] = [["build"], ["plan"], ["toolchain"], ["package"], ["parity", "--reference", "clean-room"], ["ci"], ["inspect"], ["security"], ["smoke"]];

function rows(): Row[] {
  const r: Row[] = [];
  const nonExecutable = () => ({ BUN_PARITY_BUN: at("not-executable") });
  for (const [command, ...rest] of CONFIG_COMMANDS) {
    r.push(
      { command: command!, kind: "missing", args: [command!, ...rest, "--config", at("no-such-targets.json")], names: "no-such-targets.json: no such file" },
      { command: command!, kind: "folder for a file", args: [command!, ...rest, "--config", at("a-folder")], names: "a-folder: is a folder; expected a file" },
      { command: command!, kind: "empty file", args: [command!, ...rest, "--config", at("empty")], names: "empty: is empty" },
      { command: command!, kind: "text file", args: [command!, ...rest, "--config", at("notes.txt")], names: /notes\.txt:1:1: \$: malformed JSON/ },
      { command: command!, kind: "malformed JSON", args: [command!, ...rest, "--config", at("malformed.json")], names: /malformed\.json:1:\d+: \$: malformed JSON/ },
      { command: command!, kind: "not executable", args: [command!, ...rest], env: nonExecutable, names: /\$BUN_PARITY_BUN .*not-executable: is not executable \(mode 0644\)/ },
    );
  }
  r.push(
    // build, plan: --out is a folder; --jobs a count
    { command: "build", kind: "file for a folder", args: ["build", "--out", at("notes.txt")], names: "--out", check: (e) => expect(e).toContain("notes.txt: is a file; expected a folder") },
    { command: "build", kind: "bad value", args: ["build", "--jobs", "many"], names: '--jobs "many": not a whole number' },
    { command: "build", kind: "folder for a file", args: ["build", `--json=${at("a-folder")}`], names: "a-folder: is a folder; expected a file to write" },
    { command: "plan", kind: "file for a folder", args: ["plan", "--out", at("notes.txt")], names: "notes.txt: is a file; expected a folder to write into" },
    { command: "plan", kind: "file for a folder", args: ["plan", "--out", path.join(at("notes.txt"), "dist")], names: "is a file, so nothing can be written under it" },
    // toolchain: one mode at a time; the runtime cache is a folder
    { command: "toolchain", kind: "bad value", args: ["toolchain", "--update", "--fetch"], names: "--update and --fetch cannot be combined" },
    { command: "toolchain", kind: "file for a folder", args: ["toolchain", "--fetch"], env: () => ({ BUN_PARITY_CACHE_DIR: at("notes.txt") }), names: "notes.txt: is a file; expected a folder to write into" },
    // package: the manifest it reads, the folder it writes
    { command: "package", kind: "malformed JSON", args: ["package"], cwd: withBadManifest, env: () => ({ SOURCE_DATE_EPOCH: "1" }), names: /manifest\.json: not valid JSON/ },
    { command: "package", kind: "file for a folder", args: ["package"], cwd: withArchiveDirFile, env: () => ({ SOURCE_DATE_EPOCH: "1" }), names: /\$\.archives\.outDir \S*README: is a file; expected a folder/ },
    // parity: the reference, the native build's just, the Markdown file
    { command: "parity", kind: "missing", args: ["parity", "--reference", at("no-such-reference")], names: "no-such-reference: no such file or folder" },
    { command: "parity", kind: "empty file", args: ["parity", "--reference", at("empty")], names: "empty: lists no files" },
    { command: "parity", kind: "text file", args: ["parity", "--reference", at("notes.txt")], names: /notes\.txt:1: not a SHA256SUMS line/ },
    { command: "parity", kind: "malformed JSON", args: ["parity", "--reference", at("malformed.json")], names: /malformed\.json: not valid JSON/ },
    { command: "parity", kind: "folder for a file", args: ["parity", "--reference", "clean-room", "--markdown", at("a-folder")], names: "--markdown", check: (e) => expect(e).toContain("a-folder: is a folder; expected a file to write") },
    {
      command: "parity", kind: "not executable", args: ["parity", "--reference", at("a-folder")], cwd: withStuckJust, names: /cannot start just \(.*node_modules\/\.bin\/just\): EACCES/,
      check: (e) => expect(e).not.toContain("no justfile"),
    },
    {
      command: "parity", kind: "missing", args: ["parity", "--reference", at("a-folder")], cwd: withoutRecipe, names: "has no justfile with a build-all recipe",
      // The fix is printed over real lines, not with a literal backslash-n.
      check: (e) => {
        expect(e).not.toContain("\\n");
        expect(e).toMatch(/^ {2}build-all \*ARGS:\n {6}npx --no bun verify build \{\{ARGS\}\}$/m);
      },
    },
    // explain: two files
    { command: "explain", kind: "missing", args: ["explain", at("no-such-a"), at("notes.txt")], names: "no-such-a: no such file" },
    { command: "explain", kind: "folder for a file", args: ["explain", at("a-folder"), at("notes.txt")], names: "a-folder: is a folder; expected a file" },
    { command: "explain", kind: "empty file", args: ["explain", at("empty"), at("notes.txt")], names: "empty: is empty" },
    { command: "explain", kind: "text file", args: ["explain", at("notes.txt"), at("malformed.json")], names: /notes\.txt: not an executable this tool reads: .*a text file/ },
    // ci: the workflow file, dagger.json
    { command: "ci", kind: "folder for a file", args: ["ci", "--check", "--workflow", at("a-folder")], names: "a-folder: is a folder; expected a file to write" },
    { command: "ci", kind: "file for a folder", args: ["ci", "--write", "--workflow", path.join(at("notes.txt"), "ci.yml")], names: "is a file, so nothing can be written under it" },
    { command: "ci", kind: "empty file", args: ["ci", "--write", "--workflow", at("empty")], names: "empty: no generated matrix block" },
    { command: "ci", kind: "text file", args: ["ci", "--write", "--workflow", at("notes.txt")], names: "notes.txt: no generated matrix block" },
    { command: "ci", kind: "malformed JSON", args: ["ci", "--write", "--workflow", at("new-workflow.yml")], cwd: withBadDagger, names: /dagger\.json: (\(root\): )?not valid JSON/ },
    // init: the project's files, --entry
    { command: "init", kind: "missing", args: ["init", "--dry-run", "--entry", "src/no-such-entry.ts"], names: "no-such-entry.ts: no such file" },
    { command: "init", kind: "folder for a file", args: ["init", "--dry-run", "--entry", at("a-folder")], names: "a-folder: is a folder; expected a file" },
    { command: "init", kind: "folder for a file", args: ["init", "--dry-run"], cwd: withFolderJustfile, names: "justfile: is a folder; expected a file" },
    { command: "init", kind: "empty file", args: ["init", "--dry-run"], cwd: withPackageJson("empty-package", ""), names: /package\.json is not valid JSON/ },
    { command: "init", kind: "text file", args: ["init", "--dry-run"], cwd: withPackageJson("text-package", "name = hello\n"), names: /package\.json is not valid JSON/ },
    { command: "init", kind: "malformed JSON", args: ["init", "--dry-run"], cwd: withPackageJson("malformed-package", '{"name": "hello",'), names: /package\.json is not valid JSON/ },
    // inspect: files, --dist, the output folder's contents
    { command: "inspect", kind: "missing", args: ["inspect", at("no-such-executable")], names: "no-such-executable: no such file" },
    { command: "inspect", kind: "folder for a file", args: ["inspect", at("a-folder")], names: "a-folder: is a folder; expected a file" },
    { command: "inspect", kind: "folder for a file", args: ["inspect", "--target", "linux-x64"], cwd: withFolderArtifact, names: "hello-linux-x64: is a folder; expected the linux-x64 executable" },
    { command: "inspect", kind: "file for a folder", args: ["inspect", "--dist", at("notes.txt")], names: "notes.txt: is a file; expected a folder" },
    { command: "inspect", kind: "missing", args: ["inspect", "--dist", at("no-such-dist")], names: "no-such-dist: no such folder" },
    { command: "inspect", kind: "empty file", args: ["inspect", at("empty")], names: "empty: is empty" },
    { command: "inspect", kind: "text file", args: ["inspect", at("notes.txt")], names: /notes\.txt: not an executable this tool reads/ },
    { command: "inspect", kind: "malformed JSON", args: ["inspect"], cwd: withBadManifest, names: /manifest\.json: not valid JSON/ },
    // security: --dist, --markdown
    { command: "security", kind: "missing", args: ["security", "--dist", at("no-such-dist")], names: "no-such-dist: no such folder" },
    { command: "security", kind: "file for a folder", args: ["security", "--dist", at("notes.txt")], names: "notes.txt: is a file; expected a folder" },
    { command: "security", kind: "folder for a file", args: ["security", "--markdown", at("a-folder")], names: "a-folder: is a folder; expected a file to write" },
    // sign: files
    { command: "sign", kind: "missing", args: ["sign", "--adhoc", at("no-such-executable")], names: "no-such-executable: no such file" },
    { command: "sign", kind: "folder for a file", args: ["sign", "--adhoc", at("a-folder")], names: "a-folder: is a folder; expected a file" },
    { command: "sign", kind: "empty file", args: ["sign", "--adhoc", at("empty")], names: "empty: is empty" },
    { command: "sign", kind: "text file", args: ["sign", "--adhoc", at("notes.txt")], names: /notes\.txt: not a Mach-O/ },
    // smoke: --dist, what sits where an executable should be
    { command: "smoke", kind: "missing", args: ["smoke", "--dist", at("no-such-dist")], names: "no-such-dist: no such folder" },
    { command: "smoke", kind: "file for a folder", args: ["smoke", "--dist", at("notes.txt")], names: "notes.txt: is a file; expected a folder" },
    { command: "smoke", kind: "folder for a file", args: ["smoke", "--target", "linux-x64"], cwd: withFolderArtifact, names: "hello-linux-x64: is a folder; expected the linux-x64 executable" },
    { command: "smoke", kind: "not executable", args: ["smoke", "--target", "linux-x64"], cwd: withPlainArtifact, names: /hello-linux-x64: is not executable \(mode 0644\)/, check: (e) => expect(e).toContain("fix: chmod 0755") },
    { command: "smoke", kind: "malformed JSON", args: ["smoke", "--target", "linux-x64"], cwd: withBadManifest, names: /manifest\.json: not valid JSON/ },
    // report: result files or folders, --html, --markdown, --compare
    { command: "report", kind: "missing", args: ["report", at("no-such-result.json")], names: "no-such-result.json: no such file or folder" },
    { command: "report", kind: "missing", args: ["report", at("result.json"), "--compare", at("no-such-old.json")], names: "no-such-old.json: no such file" },
    { command: "report", kind: "folder for a file", args: ["report", at("result.json"), "--html", at("a-folder")], names: "a-folder: is a folder; expected a file to write" },
    { command: "report", kind: "folder for a file", args: ["report", at("result.json"), "--compare", at("a-folder")], names: "a-folder: is a folder; expected a file" },
    { command: "report", kind: "file for a folder", args: ["report", at("result.json"), "--markdown", path.join(at("notes.txt"), "summary.md")], names: "is a file, so nothing can be written under it" },
    { command: "report", kind: "empty file", args: ["report", at("empty")], names: /empty: not valid JSON/ },
    { command: "report", kind: "text file", args: ["report", at("notes.txt")], names: /notes\.txt: not valid JSON/ },
    { command: "report", kind: "malformed JSON", args: ["report", at("malformed.json")], names: /malformed\.json: not valid JSON/ },
    { command: "report", kind: "malformed JSON", args: ["report", at("result.json"), "--compare", at("malformed.json")], names: /malformed\.json: not valid JSON/ },
  );
  return r;
}

const ROWS = rows();

beforeAll(() => {
  app = copyFixture("hello", path.join(work, "app"));
  writeFileSync(path.join(app, "justfile"), "build-all:\n    mkdir -p dist\n");
  mkdirSync(at("a-folder"));
  writeFileSync(at("empty"), "");
  writeFileSync(at("notes.txt"), "just some notes, not JSON and not an executable\n");
  writeFileSync(at("malformed.json"), '{"targets": [');
  copyFileSync(BUN, at("not-executable"));
  chmodSync(at("not-executable"), 0o644);
  const result = { schemaVersion: 1, kind: "bun-parity-result", command: "build", args: [], tool: { name: "bun-parity", version: "0" }, time: "2025-01-01T00:00:00.000Z", durationMs: 1, exitCode: 0, host: { os: "linux", arch: "x64" }, result: {} };
  writeFileSync(at("result.json"), JSON.stringify(result));
});
afterAll(removeTemps);

describe("every command answers bad input with exit code 2 and a fix", () => {
  it.each(ROWS.map((row) => [`${row.command} (${row.kind}): ${row.args.slice(1).map((a) => a.replace(/^.*bad-input-[^/]+\//, "")).join(" ")}`, row] as const))("%s", async (_, row) => {
    const result = await runCli(row.args, { cwd: row.cwd?.() ?? app, env: row.env?.() ?? {} });
    const said = `exit ${result.exitCode}\n${result.stderr}\n${result.stdout}`;
    expect(result.stderr, said).not.toContain("internal error");
    expect(result.exitCode, said).toBe(2);
    expect(result.stderr, said).toMatch(/^fix: \S/m);
    if (typeof row.names === "string") expect(result.stderr, said).toContain(row.names);
    else expect(result.stderr, said).toMatch(row.names);
    row.check?.(result.stderr);
  });

  it("covers every command, and every command that reads targets.json with each kind of bad --config", () => {
    const commands = [...usage().matchAll(/^ {2}([a-z]+) {2,}/gm)].map((m) => m[1]!);
    expect(commands.length).toBeGreaterThanOrEqual(13);
    for (const command of commands) expect(ROWS.some((r) => r.command === command), `no bad-input row for ${command}`).toBe(true);
    const kinds: Kind[] = ["missing", "folder for a file", "empty file", "text file", "malformed JSON", "not executable"];
    for (const [command] of CONFIG_COMMANDS) {
      for (const kind of kinds) expect(ROWS.some((r) => r.command === command && r.kind === kind), `${command}: no ${kind} row`).toBe(true);
    }
  });
});

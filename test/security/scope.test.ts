// What `bun verify security` scans for the artifact checks: the build folder (manifest.json), any
// folder of executables (SHA256SUMS when present, hashed otherwise), or named executables. A scope
// the user named that cannot be scanned is bad input (exit 2, with the reason and a fix); --strict
// turns every "not run" into a failure. Real builds of the fixtures, real files.
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { sha256Hex } from "../../verify/digest/index.ts";
import { copyFixture, removeTemps, tempDir } from "../helpers.ts";
import { buildFixture, check, plant, planted, security, securityRaw } from "./support.ts";

afterAll(removeTemps);

let clean: string;
let leaky: string;
const EXE = { clean: "clean-linux-x64", leaky: "aws-key-linux-x64" };

beforeAll(async () => {
  clean = copyFixture("security/clean");
  leaky = copyFixture("security/aws-key");
  plant(leaky, { __PLANTED_AWS_ACCESS_KEY_ID__: planted.awsAccessKeyId, __PLANTED_AWS_SECRET_ACCESS_KEY__: planted.awsSecretAccessKey });
  await buildFixture(clean);
  await buildFixture(leaky);
});

/** A folder holding only executables (and, if asked, a SHA256SUMS): what a download or another tool leaves. */
function looseFolder(files: { from: string; name: string }[], sums?: (name: string, sha256: string) => string): string {
  const dir = tempDir("loose-");
  let lines = "";
  for (const { from, name } of files) {
    copyFileSync(from, path.join(dir, name));
    if (sums) lines += sums(name, sha256Hex(readFileSync(from)));
  }
  if (sums) writeFileSync(path.join(dir, "SHA256SUMS"), lines);
  return dir;
}

describe("a scope the user named that cannot be scanned: exit 2 with the reason", () => {
  it("--dist: a missing folder, a file, a folder with nothing to scan", async () => {
    const missing = await securityRaw(clean, { dist: "no-such-folder" });
    expect(missing.code).toBe(2);
    expect(missing.error?.message).toBe("--dist no-such-folder: no such folder");
    expect(missing.error?.fix).toMatch(/outDir in targets.json/);

    const file = await securityRaw(clean, { dist: `dist/${EXE.clean}` });
    expect(file.code).toBe(2);
    expect(file.error?.message).toBe(`--dist dist/${EXE.clean}: is a file, not a folder`);
    expect(file.error?.fix).toBe(`To scan one executable, name it: bun verify security dist/${EXE.clean}`);

    const empty = tempDir("empty-");
    writeFileSync(path.join(empty, "README.md"), "not an executable\n");
    const nothing = await securityRaw(clean, { dist: empty });
    expect(nothing.code).toBe(2);
    expect(nothing.error?.message).toMatch(/: nothing to scan in .*: no manifest\.json, no SHA256SUMS, and no executable \(ELF, PE or Mach-O\) in it$/);

    // SHA256SUMS that lists only what is not there: still nothing to scan.
    writeFileSync(path.join(empty, "SHA256SUMS"), `${"0".repeat(64)}  app-linux-x64\n`);
    const listedOnly = await securityRaw(clean, { dist: empty });
    expect(listedOnly.code).toBe(2);
    expect(listedOnly.error?.message).toContain("SHA256SUMS lists no executable that is there");
  });

  it("file arguments: missing, a folder, not an executable; and not together with --dist", async () => {
    const cases: [string[], RegExp][] = [
      [["dist/nope"], /^dist\/nope: no such file$/],
      [["dist"], /^dist: is a folder$/],
      [["targets.json"], /^targets\.json: not an executable this tool reads \(ELF, PE or Mach-O\): first bytes 7b /],
    ];
    for (const [files, message] of cases) {
      const run = await securityRaw(clean, {}, files);
      expect(run.code, files.join(" ")).toBe(2);
      expect(run.error?.message, files.join(" ")).toMatch(message);
      expect(run.error?.fix, files.join(" ")).toBeTruthy();
    }
    const both = await securityRaw(clean, { dist: "dist" }, [`dist/${EXE.clean}`]);
    expect(both.code).toBe(2);
    expect(both.error?.message).toBe("--dist and file arguments cannot be combined");
  });
});

describe("any folder of executables", () => {
  it("with SHA256SUMS: scans what it lists, checks each digest; SBOM and provenance are not run, and --strict fails on that", async () => {
    const dir = looseFolder([{ from: path.join(leaky, "dist", EXE.leaky), name: EXE.leaky }], (name, sha) => `${sha}  ${name}\n`);
    const run = await security(leaky, { dist: dir });
    expect(run.report.scope).toMatch(/no manifest\.json; 1 executable\(s\), digests checked against SHA256SUMS/);
    const leaks = check(run, "artifact-leaks");
    expect(leaks.status).toBe("failed");
    expect(leaks.findings).toContainEqual(expect.objectContaining({ artifact: EXE.leaky, module: "aws-key", rule: "@secretlint/secretlint-rule-aws" }));
    expect(leaks.findings.some((f) => f.rule === "artifact/sha256sums-mismatch")).toBe(false);
    for (const id of ["sbom", "provenance"]) {
      expect(check(run, id)).toMatchObject({ status: "not-run", summary: expect.stringMatching(/no manifest\.json for .*bundled packages and build inputs/) });
    }

    const cleanDir = looseFolder([{ from: path.join(clean, "dist", EXE.clean), name: EXE.clean }], (name, sha) => `${sha}  ${name}\n`);
    const passes = await security(clean, { dist: cleanDir });
    expect(check(passes, "artifact-leaks").status).toBe("passed");
    expect(passes.code, passes.stderr).toBe(0);
    const strict = await security(clean, { dist: cleanDir, strict: true });
    expect(strict.code).toBe(1);
    expect(strict.error?.message).toMatch(/SBOM \(CycloneDX 1\.6\), provenance \(in-toto, SLSA\): failed or not run \(--strict\)/);
  });

  it("a digest that differs from SHA256SUMS, a listed file that is missing, an unlisted executable", async () => {
    const dir = looseFolder(
      [{ from: path.join(clean, "dist", EXE.clean), name: EXE.clean }, { from: path.join(clean, "dist", EXE.clean), name: "extra-linux-x64" }],
      (name, sha) => (name === EXE.clean ? `${"ab".repeat(32)}  ${name}\n${sha}  gone-linux-x64\n` : ""),
    );
    const run = await security(clean, { dist: dir });
    expect(run.code).toBe(1);
    const findings = check(run, "artifact-leaks").findings;
    expect(findings).toContainEqual(expect.objectContaining({ severity: "error", rule: "artifact/sha256sums-mismatch", artifact: EXE.clean }));
    expect(findings).toContainEqual(expect.objectContaining({ severity: "error", rule: "artifact/missing", artifact: "gone-linux-x64", message: expect.stringContaining("listed in SHA256SUMS but missing") }));
    expect(findings).toContainEqual(expect.objectContaining({ severity: "warning", rule: "artifact/not-listed", artifact: "extra-linux-x64" }));
    expect(check(run, "artifact-leaks").summary).toMatch(/^2 artifact\(s\)/);
  });

  it("without SHA256SUMS: every executable in it, hashed; other files are left alone", async () => {
    const dir = looseFolder([{ from: path.join(leaky, "dist", EXE.leaky), name: "renamed-tool" }]);
    mkdirSync(path.join(dir, "notes"));
    writeFileSync(path.join(dir, "notes.txt"), "plain text\n");
    const run = await security(leaky, { dist: dir });
    expect(run.report.scope).toMatch(/no manifest\.json or SHA256SUMS; 1 executable\(s\), hashed/);
    expect(check(run, "artifact-leaks").findings).toContainEqual(expect.objectContaining({ artifact: "renamed-tool", rule: "@secretlint/secretlint-rule-aws" }));
  });

  it("named executables, with the SHA256SUMS next to them checked", async () => {
    const run = await security(leaky, {}, undefined, [`dist/${EXE.leaky}`]);
    expect(run.report.scope).toBe("1 named executable(s), 1 digest(s) checked against SHA256SUMS");
    expect(check(run, "artifact-leaks").findings).toContainEqual(expect.objectContaining({ artifact: EXE.leaky, rule: "@secretlint/secretlint-rule-aws" }));
    expect(check(run, "sbom").status).toBe("not-run");
  });

  it("the build folder with manifest.json is still read through the manifest (SBOM and provenance run)", async () => {
    const run = await security(clean, { dist: "dist" });
    expect(run.report.scope).toBe("dist (manifest.json: 1 target(s))");
    expect(check(run, "sbom").status).toBe("passed");
    expect(check(run, "provenance").status).toBe("passed");
  });
});

// The security checks' pure parts on strings and objects: leak detectors, lockfile and audit
// readers, SBOM and provenance helpers. The end-to-end tests are in test/security.test.ts.
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { Config } from "../../verify/config/index.ts";
import { interpretAudit } from "../../verify/security/audit.ts";
import { LineIndex, lineColumn, redactUrlCredentials } from "../../verify/security/findings.ts";
import { envCandidates, parseDotenv } from "../../verify/security/leak-context.ts";
import { dotenvModule, findDotenvValues, findInlinedEnv, findPathLeaks } from "../../verify/security/leaks.ts";
import type { ParityReport } from "../../verify/parity/index.ts";
import { builderInfo, normalizeRemote, parityVsaStatements } from "../../verify/security/provenance.ts";
import { licenseChoice, npmPurl, splitPackageId, uuidV5 } from "../../verify/security/sbom.ts";
import { gitignorePatterns } from "../../verify/security/secrets.ts";
import { checkBunLock, checkNpmLock, classifySpec } from "../../verify/security/supply-chain.ts";
import { REPO } from "../helpers.ts";

const REGISTRIES = ["https://registry.npmjs.org/"];
const noPaths = { knownPaths: [] };

describe("path leak detector", () => {
  it("finds home folders and CI workspaces, POSIX and Windows, escaped or not", () => {
    const text = [
      `a="/home/alice/src/app/config.json"`,
      `b="/Users/runner/work/app/app/index.ts"`,
      `c="C:\\\\Users\\\\bob\\\\src\\\\app"`,
      `d="D:\\\\a\\\\app\\\\app\\\\dist"`,
      `e="/github/workspace/src"`,
      `f="file:///root/project/x.ts"`,
    ].join("\n");
    const hits = findPathLeaks(text, noPaths);
    expect(hits.map((h) => [lineColumn(text, h.index).line, h.rule])).toEqual([
      [1, "path/home-folder"],
      [2, "path/home-folder"],
      [3, "path/home-folder"],
      [4, "path/ci-workspace"],
      [5, "path/ci-workspace"],
      [6, "path/home-folder"],
    ]);
    expect(hits[2]!.message).toContain(JSON.stringify("C:\\Users\\bob\\src\\app"));
  });

  it("ignores Bun's virtual paths, URLs and look-alikes", () => {
    const text = `x="/$bunfs/root/app";y="https://example.com/home/alice/";z="B:/~BUN/root/app.exe";w="/homework/a";v="/rooted/x"`;
    expect(findPathLeaks(text, noPaths)).toEqual([]);
  });

  it("does not flag its own patterns: bun-parity's executable carries this detector's source", () => {
    const source = readFileSync(path.join(REPO, "verify", "security", "leaks.ts"), "utf8");
    expect(findPathLeaks(source, { knownPaths: [{ path: "/root", what: "$HOME" }] })).toEqual([]);
  });

  it("names inlined __dirname/__filename, and the build machine's own folders, once per spot", () => {
    const text = `var __dirname="/tmp/build-7/app";console.log(__dirname,"/tmp/build-7/app/x","/tmp/build-7/apparently")`;
    const hits = findPathLeaks(text, { knownPaths: [{ path: "/tmp/build-7/app", what: "the project folder" }] });
    expect(hits.map((h) => h.rule)).toEqual(["path/__dirname", "path/build-machine"]);
    expect(hits[0]!.message).toContain(`"/tmp/build-7/app"`);
  });
});

describe("process.env inlining", () => {
  const config = (build: Partial<Config["build"]>) =>
    ({ build: { define: {}, env: { NODE_ENV: "production" }, inlineEnv: "disable", ...build } }) as unknown as Config;

  it("takes values from --define process.env.X, from build.env under --env=PREFIX_*, and secret-looking variables of this machine", () => {
    const candidates = envCandidates(
      config({ define: { "process.env.API_TOKEN": '"tok-1234567"', BUILD_CHANNEL: '"stable"' }, env: { NODE_ENV: "production", PUBLIC_URL: "https://x.example" }, inlineEnv: "PUBLIC_*" }),
      { DEPLOY_PASSWORD: "hunter2hunter2", GIT_AUTHOR_NAME: "Some Author Name", PUBLIC_COLOR: "turquoise-blue", HOME: "/home/alice" },
    );
    expect(candidates.map((c) => [c.name, c.secretLike])).toEqual([
      ["API_TOKEN", true],
      ["PUBLIC_URL", false],
      ["PUBLIC_COLOR", false],
      ["DEPLOY_PASSWORD", true],
    ]);
    const text = `console.log("tok-1234567","https://x.example")`;
    const hits = findInlinedEnv(text, candidates);
    expect(hits.map((h) => h.severity)).toEqual(["error", "warning"]);
    expect(hits[0]!.message).toMatch(/^the value of API_TOKEN is embedded \(--define process\.env\.API_TOKEN/);
    expect(hits[1]!.message).toMatch(/^process\.env\.PUBLIC_URL is inlined \(--env=PUBLIC_\*/);
  });

  it("finds .env values, also when JSON-escaped inside a string", () => {
    const values = [{ file: ".env", name: "DB_URL", value: 'post"gres' }];
    expect(findDotenvValues(`x="post\\"gres"`, values)).toHaveLength(1);
    expect(parseDotenv(`# c\nexport A=1\nB="two words" \nC=x # comment\n`)).toEqual([
      { name: "A", value: "1" },
      { name: "B", value: "two words" },
      { name: "C", value: "x" },
    ]);
  });
});

describe("bundled .env detector", () => {
  it("recognises Bun's hashed names of .env files, and .env-shaped assets", () => {
    expect(dotenvModule({ display: "-2x3dhgtr.env", loader: "text", text: "A=1\nB=2\n" })).toMatchObject({ severity: "error", line: 1 });
    expect(dotenvModule({ display: ".env-f1eb8rfq.production", loader: "file", text: "X=1\n" })?.message).toContain(".env.production");
    expect(dotenvModule({ display: ".env-f1eb8rfq.example", loader: "file", text: "X=\n" })?.severity).toBe("warning");
    expect(dotenvModule({ display: "settings-abcdefgh.txt", loader: "text", text: "# s\nAPI_KEY=1\nDB_HOST=x\n" })).toMatchObject({ rule: "dotenv/file", line: 2 });
    expect(dotenvModule({ display: "app", loader: "js", text: "A=1\nB=2\n" })).toBeUndefined();
    expect(dotenvModule({ display: "readme-abcdefgh.md", loader: "md", text: "# Title\nSome prose.\nMore prose.\n" })).toBeUndefined();
  });
});

describe("lockfiles", () => {
  it("classifies specs", () => {
    expect(classifySpec("1.2.3", REGISTRIES).kind).toBe("registry");
    expect(classifySpec("git+ssh://git@github.com/o/r.git#abc", REGISTRIES).kind).toBe("git");
    expect(classifySpec("github:o/r#v1", REGISTRIES).kind).toBe("git");
    expect(classifySpec("o/r", REGISTRIES).kind).toBe("git");
    expect(classifySpec("https://registry.npmjs.org/a/-/a-1.0.0.tgz", REGISTRIES)).toEqual({ kind: "tarball-url", outside: false });
    expect(classifySpec("https://evil.example/a-1.0.0.tgz", REGISTRIES)).toEqual({ kind: "tarball-url", outside: true });
    expect(classifySpec("file:../local", REGISTRIES).kind).toBe("local");
  });

  it("package-lock.json: optional platform packages without integrity are a warning, others an error; a git version is reported", () => {
    const lock = {
      lockfileVersion: 3,
      packages: {
        "": { name: "x" },
        "node_modules/tool": { version: "1.0.0", integrity: "sha512-AA==", optionalDependencies: { "tool-darwin-arm64": "1.0.0" } },
        "node_modules/tool-darwin-arm64": { version: "1.0.0", optional: true, os: ["darwin"] },
        "node_modules/plain": { version: "2.0.0" },
        "node_modules/fromgit": { version: "git+https://github.com/o/fromgit.git#0123456" },
        "node_modules/bundled": { version: "1.0.0", inBundle: true },
      },
    };
    const { findings, summary } = checkNpmLock("package-lock.json", lock, REGISTRIES, true);
    expect(findings.map((f) => [f.severity, f.rule])).toEqual([
      ["error", "lockfile/no-integrity"],
      ["error", "dependency/git"],
      ["warning", "lockfile/no-integrity-optional"],
    ]);
    expect(findings[2]!.message).toMatch(/tool-darwin-arm64@1\.0\.0.*lock-optional-platforms\.mjs/);
    expect(summary).toBe("package-lock.json: 4 packages, 1 with an integrity hash");
  });

  it("lockfileVersion 1 (nested dependencies) is read too", () => {
    const lock = { lockfileVersion: 1, dependencies: { a: { version: "1.0.0", integrity: "sha512-AA==", dependencies: { b: { version: "github:o/b#abc" } } } } };
    expect(checkNpmLock("package-lock.json", lock, REGISTRIES, false).findings).toEqual([
      expect.objectContaining({ rule: "dependency/git", message: expect.stringContaining("node_modules/a/node_modules/b") }),
    ]);
  });

  it("bun.lock: registry packages need an integrity; git, github and foreign tarballs are reported", () => {
    const text = `{
      "lockfileVersion": 1,
      "packages": {
        "ms": ["ms@2.1.3", "", {}, "sha512-6FlzubTLZG3J2a/NVCAleEhjzq5oxgHyaCU9yYXvcLsvoVaHJq/s5xXI6/XXP6tz7R9xAOtHnSO/tXtF3WRTlA=="],
        "nohash": ["nohash@1.0.0", "", {}],
        "gh": ["gh@github:o/gh#abcdef0", {}, "o-gh-abcdef0"],
        "viagit": ["viagit@git+ssh://git@github.com/o/viagit.git#abcdef0", {}, "abcdef0"],
        "tar": ["tar@https://evil.example/tar-1.0.0.tgz", {}],
        "@s/other": ["@s/other@1.0.0", "https://npm.other.example/", {}, "sha512-AA=="],
      },
    }`;
    const { findings } = checkBunLock("bun.lock", text, REGISTRIES);
    expect(findings.map((f) => `${f.rule} ${f.message.split(" ")[0]}`)).toEqual([
      "lockfile/no-integrity nohash",
      "dependency/git gh",
      "dependency/git viagit",
      "dependency/tarball-url tar",
      "dependency/registry @s/other",
    ]);
  });
});

describe("npm audit output", () => {
  it("an error object means the service was not reached: not run", () => {
    const stdout = JSON.stringify({ message: "405 Method Not Allowed - POST https://registry.npmjs.org/-/npm/v1/security/advisories/bulk", error: { summary: "", detail: "" } });
    expect(interpretAudit(stdout, "npm error audit endpoint returned an error", 1)).toMatchObject({ status: "not-run", summary: expect.stringContaining("405 Method Not Allowed") });
    expect(interpretAudit("", "npm error code ENOLOCK\nnpm error audit This command requires an existing lockfile.", 1).status).toBe("not-run");
  });

  it("credentials in a registry URL are not repeated", () => {
    const stdout = JSON.stringify({ message: "request to https://user:s3cr3t@registry.example/-/npm/v1/security/advisories/bulk failed" });
    expect(interpretAudit(stdout, "", 1).summary).not.toContain("s3cr3t");
    expect(redactUrlCredentials("git+https://tok@github.com/o/r")).toBe("git+https://***@github.com/o/r");
  });
});

describe("SBOM and provenance helpers", () => {
  it("purls, package ids, licenses, UUIDs", () => {
    expect(npmPurl("@oven/bun-linux-x64", "1.4.5")).toBe("pkg:npm/%40oven/bun-linux-x64@1.4.5");
    expect(npmPurl("left-pad", "1.3.0")).toBe("pkg:npm/left-pad@1.3.0");
    expect(splitPackageId("@scope/name@1.0.0")).toEqual({ name: "@scope/name", version: "1.0.0" });
    const fixup = (id: string) => ({ mit: "MIT", "apache-2.0": "Apache-2.0" })[id.toLowerCase()];
    expect(licenseChoice("mit", fixup)).toEqual([{ license: { id: "MIT" } }]);
    expect(licenseChoice("(MIT OR Apache-2.0)", fixup)).toEqual([{ expression: "(MIT OR Apache-2.0)" }]);
    expect(licenseChoice("SEE LICENSE IN LICENSE.md", fixup)).toEqual([{ license: { name: "SEE LICENSE IN LICENSE.md" } }]);
    expect(licenseChoice(undefined, fixup)).toBeUndefined();
    // RFC 4122 section 4.3 name-based UUID: version 5, variant 10xx, stable.
    expect(uuidV5("a")).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(uuidV5("a")).toBe(uuidV5("a"));
    expect(uuidV5("a")).not.toBe(uuidV5("b"));
  });

  it("git remotes become https URIs without credentials; local paths are not recorded", () => {
    expect(normalizeRemote("git@github.com:owner/repo.git")).toBe("https://github.com/owner/repo");
    expect(normalizeRemote("https://x-access-token:abc@github.com/owner/repo.git")).toBe("https://github.com/owner/repo");
    expect(normalizeRemote("ssh://git@gitlab.example:2222/group/repo.git")).toBe("https://gitlab.example/group/repo");
    expect(normalizeRemote("/home/alice/repos/app")).toBeUndefined();
  });

  it("the builder is the workflow on GitHub Actions, bun-parity locally", () => {
    expect(builderInfo({})).toEqual({ id: expect.stringMatching(/^https:\/\/github\.com\/bun-parity\/bun-parity\/local@v/) });
    expect(
      builderInfo({
        GITHUB_ACTIONS: "true",
        GITHUB_SERVER_URL: "https://github.com",
        GITHUB_WORKFLOW_REF: "o/r/.github/workflows/ci.yml@refs/heads/main",
        GITHUB_REPOSITORY: "o/r",
        GITHUB_RUN_ID: "42",
        GITHUB_RUN_ATTEMPT: "2",
        RUNNER_ENVIRONMENT: "github-hosted",
      }),
    ).toEqual({
      id: "https://github.com/o/r/.github/workflows/ci.yml@refs/heads/main",
      invocationId: "https://github.com/o/r/actions/runs/42/attempts/2",
      runnerEnvironment: "github-hosted",
    });
  });
});

describe("parity VSA", () => {
  const exe = "a".repeat(64);
  const tgz = "b".repeat(64);
  const base: Omit<ParityReport, "rows"> = {
    project: "/p",
    native: { command: "just build-all", distDir: "/p/dist" },
    reference: { kind: "folder", location: "/p/release-download" },
    validation: { inspect: { checked: 1, failures: [] }, smoke: { passed: 1, failed: [], notRun: 0 } },
    passed: true,
  };

  it("one statement per target about its executable; hash-compared native archives are subjects too", () => {
    const [vsa, ...rest] = parityVsaStatements({
      ...base,
      rows: [
        { target: "linux-x64", file: "app-linux-x64", native: { sha256: exe, path: "/p/dist/app-linux-x64" }, reference: { sha256: exe }, verdict: "identical" },
        { target: "linux-x64", file: "app-1.0.0-linux-x64.tar.gz", native: { sha256: tgz, path: "/p/dist/app-1.0.0-linux-x64.tar.gz" }, reference: { sha256: tgz }, verdict: "identical" },
        { target: "", file: "notes.txt", reference: { sha256: exe }, verdict: "extra in reference" },
      ],
    });
    expect(rest).toEqual([]);
    expect(vsa!.file).toBe("app-linux-x64");
    expect(vsa!.statement.subject).toEqual([
      { name: "app-linux-x64", digest: { sha256: exe } },
      { name: "app-1.0.0-linux-x64.tar.gz", digest: { sha256: tgz } },
    ]);
    const predicate = vsa!.statement.predicate as Record<string, unknown>;
    expect(predicate.verificationResult).toBe("PASSED");
    // The reference folder is recorded relative to the project, not as this machine's path.
    expect(JSON.stringify(predicate)).toContain(`"location":"release-download"`);
  });

  it("a reference with archives only: the subject is the native executable the archive was opened against", () => {
    const [vsa] = parityVsaStatements({
      ...base,
      rows: [
        {
          target: "linux-x64",
          file: "app-1.0.0-linux-x64.tar.gz",
          native: { sha256: exe, path: "/p/dist/app-linux-x64" },
          reference: { sha256: "c".repeat(64), path: "/tmp/x/app", archive: { file: "app-1.0.0-linux-x64.tar.gz", member: "app-1.0.0-linux-x64/app" } },
          verdict: "differs",
          explanation: ["absolute build path leaked"],
        },
      ],
    });
    expect(vsa!.statement.subject).toEqual([{ name: "app-linux-x64", digest: { sha256: exe } }]);
    expect((vsa!.statement.predicate as Record<string, unknown>).verificationResult).toBe("FAILED");
  });
});

describe("text helpers", () => {
  it("line and column, directly and through the index", () => {
    const text = "a\nbc\r\nd\re";
    for (const index of [0, 2, 3, 6, 8]) expect(new LineIndex(text).at(index)).toEqual(lineColumn(text, index));
    expect(lineColumn(text, 8)).toEqual({ line: 4, column: 1 });
  });

  it(".gitignore lines as glob ignores", () => {
    expect(gitignorePatterns("node_modules/\n/dist\n*.log\n# c\n!keep\nsub/dir\n")).toEqual([
      "**/node_modules/**",
      "dist/**",
      "dist",
      "**/*.log/**",
      "**/*.log",
      "sub/dir/**",
      "sub/dir",
    ]);
  });
});

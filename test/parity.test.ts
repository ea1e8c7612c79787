// `bun verify parity` against every kind of reference, on the hello fixture (which has its own
// justfile, as a user's project does). Every reference is built independently of the native
// side: a second copy of the project in another folder (its own `bun verify build`), or the
// clean room. Real builds, a real clean-room rebuild, a real local HTTP server for the URL reference.
import { cpSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { commitAll } from "./git-fixture.ts";
import { copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";
import { builtHello } from "./shared.ts";

interface Report {
  reference: {
    kind: string;
    location: string;
    chosenBecause?: string;
    cleanRoom?: {
      variations: { reprotest: string; what: string; native: string; cleanRoom: string }[];
      notApplied: { reprotest: string }[];
      projectDir: string;
      checkout: { description: string; leftOut: string[] };
    };
  };
  rows: { target: string; file: string; verdict: string; explanation?: string[] }[];
  passed: boolean;
}

const TWO = ["--target", "linux-x64", "--target", "darwin-arm64"];
let app: string;
/** The reference: the same fixture built by its own `bun verify build` in another folder (read only: tests tamper with copies). */
let referenceDist: string;

beforeAll(async () => {
  app = copyFixture("hello");
  // A git checkout, as a user's project is (the clean room needs one).
  writeFileSync(path.join(app, ".gitignore"), "dist/\nlocal-notes.txt\n");
  await commitAll(app);
  // The run's shared build of the fixture (test/shared.ts): another folder, its own build.
  referenceDist = path.join(await builtHello(), "dist");
});
afterAll(removeTemps);

const verdicts = (report: Report) => Object.fromEntries(report.rows.map((r) => [r.target || r.file, r.verdict]));

/** A copy of the independent reference build, free to tamper with. */
function copyOfReference(): string {
  const dir = path.join(tempDir("reference-"), "dist");
  cpSync(referenceDist, dir, { recursive: true });
  return dir;
}

describe("parity against a folder", () => {
  it("passes when every artifact is identical, and runs the project's own justfile for the native side", async () => {
    const result = await runCli(["parity", "--reference", copyOfReference(), "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.passed).toBe(true);
    expect(report.reference.kind).toBe("folder");
    expect(Object.values(verdicts(report))).toEqual(Array(6).fill("identical"));
    expect(result.stderr).toContain("parity: reference folder");
  });

  it("reports a tampered artifact (with its explanation), a missing target and an extra file", async () => {
    const reference = copyOfReference();
    const fd = openSync(path.join(reference, "hello-linux-x64"), "r+");
    writeSync(fd, Buffer.from([0x90, 0x90]), 0, 2, 0x2000);
    closeSync(fd);
    rmSync(path.join(reference, "hello-windows-x64.exe"));
    writeFileSync(path.join(reference, "notes.txt"), "not an artifact\n");

    const result = await runCli(["parity", "--reference", reference, "--json"], { cwd: app });
    expect(result.exitCode).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(verdicts(report)).toEqual({
      "linux-x64": "differs",
      "linux-arm64": "identical",
      "darwin-x64": "identical",
      "darwin-arm64": "identical",
      "windows-x64": "missing in reference",
      "windows-arm64": "identical",
      "notes.txt": "extra in reference",
    });
    const linux = report.rows.find((r) => r.target === "linux-x64")!;
    // Two bytes patched in .dynsym, outside Bun's module graph: blamed on the runtime, naming the section.
    expect(linux.explanation![0]).toMatch(/Bun runtime.*outside the module graph.*\.dynsym/);
    expect(result.stderr).toContain("3 of 7 artifacts are not identical to the folder reference");
  });

  it("prints a table and writes the same report as Markdown", async () => {
    const markdown = path.join(tempDir(), "summary.md");
    const result = await runCli(["parity", "--reference", copyOfReference(), "--markdown", markdown, ...TWO], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/linux-x64\s+hello-linux-x64\s+[0-9a-f]{16}\s+[0-9a-f]{16}\s+identical/);
    expect(result.stdout).toContain("PARITY: all 2 artifacts are bit-for-bit identical.");
    const md = readFileSync(markdown, "utf8");
    expect(md).toContain("## bun-parity: parity ✅");
    expect(md).toMatch(/\| linux-x64 \| `hello-linux-x64` \| `[0-9a-f]{16}` \| `[0-9a-f]{16}` \| ✅ identical \|/);
  });
});

describe("parity against published hashes", () => {
  it("accepts a SHA256SUMS file and says a difference cannot be explained from hashes alone", async () => {
    const sums = path.join(tempDir(), "SHA256SUMS");
    cpSync(path.join(referenceDist, "SHA256SUMS"), sums);
    expect((await runCli(["parity", "--reference", sums, ...TWO], { cwd: app })).exitCode).toBe(0);

    const text = readFileSync(sums, "utf8").replace(/^[0-9a-f]{64}(?= {2}hello-darwin-arm64$)/m, "0".repeat(64));
    writeFileSync(sums, text);
    const result = await runCli(["parity", "--reference", sums, "--json", ...TWO], { cwd: app });
    expect(result.exitCode).toBe(1);
    const row = (JSON.parse(result.stdout) as Report).rows.find((r) => r.target === "darwin-arm64")!;
    expect(row.verdict).toBe("differs");
    expect(row.explanation![0]).toContain("cannot explain: the reference has only hashes");
  });

  it("accepts a manifest.json", async () => {
    const manifest = path.join(tempDir(), "manifest.json");
    cpSync(path.join(referenceDist, "manifest.json"), manifest);
    const result = await runCli(["parity", "--reference", manifest, "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Report).reference.kind).toBe("listing");
  });

  it("fetches a SHA256SUMS from an https-style URL (a local server standing in for a release)", async () => {
    const body = readFileSync(path.join(referenceDist, "SHA256SUMS"));
    const server: Server = createServer((req, res) => {
      if (req.url === "/releases/v1/SHA256SUMS") res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    try {
      const ok = await runCli(["parity", "--reference", `http://127.0.0.1:${port}/releases/v1/SHA256SUMS`, ...TWO], { cwd: app });
      expect(ok.exitCode, ok.stderr).toBe(0);
      const missing = await runCli(["parity", "--reference", `http://127.0.0.1:${port}/nope`, ...TWO], { cwd: app });
      expect(missing.exitCode).toBe(2);
      expect(missing.stderr).toContain("HTTP 404");
    } finally {
      server.close();
    }
  });
});

describe("the clean-room reference", () => {
  it("rebuilds the checkout elsewhere with a varied environment and gets identical bytes", async () => {
    writeFileSync(path.join(app, "local-notes.txt"), "ignored by git\n");
    writeFileSync(path.join(app, "untracked.txt"), "untracked but not ignored\n");

    const result = await runCli(["parity", "--reference", "clean-room", "--json", "--keep", ...TWO], { cwd: app, env: { TZ: "UTC", LANG: "C.UTF-8" } });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(verdicts(report)).toEqual({ "linux-x64": "identical", "darwin-arm64": "identical" });
    const room = report.reference.cleanRoom!;
    expect(room.projectDir).not.toBe(app);
    const varied = Object.fromEntries(room.variations.map((v) => [v.what, v]));
    expect(varied["TZ"]).toMatchObject({ native: "UTC", cleanRoom: "Pacific/Kiritimati" });
    expect(varied["LANG / LC_ALL"]).toMatchObject({ native: "C.UTF-8", cleanRoom: "fr_CH.UTF-8" });
    expect(varied["umask"]!.cleanRoom).not.toBe(varied["umask"]!.native);
    expect(varied["HOME"]!.cleanRoom).toContain("bun-parity-clean-room-");
    expect(room.variations.map((v) => v.reprotest)).toEqual(expect.arrayContaining(["build_path", "home", "timezone", "locales", "umask", "exec_path", "num_cpus"]));
    expect(room.notApplied.map((n) => n.reprotest)).toContain("time");
    expect(room.checkout.description).toMatch(/^[0-9a-f]{40} \(branch main\) with uncommitted changes: 1 added or untracked$/);

    // What the checkout holds: tracked and untracked files, not the ignored one, not node_modules or dist.
    const copied = (await execa("find", [".", "-type", "f", "-not", "-path", "./dist/*", "-not", "-path", "./node_modules/*", "-not", "-path", "./.git/*"], { cwd: room.projectDir })).stdout.split("\n").sort();
    expect(copied).toEqual(["./.gitignore", "./bun-runtimes.lock.json", "./index.ts", "./justfile", "./package-lock.json", "./package.json", "./targets.json", "./untracked.txt"]);
    expect(room.checkout.leftOut.filter((f) => f !== "dist/")).toEqual(["local-notes.txt"]);
    rmSync(path.dirname(path.dirname(room.projectDir)), { recursive: true, force: true });
  });

  it("reports a difference when the native build embedded a stale ignored file that a fresh checkout regenerates", async () => {
    const project = copyFixture("clean-room-generated");
    await commitAll(project);
    // The install generates generated/version.js (ignored by git) from package.json: 1.0.0.
    await execa("npm", ["ci", "--no-audit", "--no-fund"], { cwd: project });
    // A version bump committed without reinstalling: the native build still embeds 1.0.0.
    const pkg = path.join(project, "package.json");
    writeFileSync(pkg, readFileSync(pkg, "utf8").replace('"version": "1.0.0"', '"version": "1.1.0"'));
    await commitAll(project, "release 1.1.0");

    const result = await runCli(["parity", "--reference", "clean-room", "--json"], { cwd: project });
    expect(result.exitCode, result.stderr).toBe(1);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.passed).toBe(false);
    expect(verdicts(report)).toEqual({ "linux-x64": "differs", "darwin-arm64": "differs" });
    const explanation = report.rows.find((r) => r.target === "linux-x64")!.explanation!.join("\n");
    // Both manifests carry fingerprints: explain names the input file that differed, the clean
    // room's report the file it lacked.
    expect(explanation).toContain("generated/version.js differs");
    expect(report.reference.cleanRoom!.checkout.leftOut).toContain("generated/");
    expect(result.stderr).toContain("clean room: left out (ignored by git): generated/\n");
    expect(result.stderr).toContain("2 of 2 artifacts are not identical to the clean-room reference");
    const { stdout } = await execa(path.join(project, "dist", "generated-app-linux-x64"));
    expect(stdout).toBe("generated-app 1.0.0");
  });
});

describe("choosing the reference", () => {
  const withoutDagger = { PATH: `${path.dirname(process.execPath)}:/usr/bin:/bin:${path.join(path.dirname(path.dirname(new URL(import.meta.url).pathname)), "node_modules", ".bin")}` };

  it("explains how to install dagger, or which reference to use instead, when --reference dagger has no CLI", async () => {
    const result = await runCli(["parity", "--reference", "dagger"], { cwd: app, env: withoutDagger });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("error: --reference dagger needs the Dagger CLI: no `dagger` on PATH");
    expect(result.stderr).toMatch(/^fix: Install it \(https:\/\/docs\.dagger\.io\/install.*or use --reference clean-room/m);
  });

  it("rejects a reference that does not exist", async () => {
    const result = await runCli(["parity", "--reference", "no/such/dir"], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("--reference no/such/dir: no such file or folder");
  });

  it("defaults to clean-room when no dagger CLI is found, and says so", async () => {
    const result = await runCli(["parity", "--json", "--target", "linux-x64"], { cwd: app, env: withoutDagger });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.reference.kind).toBe("clean-room");
    expect(report.reference.chosenBecause).toBe("default; dagger not used: no `dagger` on PATH");
  });
});

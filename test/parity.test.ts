// `bun verify parity` against every kind of reference, on the hello fixture (which has its own
// justfile, as a user's project does). Real builds, a real clean-room rebuild, a real local
// HTTP server for the URL reference.
import { cpSync, openSync, readFileSync, rmSync, writeFileSync, writeSync, closeSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";

interface Report {
  reference: { kind: string; location: string; chosenBecause?: string; cleanRoom?: { variations: { reprotest: string; what: string; native: string; cleanRoom: string }[]; notApplied: { reprotest: string }[]; projectDir: string } };
  rows: { target: string; file: string; verdict: string; explanation?: string[] }[];
  passed: boolean;
}

const TWO = ["--target", "linux-x64", "--target", "darwin-arm64"];
let app: string;
let dist: string;

beforeAll(async () => {
  app = copyFixture("hello");
  dist = path.join(app, "dist");
  const built = await runCli(["build"], { cwd: app });
  expect(built.exitCode, built.stderr).toBe(0);
});
afterAll(removeTemps);

const verdicts = (report: Report) => Object.fromEntries(report.rows.map((r) => [r.target || r.file, r.verdict]));

function copyOfDist(): string {
  const dir = path.join(tempDir("reference-"), "dist");
  cpSync(dist, dir, { recursive: true });
  return dir;
}

describe("parity against a folder", () => {
  it("passes when every artifact is identical, and runs the project's own justfile for the native side", async () => {
    const result = await runCli(["parity", "--reference", copyOfDist(), "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Report;
    expect(report.passed).toBe(true);
    expect(report.reference.kind).toBe("folder");
    expect(Object.values(verdicts(report))).toEqual(Array(6).fill("identical"));
    expect(result.stderr).toContain("parity: reference folder");
  });

  it("reports a tampered artifact (with its explanation), a missing target and an extra file", async () => {
    const reference = copyOfDist();
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
    expect(linux.explanation?.length).toBeGreaterThan(0);
    expect(result.stderr).toContain("3 of 7 artifacts are not identical to the folder reference");
  });

  it("prints a table and writes the same report as Markdown", async () => {
    const markdown = path.join(tempDir(), "summary.md");
    const result = await runCli(["parity", "--reference", copyOfDist(), "--markdown", markdown, ...TWO], { cwd: app });
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
    cpSync(path.join(dist, "SHA256SUMS"), sums);
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
    cpSync(path.join(dist, "manifest.json"), manifest);
    const result = await runCli(["parity", "--reference", manifest, "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    expect((JSON.parse(result.stdout) as Report).reference.kind).toBe("listing");
  });

  it("fetches a SHA256SUMS from an https-style URL (a local server standing in for a release)", async () => {
    const body = readFileSync(path.join(dist, "SHA256SUMS"));
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
  it("rebuilds the tracked sources elsewhere with a varied environment and gets identical bytes", async () => {
    // A git checkout with an ignored file, so the copy must follow git's view of the sources.
    await execa("git", ["init", "-q"], { cwd: app });
    writeFileSync(path.join(app, ".gitignore"), "dist/\nlocal-notes.txt\n");
    writeFileSync(path.join(app, "local-notes.txt"), "ignored by git\n");
    await execa("git", ["add", "."], { cwd: app });
    await execa("git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "fixture"], { cwd: app });
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

    // What was copied: tracked and untracked files, not the ignored one, not node_modules or dist.
    const copied = (await execa("find", [".", "-type", "f", "-not", "-path", "./dist/*", "-not", "-path", "./node_modules/*"], { cwd: room.projectDir })).stdout.split("\n").sort();
    expect(copied).toContain("./untracked.txt");
    expect(copied).toContain("./index.ts");
    expect(copied).not.toContain("./local-notes.txt");
    rmSync(path.dirname(path.dirname(room.projectDir)), { recursive: true, force: true });
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

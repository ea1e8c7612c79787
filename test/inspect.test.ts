// `bun verify inspect` and `bun verify sign` on the six real executables of the hello fixture.
import { copyFileSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../verify/digest/index.ts";
import type { InspectFacts } from "../verify/validate/index.ts";
import { copyFixture, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";
import { builtHello } from "./shared.ts";

let app: string;
let dist: string;

beforeAll(async () => {
  // The run's shared six-target build (test/shared.ts): these tests only read it, and change copies.
  app = await builtHello();
  dist = path.join(app, "dist");
});
afterAll(removeTemps);

describe("bun verify inspect", () => {
  it("reports format, arch, libc, signature and Bun version for all six targets", async () => {
    const result = await runCli(["inspect", "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(0);
    const facts = Object.fromEntries((JSON.parse(result.stdout) as InspectFacts[]).map((f) => [path.basename(f.file), f]));
    expect(facts["hello-linux-x64"]).toMatchObject({ format: "elf", os: "linux", arch: "x64", ok: true, elf: { libc: "glibc", interpreter: "/lib64/ld-linux-x86-64.so.2", minimumGlibc: "2.17", static: false } });
    expect(facts["hello-linux-arm64"]).toMatchObject({ format: "elf", arch: "arm64", elf: { libc: "glibc", interpreter: "/lib/ld-linux-aarch64.so.1" } });
    expect(facts["hello-darwin-arm64"]).toMatchObject({ format: "macho", os: "darwin", arch: "arm64", macho: { signature: "valid", adhoc: true } });
    // Bun 1.4.5 leaves darwin-x64 with the runtime's stale signature; the build re-signed it.
    expect(facts["hello-darwin-x64"]).toMatchObject({ format: "macho", arch: "x64", macho: { signature: "valid", adhoc: true } });
    expect(facts["hello-windows-x64.exe"]).toMatchObject({ format: "pe", os: "windows", arch: "x64", pe: { subsystem: "console", authenticode: false } });
    expect(facts["hello-windows-arm64.exe"]).toMatchObject({ format: "pe", arch: "arm64" });
    for (const f of Object.values(facts)) {
      expect(f.bun).toMatchObject({ version: "1.4.5" });
      expect(f.bun!.entryPoint).toMatch(/(\/\$bunfs\/root\/|B:\/~BUN\/root\/)hello$/);
    }
    const manifest = readJson<Manifest>(path.join(dist, "manifest.json"));
    expect(manifest.targets.find((t) => t.id === "darwin-x64")!.adhocSigned).toBe(true);
    expect(manifest.targets.find((t) => t.id === "darwin-arm64")!.adhocSigned).toBeUndefined();
  });

  it("fails a linux-arm64 file that is named linux-x64", async () => {
    const dir = tempDir();
    copyFileSync(path.join(dist, "hello-linux-arm64"), path.join(dir, "hello-linux-x64"));
    const result = await runCli(["inspect", path.join(dir, "hello-linux-x64")], { cwd: app });
    expect(result.exitCode).toBe(1);
    expect(result.stdout).toContain("hello-linux-x64: FAIL: is built for arm64, but targets.json (linux-x64) says x64");
  });

  it("fails the output folder when a file was swapped after the build", async () => {
    const swapped = copyFixture("hello");
    expect((await runCli(["build", "--target", "linux-x64", "--target", "linux-arm64"], { cwd: swapped })).exitCode).toBe(0);
    copyFileSync(path.join(swapped, "dist", "hello-linux-arm64"), path.join(swapped, "dist", "hello-linux-x64"));
    const result = await runCli(["inspect", "--json"], { cwd: swapped });
    const missing = (JSON.parse(result.stdout) as InspectFacts[]).find((f) => f.file.endsWith("hello-darwin-x64"))!;
    expect(missing.problems[0]).toMatch(/^missing: dist\/hello-darwin-x64 \(run bun verify build/);
    expect(result.exitCode).toBe(1);
    const linux = (JSON.parse(result.stdout) as InspectFacts[]).find((f) => f.file.endsWith("hello-linux-x64"))!;
    expect(linux.problems).toContain("is built for arm64, but manifest (linux-x64) says x64");
    expect(linux.problems).toContain("sha256 differs from manifest.json: the file changed after the build");
  });

  it("fails a darwin-arm64 file with one byte flipped inside a signed page, naming the page and the fix", async () => {
    const bytes = readFileSync(path.join(dist, "hello-darwin-arm64"));
    const offset = 0x5000; // inside __TEXT, covered by the CodeDirectory
    bytes[offset] = bytes[offset]! ^ 0xff;
    const file = path.join(tempDir(), "hello-darwin-arm64");
    writeFileSync(file, bytes);
    const result = await runCli(["inspect", "--json", file], { cwd: app });
    expect(result.exitCode).toBe(1);
    const [facts] = JSON.parse(result.stdout) as InspectFacts[];
    expect(facts!.macho!.signature).toBe("invalid");
    expect(facts!.macho!.badPages).toEqual([Math.floor(offset / 4096)]);
    expect(facts!.problems[0]).toContain("invalid macOS code signature");
    expect(facts!.problems[0]).toContain("bun verify sign --adhoc");
  });

  it("gives a clear error for a truncated file, never a crash", async () => {
    const file = path.join(tempDir(), "hello-linux-x64");
    writeFileSync(file, readFileSync(path.join(dist, "hello-linux-x64")).subarray(0, 100));
    const result = await runCli(["inspect", file], { cwd: app });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toMatch(/^error: .*hello-linux-x64: /m);
    expect(result.stderr).not.toContain("internal error");
  });
});

describe("bun verify sign --adhoc", () => {
  it("repairs Bun's stale darwin-x64 signature deterministically: signing twice gives identical bytes", async () => {
    // A darwin-x64 build with the repair turned off keeps Bun's invalid signature.
    const raw = copyFixture("hello");
    const config = JSON.parse(readFileSync(path.join(raw, "targets.json"), "utf8"));
    config.build = { macosAdhocSign: false };
    writeFileSync(path.join(raw, "targets.json"), JSON.stringify(config));
    expect((await runCli(["build", "--target", "darwin-x64"], { cwd: raw })).exitCode).toBe(0);
    const unsigned = path.join(raw, "dist", "hello-darwin-x64");
    const before = await runCli(["inspect", "--json", unsigned], { cwd: raw });
    expect(before.exitCode).toBe(1);
    expect((JSON.parse(before.stdout) as InspectFacts[])[0]!.macho).toMatchObject({ signature: "invalid", badPages: [0, expect.any(Number)] });

    const first = path.join(tempDir(), "first", "hello-darwin-x64");
    const second = path.join(tempDir(), "second", "hello-darwin-x64");
    for (const copy of [first, second]) {
      await import("node:fs").then((fs) => fs.mkdirSync(path.dirname(copy), { recursive: true }));
      copyFileSync(unsigned, copy);
      const signed = await runCli(["sign", "--adhoc", copy], { cwd: raw });
      expect(signed.exitCode, signed.stderr).toBe(0);
      expect(signed.stdout).toContain("signed ad hoc (identifier bun,");
    }
    expect(readFileSync(first).equals(readFileSync(second))).toBe(true);
    // The same bytes the build produces with the repair on.
    expect(readFileSync(first).equals(readFileSync(path.join(dist, "hello-darwin-x64")))).toBe(true);
    const after = await runCli(["inspect", first], { cwd: raw });
    expect(after.exitCode, after.stdout).toBe(0);
  });

  it("refuses to run without --adhoc or without files", async () => {
    expect((await runCli(["sign", "x"], { cwd: app })).stderr).toContain("sign needs --adhoc");
    expect((await runCli(["sign", "--adhoc"], { cwd: app })).exitCode).toBe(2);
  });
});

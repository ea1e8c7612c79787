// File modes: an executable is its bytes and its x bit. The build (under any umask), the
// darwin-x64 executable it re-signs and every `sign --adhoc` output are 0755; inspect fails an
// artifact nobody may execute; parity reports a mode difference between identical bytes.
import { chmodSync, copyFileSync, cpSync, statSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Manifest } from "../verify/digest/index.ts";
import type { ParityRow } from "../verify/parity/index.ts";
import { BUN, CLI, CLI_ENV, copyFixture, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";

const TARGETS = ["--target", "linux-x64", "--target", "darwin-x64"];
const modeOf = (file: string) => (statSync(file).mode & 0o777).toString(8).padStart(4, "0");

let app: string;
let dist: string;

beforeAll(async () => {
  app = copyFixture("hello");
  dist = path.join(app, "dist");
  // A real shell with umask 077, under which Bun itself writes 0700 and writeFile 0600.
  const built = await execa("sh", ["-c", 'umask 077 && exec "$0" "$@"', BUN, CLI, "build", ...TARGETS], { cwd: app, reject: false, env: CLI_ENV });
  expect(built.exitCode, built.stderr).toBe(0);
});
afterAll(removeTemps);

describe("modes", () => {
  it("the build writes every executable 0755 under umask 077, the darwin-x64 one it re-signed included", () => {
    const manifest = readJson<Manifest>(path.join(dist, "manifest.json"));
    expect(manifest.targets.find((t) => t.id === "darwin-x64")!.adhocSigned).toBe(true);
    expect(modeOf(path.join(dist, "hello-darwin-x64"))).toBe("0755");
    expect(modeOf(path.join(dist, "hello-linux-x64"))).toBe("0755");
  });

  it("a rebuild that reuses an executable someone made 0644 makes it 0755 again", async () => {
    chmodSync(path.join(dist, "hello-linux-x64"), 0o644);
    const again = await runCli(["build", "--json", ...TARGETS], { cwd: app });
    expect(again.exitCode, again.stderr).toBe(0);
    expect((JSON.parse(again.stdout) as { outcomes: { status: string }[] }).outcomes.map((o) => o.status)).toEqual(["reused", "reused"]);
    expect(modeOf(path.join(dist, "hello-linux-x64"))).toBe("0755");
  });

  it("sign --adhoc writes 0755, whatever the mode and umask were", async () => {
    const copy = path.join(tempDir(), "hello-darwin-x64");
    copyFileSync(path.join(dist, "hello-darwin-x64"), copy);
    chmodSync(copy, 0o600);
    const signed = await execa("sh", ["-c", 'umask 077 && exec "$0" "$@"', BUN, CLI, "sign", "--adhoc", copy], { reject: false, env: CLI_ENV });
    expect(signed.exitCode, signed.stderr).toBe(0);
    expect(modeOf(copy)).toBe("0755");
  });

  it("inspect fails an ELF or Mach-O artifact nobody may execute, and says how to fix it", async () => {
    const folder = tempDir();
    for (const name of ["hello-linux-x64", "hello-darwin-x64"]) {
      copyFileSync(path.join(dist, name), path.join(folder, name));
      chmodSync(path.join(folder, name), 0o644);
    }
    const result = await runCli(["inspect", path.join(folder, "hello-linux-x64"), path.join(folder, "hello-darwin-x64")], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(1);
    expect(result.stdout).toMatch(/hello-linux-x64: FAIL: not executable: mode 0644; fix: chmod 0755 /);
    expect(result.stdout).toMatch(/hello-darwin-x64: FAIL: not executable: mode 0644; fix: chmod 0755 /);
    chmodSync(path.join(folder, "hello-linux-x64"), 0o755);
    expect((await runCli(["inspect", path.join(folder, "hello-linux-x64")], { cwd: app })).exitCode).toBe(0);
  });

  it("parity reports identical bytes with a different mode as a mode difference, and fails", async () => {
    const reference = tempDir("reference-");
    cpSync(dist, reference, { recursive: true });
    chmodSync(path.join(reference, "hello-linux-x64"), 0o644);
    const result = await runCli(["parity", "--target", "linux-x64", "--reference", reference, "--json"], { cwd: app });
    expect(result.exitCode, result.stderr).toBe(1);
    const rows = (JSON.parse(result.stdout) as { rows: ParityRow[] }).rows;
    const row = rows.find((r) => r.file === "hello-linux-x64")!;
    expect(row.native!.sha256).toBe(row.reference!.sha256);
    expect(row.verdict).toBe("mode differs");
    expect(row.explanation).toEqual([expect.stringContaining("same bytes, different file mode: 0755 in native, 0644 in reference")]);
  });
});

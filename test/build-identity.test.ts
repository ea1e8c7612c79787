// The build's shortcuts (a compile slot freed when Bun exits, each executable read once, the
// macOS signature repaired in place, the sha256 taken from that buffer, input hashes reused by
// stat) must not change a byte: every executable `bun verify build` writes equals what a direct
// `bun build --compile` with the same flags writes. The reference compiles are plain commands
// written out here, not the plan's argv.
import { copyFileSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { signAdhoc } from "../verify/binary/index.ts";
import { copyFixture, compileRaw, pinnedRuntime, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const TARGETS = ["linux-x64", "linux-arm64", "darwin-x64", "darwin-arm64", "windows-x64", "windows-arm64"];
const fileOf = (id: string) => `ident-${id}${id.startsWith("windows") ? ".exe" : ""}`;

/** What targets.json of the fixture asks for, as Bun's own flags (autoload off is the default of targets.json). */
const FLAGS = ["--minify", '--define=BUILD_CHANNEL="stable"', "--no-compile-autoload-tsconfig", "--no-compile-autoload-package-json"];

/** The first offset where the two files differ, or a size difference; undefined when identical. */
function firstDifference(a: string, b: string): string | undefined {
  const x = readFileSync(a);
  const y = readFileSync(b);
  if (x.equals(y)) return undefined;
  const n = Math.min(x.length, y.length);
  for (let chunk = 0; chunk < n; chunk += 1 << 16) {
    const end = Math.min(chunk + (1 << 16), n);
    if (x.subarray(chunk, end).equals(y.subarray(chunk, end))) continue;
    for (let i = chunk; i < end; i++) if (x[i] !== y[i]) return `first difference at byte ${i} (${x.length} and ${y.length} bytes)`;
  }
  return `same first ${n} bytes, sizes ${x.length} and ${y.length}`;
}

/** A direct `bun build --compile` of the fixture for one target, with the pinned runtime, into its own folder. */
async function directCompile(app: string, id: string): Promise<string> {
  const out = path.join(tempDir("direct-"), "ident");
  return compileRaw(app, { target: id, runtime: await pinnedRuntime(id), flags: FLAGS, entry: "./index.ts", outfile: out });
}

describe("bun verify build writes exactly what bun build --compile writes", () => {
  let app: string;
  const direct = new Map<string, string>();

  beforeAll(async () => {
    app = copyFixture("identity");
    // Three compiles at a time, so builds overlap each other's hashing and index writes.
    const build = await runCli(["build", "--jobs", "3"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
    for (const id of TARGETS) direct.set(id, await directCompile(app, id));
  });

  it.each(TARGETS)("%s: byte for byte the direct compile's executable", (id) => {
    expect(firstDifference(path.join(app, "dist", fileOf(id)), direct.get(id)!)).toBeUndefined();
  });

  it("the comparison finds one changed byte inside the embedded source", () => {
    const copy = path.join(tempDir(), "changed");
    copyFileSync(direct.get("linux-x64")!, copy);
    const bytes = readFileSync(copy);
    const at = bytes.indexOf("embedded notice");
    expect(at).toBeGreaterThan(0);
    bytes[at] = bytes[at]! ^ 0x01;
    writeFileSync(copy, bytes);
    expect(firstDifference(direct.get("linux-x64")!, copy)).toBe(`first difference at byte ${at} (${bytes.length} and ${bytes.length} bytes)`);
  });

  it("SHA256SUMS, taken from the bytes in memory where the build had them, matches the files (sha256sum -c)", async () => {
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(app, "dist"), reject: false });
    expect(check.exitCode, check.stdout + check.stderr).toBe(0);
    expect(check.stdout.split("\n").sort()).toEqual(TARGETS.map((id) => `${fileOf(id)}: OK`).sort());
    // Nothing else is left in the release folder (staging folders, metafiles, re-signing temporaries).
    expect(readdirSync(path.join(app, "dist")).sort()).toEqual([...TARGETS.map(fileOf), "SHA256SUMS", "manifest.json"].sort());
  });
});

describe("with build.macosAdhocSign (the default)", () => {
  let app: string;

  beforeAll(async () => {
    app = copyFixture("identity");
    const file = path.join(app, "targets.json");
    const config = readJson<{ build: Record<string, unknown>; targets: { id: string }[] }>(file);
    delete config.build.macosAdhocSign;
    config.targets = config.targets.filter((t) => t.id.startsWith("darwin"));
    writeFileSync(file, JSON.stringify(config, null, 2));
    const build = await runCli(["build"], { cwd: app });
    expect(build.exitCode, build.stderr).toBe(0);
  });

  it("darwin-arm64, whose signature Bun 1.4.5 writes valid, stays the direct compile's bytes", async () => {
    expect(firstDifference(path.join(app, "dist", "ident-darwin-arm64"), await directCompile(app, "darwin-arm64"))).toBeUndefined();
  });

  it("darwin-x64, whose signature Bun leaves stale, is the direct compile re-signed by `bun verify sign --adhoc`", async () => {
    const reference = await directCompile(app, "darwin-x64");
    const built = path.join(app, "dist", "ident-darwin-x64");
    expect(firstDifference(built, reference)).toBeDefined(); // it was re-signed: the test below compares something
    const signed = await runCli(["sign", "--adhoc", reference], { cwd: app });
    expect(signed.exitCode, signed.stderr).toBe(0);
    expect(firstDifference(built, reference)).toBeUndefined();
  });

  it("signing in place writes the same bytes as signing into a new buffer", async () => {
    const bun = readFileSync(await directCompile(app, "darwin-x64"));
    const copied = signAdhoc(Buffer.from(bun));
    const input = Buffer.from(bun);
    const inPlace = signAdhoc(input, { inPlace: true });
    expect(inPlace.buffer).toBe(input.buffer); // the in-place branch ran: no second buffer
    expect(inPlace.length).toBeLessThanOrEqual(bun.length);
    expect(Buffer.compare(inPlace, copied)).toBe(0);
  });
});

// `bun verify build` on a real fixture app: real `bun build --compile`, real executables,
// real `sha256sum -c`. Outputs live in temp folders and are removed afterwards.
import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync, writeSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Manifest, sha256Hex } from "../verify/digest/index.ts";
import { BUN, CLI, SHARED_CACHE, copyFixture, expectStrace, killAtFirstRename, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

describe("bun verify build on the hello fixture", () => {
  let app: string;
  let first: Awaited<ReturnType<typeof runCli>>;

  beforeAll(async () => {
    app = copyFixture("hello");
    first = await runCli(["build", "--target", "linux-x64", "--target", "darwin-arm64"], { cwd: app });
  });

  it("builds linux-x64 and a foreign target into dist/ with the final names", () => {
    expect(first.stderr).not.toContain("FAILED");
    expect(first.exitCode).toBe(0);
    const files = readdirSync(path.join(app, "dist")).sort();
    expect(files).toEqual(["SHA256SUMS", "hello-darwin-arm64", "hello-linux-x64", "manifest.json"]);
  });

  it("produces a linux-x64 executable that runs and prints the expected output", async () => {
    const run = await execa(path.join(app, "dist", "hello-linux-x64"), ["tester"], { reject: false, cwd: tempDir() });
    expect(run.exitCode).toBe(0);
    // NODE_ENV is pinned to production for the compiler, whatever the caller's environment says.
    expect(run.stdout).toBe("hello tester from linux-x64 (production)");
  });

  it("writes SHA256SUMS that `sha256sum -c` accepts", async () => {
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(app, "dist"), reject: false });
    expect(check.exitCode).toBe(0);
    expect(check.stdout).toBe("hello-darwin-arm64: OK\nhello-linux-x64: OK");
  });

  it("writes a manifest with tool, Bun and input digests and one entry per target", () => {
    const manifest = readJson<Manifest>(path.join(app, "dist", "manifest.json"));
    expect(manifest.tool.name).toBe("bun-parity");
    expect(manifest.bun).toBe("1.4.5");
    expect(manifest.inputDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(manifest.targets.map((t) => t.id)).toEqual(["darwin-arm64", "linux-x64"]);
    const linux = manifest.targets.find((t) => t.id === "linux-x64")!;
    expect(linux).toMatchObject({ os: "linux", arch: "x64", file: "hello-linux-x64", runtime: { package: "@oven/bun-linux-x64", version: "1.4.5" } });
    expect(linux.bytes).toBe(readFileSync(path.join(app, "dist", "hello-linux-x64")).length);
    expect(linux.durationMs).toBeGreaterThan(0);
    const lock = readJson<{ runtimes: Record<string, { sha256: string }> }>(path.join(app, "bun-runtimes.lock.json"));
    expect(linux.runtime.sha256).toBe(lock.runtimes["@oven/bun-linux-x64"]!.sha256);
  });

  it("leaves no staging folder or source map sidecar in the release folder", () => {
    expect(existsSync(path.join(app, "dist", ".bun-parity-staging"))).toBe(false);
  });

  it("reuses unchanged targets, rebuilds after a source change, and rebuilds everything with --force", async () => {
    const again = await runCli(["build", "--target", "linux-x64", "--target", "darwin-arm64", "--json"], { cwd: app });
    expect(again.exitCode).toBe(0);
    const statuses = (out: string) => Object.fromEntries((JSON.parse(out) as { outcomes: { id: string; status: string }[] }).outcomes.map((o) => [o.id, o.status]));
    expect(statuses(again.stdout)).toEqual({ "linux-x64": "reused", "darwin-arm64": "reused" });

    const forced = await runCli(["build", "--target", "linux-x64", "--force", "--json"], { cwd: app });
    expect(statuses(forced.stdout)).toEqual({ "linux-x64": "built" });

    writeFileSync(path.join(app, "index.ts"), readFileSync(path.join(app, "index.ts"), "utf8") + "// changed\n");
    const changed = await runCli(["build", "--target", "linux-x64", "--target", "darwin-arm64", "--json"], { cwd: app });
    expect(statuses(changed.stdout)).toEqual({ "linux-x64": "built", "darwin-arm64": "built" });
  });

  it("rebuilds a target whose executable was modified after the build", async () => {
    const file = path.join(app, "dist", "hello-linux-x64");
    const fd = openSync(file, "r+");
    writeSync(fd, Buffer.from([0x42]), 0, 1, 4096);
    closeSync(fd);
    const result = await runCli(["build", "--target", "linux-x64", "--json"], { cwd: app });
    expect(JSON.parse(result.stdout).outcomes[0].status).toBe("built");
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(app, "dist"), reject: false });
    expect(check.exitCode).toBe(0);
  });
});

describe("size budgets", () => {
  it("fails a target whose executable is over its maxBytes budget, and lists only the others", async () => {
    const app = copyFixture("hello");
    const file = path.join(app, "targets.json");
    const config = JSON.parse(readFileSync(file, "utf8"));
    config.targets = config.targets.filter((t: { id: string }) => ["linux-x64", "darwin-arm64"].includes(t.id));
    config.targets[0].maxBytes = 50_000_000;
    writeFileSync(file, JSON.stringify(config));
    const result = await runCli(["build"], { cwd: app });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toMatch(/hello-linux-x64 is \d+ bytes, over its budget of 50000000 bytes \(targets.json maxBytes\) by \d+/);
    expect(readFileSync(path.join(app, "dist", "SHA256SUMS"), "utf8")).toMatch(/^[0-9a-f]{64} {2}hello-darwin-arm64\n$/);
  });
});

describe("determinism", () => {
  // Each variation changes what a naive `bun build --compile` writes, so the test fails if the plan
  // stops neutralising it: the caller's NODE_ENV (Bun inlines it; the plan pins it), BUN_OPTIONS
  // (extra compiler flags; the plan removes BUN_*), the umask (Bun's output mode; the build writes
  // 0755), the checkout path, HOME, TMPDIR and the locale. (TZ is not varied: nothing in Bun's
  // output depends on it, and the plan pins it anyway, so it would prove nothing.)
  it("gives identical SHA256SUMS and 0755 executables for all six targets from two checkouts with a different NODE_ENV, BUN_OPTIONS, umask, path, HOME, TMPDIR and LANG", async () => {
    const builds = [
      { dir: copyFixture("hello", path.join(tempDir("first-"), "app")), lang: "C.UTF-8", umask: "022", env: {} },
      { dir: copyFixture("hello", path.join(tempDir("second-build-"), "nested", "project")), lang: "de_DE.UTF-8", umask: "077", env: { NODE_ENV: "development", BUN_OPTIONS: "--minify" } },
    ];
    const sums: string[] = [];
    for (const b of builds) {
      const home = tempDir("home-");
      const tmp = tempDir("tmp-");
      // A real shell with its own umask, as a user would run it (`bun verify` itself runs fine
      // under BUN_OPTIONS=--minify; the compiler must not see it).
      const run = await execa("sh", ["-c", `umask ${b.umask} && exec "$0" "$@"`, BUN, CLI, "build"], {
        cwd: b.dir,
        reject: false,
        extendEnv: false,
        env: {
          PATH: process.env.PATH, HOME: home, TMPDIR: tmp, LANG: b.lang, LC_ALL: b.lang,
          BUN_PARITY_BUN: BUN, BUN_PARITY_CACHE_DIR: SHARED_CACHE, CI: "1", ...b.env,
        },
      });
      expect(run.stderr).not.toContain("FAILED");
      expect(run.exitCode, run.stderr).toBe(0);
      sums.push(readFileSync(path.join(b.dir, "dist", "SHA256SUMS"), "utf8"));
      for (const file of readdirSync(path.join(b.dir, "dist")).filter((f) => f.startsWith("hello-"))) {
        expect((statSync(path.join(b.dir, "dist", file)).mode & 0o777).toString(8), file).toBe("755");
      }
    }
    expect(sums[0]!.trim().split("\n")).toHaveLength(6);
    expect(sums[1]).toBe(sums[0]);
  });
});

describe("runtime integrity", () => {
  beforeAll(async () => {
    // Make sure the shared cache holds the verified runtimes this block copies.
    const fetched = await runCli(["toolchain", "--fetch"], { cwd: copyFixture("hello") });
    expect(fetched.exitCode).toBe(0);
  });

  it("fails a target whose cached runtime is corrupted, naming the package and both digests; the others finish", async () => {
    const app = copyFixture("hello");
    const cache = tempDir("cache-");
    // Seed a private cache with the verified runtimes, then corrupt one of them.
    const lock = readJson<{ runtimes: Record<string, { sha256: string }> }>(path.join(app, "bun-runtimes.lock.json"));
    for (const folder of ["oven-bun-linux-x64-1.4.5", "oven-bun-darwin-x64-1.4.5"]) {
      mkdirSync(path.join(cache, "runtimes", folder), { recursive: true });
      copyFileSync(path.join(SHARED_CACHE, "runtimes", folder, "bun"), path.join(cache, "runtimes", folder, "bun"));
    }
    const corrupted = path.join(cache, "runtimes", "oven-bun-darwin-x64-1.4.5", "bun");
    // A first build verifies the runtime and stamps it; corrupting it afterwards must still be caught.
    const clean = await runCli(["build", "--target", "darwin-x64"], { cwd: app, env: { BUN_PARITY_CACHE_DIR: cache } });
    expect(clean.exitCode, clean.stderr).toBe(0);
    expect(readFileSync(`${corrupted}.stamp.json`, "utf8")).toContain(lock.runtimes["@oven/bun-darwin-x64"]!.sha256);
    const fd = openSync(corrupted, "r+");
    writeSync(fd, Buffer.from("corrupt"), 0, 7, 1_000_000);
    closeSync(fd);

    const result = await runCli(["build", "--force", "--target", "linux-x64", "--target", "darwin-x64"], { cwd: app, env: { BUN_PARITY_CACHE_DIR: cache } });
    expect(result.exitCode).toBe(1);
    expect(result.stderr).toContain("darwin-x64 failed:");
    expect(result.stderr).toContain("runtime @oven/bun-darwin-x64@1.4.5 does not match bun-runtimes.lock.json");
    expect(result.stderr).toContain(`expected: sha256:${lock.runtimes["@oven/bun-darwin-x64"]!.sha256}`);
    expect(result.stderr).toMatch(/actual: {3}sha256:[0-9a-f]{64}/);
    expect(result.stderr).toContain(corrupted);
    expect(result.stdout).toMatch(/linux-x64\s+built/);
    const sums = readFileSync(path.join(app, "dist", "SHA256SUMS"), "utf8");
    expect(sums).toContain("hello-linux-x64");
    expect(sums).not.toContain("hello-darwin-x64");
  });
});

describe("a build killed half way", () => {
  const FILES = ["hello-linux-x64", "hello-linux-arm64", "hello-darwin-arm64"];

  /** hello with three targets, built once, then its source edited: every rebuilt file gets new bytes. */
  async function builtThenEdited(): Promise<{ app: string; dist: string; before: Map<string, string> }> {
    const app = copyFixture("hello");
    const config = readJson<{ targets: { id: string }[] }>(path.join(app, "targets.json"));
    config.targets = config.targets.filter((t) => FILES.includes(`hello-${t.id}`));
    writeFileSync(path.join(app, "targets.json"), JSON.stringify(config));
    const first = await runCli(["build"], { cwd: app });
    expect(first.exitCode, first.stderr).toBe(0);
    const dist = path.join(app, "dist");
    const before = new Map(readFileSync(path.join(dist, "SHA256SUMS"), "utf8").trim().split("\n").map((l) => [l.slice(66), l.slice(0, 64)] as [string, string]));
    expect([...before.keys()].sort()).toEqual([...FILES].sort());
    const source = path.join(app, "index.ts");
    writeFileSync(source, readFileSync(source, "utf8").replace("hello ${name}", "hi ${name}"));
    return { app, dist, before };
  }

  /** `bun verify build --jobs 1`, SIGKILLed the moment it renames the first executable into dist/. */
  async function killAtFirstReplacement(app: string, dist: string, slowRenames: boolean): Promise<void> {
    const killed = await killAtFirstRename([CLI, "build", "--jobs", "1"], { cwd: app, watchDir: dist, names: FILES, slowRenames });
    expect(killed, "the build ended before replacing an executable").toBe(true);
  }

  /** Every line of SHA256SUMS matches its file, and the killed build did replace a file (so a stale line would show). */
  async function expectListingMatches(dist: string, before: Map<string, string>): Promise<void> {
    const replaced = FILES.filter((f) => existsSync(path.join(dist, f)) && sha256Hex(readFileSync(path.join(dist, f))) !== before.get(f));
    expect(replaced.length, "no executable was replaced before the kill").toBeGreaterThan(0);
    const listed = readFileSync(path.join(dist, "SHA256SUMS"), "utf8").trim();
    if (listed === "") return; // nothing listed: nothing can be stale
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: dist, reject: false });
    expect(check.stdout + check.stderr, "SHA256SUMS lists bytes that are no longer there").not.toContain("FAILED");
    expect(check.exitCode).toBe(0);
  }

  it("after an input changed, the build killed right after it replaced an executable lists only files that match", async () => {
    const { app, dist, before } = await builtThenEdited();
    await killAtFirstReplacement(app, dist, false);
    await expectListingMatches(dist, before);
  });

  it.each([
    ["missing", (file: string) => rmSync(file)],
    ["corrupt", (file: string) => writeFileSync(file, '{"schemaVersion": 1, "targets": [')],
  ])("with manifest.json %s, SHA256SUMS stops listing a file before it is replaced (killed right after the rename)", async (_, damage) => {
    expectStrace();
    const { app, dist, before } = await builtThenEdited();
    damage(path.join(dist, "manifest.json"));
    await killAtFirstReplacement(app, dist, true);
    await expectListingMatches(dist, before);
  });
});

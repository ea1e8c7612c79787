// The first-run story (test/init-projects.ts) on projects whose build is set up the way real Bun
// CLIs set it up: a TypeScript build script, a Bun.build() call, a tsc pre-step, their own Justfile.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { removeTemps } from "./helpers.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behavesLikeSource, checkout, exe, installAndCommit, just, parityPasses, readTargets, run, smokePasses } from "./init-projects.ts";
import { packedTarball } from "./shared.ts";

let tarball: string;

beforeAll(async () => {
  tarball = await packedTarball(); // npm pack, once per run
}, 600_000);
afterAll(removeTemps);

describe("a TypeScript build script with a version define (scripts/build.ts)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await checkout("build-script", tarball);
  }, 300_000);

  it("init imports entry, targets, minify and the package.json version define, and pins the runtimes", async () => {
    const out = await run(dir, "npx", ["bun-parity", "init"]);
    expect(out).toMatch(/scripts\/build\.ts:9\s+--define __APP_VERSION__=<package\.json version, read at build time>/);
    expect(out).toMatch(/scripts\/build\.ts:9\s+targets linux-x64, linux-arm64, windows-x64/);
    const targets = readTargets(dir);
    expect(targets.entrypoint).toBe("src/cli.ts");
    expect(targets.build.define).toEqual({ __APP_VERSION__: { packageJson: "version" } });
    const lock = JSON.parse(readFileSync(path.join(dir, "bun-runtimes.lock.json"), "utf8"));
    expect(Object.keys(lock.runtimes).sort()).toEqual(["@oven/bun-linux-aarch64", "@oven/bun-linux-x64", "@oven/bun-windows-x64"]);
    await installAndCommit(dir);
  });

  it("just build-all right after init, parity against the clean room, and the version baked in", async () => {
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "linux-arm64", "windows-x64"]);
    await smokePasses(dir, ["linux-x64"], ["version", "help", "no arguments"]);
    await behavesLikeSource(dir, exe(dir, "dist", "verstamp"), "src/cli.ts", [["--version"], []], ['__APP_VERSION__="3.2.1"']);
    expect((await execa(exe(dir, "dist", "verstamp"), ["--version"])).stdout).toBe("verstamp 3.2.1");
  });

  it("a new version in package.json is read at the next build", async () => {
    const file = path.join(dir, "package.json");
    writeFileSync(file, readFileSync(file, "utf8").replace('"version": "3.2.1"', '"version": "3.3.0"'));
    await run(dir, just(dir), ["build-all", "--target", "linux-x64"]);
    expect((await execa(exe(dir, "dist", "verstamp"), ["--version"])).stdout).toBe("verstamp 3.3.0");
  });
});

describe("Bun.build({ compile, define }) with a launcher bin", () => {
  it("imports the API call's options; the executable prints both defines", async () => {
    const dir = await checkout("bun-build-api", tarball);
    const out = await run(dir, "npx", ["bun-parity", "init"]);
    expect(out).toContain("bun-parity init: apibuild from src/main.ts");
    expect(readTargets(dir).build.define).toEqual({ BUILD_VERSION: { packageJson: "version" }, BUILD_CHANNEL: '"stable"' });
    await installAndCommit(dir);
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "darwin-arm64"]);
    await smokePasses(dir, ["linux-x64"], ["version", "help", "no arguments"]);
    expect((await execa(exe(dir, "dist", "apibuild"), ["--version"])).stdout).toBe("apibuild 0.9.0 (stable)");
  });
});

describe("a tsc pre-step whose output is the entry", () => {
  it("becomes build.prepare; the clean room (no dist/) builds and matches", async () => {
    const dir = await checkout("tsc-prestep", tarball);
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", "linux-x64,linux-arm64"]);
    expect(out).toMatch(/build\.prepare: tsc -p tsconfig\.json/);
    const targets = readTargets(dir);
    expect(targets.entrypoint).toBe("dist/cli.js");
    expect(targets.build.prepare).toEqual(["tsc -p tsconfig.json"]);
    // dist/ is the pre-step's output folder, so the executables go elsewhere.
    expect(targets.outDir).toBe("dist-bin");
    await installAndCommit(dir);
    // init ran the pre-step to probe dist/cli.js; git ignores dist/, so the clean room starts without it.
    expect((await execa("git", ["check-ignore", "-q", "dist/cli.js"], { cwd: dir, reject: false })).exitCode).toBe(0);
    const build = await run(dir, just(dir), ["build-all"]);
    expect(build).toContain("prepare 1/1: tsc -p tsconfig.json");
    await parityPasses(dir, ["linux-x64", "linux-arm64"]);
    await smokePasses(dir, ["linux-x64"], ["version", "help", "no arguments"]);
    expect((await execa(exe(dir, "dist-bin", "tscstep"), ["you"])).stdout).toBe("tscstep: hello, you");
  });
});

describe("a project with its own Justfile", () => {
  it("is extended in place (no second justfile), and just still runs", async () => {
    const dir = await checkout("capital-justfile", tarball);
    await run(dir, "npx", ["bun-parity", "init"]);
    expect(existsSync(path.join(dir, "justfile"))).toBe(false);
    const justfile = readFileSync(path.join(dir, "Justfile"), "utf8");
    expect(justfile).toContain("release:");
    expect(justfile).toMatch(/^build-all \*ARGS:/m);
    await installAndCommit(dir);
    expect(await run(dir, just(dir), ["--summary"])).toContain("build-all");
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "darwin-arm64"]);
    await smokePasses(dir, ["linux-x64"], ["version", "help", "no arguments"]);
    await behavesLikeSource(dir, exe(dir, "dist", "capjust"), "src/main.ts", [["--version"], []]);
  });
});

// The first-run story (test/init-projects.ts) on projects whose CLI itself needs care: an
// extensionless bin launcher, a pinned Bun (supported or not), a CLI without --help.
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { REPO, copyFixture, removeTemps } from "./helpers.ts";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { behavesLikeSource, checkout, env, exe, installAndCommit, just, parityPasses, readTargets, run, smokePasses } from "./init-projects.ts";
import { packedTarball } from "./shared.ts";

let tarball: string;

beforeAll(async () => {
  tarball = await packedTarball(); // npm pack, once per run
}, 600_000);
afterAll(removeTemps);

describe("an extensionless bin launcher", () => {
  it("init follows it to the module it imports; the executable runs the program", async () => {
    const dir = await checkout("bin-shim", tarball);
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", "linux-x64,linux-arm64"]);
    expect(out).toContain("bin/shimtool is a launcher without a JavaScript/TypeScript extension");
    expect(readTargets(dir).entrypoint).toBe("index.ts");
    await installAndCommit(dir);
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "linux-arm64"]);
    await smokePasses(dir, ["linux-x64", "linux-arm64"], ["version", "help", "no arguments"]);
    await behavesLikeSource(dir, exe(dir, "dist", "shimtool"), "index.ts", [["--version"], ["friend"]]);
  });

  it("is refused as an explicit --entry, with the reason", async () => {
    const dir = copyFixture(path.join("init", "bin-shim"));
    const result = await execa(path.join(REPO, "node_modules", ".bin", "bun"), [path.join(REPO, "verify", "cli.ts"), "init", "--entry", "bin/shimtool", "--dry-run"], { cwd: dir, env, reject: false });
    expect(result.exitCode).toBe(2);
    expect(result.stderr).toContain("Bun compiles such a file into an executable that runs nothing and exits 0");
    expect(result.stderr).toMatch(/^fix: /m);
  });
});

describe("a project pinned to Bun 1.3.x by .bun-version", () => {
  it("keeps its Bun: devDependency, runtimes and the executables are 1.3.14", async () => {
    const dir = await checkout("pinned-bun", tarball);
    const out = await run(dir, "npx", ["bun-parity", "init"]);
    expect(out).toContain("Bun 1.3.14: the version .bun-version:1 names");
    await installAndCommit(dir);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.devDependencies.bun).toBe("1.3.14");
    expect(JSON.parse(readFileSync(path.join(dir, "bun-runtimes.lock.json"), "utf8")).bun).toBe("1.3.14");
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "darwin-x64"]);
    await smokePasses(dir, ["linux-x64"], ["version", "help", "no arguments"]);
    expect((await execa(exe(dir, "dist", "oldbun"), [])).stdout).toBe("oldbun on bun 1.3.14");
  });
});

describe("a project pinned to a Bun bun-parity does not support", () => {
  it("is refused with the file that pins it, and --bun chooses another", async () => {
    const dir = copyFixture(path.join("init", "pinned-bun"));
    writeFileSync(path.join(dir, ".bun-version"), "1.1.34\n");
    const cli = [path.join(REPO, "verify", "cli.ts"), "init", "--dry-run", "--no-probe"];
    const refused = await execa(path.join(REPO, "node_modules", ".bin", "bun"), cli, { cwd: dir, env, reject: false });
    expect(refused.exitCode).toBe(2);
    expect(refused.stderr).toContain("Bun 1.1.34 is older than the oldest supported 1.2.0");
    expect(refused.stderr).toContain("(the version .bun-version:1 names)");
    expect(refused.stderr).toMatch(/^fix: Build with a supported Bun: bun-parity init --bun /m);
    const chosen = await execa(path.join(REPO, "node_modules", ".bin", "bun"), [...cli, "--bun", "1.3.14"], { cwd: dir, env, reject: false });
    expect(chosen.exitCode, chosen.stderr).toBe(0);
    expect(chosen.stdout).toContain("Bun 1.3.14: from --bun");
  });
});

describe("a CLI without --help", () => {
  it("gets smoke cases only for what worked on the source (no --help), and its first parity passes", async () => {
    const dir = await checkout("no-help", tarball);
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", "linux-x64,linux-arm64"]);
    expect(out).toMatch(/dropped --help\s+exit code 2/);
    const smoke = readTargets(dir).smoke as { name: string; args: string[]; compare: string }[];
    expect(smoke.map((c) => [c.name, c.args, c.compare])).toEqual([["version", ["--version"], "source"], ["no arguments", [], "source"]]);
    await installAndCommit(dir);
    await run(dir, just(dir), ["build-all"]);
    await parityPasses(dir, ["linux-x64", "linux-arm64"]);
    await smokePasses(dir, ["linux-x64", "linux-arm64"], ["version", "no arguments"]);
    await behavesLikeSource(dir, exe(dir, "dist", "nohelp"), "cli.ts", [["--version"], [], ["--help"]]);
  });
});

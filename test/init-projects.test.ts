// The first-run story on projects built the way real Bun CLIs are built (each fixture is our
// own minimal reproduction of one pattern): install the packed bun-parity, `bun-parity init`,
// `npm install`, `just build-all`, `bun verify parity --reference clean-room`, `bun verify
// smoke`, and the executable behaves like `bun <entry>`.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENV, REPO, copyFixture, removeTemps, tempDir } from "./helpers.ts";
import { packedTarball } from "./shared.ts";

// The project's own installed Bun compiles (no BUN_PARITY_BUN override), as for a user.
const { BUN_PARITY_BUN: _bun, BUN_PARITY_CLI: _cli, ...userEnv } = { ...process.env, ...CLI_ENV };
// npm's cache already holds every package these projects install: prefer-offline skips asking the
// registry again whether each is still current (the clean room's own install is left as it is).
const env = { ...userEnv, npm_config_audit: "false", npm_config_fund: "false", npm_config_prefer_offline: "true" };
let tarball: string;

beforeAll(async () => {
  tarball = await packedTarball(); // npm pack, once per run
}, 600_000);
afterAll(removeTemps);

async function run(cwd: string, command: string, args: string[], extraEnv: Record<string, string> = {}) {
  const result = await execa(command, args, { cwd, env: { ...env, ...extraEnv }, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.exitCode}:\n${result.all}`);
  return String(result.all);
}

/** A fixture as a user's git checkout with the packed bun-parity installed. */
async function checkout(fixture: string): Promise<string> {
  const dir = copyFixture(path.join("init", fixture));
  // The fixture copy carries the repo's runtime lock; a user's project has none before init.
  await execa("rm", ["-f", path.join(dir, "bun-runtimes.lock.json")]);
  // A user's checkout ignores node_modules: committed, its ~200 MB would be hashed by every
  // `git add` and copied into the clean room, which installs its own anyway.
  const ignore = path.join(dir, ".gitignore");
  const ignored = existsSync(ignore) ? readFileSync(ignore, "utf8") : "";
  if (!/^\/?node_modules\/?$/m.test(ignored)) writeFileSync(ignore, `${ignored}${ignored && !ignored.endsWith("\n") ? "\n" : ""}node_modules/\n`);
  await run(dir, "git", ["init", "-q"]);
  await run(dir, "git", ["add", "-A"]);
  await run(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "the project"]);
  await run(dir, "npm", ["install", "--save-dev", "--no-audit", "--no-fund", tarball]);
  await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
  return dir;
}

/** After init: install what it added, then commit (the clean room rebuilds the committed state). */
async function installAndCommit(dir: string): Promise<void> {
  await run(dir, "npm", ["install", "--no-audit", "--no-fund"]);
  await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
  await run(dir, "git", ["add", "-A"]);
  await run(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "bun-parity init"]);
}

const just = (dir: string) => path.join(dir, "node_modules", ".bin", "just");
const exe = (dir: string, outDir: string, name: string) => path.join(dir, outDir, `${name}-linux-x64`);
const readTargets = (dir: string) => JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8"));

async function parityPasses(dir: string, ids: string[]): Promise<void> {
  const parity = await execa("npx", ["bun", "verify", "parity", "--reference", "clean-room", "--json"], { cwd: dir, env, reject: false });
  expect(parity.exitCode, String(parity.stderr).slice(-3000)).toBe(0);
  const report = JSON.parse(String(parity.stdout)) as { rows: { target: string; verdict: string }[] };
  expect(report.rows.map((r) => [r.target, r.verdict])).toEqual(ids.map((id) => [id, "identical"]));
}

/** `bun verify smoke`: the cases init wrote (all compare with the source) pass on these targets. */
async function smokePasses(dir: string, ids: string[], cases: string[]): Promise<void> {
  const smoke = await execa("npx", ["bun", "verify", "smoke", "--json", ...ids.flatMap((id) => ["--target", id])], { cwd: dir, env, reject: false });
  expect(smoke.exitCode, String(smoke.stderr).slice(-3000)).toBe(0);
  const results = (JSON.parse(String(smoke.stdout)) as { results: { target: string; case: string; status: string; checks: string }[] }).results;
  expect(results.map((r) => [r.target, r.case, r.status, r.checks])).toEqual(ids.flatMap((id) => cases.map((c) => [id, c, "pass", "compare-source"])));
}

/** The executable and `bun <entry>` (with the same defines) print the same for these arguments. */
async function behavesLikeSource(dir: string, executable: string, entry: string, argsList: string[][], defines: string[] = []) {
  const bun = path.join(dir, "node_modules", ".bin", "bun");
  for (const args of argsList) {
    const built = await execa(executable, args, { cwd: tempDir("run-"), reject: false });
    const source = await execa(bun, [...defines.flatMap((d) => ["--define", d]), path.join(dir, entry), ...args], { cwd: dir, reject: false });
    expect({ args, exit: built.exitCode, stdout: built.stdout }).toEqual({ args, exit: source.exitCode, stdout: source.stdout });
  }
}

describe("a TypeScript build script with a version define (scripts/build.ts)", () => {
  let dir: string;
  beforeAll(async () => {
    dir = await checkout("build-script");
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
    const dir = await checkout("bun-build-api");
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
    const dir = await checkout("tsc-prestep");
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
    const dir = await checkout("capital-justfile");
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

describe("an extensionless bin launcher", () => {
  it("init follows it to the module it imports; the executable runs the program", async () => {
    const dir = await checkout("bin-shim");
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
    const dir = await checkout("pinned-bun");
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
    const dir = await checkout("no-help");
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

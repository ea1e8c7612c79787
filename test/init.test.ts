// `bun-parity init` on three real projects, through the real npm package: `npm pack` of this
// repository, installed into each project, then `just build-all` and a clean-room parity run.
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CLI_ENV, REPO, copyFixture, removeTemps, runCli, tempDir } from "./helpers.ts";
import { packedTarball } from "./shared.ts";

let tarball: string;
// npm's cache already holds every package these projects install (this run's earlier installs
// put them there): prefer-offline skips asking the registry again whether each is still current.
const env = { ...process.env, ...CLI_ENV, npm_config_audit: "false", npm_config_fund: "false", npm_config_prefer_offline: "true" };
const TARGETS = "linux-x64,darwin-arm64";

beforeAll(async () => {
  // The package exactly as it would be published (prepack compiles lib/), packed once per run.
  tarball = await packedTarball();
}, 600_000);
afterAll(removeTemps);

/** Runs a command the way a user would in the project, failing the test with its output. */
async function run(cwd: string, command: string, args: string[]) {
  const result = await execa(command, args, { cwd, env, reject: false, all: true });
  if (result.exitCode !== 0) throw new Error(`${command} ${args.join(" ")} exited ${result.exitCode}:\n${result.all}`);
  return String(result.all);
}

/** Install the packed bun-parity (and with it the pinned bun and just) into a project. */
async function installPacked(dir: string): Promise<void> {
  await run(dir, "npm", ["install", "--save-dev", "--no-audit", "--no-fund", tarball]);
  // This machine's registry lacks rust-just's other-platform packages, so npm leaves them out
  // of the lockfile and the clean room's `npm ci` would refuse it; the repo's own lock has the
  // same fix (scripts/lock-optional-platforms.mjs explains).
  await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
}

describe("the npm package", () => {
  it("installs into an empty folder and runs: --help, --version, init --dry-run", async () => {
    const dir = tempDir("fresh-");
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "fresh", version: "1.0.0", type: "module" }));
    writeFileSync(path.join(dir, "index.ts"), 'console.log("fresh")\n');
    await installPacked(dir);
    expect(await run(dir, "npx", ["bun-parity", "--help"])).toContain("Usage: bun-parity <command>");
    expect(await run(dir, "npx", ["bun-parity", "--version"])).toMatch(/^bun-parity \d+\.\d+\.\d+$/m);
    const dry = await run(dir, "npx", ["bun-parity", "init", "--dry-run"]);
    expect(dry).toContain("Dry run: nothing written.");
    expect(dry).toMatch(/would create\s+targets\.json/);
    expect(existsSync(path.join(dir, "targets.json"))).toBe(false);
    // Typed library exports resolve.
    const types = readFileSync(path.join(dir, "node_modules", "bun-parity", "lib", "index.d.ts"), "utf8");
    expect(types).toContain("explainDifference");
  });
});

describe.each([
  ["bare", "bare-cli", "src/cli.ts"],
  ["own-justfile", "own-justfile", "index.ts"],
  ["js-bin", "jstool", "bin/jstool.js"],
])("init on the %s project", (fixture, name, entry) => {
  let dir: string;

  beforeAll(async () => {
    dir = copyFixture(path.join("init", fixture));
    // The fixture copy carries the repo's runtime lock; a user's project has none before init.
    rmSync(path.join(dir, "bun-runtimes.lock.json"));
    await installPacked(dir);
  }, 300_000);

  it("detects the entry point and name, and writes the files", async () => {
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", TARGETS]);
    expect(out).toContain(`bun-parity init: ${name} from ${entry}`);
    const targets = JSON.parse(readFileSync(path.join(dir, "targets.json"), "utf8"));
    expect(targets.entrypoint).toBe(entry);
    expect(targets.targets.map((t: { id: string }) => t.id)).toEqual(["linux-x64", "darwin-arm64"]);
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8"));
    expect(pkg.scripts.verify).toBe("bun-parity");
    expect(pkg.devDependencies.bun).toBe("1.4.5");
    // The runtimes of both targets, pinned by init itself.
    const lock = JSON.parse(readFileSync(path.join(dir, "bun-runtimes.lock.json"), "utf8"));
    expect(lock.bun).toBe("1.4.5");
    expect(Object.keys(lock.runtimes).sort()).toEqual(["@oven/bun-darwin-aarch64", "@oven/bun-linux-x64"]);
  });

  it("keeps the project's own recipes and workflow", () => {
    const justfile = readFileSync(path.join(dir, "justfile"), "utf8");
    if (fixture === "own-justfile") {
      expect(justfile).toContain('echo "own pre-step before the build"');
      expect(justfile).toContain("fmt:");
      // Its own build-all stays the only one; the missing recipes are added below it.
      expect(justfile.match(/^build-all:/gm)).toHaveLength(1);
      expect(justfile).toMatch(/^build TARGET:/m);
      expect(readFileSync(path.join(dir, ".github", "workflows", "release.yml"), "utf8")).toContain("the project's own workflow");
    } else {
      expect(justfile).toMatch(/^build-all( \*ARGS)?:/m);
    }
  });

  it("builds with just build-all and passes parity against a clean-room rebuild", async () => {
    // What init prints as next steps, and nothing else: install what it added, build, prove (init
    // itself pinned the runtimes, so no `toolchain --update` comes between).
    expect(existsSync(path.join(dir, "bun-runtimes.lock.json"))).toBe(true);
    await run(dir, "npm", ["install", "--no-audit", "--no-fund"]);
    await run(dir, "node", [path.join(REPO, "scripts", "lock-optional-platforms.mjs"), path.join(dir, "package-lock.json")]);
    const build = await run(dir, path.join(dir, "node_modules", ".bin", "just"), ["build-all"]);
    if (fixture === "own-justfile") expect(build).toContain("own pre-step before the build");
    const check = await execa("sha256sum", ["-c", "SHA256SUMS"], { cwd: path.join(dir, "dist"), reject: false });
    expect(check.exitCode).toBe(0);
    // The clean room recreates a git checkout: commit the project, as a user's project is.
    const ignore = readFileSync(path.join(dir, ".gitignore"), "utf8");
    writeFileSync(path.join(dir, ".gitignore"), `${ignore}${ignore.endsWith("\n") ? "" : "\n"}node_modules/\n`);
    await run(dir, "git", ["init", "-q"]);
    await run(dir, "git", ["add", "-A"]);
    await run(dir, "git", ["-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "init"]);
    const parity = await execa("npx", ["bun", "verify", "parity", "--reference", "clean-room", "--json"], { cwd: dir, env, reject: false });
    expect(parity.exitCode, String(parity.stderr).slice(-2000)).toBe(0);
    const report = JSON.parse(String(parity.stdout)) as { rows: { verdict: string }[] };
    expect(report.rows.map((r) => r.verdict)).toEqual(["identical", "identical"]);
  });

  it("changes nothing when run again", async () => {
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", TARGETS]);
    expect(out).toContain("Nothing to do: the project is already set up.");
  });

  it("does not overwrite a file the user changed, unless --force", async () => {
    const file = path.join(dir, "targets.json");
    const edited = readFileSync(file, "utf8").replace('"minify": true', '"minify": false');
    writeFileSync(file, edited);
    const out = await run(dir, "npx", ["bun-parity", "init", "--targets", TARGETS]);
    expect(out).toMatch(/kept\s+targets\.json\s+exists and differs/);
    expect(readFileSync(file, "utf8")).toBe(edited);
    const forced = await run(dir, "npx", ["bun-parity", "init", "--targets", TARGETS, "--force"]);
    expect(forced).toMatch(/updated\s+targets\.json/);
    expect(readFileSync(file, "utf8")).toContain('"minify": true');
  });
});

describe("init names the tool that installs the project, as the clean room will choose it", () => {
  it("lockfiles of two tools: init says now that parity will refuse, and how to fix it", async () => {
    const dir = copyFixture("init/bare");
    writeFileSync(path.join(dir, "package-lock.json"), JSON.stringify({ name: "bare-cli", lockfileVersion: 3, packages: {} }));
    writeFileSync(path.join(dir, "bun.lock"), '{ "lockfileVersion": 1, "workspaces": { "": { "name": "bare-cli" } }, "packages": {} }\n');
    const result = await runCli(["init", "--dry-run", "--no-probe"], { cwd: dir });
    expect(result.exitCode).toBe(0);
    expect(result.stdout).toContain("the clean room (bun verify parity) will refuse this project:\n  the project folder has lockfiles of several package managers (package-lock.json, bun.lock)");
    expect(result.stdout).toContain('fix: Delete the stale lockfile, or name the tool in package.json: "packageManager"');
  });

  it("a bun.lock project is told to run bun install (npm install would leave bun.lock without bun-parity)", async () => {
    const dir = copyFixture("init/bare");
    writeFileSync(path.join(dir, "bun.lock"), '{ "lockfileVersion": 1, "workspaces": { "": { "name": "bare-cli" } }, "packages": {} }\n');
    const result = await runCli(["init", "--dry-run", "--no-probe"], { cwd: dir });
    expect(result.stdout).toMatch(/Next:\n {2}bun install +# .*\(your lockfile is bun's\)/);
    expect(result.stdout).not.toContain("will refuse");
  });
});

describe("init run twice on a project with its own Justfile", () => {
  it("the second run calls the recipes the first added its own, not the user's", async () => {
    const dir = copyFixture("init/capital-justfile");
    const first = await runCli(["init", "--no-probe", "--no-pin"], { cwd: dir });
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toMatch(/updated\s+Justfile\s+added recipes build, build-all, parity, smoke, inspect, security, lint to your Justfile\n/);
    const second = await runCli(["init", "--no-probe", "--no-pin"], { cwd: dir });
    expect(second.stdout).toMatch(/unchanged\s+Justfile\s+already has every recipe bun-parity needs\n/);
    expect(second.stdout).not.toContain("kept your own");
  });
});

describe("init in a workspace package", () => {
  it("takes the Bun the workspace root pins, and leaves out a default target that Bun cannot build", async () => {
    const root = copyFixture("init/workspace-pin");
    await execa("git", ["init", "-q"], { cwd: root });
    const result = await runCli(["init", "--dry-run", "--no-probe"], { cwd: path.join(root, "packages", "cli") });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain("  Bun 1.3.9: the version ../../package.json:5 names (1.3.9)\n");
    expect(result.stdout).toContain("  note: ../../.github/workflows/release.yml:10 says 1.3.7; the executables are built with 1.3.9\n");
    expect(result.stdout).toContain("  target windows-arm64 left out: bun-windows-arm64 first shipped in Bun 1.3.10 (@oven/bun-windows-aarch64 starts there), and the project's Bun is 1.3.9\n");
    expect(result.stdout).not.toContain('"id": "windows-arm64"');
  });
});

describe("init's output folder", () => {
  it("is not dist/ when package.json publishes from it (files, main, bin): executables must not land in the npm package", async () => {
    const dir = copyFixture("init/bare");
    const pkg = JSON.parse(readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(path.join(dir, "package.json"), JSON.stringify({ ...pkg, main: "dist/index.js", files: ["dist"] }, null, 2));
    const result = await runCli(["init", "--dry-run", "--no-probe"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toContain('"outDir": "dist-bin"');
    expect(result.stdout).toMatch(/would create\s+\.gitignore\s+ignore the build output \(dist-bin\/\)/);
  });
});

describe("init probing a generated entry", () => {
  it("runs a build.prepare step that calls bun with the Bun it probes with, before the project has installed one", async () => {
    const dir = copyFixture("init/prepare-bun");
    // No bun on PATH, none in the project: only init's own.
    const result = await runCli(["init", "--no-pin"], { cwd: dir, env: { PATH: "/usr/local/bin:/usr/bin:/bin" } });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(result.stdout).toMatch(/kept +--version +stdout: genbun 0\.4\.0/);
    expect(readFileSync(path.join(dir, "dist", "cli.js"), "utf8")).toContain("genbun 0.4.0");
  });

  it("says now, with the fix, when the entry will not exist at build time: a pre-step that does not write it, or none", async () => {
    const dir = tempDir("prepare-misses-");
    const pkg = (build: string) => JSON.stringify({ name: "misses", version: "1.0.0", type: "module", scripts: { gen: "node scripts/gen.cjs", build } });
    writeFileSync(path.join(dir, "package.json"), pkg("npm run gen && bun build --compile dist/cli.js --target=bun-linux-x64 --outfile out/misses"));
    mkdirSync(path.join(dir, "scripts"));
    // The step the build runs first writes something else (the compile script writes the entry itself).
    writeFileSync(path.join(dir, "scripts", "gen.cjs"), 'require("node:fs").writeFileSync("gen.txt", "generated")\n');
    writeFileSync(path.join(dir, ".gitignore"), "dist/\n");
    const result = await runCli(["init", "--no-pin"], { cwd: dir });
    expect(result.exitCode, result.stderr).toBe(0);
    expect(existsSync(path.join(dir, "gen.txt"))).toBe(true); // the step really ran
    expect(result.stdout).toContain(
      "\nBuilding: build.prepare (node scripts/gen.cjs) ran, but dist/cli.js still does not exist, so the build will stop before compiling\n  fix: add the step that writes dist/cli.js to build.prepare",
    );

    // No pre-step at all: the same warning, without running anything.
    const bare = tempDir("prepare-none-");
    writeFileSync(path.join(bare, "package.json"), pkg("bun build --compile dist/cli.js --target=bun-linux-x64 --outfile out/misses"));
    writeFileSync(path.join(bare, ".gitignore"), "dist/\n");
    const none = await runCli(["init", "--no-pin"], { cwd: bare });
    expect(none.exitCode, none.stderr).toBe(0);
    expect(none.stdout).toContain("\nBuilding: dist/cli.js does not exist and build.prepare is empty, so the build will stop before compiling\n  fix: add the command that writes it to build.prepare");

    // A generated entry that the step does write gets no such line (the prepare-bun case above).
    const ok = copyFixture("init/prepare-bun");
    const fine = await runCli(["init", "--no-pin"], { cwd: ok, env: { PATH: "/usr/local/bin:/usr/bin:/bin" } });
    expect(fine.stdout).not.toContain("Building:");
  });
});

// Every supported Bun, through the product: `bun verify build` with that Bun as the compiler
// ($BUN_PARITY_BUN), one Bun per embedded-graph layout plus the newest 1.2.x, 1.3.x and 1.4.x
// (docs/internals.md, "Bun's embedded module graph, by version"). For each: two builds from
// different folders are identical, the executable runs, the graph reader finds the entry
// point, the modules and their sources, inspect passes, a source change is explained as a
// source change, and darwin output carries a valid signature after the fix-up.
//
// The compilers are the npm runtime packages (`@oven/bun-linux-x64@<version>` is that Bun's
// CLI), fetched once into the shared cache through the product's toolchain and checked against
// the sha256 in test/fixtures/bun-versions/locks/<version>.json, which also pins each
// version's target runtimes.
import { cpSync, existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readBunModuleGraph, type BunModuleGraph, readLayout, verifyCodeSignature } from "../verify/binary/index.ts";
import { expectedContainer } from "../verify/binary/bun-graph-layout.ts";
import { compileCapabilities, runtimeCacheFileName } from "../verify/bun/index.ts";
import { type Manifest, hashFiles } from "../verify/digest/index.ts";
import { explainDifference } from "../verify/explain/index.ts";
import type { BuildPlan } from "../verify/plan/index.ts";
import { cachedRuntimePackage, runtimeCachePath, type ToolchainLock } from "../verify/toolchain/index.ts";
import { BUN, FIXTURES, REPO, SHARED_CACHE, copyFixture, readJson, removeTemps, runCli, tempDir } from "./helpers.ts";

afterAll(removeTemps);

const LOCKS = path.join(FIXTURES, "bun-versions", "locks");
const REPO_BUN = readJson<{ version: string }>(path.join(REPO, "node_modules", "bun", "package.json")).version;

const TARGETS: Record<string, Record<string, string>> = {
  "linux-x64": { os: "linux", arch: "x64" },
  "linux-x64-baseline": { os: "linux", arch: "x64", bunTarget: "bun-linux-x64-baseline" },
  "darwin-x64": { os: "darwin", arch: "x64" },
  "darwin-arm64": { os: "darwin", arch: "arm64" },
  "windows-x64": { os: "windows", arch: "x64" },
};

/** The Bun CLI of a version: the repo's own Bun, or the digest-checked npm runtime package in the shared cache. */
const compilers = new Map<string, Promise<string>>();
function compilerFor(version: string): Promise<string> {
  if (version === REPO_BUN) return Promise.resolve(BUN);
  let found = compilers.get(version);
  if (!found) {
    found = (async () => {
      const lock = readJson<ToolchainLock>(path.join(LOCKS, `${version}.json`));
      const locked = lock.runtimes["@oven/bun-linux-x64"]!;
      const runtime = { name: "@oven/bun-linux-x64", version, entry: locked.entry };
      const file = existsSync(runtimeCachePath(SHARED_CACHE, runtime)) ? runtimeCachePath(SHARED_CACHE, runtime) : await cachedRuntimePackage(runtime, SHARED_CACHE, REPO);
      const [digest] = await hashFiles([file]);
      if (digest!.sha256 !== locked.sha256) throw new Error(`${file} is not Bun ${version}: sha256 ${digest!.sha256}, expected ${locked.sha256}`);
      return file;
    })();
    compilers.set(version, found);
  }
  return found;
}

/** The fixture in a fresh folder, with these targets and the version's lock. */
function project(version: string, targets: string[], where = tempDir()): string {
  const dir = copyFixture("bun-versions", path.join(where, "app"));
  const config = readJson<Record<string, unknown>>(path.join(dir, "targets.json"));
  config.targets = targets.map((id) => ({ id, ...TARGETS[id] }));
  writeFileSync(path.join(dir, "targets.json"), JSON.stringify(config, null, 2));
  const lock = version === REPO_BUN ? path.join(REPO, "bun-runtimes.lock.json") : path.join(LOCKS, `${version}.json`);
  cpSync(lock, path.join(dir, "bun-runtimes.lock.json"));
  return dir;
}

async function cli(version: string, args: string[], cwd: string) {
  return runCli(args, { cwd, env: { BUN_PARITY_BUN: await compilerFor(version) } });
}

interface VersionCase {
  bun: string;
  why: string;
  layout: BunModuleGraph["layout"]["id"];
  targets: string[];
  /** darwin targets whose signature Bun leaves invalid, so the build re-signs them. */
  resigned: string[];
}

const CASES: VersionCase[] = [
  { bun: "1.2.3", why: "24/36 records; Mach-O graph appended", layout: "24/36", targets: ["linux-x64", "darwin-x64", "darwin-arm64"], resigned: [] },
  { bun: "1.2.5", why: "Mach-O __BUN section with a u32 length; garbage Offsets padding", layout: "24/36", targets: ["linux-x64", "darwin-x64", "darwin-arm64"], resigned: ["darwin-x64", "darwin-arm64"] },
  { bun: "1.2.23", why: "newest 1.2.x: exec argv in Offsets; PE .bun section with a u32 length", layout: "32/36", targets: ["linux-x64", "windows-x64"], resigned: [] },
  { bun: "1.3.5", why: "Offsets flags; u64 section lengths; ELF still appended", layout: "32/36", targets: ["linux-x64", "linux-x64-baseline", "darwin-arm64"], resigned: ["darwin-arm64"] },
  { bun: "1.3.11", why: "52-byte records, ELF graph appended", layout: "32/52", targets: ["linux-x64"], resigned: [] },
  { bun: "1.3.14", why: "newest 1.3.x: ELF .bun section", layout: "32/52", targets: ["linux-x64", "darwin-arm64"], resigned: ["darwin-arm64"] },
  { bun: REPO_BUN, why: "newest 1.4.x: optional records after the module table", layout: "32/52", targets: ["linux-x64", "darwin-x64"], resigned: ["darwin-x64"] },
];

describe.each(CASES)("Bun $bun ($why)", (c) => {
  let first: string;
  let second: string;
  let builds: Awaited<ReturnType<typeof runCli>>[];

  beforeAll(async () => {
    first = project(c.bun, c.targets);
    second = project(c.bun, c.targets);
    builds = [await cli(c.bun, ["build"], first), await cli(c.bun, ["build"], second)];
  }, 300_000);

  it("builds every target through bun verify build", () => {
    for (const build of builds) expect(build.exitCode, build.stdout + build.stderr).toBe(0);
    const manifest = readJson<Manifest>(path.join(first, "dist", "manifest.json"));
    expect(manifest.bun).toBe(c.bun);
    expect(manifest.targets.map((t) => t.id).sort()).toEqual([...c.targets].sort());
  });

  it("is deterministic: two builds from different folders are byte-identical", () => {
    expect(readFileSync(path.join(second, "dist", "SHA256SUMS"), "utf8")).toBe(readFileSync(path.join(first, "dist", "SHA256SUMS"), "utf8"));
  });

  it("writes an executable that runs its embedded modules", async () => {
    const run = await execa(path.join(first, "dist", "app-linux-x64"), ["parity"], { cwd: tempDir(), reject: false });
    expect(run.stdout).toBe("hello parity | embedded note");
    expect(run.exitCode).toBe(0);
  });

  it("reads the embedded graph: entry point, module names, sources, layout", () => {
    for (const id of c.targets) {
      const file = path.join(first, "dist", `app-${id}${id.startsWith("windows") ? ".exe" : ""}`);
      const bytes = readFileSync(file);
      const graph = readBunModuleGraph(bytes, file)!;
      const windows = id.startsWith("windows");
      expect(graph.bunVersion?.version).toBe(c.bun);
      expect(graph.entryPoint).toBe(windows ? "B:/~BUN/root/app" : "/$bunfs/root/app");
      expect(graph.modules.map((m) => m.name.replace(/-[a-z0-9]{8}\.txt$/, "-<hash>.txt")).sort()).toEqual(
        (windows ? ["B:/~BUN/root/app", "B:/~BUN/root/note-<hash>.txt"] : ["/$bunfs/root/app", "/$bunfs/root/note-<hash>.txt"]).sort(),
      );
      const entry = graph.modules[graph.entryPointId]!;
      expect(entry.loader).toBe("js");
      expect(entry.text).toContain("hello ${");
      expect(graph.modules.find((m) => m.name.endsWith(".txt"))!.contents.toString()).toBe("embedded note\n");
      expect(graph.layout.id).toBe(c.layout);
      const format = readLayout(bytes).format;
      expect(graph.layout.container).toEqual(expectedContainer(format, c.bun));
      // Offsets padding (Bun before 1.3.3) is zeroed by the build.
      if (graph.layout.padding) expect(graph.layout.padding.bytes.equals(Buffer.alloc(4))).toBe(true);
    }
  });

  it("passes inspect", async () => {
    const files = c.targets.map((id) => path.join("dist", `app-${id}${id.startsWith("windows") ? ".exe" : ""}`));
    const inspect = await cli(c.bun, ["inspect", ...files], first);
    expect(inspect.exitCode, inspect.stdout + inspect.stderr).toBe(0);
    expect(inspect.stdout).not.toContain("no embedded Bun module graph");
  });

  it("leaves every darwin executable with a valid signature, re-signing only where Bun broke it", () => {
    const manifest = readJson<Manifest>(path.join(first, "dist", "manifest.json"));
    for (const id of c.targets.filter((t) => t.startsWith("darwin"))) {
      const check = verifyCodeSignature(readFileSync(path.join(first, "dist", `app-${id}`)));
      expect(check.state, check.problems.join("; ")).toBe("valid");
      expect(Boolean(manifest.targets.find((t) => t.id === id)!.adhocSigned), id).toBe(c.resigned.includes(id));
    }
  });

  it("explains a source difference as a source difference, not a different runtime", async () => {
    const changed = project(c.bun, ["linux-x64"]);
    const greet = path.join(changed, "greet.ts");
    writeFileSync(greet, readFileSync(greet, "utf8").replace("hello", "howdy"));
    const build = await cli(c.bun, ["build"], changed);
    expect(build.exitCode, build.stderr).toBe(0);
    const explain = await cli(c.bun, ["explain", path.join(first, "dist", "app-linux-x64"), path.join(changed, "dist", "app-linux-x64")], first);
    expect(explain.exitCode).toBe(1);
    // The manifests' fingerprints name the file; the bytes (this version's graph, read) agree.
    expect(explain.stdout).toMatch(/^ {2}\[source-changed\] greet\.ts differs$/m);
    expect(explain.stdout).toContain("In the bytes: embedded source /$bunfs/root/app differs");
    expect(explain.stdout).not.toContain("[bun-runtime]");
    expect(explain.stdout).not.toContain("[unexplained]");
  }, 120_000);
});

describe("what only some versions need", () => {
  it("names the runtime variant each executable carries when both report the same Bun (1.3.5 modern vs baseline)", async () => {
    const dir = project("1.3.5", ["linux-x64", "linux-x64-baseline"]);
    expect((await cli("1.3.5", ["build"], dir)).exitCode).toBe(0);
    const explain = await cli("1.3.5", ["explain", "dist/app-linux-x64", "dist/app-linux-x64-baseline"], dir);
    expect(explain.exitCode).toBe(1);
    expect(explain.stdout).toMatch(/\[bun-runtime\] different runtime variants of Bun 1\.3\.5 \([0-9a-f]+\): dist\/app-linux-x64 carries modern, dist\/app-linux-x64-baseline carries baseline/);
    expect(explain.stdout).toContain("dist/app-linux-x64: modern (@oven/bun-linux-x64)");
    expect(explain.stdout).toContain("dist/app-linux-x64-baseline: baseline (@oven/bun-linux-x64-baseline)");
  }, 120_000);

  it("explains differing Offsets padding (Bun 1.2.4 to 1.2.10) as padding, not as a runtime or source change", async () => {
    const dir = project("1.2.5", ["linux-x64"]);
    expect((await cli("1.2.5", ["build"], dir)).exitCode).toBe(0);
    const file = path.join(dir, "dist", "app-linux-x64");
    const bytes = readFileSync(file);
    const padding = readBunModuleGraph(bytes)!.layout.padding!;
    // What Bun 1.2.5 itself leaves there: bytes of a stack address.
    const garbage = Buffer.from(bytes);
    garbage.set([0xfc, 0x7f, 0, 0], padding.offset);
    const other = path.join(tempDir(), "app-linux-x64");
    writeFileSync(other, garbage);
    const explain = await cli("1.2.5", ["explain", file, other], dir);
    expect(explain.exitCode).toBe(1);
    expect(explain.stdout).toMatch(/^ {2}\[graph-padding\] (likely: )?uninitialized padding in the module graph: the 4 padding bytes at the end of Offsets are 00000000 in .* and fc7f0000 in /m);
    expect(explain.stdout).not.toContain("[bun-runtime]");
  }, 120_000);

  it("passes the runtime by Bun's cache file name before 1.3.6, and by --compile-executable-path from 1.3.6", async () => {
    const dir = project("1.2.5", ["linux-x64", "darwin-arm64"]);
    const old = await cli("1.2.5", ["plan", "--json"], dir);
    expect(old.exitCode, old.stderr).toBe(0);
    const oldPlan = JSON.parse(old.stdout) as BuildPlan;
    const darwin = oldPlan.targets.find((t) => t.target.id === "darwin-arm64")!;
    expect(darwin.argv.some((a) => a.startsWith("--compile-executable-path"))).toBe(false);
    expect(darwin.argv.some((a) => a.startsWith("--metafile"))).toBe(false);
    expect(darwin.argv.some((a) => a.includes("compile-autoload"))).toBe(false);
    expect(darwin.runtimeSeed?.fileName).toBe("bun-darwin-aarch64-v1.2.5");
    expect(oldPlan.targets.find((t) => t.target.id === "linux-x64")!.argv).toContain("--target=bun-linux-x64-modern");
    // The user hears what this Bun cannot do.
    expect(old.stderr).toContain("warning: Bun 1.2.5 cannot turn off .env and bunfig.toml autoloading");

    const current = JSON.parse((await cli(REPO_BUN, ["plan", "--json"], dir)).stdout) as BuildPlan;
    const argv = current.targets.find((t) => t.target.id === "darwin-arm64")!.argv;
    expect(argv.filter((a) => /^--(compile-executable-path|metafile)=/.test(a)).length).toBe(2);
    expect(argv).toContain("--no-compile-autoload-dotenv");
    expect(argv).toContain("--no-compile-autoload-package-json");
  });

  it("stops when a file in the project would shadow the pinned runtime for a Bun before 1.3.6", async () => {
    const dir = project("1.2.5", ["linux-x64", "darwin-arm64"]);
    // Bun looks in its working folder before its install cache (compile_target.zig exePath).
    writeFileSync(path.join(dir, "bun-darwin-aarch64-v1.2.5"), "not the pinned runtime");
    const build = await cli("1.2.5", ["build", "--target", "darwin-arm64"], dir);
    expect(build.exitCode).toBe(2);
    expect(build.stderr).toContain("bun-darwin-aarch64-v1.2.5 exists: Bun before 1.3.6 would compile darwin-arm64 with that file instead of the pinned runtime");
  });

  it("a target that stops the build lets the others finish first, and the process exits", async () => {
    const dir = project("1.2.5", ["linux-x64", "darwin-arm64"]);
    writeFileSync(path.join(dir, "bun-darwin-aarch64-v1.2.5"), "not the pinned runtime");
    // darwin-arm64 stops at once; linux-x64 is still compiling. Before, the hash pool closed
    // under it and the worker it then started kept the process alive forever.
    const build = await runCli(["build"], { cwd: dir, env: { BUN_PARITY_BUN: await compilerFor("1.2.5"), BUN_PARITY_JOBS: "2" }, timeout: 180_000 });
    expect(build.exitCode, build.stderr.slice(-1000)).toBe(2);
    expect(build.stderr).toContain("bun-darwin-aarch64-v1.2.5 exists");
    expect(build.stderr).toMatch(/linux-x64: done/);
  }, 240_000);

  it("bytecode before 1.4.1 differs on every build of the same source: the build warns, explain names it; 1.4.5 is reproducible", async () => {
    // A hundred small functions: enough for Bun 1.2.23 to write different bytecode each time
    // (a three-function file comes out the same).
    const dir = tempDir();
    const body = Array.from({ length: 100 }, (_, i) => `function f${i}(x) { const o = { k${i}: x, ["p" + x]: ${i} }; return Object.keys(o).length + ${i} + (x ? f${Math.max(0, i - 1)}(0) : 0); }`);
    writeFileSync(path.join(dir, "cli.js"), `${body.join("\n")}\nconsole.log(f99(1));\n`);
    const compile = async (bun: string, folder: string) => {
      const out = path.join(dir, folder, "app");
      await execa(bun, ["build", "--compile", "--bytecode", "cli.js", "--outfile", out], { cwd: dir });
      return readFileSync(out);
    };
    const old = await compilerFor("1.2.23");
    const [a, b] = [await compile(old, "a"), await compile(old, "b")];
    expect(a.equals(b)).toBe(false);
    const causes = explainDifference(a, b).causes;
    expect(causes.map((c) => c.code)).toEqual(["bytecode-unstable"]);
    expect(causes[0]!.summary).toBe("the bytecode of /$bunfs/root/app differs while its source is the same (Bun 1.2.23)");
    expect((await compile(BUN, "c")).equals(await compile(BUN, "d"))).toBe(true);

    const app = project("1.2.23", ["linux-x64"]);
    const config = readJson<Record<string, unknown>>(path.join(app, "targets.json"));
    writeFileSync(path.join(app, "targets.json"), JSON.stringify({ ...config, build: { bytecode: true, format: "cjs" } }, null, 2));
    const plan = await cli("1.2.23", ["plan"], app);
    expect(plan.stderr).toContain("Bun 1.2.23 writes different --bytecode output on every build of the same input");
  }, 120_000);

  it("refuses a Bun older than 1.2.0 with the reason and what to pin", async () => {
    const dir = project("1.1.38", ["linux-x64"]);
    const plan = await cli("1.1.38", ["plan"], dir);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toContain("Bun 1.1.38 is older than the oldest supported 1.2.0");
    expect(plan.stderr).toContain("Pin a Bun from 1.2.0 on");
  });

  it("refuses an option the pinned Bun has no flag for, naming the version that added it", async () => {
    const dir = project("1.2.5", ["linux-x64"]);
    const config = readJson<{ build?: Record<string, unknown> }>(path.join(dir, "targets.json"));
    config.build = { execArgv: ["--smol"] };
    writeFileSync(path.join(dir, "targets.json"), JSON.stringify(config, null, 2));
    const plan = await cli("1.2.5", ["plan"], dir);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toMatch(/targets\.json:\d+:\d+: \$\.build\.execArgv: --compile-exec-argv needs Bun 1\.2\.21 or later; the pinned Bun is 1\.2\.5/);
  });

  it("refuses windows-arm64 before Bun 1.3.10", async () => {
    const dir = project("1.3.5", ["linux-x64"]);
    const config = readJson<{ targets: unknown[] }>(path.join(dir, "targets.json"));
    config.targets.push({ id: "windows-arm64", os: "windows", arch: "arm64" });
    writeFileSync(path.join(dir, "targets.json"), JSON.stringify(config, null, 2));
    const plan = await cli("1.3.5", ["plan"], dir);
    expect(plan.exitCode).toBe(2);
    expect(plan.stderr).toContain("Bun 1.3.5 cannot build windows-arm64: bun-windows-arm64 first shipped in Bun 1.3.10");
  });
});

describe("capabilities by version (pure)", () => {
  it("matches what each version's bun build --help lists", () => {
    expect(compileCapabilities("1.2.0")).toMatchObject({ runtimeVia: "install-cache", metafile: false, execArgv: false, autoloadDotenvBunfig: false, autoloadTsconfigPackageJson: false, esmBytecode: false });
    expect(compileCapabilities("1.2.21")).toMatchObject({ execArgv: true, autoloadDotenvBunfig: false });
    expect(compileCapabilities("1.3.3")).toMatchObject({ autoloadDotenvBunfig: true, autoloadTsconfigPackageJson: false, runtimeVia: "install-cache" });
    expect(compileCapabilities("1.3.5")).toMatchObject({ autoloadTsconfigPackageJson: true, runtimeVia: "install-cache", metafile: false });
    expect(compileCapabilities("1.3.6")).toMatchObject({ runtimeVia: "executable-path", metafile: true, esmBytecode: false });
    expect(compileCapabilities("1.3.9")).toMatchObject({ esmBytecode: true });
  });

  it("spells the runtime cache file the way Bun looks it up", () => {
    expect(runtimeCacheFileName({ os: "darwin", arch: "arm64", libc: "glibc" }, "1.2.5")).toBe("bun-darwin-aarch64-v1.2.5");
    expect(runtimeCacheFileName({ os: "linux", arch: "x64", libc: "musl", cpuLevel: "baseline" }, "1.3.5")).toBe("bun-linux-x64-musl-baseline-v1.3.5");
    expect(runtimeCacheFileName({ os: "linux", arch: "arm64", libc: "glibc", cpuLevel: "baseline" }, "1.3.5")).toBe("bun-linux-aarch64-v1.3.5");
    expect(runtimeCacheFileName({ os: "windows", arch: "x64", libc: "glibc" }, "1.2.23")).toBe("bun-windows-x64-v1.2.23");
  });
});

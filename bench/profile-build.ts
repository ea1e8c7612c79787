// Where one compile and one build spend their time (docs/performance.md has the results): each
// step of a target's build run on its own, one after another, in this process, on the real
// files, median of --runs. Compiles use exactly the plan's argv and environment; Bun's own phase
// timers (the "[N ms] bundle / minify / compile" lines it prints) split a compile into bundling
// and writing the executable. Our steps are timed the way build.ts runs them.
// Then "scale on paper": the measured steps scheduled the way build.ts runs them, for --jobs N on
// a machine with a free core for every compile and hashing thread (docs/performance.md).
// Prints a table; not a timed test. Run: bun bench/profile-build.ts [--runs 5] [--project repo,generated]
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { verifyCodeSignature } from "../verify/binary/index.ts";
import { loadConfig } from "../verify/config/index.ts";
import { HashPool, type Manifest, ReusableFileBuffer, sha256Hex, stableJson, writeDistIndex, writeFileAtomic } from "../verify/digest/index.ts";
import { InputHashCache, buildFingerprint, buildInputs, bundledPackages, inputBoundary, metafileInputs, signBytesAdhoc } from "../verify/build/index.ts";
import { buildPlan, compilerEnvironment } from "../verify/plan/index.ts";
import { defaultCacheDir, runtimeCachePath } from "../verify/toolchain/index.ts";
import { writeGeneratedFixture } from "./generated-fixture.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const BUN_VERSION = (JSON.parse(readFileSync(path.join(REPO, "node_modules", "bun", "package.json"), "utf8")) as { version: string }).version;
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg("--runs")) || 5;
const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-profile-"));

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
async function timed<T>(fn: () => T | Promise<T>): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

/** Bun's phase lines: "  [71ms]  minify  -2.94 MB", "  [46ms]  bundle  647 modules", " [184ms] compile  <file>". */
function bunPhases(stdout: string): Record<string, number> {
  const phases: Record<string, number> = {};
  for (const match of stdout.matchAll(/\[(\d+(?:\.\d+)?)(ms|s)\]\s+(\w+)/g)) phases[match[3]!] = Number(match[1]) * (match[2] === "s" ? 1000 : 1);
  return phases;
}

function projectFor(name: string): string {
  if (name === "repo") return REPO;
  const dir = path.join(work, name);
  const config = JSON.parse(readFileSync(path.join(REPO, "targets.json"), "utf8")) as { targets: { id: string; os: string; arch: string; bunTarget: string }[] };
  writeGeneratedFixture(dir, { modules: 240, lockFile: path.join(REPO, "bun-runtimes.lock.json"), targetsFrom: config.targets });
  return dir;
}

/** One bun-parity process that does nothing but start (--version), and a no-op build, wall time. */
function processTimes(projectDir: string, outDir: string): { start: number; plan: number } {
  const env = { ...process.env, BUN_PARITY_BUN: BUN, CI: "1" };
  const cli = path.join(REPO, "verify", "cli.ts");
  const time = (args: string[]) => {
    const start = performance.now();
    spawnSync(BUN, [cli, ...args], { cwd: projectDir, env, stdio: "ignore" });
    return performance.now() - start;
  };
  return { start: time(["--version"]), plan: time(["plan", "--out", outDir]) };
}

const rows: [string, string, number][] = [];
const models: [string, string][] = [];

/**
 * The build's schedule from the measured steps, with a core for every compile and hashing thread:
 * compiles take the --jobs slots in targets.json order (p-limit's queue); when one ends, its
 * darwin signature steps run on the main thread one target at a time, then its sha256 runs on a
 * hashing thread; the build ends with the last sha256 and one index write.
 */
function scaleModel(project: string, targets: { id: string; darwin: boolean }[], step: (name: string) => number): void {
  const compile = (id: string) => step(`${id}: compile, whole process`);
  const mainThread = (id: string) => step(`${id}: read once into the reused buffer`) + step(`${id}: check, and re-sign in place + check the new signature`) + step(`${id}: check, and leave (valid)`) + step(`${id}: write the re-signed file`);
  const hash = (id: string, darwin: boolean) => (darwin ? step(`${id}: sha256 of the buffer (worker)`) : step(`${id}: sha256 of the file (worker: read + hash)`));
  const naive = targets.reduce((sum, t) => sum + compile(t.id), 0);
  const start = step("per build: start, read targets.json, find Bun, plan (`plan`)");
  const index = [...rows].reverse().find(([p, name]) => p === project && name.startsWith("per build: one index write"))?.[2] ?? 0;
  models.push([project, `naive loop (sum of the six compiles): ${naive.toFixed(0)} ms`]);
  for (const jobs of [1, 2, 3, 4, 5, 6, 16]) {
    const slots = new Array<number>(Math.min(jobs, targets.length)).fill(0);
    const ends = new Map<string, number>();
    for (const t of targets) {
      slots.sort((a, b) => a - b);
      ends.set(t.id, slots[0]! + compile(t.id));
      slots[0] = ends.get(t.id)!;
    }
    let mainFree = 0;
    let last = 0;
    for (const t of [...targets].sort((a, b) => ends.get(a.id)! - ends.get(b.id)!)) {
      let ready = ends.get(t.id)!;
      if (t.darwin) ready = mainFree = Math.max(ready, mainFree) + mainThread(t.id);
      last = Math.max(last, ready + hash(t.id, t.darwin));
    }
    const total = start + last + index;
    models.push([project, `--jobs ${String(jobs).padEnd(2)}  ${total.toFixed(0).padStart(5)} ms   ratio to the naive loop ${(total / naive).toFixed(2)}`]);
  }
}

try {
  for (const name of (arg("--project") ?? "repo,generated").split(",")) {
    const projectDir = projectFor(name);
    const cacheDir = defaultCacheDir(process.env);
    const config = loadConfig(path.join(projectDir, "targets.json"), { bunVersion: BUN_VERSION });
    const outDir = path.join(work, `${name}-dist`);
    const plan = buildPlan(config, { bunVersion: BUN_VERSION, runtimePathFor: (r) => runtimeCachePath(cacheDir, r), outDir });
    const pool = new HashPool();
    const memory = new ReusableFileBuffer();
    const samples = new Map<string, number[]>();
    const add = (step: string, ms: number) => samples.set(step, [...(samples.get(step) ?? []), ms]);

    for (let run = 0; run < runs; run++) {
      const entries: Manifest["targets"] = [];
      const processes = processTimes(projectDir, outDir);
      add("per build: bun-parity process start (--version)", processes.start);
      add("per build: start, read targets.json, find Bun, plan (`plan`)", processes.plan);
      let cold: InputHashCache | undefined;
      for (const t of plan.targets) {
        mkdirSync(t.stagingDir, { recursive: true });
        const [compile, wall] = await timed(() => spawnSync(BUN, t.argv, { cwd: t.cwd, env: compilerEnvironment(t, process.env), encoding: "utf8" }));
        if (compile.status !== 0) throw new Error(`${t.target.id}: ${compile.stderr}`);
        const phases = bunPhases(compile.stdout);
        const bundle = (phases.bundle ?? 0) + (phases.minify ?? 0);
        add(`${t.target.id}: compile, whole process`, wall);
        add(`${t.target.id}: compile, bundling (Bun's timer)`, bundle);
        add(`${t.target.id}: compile, writing the executable (Bun's timer)`, phases.compile ?? 0);
        add(`${t.target.id}: compile, the rest (start, resolve, exit)`, wall - bundle - (phases.compile ?? 0));
        if (t.repairSignature) {
          const [bytes, readMs] = await timed(() => memory.read(t.stagedFile));
          add(`${t.target.id}: read once into the reused buffer`, readMs);
          add(`${t.target.id}: full signature check (what inspect does)`, (await timed(() => verifyCodeSignature(bytes, t.stagedFile)))[1]);
          const [outcome, signMs] = await timed(() => signBytesAdhoc(bytes, t.stagedFile, { onlyIfInvalid: true }));
          add(`${t.target.id}: check, and ${outcome.signed ? "re-sign in place + check the new signature" : "leave (valid)"}`, signMs);
          if (outcome.signed) add(`${t.target.id}: write the re-signed file`, (await timed(() => writeFileAtomic(t.stagedFile, outcome.bytes, { mode: 0o755 })))[1]);
          const [digest, hashMs] = await timed(() => pool.hashBuffer(outcome.bytes));
          memory.reuse(digest.memory);
          add(`${t.target.id}: sha256 of the buffer (worker)`, hashMs);
        }
        const [digest, hashMs] = await timed(() => pool.hash(t.stagedFile));
        add(`${t.target.id}: sha256 of the file (worker: read + hash)`, hashMs);
        const [modules, metaMs] = await timed(() => (t.metafile ? metafileInputs(readFileSync(t.metafile, "utf8")) : []));
        add("per target: read the metafile", metaMs);
        if (!cold) {
          cold = new InputHashCache();
          const [, coldMs] = await timed(() => buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir], cache: cold }));
          const warm = new InputHashCache(cold.toJSON());
          const [inputs, warmMs] = await timed(() => buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir], cache: warm }));
          const [, plainMs] = await timed(() => buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir] }));
          add(`per build: reuse key, files hashed (${inputs.files.length} files, ${inputs.listings.length} folders)`, coldMs);
          add("per build: reuse key, stamps of a previous build (stat only)", warmMs);
          add("per build: reuse key, without a cache (main before this change)", plainMs);
        }
        const [packages, packagesMs] = await timed(() => bundledPackages(projectDir, modules));
        add("per build: bundledPackages", packagesMs);
        const inputs = buildInputs(projectDir, modules, { boundary: inputBoundary(projectDir), exclude: [outDir], cache: cold });
        entries.push({
          id: t.target.id, os: t.target.os, arch: t.target.arch, libc: t.target.libc, bunTarget: t.target.bunTarget, file: t.outputFile,
          bytes: digest.bytes, sha256: digest.sha256, inputDigest: `sha256:${sha256Hex(t.target.id)}`, runtime: { package: t.runtime.name, version: t.runtime.version, sha256: "" },
          packages,
          fingerprint: buildFingerprint({ toolVersion: "0", bunVersion: plan.bunVersion, bunTarget: t.target.bunTarget, runtimeSha256: "", argv: t.argv, env: {}, inputs: inputs.files }),
          durationMs: 0,
        });
        rmSync(t.stagingDir, { recursive: true, force: true });
      }
      const manifest: Manifest = { schemaVersion: 1, tool: { name: "bun-parity", version: "0" }, bun: plan.bunVersion, name: plan.name, inputDigest: "", targets: entries };
      mkdirSync(outDir, { recursive: true });
      add(`per build: one index write, ${entries.length} targets (manifest ${(stableJson(manifest).length / 1024).toFixed(0)} KiB)`, (await timed(() => writeDistIndex(outDir, manifest)))[1]);
    }
    await pool.close();
    for (const [step, xs] of samples) rows.push([name, step, median(xs)]);
    scaleModel(name, plan.targets.map((t) => ({ id: t.target.id, darwin: t.repairSignature })), (step) => (samples.has(step) ? median(samples.get(step)!) : 0));
  }
  const load = readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
  console.log(`profile, Bun ${BUN_VERSION}, ${os.availableParallelism()} cores, load average ${load} at the end, median of ${runs}, each step alone`);
  let last = "";
  for (const [project, step, ms] of rows) {
    if (project !== last) console.log(`\n${project}`);
    last = project;
    console.log(`  ${ms.toFixed(1).padStart(8)} ms  ${step}`);
  }
  console.log("\nscale on paper: these steps scheduled as build.ts runs them, a free core for every compile and hashing thread");
  last = "";
  for (const [project, line] of models) {
    if (project !== last) console.log(`\n${project}`);
    last = project;
    console.log(`  ${line}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

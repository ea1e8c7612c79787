// build-all against the naive loop, for this repository and for a generated project of 240
// modules: `bun verify build --force --jobs N` (N = 1..4) against six `bun build --compile`
// one after another with the same flags and runtimes, and against the same six compiles run N
// at a time with nothing else (what the machine can do at all: the hardware's pace), run
// alternately so all three see the same machine load; the no-op build (nothing changed);
// bun-parity's own peak memory against the largest executable, and its own CPU time; sha256
// throughput against `openssl speed`. Prints medians and the load average; not a timed test
// (docs/performance.md has results and how to read them).
// Run: bun bench/build-all.ts [--runs 5] [--projects repo,generated] [--jobs 1,2,3,4] [--no-hash]
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { loadConfig } from "../verify/config/index.ts";
import { HashPool } from "../verify/digest/index.ts";
import { buildPlan, compilerEnvironment } from "../verify/plan/index.ts";
import { defaultCacheDir, runtimeCachePath } from "../verify/toolchain/index.ts";
import { writeGeneratedFixture } from "./generated-fixture.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const RUNNER = path.join(REPO, "bench", "cli-with-memory.ts");
const BUN_VERSION = (JSON.parse(readFileSync(path.join(REPO, "node_modules", "bun", "package.json"), "utf8")) as { version: string }).version;
const arg = (name: string) => (process.argv.includes(name) ? process.argv[process.argv.indexOf(name) + 1] : undefined);
const runs = Number(arg("--runs")) || 5;
const jobsList = (arg("--jobs") ?? "1,2,3,4").split(",").map(Number);
const projects = (arg("--projects") ?? "repo,generated").split(",");

const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-bench-"));
const env = { ...process.env, BUN_PARITY_BUN: BUN, CI: "1" };
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;
const mib = (x: number) => `${(x / 2 ** 20).toFixed(0)} MiB`;
const load = () => readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ");
/** CPU time (ms) of every child this process has waited for, and of their waited-for children (cutime + cstime). */
function childrenCpuMs(): number {
  const stat = readFileSync("/proc/self/stat", "utf8");
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return ((Number(fields[13]) + Number(fields[14])) * 1000) / 100; // clock ticks; USER_HZ is 100 on Linux
}
/** Runs `fn` and returns its wall time and the CPU time of the processes it ran (the load of others is not in it). */
async function measured<T>(fn: () => T | Promise<T>): Promise<{ value: T; cpuMs: number }> {
  const before = childrenCpuMs();
  const value = await fn();
  return { value, cpuMs: childrenCpuMs() - before };
}

/** Runs `bun verify <args>` (through cli-with-memory.ts) in `cwd`; returns its wall time, own peak RSS and own CPU time. */
function verify(cwd: string, args: string[]): { ms: number; peak: number; cpuMs: number } {
  const start = performance.now();
  const run = spawnSync(BUN, [RUNNER, ...args], { cwd, env, encoding: "utf8" });
  const elapsed = performance.now() - start;
  if (run.status !== 0) throw new Error(`bun verify ${args.join(" ")} exited ${run.status}:\n${run.stderr}`);
  const peak = Number(/peak-rss-bytes (\d+)/.exec(run.stderr)?.[1]);
  const cpu = /cpu-user-ms (\d+) cpu-system-ms (\d+)/.exec(run.stderr);
  return { ms: elapsed, peak, cpuMs: Number(cpu?.[1]) + Number(cpu?.[2]) };
}

/** The project (this repository, or a generated one written into the work folder). */
function project(name: string): string {
  if (name === "repo") return REPO;
  const dir = path.join(work, name);
  const targets = (JSON.parse(readFileSync(path.join(REPO, "targets.json"), "utf8")) as { targets: { id: string; os: string; arch: string; bunTarget: string }[] }).targets;
  writeGeneratedFixture(dir, { modules: 240, lockFile: path.join(REPO, "bun-runtimes.lock.json"), targetsFrom: targets });
  return dir;
}

try {
  execFileSync(BUN, [path.join(REPO, "verify", "cli.ts"), "toolchain", "--fetch"], { cwd: REPO, env, stdio: ["ignore", "ignore", "pipe"] }); // runtimes cached before anything is timed
  const cacheDir = defaultCacheDir(env);
  console.log(`build-all, Bun ${BUN_VERSION}, six targets, runtimes cached, ${os.availableParallelism()} cores, median of ${runs} (runs alternate, so each ratio is taken against the naive loop of its own run)`);
  for (const name of projects) {
    const dir = project(name);
    const config = loadConfig(path.join(dir, "targets.json"), { bunVersion: BUN_VERSION });
    const outDir = path.join(work, `${name}-dist`);
    const plan = buildPlan(config, { bunVersion: BUN_VERSION, runtimePathFor: (r) => runtimeCachePath(cacheDir, r), outDir });
    const naiveOut = path.join(work, `${name}-naive`);

    // What a hand-written script runs: the same flags and cached runtimes, no metafile, no hashing.
    const compiles = plan.targets.map((t) => ({
      id: t.target.id,
      cwd: t.cwd,
      env: compilerEnvironment(t, process.env),
      argv: t.argv
        .filter((a) => !a.startsWith("--metafile="))
        .map((a) => (a.startsWith("--outfile=") ? `--outfile=${path.join(naiveOut, t.target.id, config.name)}` : a)),
    }));
    // The naive loop: one `bun build --compile` after another.
    const naive = () => {
      mkdirSync(naiveOut, { recursive: true });
      const start = performance.now();
      for (const c of compiles) {
        const run = spawnSync(BUN, c.argv, { cwd: c.cwd, env: c.env, stdio: "ignore" });
        if (run.status !== 0) throw new Error(`naive compile of ${c.id} failed`);
      }
      const elapsed = performance.now() - start;
      rmSync(naiveOut, { recursive: true, force: true });
      return elapsed;
    };
    // The hardware's pace: the same six compiles, `jobs` at a time, and nothing else.
    const bunAlone = async (jobs: number) => {
      mkdirSync(naiveOut, { recursive: true });
      const start = performance.now();
      const queue = [...compiles];
      const lane = async () => {
        for (let c = queue.shift(); c; c = queue.shift()) {
          const { id, cwd, env: compileEnv, argv } = c;
          const status = await new Promise<number | null>((resolve) => spawn(BUN, argv, { cwd, env: compileEnv, stdio: "ignore" }).on("close", resolve));
          if (status !== 0) throw new Error(`compile of ${id} failed`);
        }
      };
      await Promise.all(Array.from({ length: jobs }, lane));
      const elapsed = performance.now() - start;
      rmSync(naiveOut, { recursive: true, force: true });
      return elapsed;
    };

    const loadBefore = load();
    const naiveMs: number[] = [];
    const series = () => new Map<number, number[]>(jobsList.map((j) => [j, []]));
    const ratios = series();
    const times = series();
    const aloneRatios = series();
    const overPace = series();
    const cpu = series();
    const cpuRatio = series();
    const naiveCpu: number[] = [];
    const peaks: number[] = [];
    for (let run = 0; run < runs; run++) {
      const { value: baseline, cpuMs: baselineCpu } = await measured(naive);
      naiveMs.push(baseline);
      naiveCpu.push(baselineCpu);
      for (const jobs of jobsList) {
        const pace = await bunAlone(jobs);
        const { value: forced, cpuMs: forcedCpu } = await measured(() => verify(dir, ["build", "--force", "--jobs", String(jobs), "--out", outDir]));
        cpuRatio.get(jobs)!.push(forcedCpu / baselineCpu);
        times.get(jobs)!.push(forced.ms);
        ratios.get(jobs)!.push(forced.ms / baseline);
        aloneRatios.get(jobs)!.push(pace / baseline);
        overPace.get(jobs)!.push(forced.ms / pace);
        cpu.get(jobs)!.push(forced.cpuMs);
        peaks.push(forced.peak);
      }
    }
    const noop: number[] = [];
    const noopPeaks: number[] = [];
    for (let run = 0; run < Math.max(runs, 5); run++) {
      const r = verify(dir, ["build", "--out", outDir]);
      noop.push(r.ms);
      noopPeaks.push(r.peak);
    }
    const loadAfter = load();
    const executables = readdirSync(outDir).filter((f) => f.startsWith(`${config.name}-`)).map((f) => path.join(outDir, f));
    const largest = Math.max(...executables.map((f) => statSync(f).size));
    const modules = (JSON.parse(readFileSync(path.join(outDir, "manifest.json"), "utf8")) as { targets: { fingerprint?: { inputs: Record<string, string> } }[] }).targets[0]?.fingerprint?.inputs;

    console.log(`\n${name} (${dir === REPO ? "this repository" : "generated"}, ${Object.keys(modules ?? {}).length} input files); load average ${loadBefore} before, ${loadAfter} after`);
    console.log(`  naive loop, six bun build --compile one after another: ${ms(median(naiveMs))}, CPU of its processes ${ms(median(naiveCpu))}`);
    console.log("  --jobs  bun verify build --force   ratio to naive   Bun alone, N at a time: ratio to naive   bun-parity / Bun alone   bun-parity's own CPU   CPU of all its processes / naive's");
    for (const jobs of jobsList) {
      const m = (series: Map<number, number[]>) => median(series.get(jobs)!).toFixed(2);
      console.log(
        `  ${String(jobs).padStart(6)}  ${ms(median(times.get(jobs)!)).padStart(22)}   ${m(ratios).padStart(14)}   ${m(aloneRatios).padStart(38)}   ${m(overPace).padStart(22)}   ${ms(median(cpu.get(jobs)!)).padStart(20)}   ${m(cpuRatio).padStart(34)}` +
          (jobs === 2 ? "   (goal: ratio to naive <= 0.60 on 2 cores)" : ""),
      );
    }
    console.log(`  no-op (nothing changed): ${ms(median(noop))}  (goal <= 200 ms)`);
    const peak = Math.max(...peaks);
    console.log(`  peak memory of bun-parity itself, worst of the forced builds: ${mib(peak)} = ${(peak / largest).toFixed(2)}x the largest executable (${mib(largest)}; goal <= 2x); no-op ${mib(median(noopPeaks))}`);
    rmSync(outDir, { recursive: true, force: true });
  }

  if (!process.argv.includes("--no-hash")) {
    // sha256: one worker, then all workers, on six executables, against OpenSSL's single-core rate.
    const dist = path.join(work, "hash");
    verify(REPO, ["build", "--out", dist]);
    const files = readdirSync(dist).filter((f) => f.startsWith("bun-parity-")).map((f) => path.join(dist, f));
    const bytes = files.reduce((sum, f) => sum + statSync(f).size, 0);
    const single = new HashPool(1);
    await single.hash(files[0]!); // page cache warm, worker started
    let start = performance.now();
    for (const f of files) await single.hash(f);
    const oneCore = bytes / ((performance.now() - start) / 1000);
    await single.close();
    const pool = new HashPool();
    await Promise.all(files.map((f) => pool.hash(f)));
    start = performance.now();
    await Promise.all(files.map((f) => pool.hash(f)));
    const allCores = bytes / ((performance.now() - start) / 1000);
    await pool.close();
    const speed = execFileSync("openssl", ["speed", "-evp", "sha256", "-seconds", "2"], { stdio: ["ignore", "pipe", "ignore"] }).toString();
    const row = speed.split("\n").find((l) => /^sha256\s/.test(l))!;
    const openssl = Number(row.trim().split(/\s+/).at(-1)!.replace("k", "")) * 1000; // 16384-byte blocks, bytes/s
    const gb = (x: number) => `${(x / 1e9).toFixed(2)} GB/s`;
    console.log(`\nsha256 over ${(bytes / 1e6).toFixed(0)} MB (page cache warm); load average ${load()}:`);
    console.log(`  openssl speed -evp sha256 (16 KiB blocks, 1 core): ${gb(openssl)}`);
    console.log(`  bun-parity, 1 worker:  ${gb(oneCore)}   ratio ${(oneCore / openssl).toFixed(2)} per core (goal >= 0.8)`);
    console.log(`  bun-parity, ${os.availableParallelism()} workers: ${gb(allCores)}`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

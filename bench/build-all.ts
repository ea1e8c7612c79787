// Benchmark for issue 2: the six-target build of the hello fixture, runtimes cached, against
// the naive loop (one `bun build --compile` after another) run in the same process, plus
// sha256 throughput against `openssl speed -evp sha256` on the same machine.
// Prints ratios; not a timed test. Run: bun bench/build-all.ts [--runs 3]
import { execFileSync } from "node:child_process";
import { cpSync, mkdtempSync, readdirSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { HashPool } from "../verify/digest.ts";
import { runtimePackageFor } from "../verify/bun-targets.ts";
import { loadConfig } from "../verify/config.ts";
import { defaultCacheDir, runtimeCachePath } from "../verify/toolchain.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const CLI = path.join(REPO, "verify", "cli.ts");
const runs = Number(process.argv[process.argv.indexOf("--runs") + 1]) || 3;

const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-bench-"));
const app = path.join(work, "hello");
cpSync(path.join(REPO, "test", "fixtures", "hello"), app, { recursive: true });
cpSync(path.join(REPO, "bun-runtimes.lock.json"), path.join(app, "bun-runtimes.lock.json"));
const env = { ...process.env, BUN_PARITY_BUN: BUN, CI: "1" };
const cli = (...args: string[]) => execFileSync(BUN, [CLI, ...args], { cwd: app, env, stdio: ["ignore", "ignore", "pipe"] });

function time(fn: () => void): number {
  const start = performance.now();
  fn();
  return performance.now() - start;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const ms = (x: number) => `${x.toFixed(0)} ms`;

try {
  cli("toolchain", "--fetch"); // runtimes cached before anything is timed
  const config = loadConfig(path.join(app, "targets.json"), { bunVersion: "1.4.5" });
  const cacheDir = defaultCacheDir(env);

  // (a) the naive loop: what a hand-written script does, with the same cached runtimes.
  const naive = () => {
    const out = path.join(work, "naive");
    for (const t of config.targets) {
      const runtime = runtimeCachePath(cacheDir, runtimePackageFor(t, "1.4.5"));
      execFileSync(BUN, ["build", "--compile", `--target=${t.bunTarget}`, `--compile-executable-path=${runtime}`, "--minify",
        "index.ts", `--outfile=${path.join(out, `hello-${t.id}`)}`], { cwd: app, env: { ...process.env, NODE_ENV: "production" }, stdio: "ignore" });
    }
    rmSync(out, { recursive: true, force: true });
  };
  const a: number[] = [];
  const b: number[] = [];
  const c: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(time(naive));
    b.push(time(() => cli("build", "--force")));
    c.push(time(() => cli("build")));
  }
  console.log(`build-all, hello fixture, 6 targets, runtimes cached, ${os.availableParallelism()} cores, median of ${runs}`);
  console.log(`  (a) naive loop, one bun build --compile after another: ${ms(median(a))}`);
  console.log(`  (b) bun verify build --force:                         ${ms(median(b))}   (b)/(a) = ${(median(b) / median(a)).toFixed(2)}  (goal <= 0.75)`);
  console.log(`  (c) bun verify build, nothing changed:                ${ms(median(c))}   (goal < 500 ms)`);

  // sha256: one worker on the six artifacts vs OpenSSL's single-core rate.
  const dist = path.join(app, "dist");
  const files = readdirSync(dist).filter((f) => f.startsWith("hello-")).map((f) => path.join(dist, f));
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
  console.log(`sha256 over ${(bytes / 1e6).toFixed(0)} MB (page cache warm):`);
  console.log(`  openssl speed -evp sha256 (16 KiB blocks, 1 core): ${gb(openssl)}`);
  console.log(`  bun-parity, 1 worker:  ${gb(oneCore)}   ratio ${(oneCore / openssl).toFixed(2)} per core (goal >= 0.8)`);
  console.log(`  bun-parity, ${os.availableParallelism()} workers: ${gb(allCores)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}

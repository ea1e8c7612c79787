// Benchmark: `bun verify explain` on two ~100 MB executables that differ in one
// way (NODE_ENV inlined), against diffoscope on the same pair when it is installed (Debian
// package `diffoscope`; it took 8 min 48 s here on such a pair, so it is stopped after
// --diffoscope-timeout seconds and reported as a lower bound). Prints ratios; not a timed test.
// Run: bun bench/explain.ts [--diffoscope-timeout 120]
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { readLayout } from "../verify/binary/index.ts";
import { explainDifference } from "../verify/explain/index.ts";

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const BUN = path.join(REPO, "node_modules", "bun", "bin", "bun.exe");
const CLI = path.join(REPO, "verify", "cli.ts");
const arg = (name: string, fallback: number) => Number(process.argv[process.argv.indexOf(name) + 1]) || fallback;
const diffoscopeTimeout = arg("--diffoscope-timeout", 120);

const work = mkdtempSync(path.join(os.tmpdir(), "bun-parity-bench-explain-"));
try {
  const files: string[] = [];
  for (const nodeEnv of ["production", "development"]) {
    const app = path.join(work, nodeEnv);
    cpSync(path.join(REPO, "test", "fixtures", "hello"), app, { recursive: true });
    cpSync(path.join(REPO, "bun-runtimes.lock.json"), path.join(app, "bun-runtimes.lock.json"));
    const config = JSON.parse(readFileSync(path.join(app, "targets.json"), "utf8"));
    config.build = { env: { NODE_ENV: nodeEnv } };
    writeFileSync(path.join(app, "targets.json"), JSON.stringify(config));
    execFileSync(BUN, [CLI, "build", "--target", "linux-x64"], { cwd: app, env: { ...process.env, BUN_PARITY_BUN: BUN, CI: "1" }, stdio: "ignore" });
    files.push(path.join(app, "dist", "hello-linux-x64"));
  }
  const [a, b] = files.map((f) => readFileSync(f));
  const times: number[] = [];
  let causes = "";
  for (let i = 0; i < 5; i++) {
    const start = performance.now();
    const result = explainDifference(a!, b!);
    times.push(performance.now() - start);
    causes = result.causes.map((c) => c.code).join(", ");
  }
  const inProcess = times.sort((x, y) => x - y)[2]!;
  let start = performance.now();
  spawnSync(BUN, [CLI, "explain", files[0]!, files[1]!], { stdio: "ignore" });
  const command = performance.now() - start;
  console.log(`explain two ${(a!.length / 1e6).toFixed(0)} MB linux-x64 executables (NODE_ENV production vs development)`);
  console.log(`  causes found: ${causes}`);
  console.log(`  explainDifference, in process (median of 5): ${inProcess.toFixed(0)} ms`);
  console.log(`  bun verify explain A B, whole command:       ${command.toFixed(0)} ms   (goal < 2000 ms)`);

  // The worst case for the byte scan (moved here from test/explain.test.ts, where a wall-clock
  // limit would be flaky on a shared machine): 20 MB of .text and one byte in every 4 KiB page.
  const patched = Buffer.from(a!);
  const text = readLayout(a!).regions.find((region) => region.name === ".text")!;
  for (let at = text.offset; at < text.offset + text.size; at += 4096) patched[at] = patched[at]! ^ 0xff;
  for (let at = text.offset; at < text.offset + Math.min(20_000_000, text.size); at++) patched[at] = patched[at]! ^ 0x55;
  const worst: number[] = [];
  let differing = 0;
  for (let i = 0; i < 3; i++) {
    const began = performance.now();
    differing = explainDifference(a!, patched).differingBytes;
    worst.push(performance.now() - began);
  }
  console.log(`  worst case (${(differing / 1e6).toFixed(1)} MB differing in .text), median of 3: ${worst.sort((x, y) => x - y)[1]!.toFixed(0)} ms   (goal < 2000 ms)`);

  const which = spawnSync("sh", ["-c", "command -v diffoscope"], { encoding: "utf8" });
  if (which.status !== 0) {
    console.log("  diffoscope: not installed (Debian: apt-get install diffoscope); no baseline ratio");
  } else {
    start = performance.now();
    const run = spawnSync("diffoscope", ["--text", path.join(work, "diffoscope.txt"), files[0]!, files[1]!], { timeout: diffoscopeTimeout * 1000, stdio: "ignore" });
    const seconds = (performance.now() - start) / 1000;
    const stopped = (run.error as NodeJS.ErrnoException | undefined)?.code === "ETIMEDOUT" || run.signal !== null;
    console.log(`  diffoscope: ${stopped ? `> ${diffoscopeTimeout} s (stopped)` : `${seconds.toFixed(1)} s`}`);
    console.log(`  ratio diffoscope / explain: ${stopped ? ">" : ""}${((seconds * 1000) / command).toFixed(0)}x`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}

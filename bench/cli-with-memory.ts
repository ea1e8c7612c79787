// Runs the bun-parity CLI in this process (verify/cli.ts main, as `bun verify` does) and prints its
// own peak resident memory (VmHWM) and CPU time (its threads included) to stderr as the last
// lines: the compilers it spawns are not counted (their cost is Bun's, the same in the naive
// loop). Used by bench/build-all.ts.
import { readFileSync } from "node:fs";
import { main } from "../verify/cli.ts";

const code = await main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, cwd: process.cwd(), env: process.env });
const status = readFileSync("/proc/self/status", "utf8");
const kib = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)?.[1] ?? NaN);
const cpu = process.cpuUsage();
process.stderr.write(`cpu-user-ms ${Math.round(cpu.user / 1000)} cpu-system-ms ${Math.round(cpu.system / 1000)}\n`);
process.stderr.write(`peak-rss-bytes ${kib * 1024}\n`);
process.exitCode = code;

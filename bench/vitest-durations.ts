// Compares two runs of the test suite by file: `npx vitest run --reporter=json --outputFile=X.json`
// twice, then `bun bench/vitest-durations.ts before.json after.json`. Prints each file's duration
// (end - start, as the JSON reporter records them), the sum over files, the wall time of the run
// (first start to last end) and the test counts. Two runs on a shared machine differ by its load:
// compare the sums of a file group, not single small files.
import { readFileSync } from "node:fs";
import path from "node:path";

interface Report {
  startTime: number;
  numTotalTests: number;
  numPassedTests: number;
  testResults: { name: string; startTime: number; endTime: number; status: string }[];
}

const [beforeFile, afterFile] = process.argv.slice(2);
if (!beforeFile || !afterFile) {
  process.stderr.write("usage: bun bench/vitest-durations.ts BEFORE.json AFTER.json\n");
  process.exit(2);
}
const read = (file: string) => JSON.parse(readFileSync(file, "utf8")) as Report;
const before = read(beforeFile);
const after = read(afterFile);
const byFile = (r: Report) => new Map(r.testResults.map((f) => [f.name.slice(f.name.lastIndexOf(`${path.sep}test${path.sep}`) + 6), (f.endTime - f.startTime) / 1000]));
const wall = (r: Report) => (Math.max(...r.testResults.map((f) => f.endTime)) - r.startTime) / 1000;
const sum = (m: Map<string, number>) => [...m.values()].reduce((a, b) => a + b, 0);
const b = byFile(before);
const a = byFile(after);
const names = [...new Set([...b.keys(), ...a.keys()])].sort((x, y) => Math.max(b.get(y) ?? 0, a.get(y) ?? 0) - Math.max(b.get(x) ?? 0, a.get(x) ?? 0));
const s = (n: number | undefined) => (n === undefined ? "-" : n.toFixed(1)).padStart(8);
process.stdout.write(`${"file".padEnd(40)}${"before".padStart(8)}${"after".padStart(8)}\n`);
for (const name of names) process.stdout.write(`${name.padEnd(40)}${s(b.get(name))}${s(a.get(name))}\n`);
process.stdout.write(`${"sum of files (s)".padEnd(40)}${s(sum(b))}${s(sum(a))}\n`);
process.stdout.write(`${"wall (s)".padEnd(40)}${s(wall(before))}${s(wall(after))}\n`);
process.stdout.write(`${"tests passed / total".padEnd(40)}${`${before.numPassedTests}/${before.numTotalTests}`.padStart(8)}${`${after.numPassedTests}/${after.numTotalTests}`.padStart(8)}\n`);

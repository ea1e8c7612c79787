// `bun verify explain A B`: why two executables differ.
import { existsSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { stableJson } from "../digest.ts";
import { UsageError } from "../errors.ts";
import { explainDifference, formatExplanation } from "../explain.ts";
import type { Io } from "./context.ts";

/** Exit codes follow diff(1): 0 identical, 1 different, 2 trouble. */
export async function runExplain(io: Io, flags: { json?: boolean }, files: string[]): Promise<number> {
  if (files.length !== 2) {
    throw new UsageError(`explain needs two files, got ${files.length}`, "Run: bun verify explain dist/my-cli-linux-x64 other/my-cli-linux-x64");
  }
  const [a, b] = files.map((f) => {
    const abs = path.resolve(io.cwd, f);
    if (!existsSync(abs)) throw new UsageError(`${f}: no such file`, "Pass two executables built by `bun build --compile`.");
    if (!statSync(abs).isFile()) throw new UsageError(`${f}: not a file`, "Pass two executables, not folders.");
    return abs;
  }) as [string, string];
  const [bytesA, bytesB] = await Promise.all([readFile(a), readFile(b)]);
  const result = explainDifference(bytesA, bytesB, { a: files[0]!, b: files[1]! });
  io.stdout.write(flags.json ? stableJson(result) : `${formatExplanation(result)}\n`);
  return result.identical ? 0 : 1;
}

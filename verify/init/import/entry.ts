// Which file is the program's entry module. A package.json `bin` is often not one: an
// extensionless launcher (`#!/usr/bin/env bun` + `import "../src/cli"`), a shell script that
// execs `bun dist/cli.js`, or a prebuilt file. Bun compiles an entrypoint without a
// JavaScript/TypeScript extension into an executable that runs nothing, so a launcher is
// followed to the module it loads, or refused with the file to use.
import path from "node:path";
import { ENTRY_EXTENSIONS } from "../../config/index.ts";
import type { ProjectReader } from "./bun-version.ts";

export type EntryResolution =
  | { ok: true; entry: string; note?: string }
  | { ok: false; problem: string; fix: string };

const RESOLVE_EXTENSIONS = [...ENTRY_EXTENSIONS];

export function isModulePath(file: string): boolean {
  return RESOLVE_EXTENSIONS.includes(path.posix.extname(file).toLowerCase());
}

/** Resolves a relative import specifier from a file the way Bun would: exact, with an extension, or folder/index. */
export function resolveModule(fromFile: string, specifier: string, reader: ProjectReader): string | undefined {
  const base = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  if (base.startsWith("..")) return undefined;
  const candidates = [
    ...(isModulePath(base) ? [base] : []),
    ...RESOLVE_EXTENSIONS.map((e) => base + e),
    // TypeScript sources imported with a .js suffix (import "./cli.js" for cli.ts).
    ...(/\.(m|c)?js$/.test(base) ? [base.replace(/\.(m|c)?js$/, ".ts"), base.replace(/\.(m|c)?js$/, ".tsx")] : []),
    ...RESOLVE_EXTENSIONS.map((e) => `${base}/index${e}`),
  ];
  return candidates.find((c) => reader.read(c) !== undefined);
}

/**
 * A bin that starts another executable with the arguments it got (`spawn(binary,
 * process.argv.slice(2))`, Bun.spawn, execFileSync): a launcher for a prebuilt or downloaded
 * program, not the program. Compiled, it would look for that other executable at run time.
 */
const SPAWNS = /\b(spawn|spawnSync|execFile|execFileSync|execa|execaSync|Bun\.spawn|Bun\.spawnSync)\s*\(/;
const FORWARDS_ARGS = /process\.argv\.slice\(\s*2\s*\)|Bun\.argv\.slice\(\s*2\s*\)/;

/** The entry a `bin` file stands for. `candidates` are likely entry modules, for the fix. */
export function entryFromBin(bin: string, reader: ProjectReader, candidates: string[] = []): EntryResolution {
  const file = path.posix.normalize(bin.replaceAll("\\", "/")).replace(/^\.\//, "");
  const text = reader.read(file);
  const suggestion = candidates.find((c) => c !== file && reader.read(c) !== undefined) ?? "src/cli.ts";
  if (text === undefined) {
    return { ok: false, problem: `package.json bin points at ${file}, which does not exist (is it a build output?)`, fix: `Pass the source module: bun-parity init --entry ${suggestion}` };
  }
  if (isModulePath(file)) {
    if (SPAWNS.test(text) && FORWARDS_ARGS.test(text)) {
      return {
        ok: false,
        problem: `package.json bin points at ${file}, a launcher: it starts another executable with the arguments it gets instead of running the program, so an executable compiled from it would look for that executable at run time`,
        fix: `Pass the module the program starts in: bun-parity init --entry ${suggestion}`,
      };
    }
    return { ok: true, entry: file };
  }
  // A launcher: the first relative module it imports, requires or runs with bun/node.
  const specifiers = [
    ...text.matchAll(/\bimport\s*(?:[\w*{}\s,]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g),
    ...text.matchAll(/\b(?:require|import)\s*\(\s*["'](\.{1,2}\/[^"']+)["']\s*\)/g),
  ].map((m) => m[1]!);
  for (const specifier of specifiers) {
    const target = resolveModule(file, specifier, reader);
    if (target) {
      return { ok: true, entry: target, note: `${file} is a launcher without a JavaScript/TypeScript extension (Bun would compile it into an executable that runs nothing); using the module it imports, ${target}` };
    }
  }
  // `exec bun "$(dirname "$0")/../dist/cli.js" "$@"` and similar shell launchers.
  const mentioned = [...text.matchAll(/([\w./-]+\.(?:ts|tsx|mts|cts|js|mjs|cjs|jsx))\b/g)].map((m) => m[1]!);
  for (const mention of mentioned) {
    const relative = mention.replace(/^.*?\$\(dirname[^)]*\)\/?/, "");
    const target = resolveModule(file, relative.startsWith(".") ? relative : `./${relative}`, reader) ?? resolveModule("", relative, reader);
    if (target) {
      return { ok: true, entry: target, note: `${file} is a launcher script; using the module it runs, ${target}` };
    }
  }
  return {
    ok: false,
    problem: `package.json bin points at ${file}, which has no JavaScript/TypeScript extension and imports no module bun-parity could find: Bun would compile it into an executable that runs nothing and exits 0`,
    fix: `Pass the module the program starts in: bun-parity init --entry ${suggestion}`,
  };
}

// `bun-parity init` imports the build a project already has: it finds every `bun build
// --compile` the project runs (package.json scripts, justfile, Makefile, shell and
// TypeScript/JavaScript build scripts, GitHub workflows), picks the one that builds the
// release, and turns it into targets.json fields, with the pre-steps whose output is the entry
// as build.prepare. Everything it imported, and everything it could not, is listed with its
// file and line. Pure: files come in through a reader.
import path from "node:path";
import { parseBunTarget } from "../../bun/index.ts";
import type { ProjectReader } from "./bun-version.ts";
import type { CompileCall, ImportNote, ImportedBuild, Located } from "./compile-call.ts";
import { entryFromBin, isModulePath } from "./entry.ts";
import { ROOT_MARK } from "./script-ast.ts";
import { type Sym, describe, literal, unknownParts } from "./symbolic.ts";
import { type Step, walkProject } from "./walk.ts";

export type { ProjectReader } from "./bun-version.ts";
export { bunVersionClaims, chooseBunVersion, type BunVersionChoice, type BunVersionClaim } from "./bun-version.ts";
export { entryFromBin } from "./entry.ts";
export type { ImportNote, ImportedBuild, Located } from "./compile-call.ts";

export interface ImportReader extends ProjectReader {
  /** Whether git ignores the path (a build output), when the project is a git checkout. */
  ignored(relative: string): boolean;
}

export interface ImportedTarget {
  id: string;
  os: "linux" | "darwin" | "windows";
  arch: "x64" | "arm64";
  libc?: "musl";
  /** Only when it is not the canonical bun-<os>-<arch>[-musl] (a -baseline/-modern or alias). */
  bunTarget?: string;
  from: Located;
}

export interface BuildImport {
  /** The compile that was imported, and the route it was reached by. */
  source?: { at: Located; root: string; via: string[] };
  entry?: { file: string; from: Located; note?: string };
  name?: { value: string; from: Located };
  targets: ImportedTarget[];
  build: ImportedBuild & { prepare?: string[] };
  imported: ImportNote[];
  notImported: ImportNote[];
  /** Every compile found, for --dry-run and the JSON output. */
  found: { at: Located; root: string; entry: string; targets: string[] }[];
}

/** Commands before a compile that never write the entry (checks, installs, housekeeping). */
const NOT_A_PRE_STEP = /^(rm|rmdir|mkdir|echo|printf|cp|mv|chmod|ls|cat|test|\[|true|false|set|exit|sleep|cd|export|tee|du|file|shasum|sha256sum|md5sum|zip|tar|gzip|git|gh|codesign|rcodesign|xattr|upx|strip|eslint|prettier|biome|oxlint|vitest|jest|mocha|ava|tap|npm-check|node_modules\/\.bin\/eslint)$/;
const INSTALL = /^(npm (ci|install|i)\b|bun install|bun i\b|pnpm (install|i)\b|yarn( install)?$|yarn install)/;
const CHECK = /(^|\s)(--noEmit|--check|lint|test|typecheck|type-check|format)(\s|$|:)/;
/** A command run by a lint/test/check script (`"lint:tsc": "tsc"`) checks; it writes no entry. */
const CHECK_SCRIPT = /^package\.json script "(pre)?(lint|test|check|typecheck|type-check|format|fmt)([:"_-])/;

export function importBuild(reader: ImportReader): BuildImport {
  const calls = compilesFound(walkProject(reader));
  const result: BuildImport = { targets: [], build: {}, imported: [], notImported: [], found: [] };
  for (const { call, root } of calls) {
    result.found.push({ at: call.at, root, entry: call.entry ? describe(projectPath(call.entry, call.cwd)) : "(none)", targets: call.targets.map(describe) });
  }
  if (calls.length === 0) return result;

  const { chosen, group, others } = chooseCompile(calls);
  const { call } = chosen;
  result.source = { at: call.at, root: chosen.root, via: call.via };
  // Compiles of one group share their flags: say each once (the first line that has it).
  const importedTexts = new Set<string>();
  result.imported.push(...group.flatMap((g) => g.call.imported).filter((n) => !importedTexts.has(n.text) && importedTexts.add(n.text)));
  result.notImported.push(...call.notImported);
  result.build = { ...call.build };

  noteBunDefaults(result, call);
  importEntry(result, call, reader);
  importTargets(result, call, group);
  // Name, from the output file (dist/mycli-linux-x64 -> mycli).
  const name = nameFromOutfiles(group.flatMap((g) => g.call.outfiles));
  if (name) result.name = { value: name, from: call.at };
  importPreSteps(result, chosen, reader);
  notePostSteps(result, chosen, group);
  noteOtherPrograms(result, others);
  return result;
}

/** One compile found, with the steps its route runs before and after it. */
interface FoundCompile {
  call: CompileCall;
  /** The script, recipe or file the route starts at. */
  root: string;
  before: Step[];
  after: Step[];
  /** The steps before it on longer routes to the same compile (a release script that runs it). */
  longer: Step[][];
}

/** Each compile once, reached by its shortest route, since its own script says most plainly what it needs. */
function compilesFound(routes: ReturnType<typeof walkProject>): FoundCompile[] {
  const seen = new Map<string, FoundCompile>();
  for (const route of routes) {
    route.steps.forEach((step, i) => {
      if (step.kind !== "compile") return;
      // Two compiles can share a line (`bun build ... && bun build ...` in one script).
      const key = `${step.call.at.file}:${step.call.at.line}:${step.call.entry ? describe(step.call.entry) : ""}:${step.call.targets.map(describe).join(",")}:${step.call.outfiles.map(describe).join(",")}`;
      const previous = seen.get(key);
      // The shortest route to a compile is its own script, not a release script that also lints and tests.
      const before = route.steps.slice(0, i);
      if (!previous) seen.set(key, { call: step.call, root: route.root, before, after: route.steps.slice(i + 1), longer: [] });
      else if (step.call.via.length < previous.call.via.length) seen.set(key, { call: step.call, root: route.root, before, after: route.steps.slice(i + 1), longer: [previous.before, ...previous.longer] });
      else previous.longer.push(before);
    });
  }
  return [...seen.values()];
}

/** What makes two compiles one program: the same entry and the same options (targets may differ). */
const signature = (c: CompileCall) => JSON.stringify([c.entry && describe(projectPath(c.entry, c.cwd)), c.build]);

/**
 * One program: the compile that builds the most targets (a release loop beats a dev build),
 * the compiles of the same program with it (a recipe per target), and the other programs.
 */
function chooseCompile(found: FoundCompile[]): { chosen: FoundCompile; group: FoundCompile[]; others: FoundCompile[] } {
  const score = (c: CompileCall) => c.targets.length * 10 + (c.entry && literal(c.entry) !== undefined ? 5 : 0);
  const rootRank = (root: string) => (/["\s](build|compile|release|dist|bin|binary|binaries|package)[:"\s-]/i.test(`${root} `) ? 1 : 0);
  const calls = [...found].sort((a, b) => score(b.call) - score(a.call) || rootRank(b.root) - rootRank(a.root) || a.call.via.length - b.call.via.length);
  const chosen = calls[0]!;
  const group = calls.filter((c) => signature(c.call) === signature(chosen.call));
  const others = calls.filter((c) => !group.includes(c));
  return { chosen, group, others };
}

/** Behaviour the project gets from Bun's defaults, said out loud, since bun-parity pins some of it differently. */
function noteBunDefaults(result: BuildImport, call: CompileCall): void {
  if (call.build.env?.NODE_ENV === undefined && call.build.define?.["process.env.NODE_ENV"] === undefined) {
    result.notImported.push({ at: call.at, text: "NODE_ENV: your build does not set it, so Bun inlines the builder's value (\"development\" when unset); bun-parity pins \"production\" (set build.env.NODE_ENV to keep the old value)" });
  }
  const defaulted = [call.build.autoload?.dotenv === undefined ? ".env" : undefined, call.build.autoload?.bunfig === undefined ? "bunfig.toml" : undefined].filter((f) => f !== undefined);
  if (defaulted.length > 0) {
    result.imported.push({ at: call.at, text: `autoload: your executables load ${defaulted.join(" and ")} from the folder they run in (Bun's default), kept; set build.autoload to false so they behave the same everywhere` });
  }
}

/** The entry: a module as written, or the module a bin shim it compiles loads; a computed one is left to --entry. */
function importEntry(result: BuildImport, call: CompileCall, reader: ImportReader): void {
  if (!call.entry) {
    result.notImported.push({ at: call.at, text: "the compile names no entry file; pass --entry" });
    return;
  }
  const entry = projectPath(call.entry, call.cwd);
  const file = literal(entry);
  if (file === undefined) {
    result.notImported.push({ at: call.at, text: `entrypoint ${describe(entry)}: ${unknownParts(entry).join(", ")} is computed; pass --entry` });
  } else if (!isModulePath(file)) {
    const followed = entryFromBin(file, reader);
    if (followed.ok) result.entry = { file: followed.entry, from: call.at, note: `your build compiles ${file}: ${followed.note ?? ""}`.trim() };
    else result.notImported.push({ at: call.at, text: `entrypoint ${file}: ${followed.problem}` });
  } else {
    result.entry = { file, from: call.at };
    // The entry leads the list: it is the first thing a reader checks.
    result.imported.unshift({ at: call.at, text: `entrypoint ${file}` });
  }
}

/** Targets, from every compile of the group (a justfile recipe per target, a loop, a matrix); without any, init proposes its defaults. */
function importTargets(result: BuildImport, call: CompileCall, group: FoundCompile[]): void {
  let computedTarget = false;
  const ids = new Set<string>();
  for (const { call: c } of group) {
    for (const value of c.targets) {
      const text = literal(value);
      if (text === undefined) {
        result.notImported.push({ at: c.at, text: `--target=${describe(value)}: computed; the targets were not imported` });
        computedTarget = true;
        continue;
      }
      const target = importedTarget(text, c.at);
      if ("problem" in target) result.notImported.push({ at: c.at, text: `--target=${text}: ${target.problem}` });
      else if (!ids.has(target.id)) {
        ids.add(target.id);
        result.targets.push(target);
      }
    }
  }
  if (result.targets.length > 0) result.imported.push({ at: call.at, text: `targets ${result.targets.map((t) => t.bunTarget ?? t.id).join(", ")}` });
  else if (computedTarget) {
    // The computed --target is reported above; the defaults stand in for it.
    result.notImported.push({ at: call.at, text: "init proposes the default targets instead (--targets to choose)" });
  } else if (group.some((g) => g.call.notImported.some((n) => n.text.startsWith("--target=")))) result.notImported.push({ at: call.at, text: "no --target=bun-<os>-<arch>: the build makes an executable for the machine it runs on only; init proposes the default targets (--targets to choose)" });
  else result.notImported.push({ at: call.at, text: "no --target: the build makes an executable for the machine it runs on only; init proposes the default targets (--targets to choose)" });
}

/** A --target value as a targets.json target; bunTarget keeps the value when it is not the canonical bun-<os>-<arch>[-musl]. */
function importedTarget(text: string, from: Located): ImportedTarget | { problem: string } {
  const parsed = parseBunTarget(text);
  if ("problem" in parsed) return { problem: parsed.problem };
  const suffix = `${parsed.libc === "musl" ? "-musl" : ""}${parsed.cpuLevel && parsed.arch === "x64" ? `-${parsed.cpuLevel}` : ""}`;
  const target: ImportedTarget = { id: `${parsed.os}-${parsed.arch}${suffix}`, os: parsed.os, arch: parsed.arch, from };
  if (parsed.libc === "musl") target.libc = "musl";
  const canonical = `bun-${parsed.os}-${parsed.arch}${parsed.libc === "musl" ? "-musl" : ""}`;
  if (text !== canonical) target.bunTarget = text;
  return target;
}

/** Commands on a route that may write files: not housekeeping, installs, or checks. */
function meaningfulIn(steps: Step[]): Extract<Step, { kind: "command" }>[] {
  return steps.filter((s): s is Extract<Step, { kind: "command" }> => s.kind === "command")
    .filter((s) => !NOT_A_PRE_STEP.test(s.program) && !INSTALL.test(s.text) && !CHECK.test(s.text) && !s.via.some((v) => CHECK_SCRIPT.test(v)));
}

/**
 * Pre-steps whose output is the entry become build.prepare; when the entry is a tracked
 * source, the steps before the compile are listed but not imported.
 */
function importPreSteps(result: BuildImport, chosen: FoundCompile, reader: ImportReader): void {
  const entry = result.entry;
  if (!entry) return;
  const generated = reader.read(entry.file) === undefined || reader.ignored(entry.file);
  // The shortest route to the compile (its own script, "build:compile") may not run the step
  // that writes a generated entry; the script that runs both ("build": "... && pnpm
  // build:bundle && pnpm build:compile") does.
  let meaningful = meaningfulIn(chosen.before);
  if (generated && meaningful.length === 0) meaningful = chosen.longer.map(meaningfulIn).find((m) => m.length > 0) ?? [];
  if (!generated) {
    for (const s of meaningful) {
      result.notImported.push({ at: s.at, text: `\`${s.text}\` runs before the compile; not imported because ${entry.file} is a tracked source: add it to build.prepare if it writes files the program imports` });
    }
  } else if (meaningful.length > 0) {
    result.build.prepare = meaningful.map((s) => (s.cwd ? `cd ${s.cwd} && ${s.text}` : s.text));
    for (const s of meaningful) result.imported.push({ at: s.at, text: `build.prepare: ${s.text} (it runs before the compile, and ${entry.file} is a build output)` });
  } else {
    const writer = chosen.before.find((s): s is Extract<Step, { kind: "writes" }> => s.kind === "writes" && s.file === entry.file);
    result.notImported.push(writer
      ? { at: writer.at, text: `${entry.file} is written by ${writer.at.file} itself before the compile (not by a command bun-parity can run): move that part into a script of its own and add it to build.prepare, or compile the module it is made from with --entry` }
      : { at: chosen.call.at, text: `${entry.file} is a build output, but no step before the compile writes it; add the command that does to build.prepare` });
  }
}

/**
 * Post-steps that touch what the compile wrote (strip, upx, a binary patcher, codesign): the
 * executables bun-parity ships are the compiler's output, so say what it will not do.
 */
function notePostSteps(result: BuildImport, chosen: FoundCompile, group: FoundCompile[]): void {
  const outputs = group.flatMap((g) => g.call.outfiles).map((o) => literal(o.slice(0, 1)) ?? describe(o)).map((o) => path.posix.dirname(o.replace(ROOT_MARK, "")));
  // One note per line: a loop over targets runs the same post-step once per target.
  const postLines = new Set<string>();
  for (const step of chosen.after) {
    if (step.kind !== "command" || /^(echo|printf|ls|cat|du|file|test|\[|true|sleep|set|rm|rmdir|mkdir)$/.test(step.program)) continue;
    if (postLines.has(`${step.at.file}:${step.at.line}`)) continue;
    postLines.add(`${step.at.file}:${step.at.line}`);
    // `bun build` without --compile writes a JavaScript bundle beside the executables; it does not change them.
    if (/^bunx? build(\s|$)/.test(step.text.replace(/^(npx|pnpm|yarn) bun /, "bun "))) {
      result.notImported.push({ at: step.at, text: `\`${step.text}\` is a bun build without --compile (a JavaScript bundle, not an executable): bun-parity does not build it` });
      continue;
    }
    const touches = outputs.some((dir) => dir !== "." && step.text.includes(dir)) || /^(strip|upx|codesign|rcodesign|binpunch|chmod|mv)$/.test(step.program);
    if (touches) result.notImported.push({ at: step.at, text: `\`${step.text}\` runs after the compile: bun-parity ships the compiler's output alone (checksums and archives come from bun verify build / package), without files this step puts next to it; if it changes the executable, parity with this build is not possible until it is dropped` });
  }
}

/** One note per other program (entry and options), with every target and line it is built at: targets.json builds one. */
function noteOtherPrograms(result: BuildImport, others: FoundCompile[]): void {
  const otherPrograms = new Map<string, { at: Located; entry: string; targets: string[]; lines: Set<number> }>();
  for (const other of others) {
    const entry = other.call.entry ? describe(projectPath(other.call.entry, other.call.cwd)) : "?";
    const key = `${other.call.at.file}\0${signature(other.call)}`;
    const program = otherPrograms.get(key) ?? { at: other.call.at, entry, targets: [], lines: new Set<number>() };
    program.lines.add(other.call.at.line);
    for (const t of other.call.targets.map(describe)) if (!program.targets.includes(t)) program.targets.push(t);
    otherPrograms.set(key, program);
  }
  for (const { at, entry, targets, lines } of otherPrograms.values()) {
    const more = lines.size > 1 ? ` (also line${lines.size > 2 ? "s" : ""} ${[...lines].filter((l) => l !== at.line).join(", ")})` : "";
    result.notImported.push({ at, text: `another compile (${entry}${targets.length > 0 ? `, ${targets.join(" ")}` : ""})${more} differs from the one imported; bun-parity builds one program per targets.json` });
  }
}

/** A path written relative to the folder a command ran in, as a project-relative path. */
function projectPath(value: Sym, cwd: string): Sym {
  const text = literal(value);
  if (text === undefined) return value;
  if (text.startsWith(ROOT_MARK)) return [{ lit: text.slice(ROOT_MARK.length) }];
  return [{ lit: path.posix.normalize(path.posix.join(cwd, text)).replace(/^\.\//, "") }];
}

const TARGET_SUFFIX = /[-_.](bun-)?(linux|darwin|macos|mac|windows|win)(?:[-_](x64|x86_64|amd64|arm64|aarch64))?(?:[-_](musl|baseline|modern))*(\.exe)?$/i;

function nameFromOutfiles(outfiles: Sym[]): string | undefined {
  for (const outfile of outfiles) {
    // The literal text before the first computed part: dist/mycli-${target} -> mycli.
    const prefix: string[] = [];
    for (const part of outfile) {
      if (!("lit" in part)) break;
      prefix.push(part.lit);
    }
    const text = prefix.join("");
    // dist/app-${os}-${arch} leaves "app-"; a branch that names one OS (os === "win32" ? "windows" : os) leaves "app-windows-".
    const base = path.posix.basename(text).replace(/\.exe$/i, "").replace(TARGET_SUFFIX, "").replace(/[-_.]+$/, "").replace(/[-_.](bun-)?(linux|darwin|macos|mac|windows|win32|win)$/i, "");
    if (/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(base) && base.length > 0 && !text.endsWith("/")) return base;
  }
  return undefined;
}

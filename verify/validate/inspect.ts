// Facts about one executable, and whether they match the target it claims to be: format, OS,
// CPU, libc and glibc floor, PE subsystem and Authenticode, the macOS code signature (page
// hashes recomputed), the embedded Bun version and entry point. Pure.
import path from "node:path";
import { verifyCodeSignature, type SignatureCheck, readBunModuleGraph, readBunVersion, type BunModuleGraph, readLayout } from "../binary/index.ts";
import { compareVersions, OLDEST_SUPPORTED_BUN } from "../bun/index.ts";
import type { Target } from "../config/index.ts";

export interface Claim {
  os?: string;
  arch?: string;
  libc?: string;
  /** Where the claim comes from: "manifest (linux-x64)", "targets.json (linux-x64)", "file name". */
  source: string;
}

export interface InspectFacts {
  file: string;
  bytes: number;
  format: string;
  os: string;
  arch: string;
  claim?: Claim;
  elf?: { interpreter?: string; libc: string; minimumGlibc?: string; static: boolean; needed: string[] };
  pe?: { machine: string; subsystem: string; authenticode: boolean };
  macho?: { signature: SignatureCheck["state"]; identifier?: string; adhoc?: boolean; flags?: string; pages?: number; badPages?: number[]; problems: string[]; minOs?: string };
  bun?: {
    version?: string;
    revision?: string;
    entryPoint?: string;
    modules?: number;
    execArgv?: string;
    /** How the graph is serialized and stored (bun-graph-layout.ts): e.g. "32/36, appended to the file". */
    graphLayout?: string;
    /** Offsets.flags names (what the executable autoloads at run time), from Bun 1.3.3. */
    flags?: string[];
  };
  /** Failures: the artifact is not what it claims, or macOS would refuse it. */
  problems: string[];
  /** Worth knowing, not failures (unsigned Windows executable, glibc floor ...). */
  notes: string[];
  ok: boolean;
}

export function claimOfTarget(t: Target, source: string): Claim {
  const claim: Claim = { os: t.os, arch: t.arch, source };
  if (t.os === "linux") claim.libc = t.libc;
  return claim;
}

/** What a file name says about its target: `<name>-<id>` of a configured target, else its tokens. */
export function claimFromName(file: string, targets: Target[], artifactName?: string): Claim | undefined {
  const base = path.basename(file).replace(/\.exe$/i, "");
  for (const t of targets) {
    if (base === `${artifactName}-${t.id}` || base.endsWith(`-${t.id}`)) return claimOfTarget(t, `targets.json (${t.id})`);
  }
  const tokens = base.toLowerCase().split(/[-_.]/);
  const os = tokens.find((x) => ["linux", "darwin", "macos", "windows", "win32"].includes(x));
  const arch = tokens.find((x) => ["x64", "x86_64", "amd64", "arm64", "aarch64"].includes(x));
  if (!os && !arch) return undefined;
  const claim: Claim = { source: "file name" };
  if (os) claim.os = os === "macos" ? "darwin" : os === "win32" ? "windows" : os;
  if (arch) claim.arch = ["x86_64", "amd64"].includes(arch) ? "x64" : arch === "aarch64" ? "arm64" : arch;
  if (claim.os === "linux") claim.libc = tokens.includes("musl") ? "musl" : "glibc";
  return claim;
}

export function inspectBytes(bytes: Uint8Array, file: string, claim?: Claim): InspectFacts {
  const layout = readLayout(bytes, file);
  const problems: string[] = [];
  const notes: string[] = [];
  const facts: InspectFacts = { file, bytes: bytes.length, format: layout.format, os: layout.os, arch: layout.arch, problems, notes, ok: true };
  if (claim) facts.claim = claim;

  if (layout.elf) {
    const e = layout.elf;
    facts.elf = { libc: e.libc, static: e.isStatic, needed: e.neededLibraries };
    if (e.interpreter) facts.elf.interpreter = e.interpreter;
    if (e.minimumGlibc) {
      facts.elf.minimumGlibc = e.minimumGlibc;
      notes.push(`needs glibc >= ${e.minimumGlibc}`);
    }
    if (e.libc === "musl") notes.push(`musl: needs ${e.interpreter} and ${e.neededLibraries.filter((l) => l.startsWith("libstdc++") || l.startsWith("libgcc")).join(", ") || "its libraries"} (Alpine: apk add libstdc++)`);
  }
  if (layout.pe) {
    const p = layout.pe;
    facts.pe = { machine: p.arch, subsystem: p.subsystemName, authenticode: p.hasAuthenticode };
    if (!p.hasAuthenticode) notes.push("no Authenticode signature (Bun strips the runtime's): sign it for distribution, unsigned executables trip SmartScreen and AV heuristics");
    if (p.subsystemName === "gui") notes.push("GUI subsystem: no console window, so output to a terminal is lost");
  }
  if (layout.macho) {
    const sig = verifyCodeSignature(bytes, file);
    facts.macho = { signature: sig.state, problems: sig.problems };
    if (sig.identifier !== undefined) facts.macho.identifier = sig.identifier;
    if (sig.adhoc !== undefined) facts.macho.adhoc = sig.adhoc;
    if (sig.flags !== undefined) facts.macho.flags = `0x${sig.flags.toString(16)}`;
    if (sig.pages !== undefined) facts.macho.pages = sig.pages;
    if (sig.badPages?.length) facts.macho.badPages = sig.badPages;
    if (layout.macho.minOs) facts.macho.minOs = layout.macho.minOs;
    const fix = `re-sign it: bun verify sign --adhoc ${file} (any OS), or codesign --force --sign - ${file} on a Mac`;
    if (sig.state === "invalid") problems.push(`invalid macOS code signature (${sig.problems[0] ?? "hashes do not match"}): macOS kills it at launch; ${fix}`);
    else if (sig.state === "unsigned" && layout.arch === "arm64") problems.push(`unsigned arm64 Mach-O: macOS on Apple silicon refuses to run it; ${fix}`);
    else if (sig.state === "unsigned") notes.push(`unsigned: Gatekeeper will warn; ${fix}`);
  }

  const version = readBunVersion(bytes);
  const graph = readBunModuleGraph(bytes, file);
  if (version || graph) {
    facts.bun = {};
    if (version) {
      facts.bun.version = version.version;
      if (version.revision) facts.bun.revision = version.revision;
    }
    if (graph) {
      facts.bun.entryPoint = graph.entryPoint;
      facts.bun.modules = graph.modules.length;
      if (graph.execArgv) facts.bun.execArgv = graph.execArgv;
      const container = graph.layout.container;
      facts.bun.graphLayout = `${graph.layout.id} (${graph.layout.versions})${
        container ? (container.kind === "appended" ? ", appended to the file" : `, in its section after a u${container.lengthPrefix * 8} length`) : ""
      }`;
      notes.push(...graphNotes(graph, version?.version));
    }
  }
  if (!graph) problems.push("no embedded Bun module graph: this is a plain Bun runtime or a stripped executable (strip removes the .bun payload), not a compiled program");

  if (claim) {
    if (claim.os && claim.os !== layout.os) problems.push(`is a ${layout.os} ${layout.format} executable, but ${claim.source} says ${claim.os}`);
    if (claim.arch && claim.arch !== layout.arch) problems.push(`is built for ${layout.arch}, but ${claim.source} says ${claim.arch}`);
    if (claim.os === "linux" && claim.libc && facts.elf && facts.elf.libc !== "static" && facts.elf.libc !== "unknown" && facts.elf.libc !== claim.libc) {
      problems.push(`links ${facts.elf.libc} (${facts.elf.interpreter}), but ${claim.source} says ${claim.libc}`);
    }
  }
  facts.ok = problems.length === 0;
  return facts;
}

/**
 * What the graph says about how the executable behaves, by Bun version: before 1.3.3 it
 * always loads .env and bunfig.toml from the folder it runs in (no flag to stop it); garbage
 * Offsets padding (1.2.4 to 1.2.10) makes rebuilds differ. docs/internals.md has the table.
 */
function graphNotes(graph: BunModuleGraph, version: string | undefined): string[] {
  const notes: string[] = [];
  if (version && compareVersions(version, OLDEST_SUPPORTED_BUN) < 0) {
    notes.push(`built by Bun ${version}, older than ${OLDEST_SUPPORTED_BUN}: the graph was read by structure; bun-parity builds only with Bun ${OLDEST_SUPPORTED_BUN} and later`);
  }
  if (version && compareVersions(version, "1.3.3") < 0) {
    notes.push(`Bun ${version} executables always load .env* and bunfig.toml from the folder they run in (--no-compile-autoload-dotenv/-bunfig arrived in Bun 1.3.3)`);
  } else if (version) {
    const loads = [
      !graph.flags.names.includes("disable-default-env-files") && ".env*",
      !graph.flags.names.includes("disable-autoload-bunfig") && "bunfig.toml",
    ].filter(Boolean);
    if (loads.length > 0) notes.push(`loads ${loads.join(" and ")} from the folder it runs in (built without --no-compile-autoload-${loads.length === 2 ? "dotenv/-bunfig" : loads[0] === ".env*" ? "dotenv" : "bunfig"})`);
  }
  const padding = graph.layout.padding;
  if (padding && padding.bytes.some((byte) => byte !== 0)) {
    notes.push(`the module graph's Offsets padding holds ${padding.bytes.toString("hex")} (uninitialized memory written by Bun ${version ?? "before 1.3.3"}): rebuilds of the same input differ there; \`bun verify build\` zeroes it`);
  }
  return notes;
}

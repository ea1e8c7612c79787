// `bun verify inspect`: what each artifact really is, checked against what it claims to be.
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { artifactsIn } from "../artifacts.ts";
import { type Config, selectTargets } from "../config.ts";
import { sha256Hex, stableJson } from "../digest.ts";
import { CheckFailed, UsageError } from "../errors.ts";
import { type Claim, type InspectFacts, claimFromName, claimOfTarget, inspectBytes } from "../inspect.ts";
import { annotate } from "../report/github.ts";
import { formatBytes, formatTable } from "../report/table.ts";
import { type Io, findConfigFile, loadProject } from "./context.ts";

export interface InspectFlags {
  config?: string;
  target?: string[];
  dist?: string;
  json?: boolean;
}

interface Item {
  file: string;
  claim?: Claim;
  /** sha256 the manifest lists for it. */
  listed?: string;
}

export async function runInspect(io: Io, flags: InspectFlags, files: string[]): Promise<number> {
  const config = await optionalConfig(io, flags, files.length > 0);
  const items: Item[] = [];
  if (files.length > 0) {
    for (const f of files) {
      const file = path.resolve(io.cwd, f);
      if (!existsSync(file)) throw new UsageError(`${f}: no such file`, "Pass built executables, or no files to inspect the output folder.");
      const item: Item = { file };
      const claim = claimFromName(file, config?.targets ?? [], config?.name);
      if (claim) item.claim = claim;
      items.push(item);
    }
  } else {
    const distDir = flags.dist ? path.resolve(io.cwd, flags.dist) : config!.outDir;
    for (const a of await artifactsIn(distDir, config!, selectTargets(config!, flags.target))) {
      const item: Item = { file: a.file, claim: claimOfTarget(a.target, a.entry ? `manifest (${a.target.id})` : `targets.json (${a.target.id})`) };
      if (a.entry) item.listed = a.entry.sha256;
      items.push(item);
    }
  }

  const results: InspectFacts[] = [];
  for (const item of items) {
    if (!existsSync(item.file)) {
      const missing = `missing: ${path.relative(io.cwd, item.file)} (run bun verify build, or pass --dist)`;
      results.push({ file: item.file, bytes: 0, format: "-", os: "-", arch: "-", problems: [missing], notes: [], ok: false });
      continue;
    }
    const bytes = await readFile(item.file);
    const facts = inspectBytes(bytes, path.relative(io.cwd, item.file) || item.file, item.claim);
    if (item.listed && sha256Hex(bytes) !== item.listed) {
      facts.problems.push("sha256 differs from manifest.json: the file changed after the build");
      facts.ok = false;
    }
    results.push(facts);
  }

  if (flags.json) io.stdout.write(stableJson(results));
  else io.stdout.write(formatInspect(results));
  for (const r of results.filter((x) => !x.ok)) annotate(io, "error", `inspect ${path.basename(r.file)}`, r.problems.join("; "), r.file);
  const bad = results.filter((r) => !r.ok);
  if (bad.length > 0) throw new CheckFailed(`${bad.length} of ${results.length} artifacts failed inspection`);
  return 0;
}

async function optionalConfig(io: Io, flags: InspectFlags, filesGiven: boolean): Promise<Config | undefined> {
  // Files can be inspected anywhere; a project's targets.json only adds what their names claim.
  if (filesGiven && !flags.config) {
    try {
      findConfigFile(io);
    } catch {
      return undefined;
    }
  }
  return (await loadProject(io, flags.config)).config;
}

function linkage(r: InspectFacts): string {
  if (r.elf) return r.elf.static ? "static" : `${r.elf.libc}${r.elf.minimumGlibc ? ` >= ${r.elf.minimumGlibc}` : ""}`;
  if (r.pe) return `${r.pe.subsystem}, ${r.pe.authenticode ? "Authenticode" : "unsigned"}`;
  if (r.macho) return `signature ${r.macho.signature}${r.macho.adhoc ? " (ad hoc)" : ""}`;
  return "";
}

export function formatInspect(results: InspectFacts[]): string {
  let out = formatTable(
    ["file", "format", "os/arch", "claims", "linkage / signature", "bun", "size", "result"],
    results.map((r) => [
      path.basename(r.file),
      r.format,
      `${r.os}/${r.arch}`,
      r.claim ? `${r.claim.os ?? "?"}/${r.claim.arch ?? "?"}${r.claim.libc === "musl" ? "/musl" : ""}` : "-",
      linkage(r),
      r.bun?.version ? `${r.bun.version}${r.bun.entryPoint ? ` ${r.bun.entryPoint}` : ""}` : "-",
      formatBytes(r.bytes),
      r.ok ? "ok" : "FAIL",
    ]),
  );
  for (const r of results) {
    for (const p of r.problems) out += `\n${path.basename(r.file)}: FAIL: ${p}`;
    for (const n of r.notes) out += `\n${path.basename(r.file)}: note: ${n}`;
  }
  return out + "\n";
}
